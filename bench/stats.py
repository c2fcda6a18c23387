"""Percentiles and the printed table."""

import math


def percentile(values, p):
    """Nearest-rank percentile (p in 0..100) of a list of numbers; None when empty."""
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    rank = max(1, math.ceil(p / 100.0 * len(values)))
    return values[min(rank, len(values)) - 1]


def summarize(samples):
    """samples: list of dicts with server_s, client_s, queries."""
    server = [s.get("server_s") for s in samples]
    client = [s.get("client_s") for s in samples]
    queries = [s.get("queries") for s in samples if s.get("queries") is not None]
    return {
        "n": len(samples),
        "server_median_ms": ms(percentile(server, 50)),
        "server_p95_ms": ms(percentile(server, 95)),
        "client_median_ms": ms(percentile(client, 50)),
        "client_p95_ms": ms(percentile(client, 95)),
        "queries_median": percentile(queries, 50),
        "queries_min": min(queries) if queries else None,
        "queries_max": max(queries) if queries else None,
    }


def ms(seconds):
    return None if seconds is None else round(seconds * 1000.0, 1)


def fmt(value, digits=None):
    if value is None:
        return "-"
    if isinstance(value, float):
        if digits is None:
            digits = 2 if abs(value) < 10 else 1 if abs(value) < 100 else 0
        return f"{value:.{digits}f}"
    return str(value)


def table(headers, rows):
    """A plain-text table."""
    cells = [[fmt(c) if not isinstance(c, str) else c for c in row] for row in rows]
    widths = [max(len(str(h)), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    line = "  ".join(str(h).ljust(w) for h, w in zip(headers, widths))
    out = [line, "  ".join("-" * w for w in widths)]
    for row in cells:
        out.append(
            "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths)))
        )
    return "\n".join(out)


def markdown_table(headers, rows):
    """The same table in Markdown."""
    cells = [[fmt(c) if not isinstance(c, str) else c for c in row] for row in rows]
    out = ["| " + " | ".join(str(h) for h in headers) + " |"]
    out.append("|" + "|".join(" --- " for _h in headers) + "|")
    out.extend("| " + " | ".join(row) + " |" for row in cells)
    return "\n".join(out)

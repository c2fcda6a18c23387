#!/usr/bin/env python3
"""Run every Agora benchmark and print the figures (``make bench``).

    python3 bench/run.py [--scale 1.0] [--seed 42] [--only catalog,cart,upload,cron,load]
    python3 bench/run.py --only 1c        # the 1C exchange benchmark (bench_1c.py)

1. Generates the dataset into ``agora_bench`` (or reuses it when it holds the
   same seed, scale and format; see generate.py).
2. Copies it to ``agora_bench_run``, so that every run starts from the same
   data, and updates the modules there when their code changed since.
3. Serves it with ``--workers`` on 127.0.0.1 and measures, over real HTTP as
   a logged-in portal client: the catalog beside /shop, the cart, the upload.
4. Runs the expiry cron over the due reservations, then the job emailing
   their clients, in-process.
5. Runs the bounded load test (portal clients, staff, the cron worker, a
   server kill and restart halfway), then checks the database.
6. Prints the tables and writes ``bench/results/bench-<scale>-<time>.json``
   (and ``latest.json``), and the summary to commit with the figures,
   ``bench/results/<date>-<commit>.md``.
"""

import argparse
import json
import os
import subprocess
import sys
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))

import bench_cron
import bench_http
import checks
import generate
import load
import odoo_cmd
import odoo_env
from server import LogTail, odoo_server
from stats import markdown_table, table

RESULTS = Path(__file__).resolve().parent / "results"
STEPS = ("catalog", "cart", "upload", "cron", "load")

TARGETS = {
    "catalog_ratio": 0.5,  # /my/catalog median <= half of /shop's
    "catalog_query_spread": 2,  # queries per page: max - min over result sizes
    "upload_s": 10.0,
    # The expiry of 10,000 due reservations with their emails, as a share of
    # the expiry job's run interval (15 minutes).
    "cron_share_of_interval": 0.5,
    # Queries per order of the larger batch over the smaller one's, at most.
    "cron_flat_tolerance": 0.10,
    "total_s": 1800,
}


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def utcnow():
    return datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)


def prepare_run_db(template, run_db):
    t0 = time.perf_counter()
    log(f"copying {template} to {run_db}")
    odoo_env.clone_db(template, run_db)
    params = generate.read_params(template)
    updated = False
    if params.get("code_hash") != generate.code_hash():
        log("the add-ons changed since the dataset was generated: updating them in the copy")
        odoo_env.run_odoo(run_db, "-u", "agora_orders,agora_portal")
        updated = True
    return {"copy_s": round(time.perf_counter() - t0, 1), "modules_updated": updated}


# --- the figures --------------------------------------------------------------


def cols(text):
    """Column headers, written "a | b | c"."""
    return [header.strip() for header in text.split("|")]


def pick(values, *keys):
    return [values[key] for key in keys]


def summary(res):
    """The run's figures: a list of (title, headers, rows), or (paragraph, None, None)."""
    out = []
    fx = res.get("fixtures", {})
    if "catalog" in res:
        timings = ("server_median_ms", "server_p95_ms", "queries_median")
        rows = [
            [
                sc["scenario"],
                *pick(sc["agora"], *timings),
                *pick(sc["shop"], *timings),
                f"{sc['ratio']:.2f}" if sc["ratio"] is not None else "-",
            ]
            for sc in res["catalog"]["scenarios"]
        ]
        out.append(
            (
                "Catalog: /my/catalog beside /shop, same client and price list "
                f"(server time, ms; {fx.get('assortment_size')} products in the assortment)",
                cols(
                    "page | agora med | agora p95 | agora q | "
                    "/shop med | /shop p95 | /shop q | ratio"
                ),
                rows,
            )
        )
        rows = [
            pick(r, "page", "server_median_ms", "queries_min", "queries_max")
            for r in res["catalog"]["queries_by_result_size"]
        ]
        out.append(
            (
                "Catalog queries per page by number of matching products",
                cols("page | median ms | queries min | queries max"),
                rows,
            )
        )
    if "cart" in res:
        c = res["cart"]
        rows = [
            [name, *pick(c[key], "n", "server_median_ms", "server_p95_ms", "queries_median")]
            for name, key in (
                ("add to cart (JSON)", "add_to_cart"),
                (f"cart page ({c['lines_per_cart']} lines)", "cart_page"),
                ("submit", "submit"),
            )
        ]
        out.append(("Cart (server time, ms)", cols("request | n | median | p95 | queries"), rows))
    if "upload" in res:
        keys = ("lines", "upload_to_result_s", "upload_queries", "worker_peak_rss_mb")
        keys += ("worker_rss_before_mb", "confirm_server_s")
        rows = [[kind, *pick(u, *keys)] for kind, u in res["upload"].items()]
        out.append(
            (
                "Upload (client wall time from upload to the result page)",
                cols(
                    "file | lines | seconds | queries | worker peak MB | before MB | add to cart s"
                ),
                rows,
            )
        )
    if "cron" in res and res["cron"].get("due_orders"):
        out.extend(cron_summary(res["cron"]))
    if "load" in res:
        ld = res["load"]
        rows = [
            pick(ld, "portal_clients", "requests", "clients_wall_s", "throughput_rps")
            + pick(ld["latency_ms"], "p50", "p95", "p99")
            + pick(ld, "errors", "retries_during_restart")
        ]
        out.append(
            (
                "Load (client latency, ms)",
                cols(
                    "clients | requests | seconds | req/s | "
                    "p50 | p95 | p99 | errors | retries (restart)"
                ),
                rows,
            )
        )
        rows = [
            [kind, *pick(v, "n", "p50", "p95", "p99")]
            for kind, v in ld["latency_ms_by_kind"].items()
        ]
        out.append(("Load latency by request (ms)", cols("request | n | p50 | p95 | p99"), rows))
        cron = ld.get("cron") or {}
        out.append(
            (
                f"Cron worker during the load (expiry, status emails): "
                f"{cron.get('runs_started')} runs started, {cron.get('runs_failed')} failed; "
                f"{cron.get('due_orders_left')} of {res['load_setup'].get('load_due_orders')} "
                f"due reservations left, and {cron.get('emails_pending_left')} of their "
                f"emails, {cron.get('waited_s')} s after the clients finished. Reservations "
                f"by staff: {ld['reservations']}. Server restart: {ld['restart']}.",
                None,
                None,
            )
        )
    if "checks" in res:
        ch = res["checks"]
        rows = [
            ["orders submitted (acknowledged)", ch["acknowledged"]],
            ["answer lost in the restart, order found", ch["answer_lost_but_order_found"]],
            ["lost", ch["lost"]],
            ["duplicated", ch["duplicates"]],
            ["with wrong lines", ch["wrong_lines"]],
            ["quants reserved over on-hand", ch["quants_over_reserved"]],
            ["quant/move-line reservation mismatches", ch["reservation_mismatches"]],
            ["orders stuck between states", sum(ch["stuck"].values())],
            [
                "double submit -> orders",
                len((ch.get("idempotence") or {}).get("orders_in_db", [])),
            ],
        ]
        out.append(("Checks against the database", ["check", "count"], rows))
    if "targets" in res:
        rows = [[t["target"], t["value"], "met" if t["met"] else "MISSED"] for t in res["targets"]]
        out.append(("Targets", ["target", "measured", ""], rows))
    return out


def cron_summary(c):
    e = c.get("emails") or {}
    small, large = c["flat_sizes"]

    def row(name, job, orders):
        flat = [f["queries_per_order"] if f else "-" for f in job["flat"]]
        return [
            name,
            orders,
            job["total_s"],
            job["ms_per_order"],
            job["queries_per_order"],
            f"{job['queries_per_order_min_run']}-{job['queries_per_order_max_run']}",
            *flat,
            job["peak_rss_mb"],
        ]

    rows = [row("expiry cron", c, f"{c['processed']}/{c['due_orders']}")]
    if e:
        rows.append(row("status emails", e, f"{e['orders_emailed']}/{c['expired']}"))
        rows.append(
            ["together", "", "", c["together_ms_per_order"], c["together_queries_per_order"]]
            + [""] * 4
        )
    lines = [f["lines_per_order"] if f else "-" for f in c["flat"]]
    return [
        (
            "Expiry cron, then the job emailing the clients (in-process, batch after batch "
            "as the scheduler runs them)",
            cols(
                "job | orders | seconds | ms/order | queries/order | per batch | "
                f"q/order at {small} | q/order at {large} | peak MB"
            ),
            rows,
        ),
        (
            f"Projected for {c['projected_orders']:,} due reservations with their emails: "
            f"**{c['projected_s']} s** ({c['projected_s'] / 60:.1f} min), against a run "
            f"interval of {c['interval_s'] / 60:g} min of the expiry job. The expiry's batches "
            f"of {small} and {large} orders had {lines[0]} and {lines[1]} lines per order "
            "(stock locks each line's quant).",
            None,
            None,
        ),
    ]


def render(blocks, markdown=False):
    parts = []
    for title, headers, rows in blocks:
        if headers is None:
            parts.append(title if markdown else title.replace("**", ""))
        elif markdown:
            parts.append(f"### {title}\n\n{markdown_table(headers, rows)}")
        else:
            parts.append(f"{title}\n{table(headers, rows)}")
    return "\n\n".join(parts)


def evaluate(res):
    targets = []

    def add(name, value, met):
        targets.append({"target": name, "value": value, "met": bool(met)})

    if "catalog" in res:
        worst = max((s["ratio"] or 99) for s in res["catalog"]["scenarios"])
        add(
            f"catalog median <= {TARGETS['catalog_ratio']} x /shop (worst page)",
            f"{worst:.2f}",
            worst <= TARGETS["catalog_ratio"],
        )
        sizes = res["catalog"]["queries_by_result_size"]
        qs = [q for r in sizes for q in (r["queries_min"], r["queries_max"]) if q is not None]
        add(
            f"catalog queries independent of size (spread <= {TARGETS['catalog_query_spread']})",
            f"{min(qs)}-{max(qs)}" if qs else "-",
            qs and max(qs) - min(qs) <= TARGETS["catalog_query_spread"],
        )
    if "upload" in res:
        for kind, u in res["upload"].items():
            add(
                f"{kind} {u['lines']:,} lines <= {TARGETS['upload_s']:g} s",
                f"{u['upload_to_result_s']} s",
                u["upload_to_result_s"] <= TARGETS["upload_s"],
            )
    if "cron" in res and res["cron"].get("due_orders"):
        c = res["cron"]
        e = c.get("emails") or {}
        bar_s = c["interval_s"] * TARGETS["cron_share_of_interval"]
        add(
            f"{c['projected_orders']:,} due reservations expired and emailed "
            f"< {bar_s / 60:g} min ({TARGETS['cron_share_of_interval']:g} x the job's interval)",
            f"{c['projected_s']} s ({c['ms_per_order']} + {e.get('ms_per_order')} ms/order)",
            c["projected_s"] <= bar_s,
        )
        small, large = c["flat_sizes"]
        for label, job in (("expiry cron", c), ("status emails", e)):
            if not job:
                continue
            lo, hi = job["flat"]
            add(
                f"{label}: flat queries/order, batch of {large} vs {small} "
                f"(+{TARGETS['cron_flat_tolerance']:.0%} at most)",
                f"{lo['queries_per_order'] if lo else '-'} -> "
                f"{hi['queries_per_order'] if hi else '-'}",
                lo
                and hi
                and hi["queries_per_order"]
                <= lo["queries_per_order"] * (1 + TARGETS["cron_flat_tolerance"]),
            )
        if e:
            add(
                "every expired order's client emailed once, from a sender",
                f"{e['orders_emailed']}/{c['expired']}, {e['orders_emailed_twice']} twice, "
                f"{e['left_pending']} pending",
                e["orders_emailed"] == c["expired"]
                and not e["orders_emailed_twice"]
                and not e["left_pending"],
            )
    if "load" in res:
        ld = res["load"]
        failed = (ld.get("cron") or {}).get("runs_failed", 0)
        add(
            "load: zero errors (requests + failed cron runs)",
            f"{ld['errors']} + {failed}",
            ld["errors"] == 0 and failed == 0,
        )
    if "checks" in res:
        ch = res["checks"]
        add(
            "load: zero lost / duplicated orders",
            f"{ch['lost']} / {ch['duplicates']}",
            not ch["lost"] and not ch["duplicates"],
        )
        idem = ch.get("idempotence") or {}
        add(
            "double submit: one order, no error answer",
            f"{len(idem.get('orders_in_db', []))} order, answers "
            f"{[a['status'] for a in idem.get('answers', [])]}",
            idem.get("db_ok") and not idem.get("error_answers"),
        )
        add("database checks", len(ch["problems"]), ch["ok"])
    if "failure" in res:
        add("every benchmark ran", "no: see FAILED above", False)
    add(
        f"whole run < {TARGETS['total_s'] / 60:g} min",
        f"{res['total_s']:.0f} s",
        res["total_s"] < TARGETS["total_s"],
    )
    return targets


def git(*args):
    out = subprocess.run(
        ["git", "-C", str(odoo_env.ROOT), *args], capture_output=True, text=True, check=False
    )
    return out.stdout.rstrip()


def write_summary(res, args, json_path):
    """bench/results/<date>-<commit>.md: the figures, to commit with the commit measured."""
    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    status = git("status", "--porcelain", "--", "agora_orders", "agora_portal", "bench", "tools")
    changed = [line[3:] for line in status.splitlines() if "bench/results/" not in line]
    date = res["started_utc"][:10]
    scale = "" if args.scale == 1.0 else f"-scale{args.scale:g}"
    path = RESULTS / f"{date}-{commit}{scale}.md"
    try:
        memory = next(
            f"{int(line.split()[1]) / 1024**2:.0f} GB"
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal:")
        )
    except (OSError, StopIteration):
        memory = "? GB"
    dataset = res.get("dataset") or {}
    run = f"started {res['started_utc'][11:16]} UTC: {res['total_s'] / 60:.1f} min in all"
    if dataset.get("generated_s"):
        run += f", {dataset['generated_s'] / 60:.1f} of them generating the dataset"
    about = [
        f"`python3 bench/run.py --scale {args.scale:g} --seed {args.seed}`, {run}.",
        f"Odoo {res.get('odoo_version', '?')}, {os.cpu_count()} CPU cores, {memory} of memory.",
        f"Dataset sizes: `{dataset.get('sizes')}`.",
    ]
    head = [f"# Bench run of {date} on commit {commit}", "", " ".join(about)]
    if changed:
        head += ["", f"Measured with uncommitted changes to {len(changed)} files: "]
        head[-1] += ", ".join(changed) + "."
    head += ["", f"Everything else is in `{json_path.name}` (not committed).", ""]
    path.write_text("\n".join(head) + "\n" + render(summary(res), markdown=True) + "\n")
    return path


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--db", default="agora_bench", help="the generated dataset")
    parser.add_argument("--port", type=int, default=8369)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--load-workers", type=int, default=4)
    parser.add_argument("--only", default=",".join(STEPS))
    parser.add_argument("--rounds", type=int, default=15, help="catalog requests per page")
    parser.add_argument("--cron-budget", type=float, default=300, help="seconds (0: no limit)")
    parser.add_argument("--load-orders", type=int, default=3, help="orders per load client")
    parser.add_argument("--load-clients", type=int, default=50)
    parser.add_argument("--no-restart", action="store_true", help="no server kill in the load")
    parser.add_argument("--keep", action="store_true", help="keep the run database")
    args = parser.parse_args()
    odoo_cmd.check_odoo()
    steps = [s for s in args.only.split(",") if s]
    if "1c" in steps:
        # The 1C exchange benchmark has a database of its own: see bench_1c.py.
        import bench_1c  # noqa: PLC0415

        steps.remove("1c")
        rc_1c = bench_1c.run(scale=args.scale, seed=args.seed, port=args.port, keep=args.keep)
        if not steps:
            return rc_1c
    if args.db == "agora_bench" and args.scale != 1.0:
        args.db = f"agora_bench_{str(args.scale).replace('.', '_')}"
    run_db = f"{args.db}_run"
    stamp = time.strftime("%Y%m%d-%H%M%S")
    RESULTS.mkdir(exist_ok=True)
    t_start = time.perf_counter()
    res = {
        "started": stamp,
        "started_utc": utcnow().isoformat(sep=" "),
        "scale": args.scale,
        "seed": args.seed,
        "workers": args.workers,
        "load_workers": args.load_workers,
        "steps": steps,
    }
    server = None
    try:
        log(f"dataset {args.db} (seed {args.seed}, scale {args.scale})")
        t0, before = time.perf_counter(), generate.read_params(args.db).get("generated_at")
        res["generation"] = generate.generate(args.db, args.seed, args.scale)
        params = generate.read_params(args.db)
        res["dataset"] = {k: params.get(k) for k in ("sizes", "historical")}
        if params.get("generated_at") != before:
            res["dataset"]["generated_s"] = round(time.perf_counter() - t0, 1)
        res["run_db"] = prepare_run_db(args.db, run_db)
        from fixtures import load_fixtures  # noqa: PLC0415

        with odoo_env.environment(run_db) as env:
            fx = load_fixtures(env, n_load_clients=args.load_clients)
        from odoo.release import version  # noqa: PLC0415

        res["odoo_version"] = version
        res["fixtures"] = {
            k: v
            for k, v in fx.items()
            if k not in ("load_clients", "upload_codes", "cart_products", "password")
        }
        logfile = RESULTS / f"odoo-{stamp}.log"
        if {"catalog", "cart", "upload"} & set(steps):
            server = odoo_server(run_db, args.port, args.workers, logfile)
            log(f"starting Odoo with {args.workers} workers on 127.0.0.1:{args.port}")
            server.start()
            tail = LogTail(logfile)
            tail.skip_to_end()
            if "catalog" in steps:
                log("catalog beside /shop")
                res["catalog"] = bench_http.bench_catalog(
                    server, tail, fx, rounds=args.rounds, log=log
                )
            if "cart" in steps:
                log("cart")
                res["cart"] = bench_http.bench_cart(server, tail, fx, log=log)
            if "upload" in steps:
                log("upload")
                res["upload"] = bench_http.bench_upload(server, tail, fx, log=log)
            res["server_errors"] = tail.errors[:20]
            server.stop()
            server = None
        if "cron" in steps:
            log("expiry cron, then the status emails")
            res["cron"] = bench_cron.bench_expiry_cron(
                run_db, budget_s=args.cron_budget or None, log=log
            )
        if "load" in steps:
            log(f"load: {len(fx['load_clients'])} portal clients, staff, cron worker")
            res["load_setup"] = load.prepare(run_db)
            run_start = utcnow()
            server = odoo_server(
                run_db,
                args.port,
                args.load_workers,
                RESULTS / f"odoo-{stamp}-load.log",
                cron_threads=1,
            )
            server.start()
            idem = load.idempotence_test(server, fx, log=log)
            test = load.LoadTest(
                server,
                fx,
                orders_per_client=args.load_orders,
                log=log,
                restart=not args.no_restart,
            )
            res["load"] = test.run(res["load_setup"]["first_new_id"])
            res["load"]["cron"] = load.wait_for_expiry(
                run_db, res["load_setup"]["load_due_ids"], server.logfile
            )
            server.stop()
            server = None
            log("checks")
            res["checks"] = checks.run_checks(
                run_db,
                run_start,
                res["load"]["submits"],
                idem,
                due_ids=res["load_setup"].pop("load_due_ids"),
            )
            res["load"]["submits"] = len(res["load"]["submits"])
    except Exception:
        res["failure"] = traceback.format_exc()
        log(f"FAILED:\n{res['failure']}")
    finally:
        if server:
            server.stop()
    res["total_s"] = round(time.perf_counter() - t_start, 1)
    res["targets"] = evaluate(res)
    path = RESULTS / f"bench-{args.scale}-{stamp}.json"
    text = json.dumps(res, indent=2, default=str)
    path.write_text(text)
    (RESULTS / "latest.json").write_text(text)
    summary_path = write_summary(res, args, path)
    if not args.keep and "failure" not in res:
        odoo_cmd.drop_db(run_db)
    print()
    print(render(summary(res)))
    print(f"\nResults: {path}\nSummary to commit with its commit: {summary_path}")
    return 1 if "failure" in res else 0


if __name__ == "__main__":
    sys.exit(main())

"""The bench's Odoo server (workers, on loopback) and its request log.

Odoo logs every HTTP request (logger ``werkzeug``) with three figures appended
by ``odoo.netsvc.PerfFilter``: the number of SQL queries, the time spent in SQL
and the rest of the time, in seconds, measured from the moment the request
entered Odoo's WSGI application::

    2026-11-26 19:20:15,888 20807 INFO db werkzeug: 127.0.0.1 - - [...]
        "GET /my/catalog?x HTTP/1.1" 200 - 45 0.034 0.120   (one line)

Server time = SQL time + rest. The pid is the worker that served the request.
"""

import re
import time
from pathlib import Path

import odoo_cmd

REQUEST_LINE = re.compile(
    r"^\S+ \S+ (?P<pid>\d+) \w+ \S+ werkzeug: \S+ - - \[[^\]]*\] "
    r'"(?P<method>[A-Z]+) (?P<path>\S+) [^"]*" (?P<status>\d{3}) \S+ '
    r"(?P<queries>\d+) (?P<sql>[\d.]+) (?P<rest>[\d.]+)"
)


def parse_request_line(line):
    match = REQUEST_LINE.match(line)
    if not match:
        return None
    return {
        "pid": int(match["pid"]),
        "method": match["method"],
        "path": match["path"],
        "status": int(match["status"]),
        "queries": int(match["queries"]),
        "sql_s": float(match["sql"]),
        "server_s": float(match["sql"]) + float(match["rest"]),
    }


class LogTail:
    """Follows the server log file; finds the line of a marked request."""

    def __init__(self, path):
        self.path = Path(path)
        self.offset = 0
        self.pending = {}  # marker -> parsed line
        self.errors = []

    def _read(self):
        if not self.path.exists():
            return
        with self.path.open("rb") as f:
            f.seek(self.offset)
            data = f.read()
        # Only whole lines.
        end = data.rfind(b"\n") + 1
        self.offset += end
        for raw in data[:end].decode("utf-8", "replace").splitlines():
            if " ERROR " in raw or " CRITICAL " in raw:
                self.errors.append(raw)
            parsed = parse_request_line(raw)
            if parsed:
                marker = re.search(r"[?&]_bench=(\w+)", parsed["path"])
                if marker:
                    self.pending[marker.group(1)] = parsed

    def skip_to_end(self):
        self._read()
        self.pending.clear()

    def find(self, marker, timeout=5.0):
        deadline = time.monotonic() + timeout
        while True:
            self._read()
            if marker in self.pending:
                return self.pending.pop(marker)
            if time.monotonic() > deadline:
                return None
            time.sleep(0.005)


def odoo_server(dbname, port, workers, logfile, cron_threads=0):
    """An Odoo server on ``dbname`` with ``workers`` HTTP workers, logging its requests."""
    return odoo_cmd.Server(
        dbname,
        port,
        [
            f"--db-filter=^{dbname}$",
            f"--workers={workers}",
            f"--max-cron-threads={cron_threads}",
            # The gevent (websocket) port; unused, but must be free.
            f"--gevent-port={port + 1}",
            "--log-level=info",
            "--limit-time-real=600",
            "--limit-time-cpu=300",
            "--limit-memory-soft=4294967296",
            "--limit-memory-hard=5368709120",
            "--db_maxconn=64",
        ],
        logfile=logfile,
        nice=10,
    )


def worker_pids(server):
    """The pids of the server's processes below the one it started: its workers."""
    import psutil  # noqa: PLC0415

    if not server.proc:
        return []
    try:
        return [p.pid for p in psutil.Process(server.proc.pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return []

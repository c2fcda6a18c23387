"""Start, restart and stop an Odoo server with workers on loopback; read its request log.

Odoo logs every HTTP request (logger ``werkzeug``) with three figures appended
by ``odoo.netsvc.PerfFilter``: the number of SQL queries, the time spent in SQL
and the rest of the time, in seconds, measured from the moment the request
entered Odoo's WSGI application::

    2026-11-26 19:20:15,888 20807 INFO db werkzeug: 127.0.0.1 - - [...]
        "GET /my/catalog?x HTTP/1.1" 200 - 45 0.034 0.120   (one line)

Server time = SQL time + rest. The pid is the worker that served the request.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import odoo_env

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

    def all_requests(self):
        """Every request line of the whole log (for the load test)."""
        lines = []
        if self.path.exists():
            with self.path.open(encoding="utf-8", errors="replace") as f:
                for raw in f:
                    parsed = parse_request_line(raw)
                    if parsed:
                        lines.append(parsed)
        return lines


class OdooServer:
    def __init__(self, dbname, port, workers, logfile, extra_args=()):
        self.dbname = dbname
        self.port = port
        self.workers = workers
        self.logfile = Path(logfile)
        self.extra_args = list(extra_args)
        self.proc = None
        self.starts = 0

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def command(self):
        return [
            "nice",
            "-n",
            "10",
            sys.executable,
            "-m",
            "odoo",
            "-d",
            self.dbname,
            f"--db-filter=^{self.dbname}$",
            f"--addons-path={odoo_env.ROOT}",
            f"--workers={self.workers}",
            "--max-cron-threads=0",
            "--http-interface=127.0.0.1",
            f"--http-port={self.port}",
            # The gevent (websocket) port; unused, but must be free.
            f"--gevent-port={self.port + 1}",
            "--log-level=info",
            f"--logfile={self.logfile}",
            "--limit-time-real=600",
            "--limit-time-cpu=300",
            "--limit-memory-soft=4294967296",
            "--limit-memory-hard=5368709120",
            "--db_maxconn=64",
            *odoo_env.pg_args(),
            *self.extra_args,
        ]

    def start(self, timeout=180):
        if self._port_open():
            raise RuntimeError(f"port {self.port} is already in use")
        self.logfile.parent.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            self.command(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.starts += 1
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"Odoo exited with {self.proc.returncode}; see {self.logfile}")
            if self._port_open() and self._answers():
                return
            time.sleep(0.5)
        raise RuntimeError(f"Odoo did not answer on port {self.port} within {timeout} s")

    def _port_open(self):
        with socket.socket() as s:
            s.settimeout(0.5)
            return s.connect_ex(("127.0.0.1", self.port)) == 0

    def _answers(self):
        import requests  # noqa: PLC0415

        try:
            requests.get(f"{self.url}/web/login", timeout=60)
        except requests.RequestException:
            return False
        return True

    def worker_pids(self):
        import psutil  # noqa: PLC0415

        if not self.proc:
            return []
        try:
            # `nice` execs Python: the pid is the master's, its children the workers.
            return [p.pid for p in psutil.Process(self.proc.pid).children()]
        except psutil.NoSuchProcess:
            return []

    def stop(self, hard=False, timeout=60):
        """Stop the server: SIGTERM (graceful), or SIGKILL of the whole group."""
        if not self.proc or self.proc.poll() is not None:
            return
        sig = signal.SIGKILL if hard else signal.SIGTERM
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)
        # Workers of the group may outlive the master a moment.
        deadline = time.monotonic() + 30
        while self._port_open() and time.monotonic() < deadline:
            time.sleep(0.2)

    def restart(self, hard=True):
        self.stop(hard=hard)
        self.start()

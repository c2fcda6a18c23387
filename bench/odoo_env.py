"""Odoo 19 inside this Python process (no HTTP server), and the bench's databases.

Used by the generator, the expiry-cron benchmark and the end-of-run checks. The
command, the databases and the servers are ``tools/odoo_cmd.py``'s, shared with
the test runner. Bench modules import ``odoo`` only inside functions, after
``configure``: with ``$ODOO_BIN`` naming a source tree's launcher, that tree's
``odoo`` is the one imported here too.
"""

import contextlib
import subprocess
import sys
import threading
from pathlib import Path

import odoo_cmd

ROOT = odoo_cmd.ROOT

_configured = False


def configure(dbname, log_level="warn"):
    global _configured
    source = odoo_cmd.odoo_source_dir()
    if source and str(source) not in sys.path:
        sys.path.insert(0, str(source))
    try:
        import odoo  # noqa: PLC0415
        from odoo.tools import config  # noqa: PLC0415
    except ImportError as exc:
        odoo_cmd.fail(
            f"bench runs Odoo in its own Python process too, and `import odoo` failed: {exc}.\n"
            "Run bench with the Python that has Odoo 19 and its requirements, or set ODOO_BIN "
            "to the odoo-bin of an Odoo 19 source tree."
        )
    if not _configured:
        args = [f"--addons-path={ROOT}", f"--log-level={log_level}", "-d", dbname]
        args.append("--http-interface=127.0.0.1")  # no server here; Odoo asks for one
        config.parse_config([*args, *odoo_cmd.db_args()], setup_logging=True)
        _configured = True
    return odoo


@contextlib.contextmanager
def environment(dbname, log_level="warn", context=None):
    """Yield a superuser env on ``dbname``; the caller commits what it wants kept."""
    configure(dbname, log_level)
    from odoo import api  # noqa: PLC0415
    from odoo.modules.registry import Registry  # noqa: PLC0415

    threading.current_thread().dbname = dbname
    registry = Registry(dbname)
    with registry.cursor() as cr:
        env = api.Environment(cr, api.SUPERUSER_ID, dict(context or {}))
        yield env


def run_odoo(dbname, *args):
    """Run Odoo on ``dbname`` with ``args`` until it stops (install, update)."""
    subprocess.run(
        [
            *("nice", "-n", "10"),
            *odoo_cmd.odoo_args(dbname, *args),
            "--stop-after-init",
            "--no-http",
            "--log-level=warn",
        ],
        check=True,
    )


def clone_db(src, dst):
    """Copy database ``src`` and its file store to ``dst`` (replacing it)."""
    # PostgreSQL copies a database only while no one is connected to it: close
    # this process's pooled connections (after ``generate`` ran in this process).
    sql_db = sys.modules.get("odoo.sql_db")
    if sql_db is not None:
        sql_db.close_db(src)
    odoo_cmd.copy_db(src, dst)


def rss_peak_reset(pid="self"):
    """Reset the kernel's peak-RSS counter of a process (Linux >= 4.0)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def rss_kb(pid="self"):
    """(current RSS, peak RSS) of a process in KiB, from /proc."""
    cur = peak = 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                cur = int(line.split()[1])
            elif line.startswith("VmHWM:"):
                peak = int(line.split()[1])
    except OSError:
        pass
    return cur, peak

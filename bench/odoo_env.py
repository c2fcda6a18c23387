"""Open an Odoo 19 environment inside a plain Python process (no HTTP server).

Used by the generator, the expiry-cron benchmark and the end-of-run checks.
"""

import contextlib
import os
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def pg_args():
    args = []
    for env, opt in (
        ("PGHOST", "--db_host"),
        ("PGPORT", "--db_port"),
        ("PGUSER", "--db_user"),
        ("PGPASSWORD", "--db_password"),
    ):
        if os.environ.get(env):
            args.append(f"{opt}={os.environ[env]}")
    return args


_configured = False


def configure(dbname, log_level="warn"):
    global _configured
    import odoo  # noqa: PLC0415
    from odoo.tools import config  # noqa: PLC0415

    if not _configured:
        config.parse_config(
            [f"--addons-path={ROOT}", f"--log-level={log_level}", "-d", dbname, *pg_args()],
            setup_logging=True,
        )
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


def psql(sql, db="postgres", check=True):
    """Run one SQL statement with psql; return its unaligned output."""
    import subprocess  # noqa: PLC0415

    out = subprocess.run(
        ["psql", "-X", "-q", "-d", db, "-Atc", sql], capture_output=True, text=True, check=False
    )
    if check and out.returncode:
        raise RuntimeError(f"psql failed: {sql}\n{out.stderr}")
    return out.stdout.strip()


def db_exists(dbname):
    return psql(f"SELECT 1 FROM pg_database WHERE datname='{dbname}'") == "1"


def filestore(dbname):
    configure(dbname)
    from odoo.tools import config  # noqa: PLC0415

    return Path(config.filestore(dbname))


def drop_db(dbname):
    import shutil  # noqa: PLC0415

    psql(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
    shutil.rmtree(filestore(dbname), ignore_errors=True)


def release_connections(dbname):
    """Close this process's pooled connections to ``dbname``: PostgreSQL copies
    a database only while no one is connected to it (after ``generate`` ran in
    this process, its connections stay in Odoo's pool)."""
    sql_db = sys.modules.get("odoo.sql_db")
    if sql_db is not None:
        sql_db.close_db(dbname)


def clone_db(src, dst):
    """Copy database ``src`` and its filestore to ``dst`` (replacing it).

    Hard links for the filestore: Odoo never rewrites a stored file in place.
    """
    import subprocess  # noqa: PLC0415

    drop_db(dst)
    release_connections(src)
    psql(f'CREATE DATABASE "{dst}" WITH TEMPLATE "{src}"')
    src_store, dst_store = filestore(src), filestore(dst)
    if src_store.exists():
        dst_store.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["cp", "-al", str(src_store), str(dst_store)], check=True)

"""How this repository runs Odoo 19: the command, the database options, databases, a server.

Shared by ``tools/odoo_runner.py`` and ``bench/``. Odoo is found as ``$ODOO_BIN`` (a
command line) when set, else as ``python3 -m odoo``; PostgreSQL is reached through the
usual ``PG*`` variables, which ``psql`` reads itself and Odoo receives as ``--db_*``
options. Standard library only, so that it can say how to get Odoo where there is none.
"""

import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # the addons path

HOW_TO_GET_ODOO = """\
Odoo 19 was not found, so nothing was run.

Provide Odoo 19.0 Community in one of these ways, then run the command again:
  * install an Odoo 19.0 source tree so that `python3 -m odoo --version` prints
    "Odoo Server 19.0" (e.g. `pip install -e /path/to/odoo` after
    `pip install -r /path/to/odoo/requirements.txt`);
  * or point ODOO_BIN at an Odoo 19 launcher, e.g. ODOO_BIN=/path/to/odoo/odoo-bin;
  * or use the docker compose setup described in README.md
    ("Getting Odoo 19"), which runs the official odoo:19 and postgres images.
"""

# The PG* variables and the Odoo options (command line and configuration file) they set.
PG_OPTIONS = (
    ("PGHOST", "db_host"),
    ("PGPORT", "db_port"),
    ("PGUSER", "db_user"),
    ("PGPASSWORD", "db_password"),
)


def fail(message, code=2):
    print(f"\nERROR: {message}", file=sys.stderr)
    sys.exit(code)


# --- the command --------------------------------------------------------------


def odoo_command():
    """The command that starts Odoo, as a list."""
    if os.environ.get("ODOO_BIN"):
        return shlex.split(os.environ["ODOO_BIN"])
    return [sys.executable, "-m", "odoo"]


def check_odoo():
    """Return the command, or exit non-zero with instructions unless an Odoo 19 answers."""
    cmd = odoo_command()
    try:
        proc = subprocess.run(
            [*cmd, "--version"], capture_output=True, text=True, timeout=120, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        fail(f"`{shlex.join(cmd)} --version` could not run: {exc}\n\n{HOW_TO_GET_ODOO}")
    answer = (proc.stdout + proc.stderr).strip().splitlines()
    version = next((line for line in answer if line.startswith("Odoo Server")), "")
    if proc.returncode != 0 or not version.startswith("Odoo Server 19.0"):
        version = version or (answer[-1] if answer else "")
        fail(
            f"`{shlex.join(cmd)} --version` answered {version!r} "
            f"(exit {proc.returncode}).\n\n{HOW_TO_GET_ODOO}"
        )
    print(f"Using {version} from `{shlex.join(cmd)}`", flush=True)
    return cmd


def odoo_source_dir():
    """The source tree of ``$ODOO_BIN``'s Odoo when it names a file of one
    (``odoo-bin``, ``setup/odoo``), for a process that imports Odoo itself."""
    if not os.environ.get("ODOO_BIN"):
        return None
    for arg in odoo_command():
        path = Path(arg)
        if path.is_file():
            for parent in list(path.resolve().parents)[:2]:
                if (parent / "odoo" / "release.py").is_file():
                    return parent
    return None


def db_options():
    """{option: value} of the database options the PG* variables set."""
    return {option: os.environ[env] for env, option in PG_OPTIONS if os.environ.get(env)}


def db_args():
    return [f"--{option}={value}" for option, value in db_options().items()]


def odoo_args(db, *args):
    """The command line of Odoo on this repository's add-ons and the database ``db``."""
    return [*odoo_command(), f"--addons-path={ROOT}", "-d", db, *db_args(), *args]


# --- databases ----------------------------------------------------------------


def psql(sql, db="postgres"):
    """Run one SQL statement with psql; return its unaligned output."""
    cmd = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db, "-Atc", sql]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise RuntimeError(f"psql could not run: {exc}") from exc
    if out.returncode:
        raise RuntimeError(f"psql failed on {db}: {sql}\n{out.stderr.strip()}")
    return out.stdout.strip()


def db_exists(name):
    return psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'") == "1"


def filestore(name):
    """Odoo's default file store of the database ``name``."""
    return Path.home() / ".local/share/Odoo/filestore" / name


def drop_db(name):
    psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    shutil.rmtree(filestore(name), ignore_errors=True)


def copy_db(template, name):
    """Replace the database ``name`` by a copy of ``template`` and its file store.

    PostgreSQL copies a database only while no one is connected to it. The files
    are hard-linked where possible: Odoo never rewrites a stored file in place.
    """
    drop_db(name)
    psql(f'CREATE DATABASE "{name}" WITH TEMPLATE "{template}"')
    source, target = filestore(template), filestore(name)
    if source.is_dir():
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            shutil.copytree(source, target, copy_function=os.link)
        except (OSError, shutil.Error):
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(source, target)


# --- a server -----------------------------------------------------------------


def port_open(port):
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def free_port(preferred):
    for port in range(preferred, preferred + 100):
        if not port_open(port):
            return port
    fail(f"no free TCP port from {preferred}")


class Server:
    """An Odoo server on 127.0.0.1, in its own process group, until stopped.

    :param args: more Odoo options (workers, limits...)
    :param logfile: Odoo's log file; without one the log goes to this process's stderr
    :param nice: run at this niceness (``nice -n``), 0 for none
    """

    def __init__(self, db, port, args=(), logfile=None, nice=0):
        self.db = db
        self.port = port
        self.args = list(args)
        self.logfile = Path(logfile) if logfile else None
        self.nice = nice
        self.proc = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def command(self):
        prefix = ["nice", "-n", str(self.nice)] if self.nice else []
        log = [f"--logfile={self.logfile}"] if self.logfile else []
        return [
            *prefix,
            *odoo_args(self.db, "--http-interface=127.0.0.1", f"--http-port={self.port}"),
            *log,
            *self.args,
        ]

    def start(self, timeout=180):
        """Start the server and return once it answers an HTTP request."""
        if port_open(self.port):
            raise RuntimeError(f"port {self.port} is already in use")
        if self.logfile:
            self.logfile.parent.mkdir(parents=True, exist_ok=True)
        output = subprocess.DEVNULL if self.logfile else None
        self.proc = subprocess.Popen(
            self.command(), stdout=output, stderr=output, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                where = f"; see {self.logfile}" if self.logfile else ""
                raise RuntimeError(f"Odoo exited with {self.proc.returncode}{where}")
            if port_open(self.port) and self._answers():
                return
            time.sleep(0.5)
        self.stop(hard=True)
        raise RuntimeError(f"Odoo did not answer on port {self.port} within {timeout} s")

    def _answers(self):
        """Whether the login page answers (it loads the database's registry)."""
        try:
            with urllib.request.urlopen(f"{self.url}/web/login", timeout=60):
                return True
        except urllib.error.HTTPError:
            return True  # an answer, if not a page
        except (urllib.error.URLError, OSError):
            return False

    def stop(self, hard=False, timeout=60):
        """Stop the server: SIGTERM (graceful), or SIGKILL of the whole group."""
        if not self.proc or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL if hard else signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)
        # Workers of the group may outlive the master a moment.
        deadline = time.monotonic() + 30
        while port_open(self.port) and time.monotonic() < deadline:
            time.sleep(0.2)

    def restart(self, hard=True):
        self.stop(hard=hard)
        self.start()

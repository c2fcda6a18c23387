#!/usr/bin/env python3
"""Run Agora for Odoo: serve it with demo data, test it, or export its .pot files.

This script only *runs* an Odoo 19 that is already installed; it never installs Odoo.
Odoo is found as ``python3 -m odoo`` or, when set, as ``$ODOO_BIN`` (a command line):
``tools/odoo_cmd.py``, which bench/ shares, says how Odoo and PostgreSQL are reached.

Usage:
    tools/odoo_runner.py check
    tools/odoo_runner.py test   [--db NAME] [--keep-db] [--tags SPEC] [--config NAME]
    tools/odoo_runner.py run    [--db NAME] [--port 8069]
    tools/odoo_runner.py pot    [--db NAME]

``test`` runs the tests of both modules once per configuration, in turn and each in
its own fresh database: ``plain`` (the two modules), then ``website_sale`` (the shop
installed too, as in bench and in most real databases). It fails if either fails, and
ends with the totals, alone on a line: "N passed, M failed". ``--config NAME[,NAME]``
(or ``AGORA_TEST_CONFIGS=NAME[,NAME]``) runs only some, e.g. while developing.
"""

import argparse
import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
import time

from odoo_cmd import (
    ROOT,
    check_odoo,
    copy_db,
    db_exists,
    db_options,
    drop_db,
    fail,
    free_port,
    odoo_args,
)

MODULES = ("agora_orders", "agora_portal", "agora_company", "agora_1c")


# --- test -------------------------------------------------------------------

SUMMARY_RE = re.compile(r"(\d+) failed, (\d+) error\(s\) of (\d+) tests")
# A failed or errored test, or one of its subtests: "FAIL: TestX.test_y",
# "ERROR: Subtest TestX.test_y (order='S00013')".
FAILED_TEST_RE = re.compile(r" (?:FAIL|ERROR): (?:Subtest )?(\w+\.\w+)")
LEVEL_RE = re.compile(r"^\S+ \S+ \d+ (ERROR|CRITICAL) ")
SKIP_RE = re.compile(r"^\S+ \S+ \d+ \w+ \S+ odoo\.tests\.\S+: skipped ")


def check_browser():
    """Tours are skipped silently by Odoo without these: refuse to run then."""
    problems = []
    if not any(shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome")):
        problems.append("no Chromium executable (Debian: apt-get install chromium)")
    if importlib.util.find_spec("websocket") is None:
        problems.append("no Python package websocket-client (pip install websocket-client)")
    if problems:
        fail(
            "browser tours cannot run: " + "; ".join(problems) + ".\n"
            "Odoo would skip them and still report success, so the test run stops here."
        )


# The configurations `test` runs, in this order, each in its own fresh
# database: the modules installed with Agora's. Real databases (and bench)
# also have the shop; a test must pass whatever else is installed.
TEST_CONFIGS = {
    "plain": (),
    "website_sale": ("website_sale",),
}


def test_configs(args):
    """The configurations asked for (--config, else $AGORA_TEST_CONFIGS, else all)."""
    wanted = args.config or [os.environ.get("AGORA_TEST_CONFIGS", "")]
    names = [name.strip() for value in wanted for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in TEST_CONFIGS]
    if unknown:
        fail(
            f"unknown test configuration(s) {', '.join(unknown)}; "
            f"choose among {', '.join(TEST_CONFIGS)}"
        )
    return list(dict.fromkeys(names)) or list(TEST_CONFIGS)


def run_config(args, config, db):
    """Install the modules of ``config`` in the fresh database ``db`` and run
    the tests: return the counts, the log and what went wrong."""
    modules = (*MODULES, *TEST_CONFIGS[config])
    print(f"\n==== Agora tests: {config} (-i {','.join(modules)}) ====", flush=True)
    template = os.environ.get("AGORA_TEMPLATE_DB")
    if template:
        # Development shortcut: start from a database that already has Odoo's
        # dependencies installed (e.g. made once with `-i sale_management,...`);
        # `-i` installs whatever the configuration adds to them.
        try:
            copy_db(template, db)
        except RuntimeError as exc:
            fail(f"could not copy template database {template!r}: {exc}")
    else:
        drop_db(db)
    port = free_port(int(os.environ.get("AGORA_TEST_PORT", "8169")))
    tags = args.tags or ",".join(f"/{m}" for m in MODULES)
    odoo = [
        *odoo_args(db, "--http-interface=127.0.0.1"),
        "-i",
        ",".join(modules),
        "--test-enable",
        f"--test-tags={tags}",
        "--stop-after-init",
        f"--http-port={port}",
        "--log-level=info",
        "--max-cron-threads=0",
    ]
    print("$", shlex.join(odoo), flush=True)
    log_path = ROOT / ".test-logs" / f"{db}.log"
    log_path.parent.mkdir(exist_ok=True)
    counts = {"failed": 0, "errors": 0, "tests": 0}
    failed_tests = set()
    bad_lines = []
    with (
        open(log_path, "w", encoding="utf-8") as log,
        subprocess.Popen(
            odoo, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace"
        ) as proc,
    ):
        for line in proc.stdout:
            log.write(line)
            sys.stdout.write(line)
            if (match := SUMMARY_RE.search(line)) and "odoo.tests.result" in line:
                counts["failed"] += int(match[1])
                counts["errors"] += int(match[2])
                counts["tests"] += int(match[3])
            if LEVEL_RE.match(line) or SKIP_RE.match(line):
                bad_lines.append(line.rstrip())
                if match := FAILED_TEST_RE.search(line):
                    failed_tests.add(match[1])
        returncode = proc.wait()
    if not args.keep_db:
        drop_db(db)
    reasons = []
    if returncode:
        reasons.append(f"Odoo exited with {returncode}")
    if bad_lines:
        reasons.append(f"{len(bad_lines)} ERROR/CRITICAL/skipped line(s) in the log")
    if counts["failed"] or counts["errors"]:
        reasons.append(f"{counts['failed']} failed and {counts['errors']} errored test(s)")
    if not counts["tests"]:
        reasons.append("no test ran")
    # Odoo counts each failed subtest; a test counts once, however many of its
    # subtests failed (and at least once per failure Odoo reported).
    failed = min(
        counts["tests"], max(len(failed_tests), 1 if counts["failed"] + counts["errors"] else 0)
    )
    return {
        "config": config,
        "tests": counts["tests"],
        "failed": failed,
        "passed": counts["tests"] - failed,
        "reasons": reasons,
        "bad_lines": bad_lines,
        "log": log_path,
    }


def run_tests(args):
    configs = test_configs(args)
    check_odoo()
    check_browser()
    stamp = f"{int(time.time())}_{os.getpid()}"
    results = []
    for config in configs:
        if args.db:
            db = args.db if len(configs) == 1 else f"{args.db}_{config}"
        else:
            db = f"agora_test_{config}_{stamp}"
        results.append(run_config(args, config, db))
    print("\n==== Agora test summary ====")
    for result in results:
        print(f"{result['config']}: log {result['log']}")
        for line in result["bad_lines"][:30]:
            print("  " + line[:300])
    width = max(len(result["config"]) for result in results)
    for result in results:
        # Not "N passed, M failed": that line is the totals' alone (CI reads it).
        verdict = "FAILED: " + "; ".join(result["reasons"]) if result["reasons"] else "OK"
        print(
            f"{result['config']:<{width}}  {result['passed']} of {result['tests']} tests "
            f"passed ({result['failed']} failed)  {verdict}"
        )
    passed = sum(result["passed"] for result in results)
    failed = sum(result["failed"] for result in results)
    print(f"{passed} passed, {failed} failed", flush=True)
    failing = [result["config"] for result in results if result["reasons"]]
    if failing:
        fail(f"the Odoo tests did not pass in: {', '.join(failing)}", code=1)
    print(f"All Odoo tests passed ({', '.join(configs)}).")


# --- run --------------------------------------------------------------------


def run_server(args):
    check_odoo()
    db = args.db
    exists = db_exists(db)
    init = ["-u" if exists else "-i", ",".join(MODULES)]
    if not exists:
        init.append("--with-demo")
    print_logins(args.port, db)
    odoo = [
        *odoo_args(db, "--http-interface=127.0.0.1"),
        *init,
        f"--http-port={args.port}",
        "--log-level=info" if exists else "--load-language=ru_RU",
    ]
    print("$", shlex.join(odoo), flush=True)
    os.execvp(odoo[0], odoo)


def print_logins(port, db):
    print(
        f"""
Agora for Odoo: database {db!r}, http://localhost:{port}/web/login
Demo logins (login / password):
  admin            / admin            administrator (supplier)
  agora_manager    / agora_manager    sales manager (backend)
  agora_sales      / agora_sales      salesperson (backend)
  agora_accountant / agora_accountant accountant (Invoicing)
  client_alfa      / client_alfa      B2B client of ООО «Альфа Строй» (portal /my)
  client_alfa_admin    / client_alfa_admin    Альфа Строй's account administrator (/my/company)
  client_alfa_approver / client_alfa_approver Альфа Строй's approver, up to 150 000 ₽
  client_alfa_buyer    / client_alfa_buyer    Альфа Строй's buyer, up to 30 000 ₽
  client_alfa_viewer   / client_alfa_viewer   Альфа Строй's viewer: sees orders, cannot order
  client_beta      / client_beta      B2B client of ООО «Бета Торг» (portal /my)
  client_gamma     / client_gamma     B2B client of ИП Гаммов Г. П. (portal /my)
  1c               / 1c               1C's exchange login, for http://localhost:{port}/agora/1c/exchange
""",
        flush=True,
    )


# --- pot --------------------------------------------------------------------


def export_pot(args):
    """Regenerate i18n/<module>.pot from a fresh database with both modules."""
    cmd = check_odoo()
    db = args.db or f"agora_pot_{os.getpid()}"
    drop_db(db)
    subprocess.run(
        [*odoo_args(db), "-i", ",".join(MODULES), "--stop-after-init"],
        check=True,
    )
    # `odoo i18n export` reads the addons path and database options from a file.
    config = ROOT / ".test-logs" / "i18n-export.conf"
    config.parent.mkdir(exist_ok=True)
    options = {"addons_path": str(ROOT), **db_options()}
    config.write_text("[options]\n" + "".join(f"{k} = {v}\n" for k, v in options.items()))
    try:
        for module in MODULES:
            out = ROOT / module / "i18n" / f"{module}.pot"
            subprocess.run(
                [*cmd, "i18n", "export", "-c", str(config), "-d", db, "-o", str(out), module],
                check=True,
            )
            print(f"wrote {out}")
    finally:
        drop_db(db)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("check")
    test = sub.add_parser("test")
    test.add_argument(
        "--db", help="database name (suffixed with _<configuration> when several run)"
    )
    test.add_argument("--keep-db", action="store_true")
    test.add_argument("--tags")
    test.add_argument(
        "--config",
        action="append",
        metavar="NAME[,NAME]",
        help=f"run only these configurations ({', '.join(TEST_CONFIGS)}; default: all, "
        "or $AGORA_TEST_CONFIGS)",
    )
    run = sub.add_parser("run")
    run.add_argument("--db", default=os.environ.get("AGORA_DB", "agora"))
    run.add_argument("--port", type=int, default=int(os.environ.get("AGORA_PORT", "8069")))
    pot = sub.add_parser("pot")
    pot.add_argument("--db")
    args = parser.parse_args()
    commands = {
        "check": lambda _args: check_odoo(),
        "test": run_tests,
        "run": run_server,
        "pot": export_pot,
    }
    try:
        commands[args.command](args)
    except RuntimeError as exc:  # a database the PostgreSQL commands could not handle
        fail(str(exc))


if __name__ == "__main__":
    main()

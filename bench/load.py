"""The bounded load test: portal clients, staff and the expiry cron at once.

N portal clients (one thread and one session each, each of its own client
company) each place a fixed number of orders: browse the catalog (a page, a
category, an SKU search), add products to the cart, open the cart, submit.
Meanwhile staff reserve the submitted orders over JSON-RPC and the server's
cron worker runs the expiry cron on the reservations that fall due. Halfway
through, the server is killed (SIGKILL, the whole process group) and started
again: clients retry what failed, as a browser user would press the button
again. Everything goes to 127.0.0.1 only and stops by itself: the number of
orders is fixed and every wait has a deadline.
"""

import json
import random
import threading
import time
from pathlib import Path

import odoo_cmd
import odoo_env
import requests
from bench_http import submit_cart
from client import Client, HttpError
from stats import ms, percentile

RETRY_WINDOW_S = 180  # how long a client keeps retrying while the server is down


def prepare(run_db, interval_minutes=1, due=200):
    """Make ``due`` of the load test's reservations fall due and let the cron
    worker run only the expiry cron and the status email job, every minute."""
    with odoo_env.environment(run_db) as env:
        cr = env.cr
        ids = json.loads(
            env["ir.config_parameter"].get_param("agora_bench.load_due_ids", "[]") or "[]"
        )[:due]
        # Due reservations the cron benchmark left (its time budget) are set aside,
        # so that the load's cron works on the reservations that fall due now.
        cr.execute(
            "UPDATE sale_order SET agora_reserve_deadline = now() at time zone 'UTC' "
            "+ interval '30 days' WHERE agora_state = 'reserve' "
            "AND agora_reserve_deadline < now() at time zone 'UTC'"
        )
        set_aside = cr.rowcount
        if ids:
            cr.execute(
                "UPDATE sale_order SET agora_reserve_deadline = now() at time zone 'UTC' "
                "- interval '1 minute' WHERE id IN %s AND agora_state = 'reserve'",
                [tuple(ids)],
            )
        # The expiry cron, and the job it wakes to email the clients.
        crons = (
            env.ref("agora_orders.ir_cron_agora_expire_reservations").id,
            env.ref("agora_orders.ir_cron_agora_send_state_mails").id,
        )
        cr.execute("UPDATE ir_cron SET active = false WHERE id NOT IN %s", [crons])
        cr.execute(
            "UPDATE ir_cron SET active = true, interval_number = %s, interval_type = 'minutes', "
            "nextcall = now() at time zone 'UTC' WHERE id IN %s",
            [interval_minutes, crons],
        )
        cr.execute("SELECT COALESCE(MAX(id), 0) FROM sale_order")
        first_new_id = cr.fetchone()[0]
        cr.commit()
        return {
            "load_due_orders": len(ids),
            "load_due_ids": ids,
            "set_aside_due_orders": set_aside,
            "first_new_id": first_new_id,
        }


def wait_for_expiry(run_db, due_ids, logfile, timeout=180):
    """Give the cron worker time to expire the load's due reservations and to
    email their clients (bounded), then read the jobs' runs from the server log."""
    t0 = time.perf_counter()
    due_left = emails_left = None
    if due_ids:
        ids = ",".join(str(i) for i in due_ids)
        while time.perf_counter() - t0 < timeout:
            due_left, emails_left = (
                int(n)
                for n in odoo_cmd.psql(
                    "SELECT count(*) FILTER (WHERE agora_state = 'reserve'), "
                    "count(*) FILTER (WHERE agora_state_mail_pending IS NOT NULL) "
                    f"FROM sale_order WHERE id IN ({ids})",
                    db=run_db,
                ).split("|")
            )
            if not due_left and not emails_left:
                break
            time.sleep(5)
    text = Path(logfile).read_text(errors="replace") if Path(logfile).exists() else ""
    jobs = ("Job 'Agora: release expired reservations'", "Job 'Agora: send status emails'")
    runs = [line for line in text.splitlines() if any(job in line for job in jobs)]
    return {
        "runs_started": sum(1 for line in runs if line.rstrip().endswith("starting")),
        "runs_failed": sum(1 for line in runs if ") failed (" in line),
        "postgres_errors": sorted(
            {
                line.split("ERROR:", 1)[1].strip()[:120]
                for line in text.splitlines()
                if line.startswith("ERROR:")
            }
        ),
        "due_orders_left": due_left,
        "emails_pending_left": emails_left,
        "waited_s": round(time.perf_counter() - t0, 1),
    }


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.samples = []  # (kind, seconds, ok)
        self.errors = []
        self.retries = 0
        self.submits = []  # dicts: login, expected lines, order_id, outcome
        self.reservations = {"ok": 0, "refused": 0, "done_before_restart": 0}

    def add(self, kind, seconds, ok=True):
        with self.lock:
            self.samples.append((kind, seconds, ok))

    def error(self, what):
        with self.lock:
            self.errors.append(what)


class LoadTest:
    def __init__(self, server, fx, orders_per_client=4, seed=11, log=print, restart=True):
        self.server = server
        self.fx = fx
        self.orders_per_client = orders_per_client
        self.seed = seed
        self.log = log
        self.restart = restart
        self.rec = Recorder()
        self.down = threading.Event()  # set while the server is being restarted
        self.clients_done = threading.Event()
        self.submitted_count = 0
        self.total_orders = len(fx["load_clients"]) * orders_per_client
        self.restart_at = self.total_orders // 2
        self.restarted = threading.Event()
        self.restart_info = {}

    # ------------------------------------------------------------------
    def _with_retry(self, kind, func):
        """Run one request; retry connection failures while the server restarts."""
        deadline = time.monotonic() + RETRY_WINDOW_S
        while True:
            t0 = time.perf_counter()
            try:
                resp = func()
            except (requests.ConnectionError, requests.Timeout) as exc:
                if time.monotonic() > deadline:
                    self.rec.error(f"{kind}: {exc}")
                    raise
                with self.rec.lock:
                    self.rec.retries += 1
                time.sleep(1.0)
                continue
            elapsed = time.perf_counter() - t0
            status = getattr(resp, "status_code", 200)
            if status >= 500 and (self.down.is_set() or status in (502, 503)):
                # Answered by a dying worker during the restart: retry too.
                with self.rec.lock:
                    self.rec.retries += 1
                time.sleep(1.0)
                continue
            ok = status < 400
            self.rec.add(kind, elapsed, ok)
            if not ok:
                self.rec.error(f"{kind}: HTTP {status}")
            return resp

    def _login(self, login):
        client = Client(self.server.url, login, self.fx["password"], timeout=300)
        self._with_retry("login", client.login)
        return client

    # ------------------------------------------------------------------
    def portal_client(self, index, entry):
        rng = random.Random(self.seed * 1000 + index)
        try:
            client = self._login(entry["login"])
            for _ in range(self.orders_per_client):
                self._one_order(client, entry, rng)
        except Exception as exc:
            self.rec.error(f"client {entry['login']}: {type(exc).__name__}: {exc}")

    def _one_order(self, client, entry, rng):
        page = rng.randint(1, 5)
        self._with_retry("catalog", lambda: client.get(f"/my/catalog/page/{page}"))
        if entry["categories"]:
            categ = rng.choice(entry["categories"])
            self._with_retry("category", lambda: client.get(f"/my/catalog?category={categ}"))
        if entry["search"]:
            term = rng.choice(entry["search"])
            self._with_retry("search", lambda: client.get(f"/my/catalog?search={term}"))
        expected = {}
        for pid in rng.sample(entry["products"], min(len(entry["products"]), rng.randint(3, 6))):
            qty = rng.randint(1, 3)

            def add(pid=pid, qty=qty):
                resp = client.jsonrpc("/my/cart/add_json", {"product_id": pid, "quantity": qty})
                if not resp.result.get("success"):
                    raise HttpError(f"add refused: {resp.result.get('message')}")
                return resp

            try:
                self._with_retry("add_to_cart", add)
            except HttpError as exc:
                self.rec.error(f"add_to_cart {entry['login']}: {exc}")
                continue
            expected[pid] = expected.get(pid, 0) + qty
        self._with_retry("cart", lambda: client.get("/my/cart"))
        self._submit(client, entry, expected)

    def _submit(self, client, entry, expected):
        record = {"login": entry["login"], "expected": expected, "order_id": None}
        attempts = 0
        deadline = time.monotonic() + RETRY_WINDOW_S
        while True:
            attempts += 1
            t0 = time.perf_counter()
            try:
                resp, order_id = submit_cart(client)
            except (requests.ConnectionError, requests.Timeout):
                # Unknown outcome: press "Submit" again once the server answers.
                with self.rec.lock:
                    self.rec.retries += 1
                if time.monotonic() > deadline:
                    record["outcome"] = "no answer"
                    self.rec.error(f"submit {entry['login']}: no answer")
                    break
                time.sleep(1.0)
                # A fresh CSRF token (the session survives a restart).
                try:
                    client.get("/my/cart")
                except requests.RequestException:
                    pass
                continue
            self.rec.add("submit", time.perf_counter() - t0, resp.status_code < 400)
            if order_id:
                record["order_id"] = order_id
                record["outcome"] = "acknowledged"
            elif attempts > 1:
                # The first attempt went through before the connection dropped:
                # the cart is gone. The checks find the order by its lines.
                record["outcome"] = "retried, first attempt unknown"
            else:
                record["outcome"] = f"refused (HTTP {resp.status_code})"
                self.rec.error(f"submit {entry['login']}: {resp.headers.get('Location')}")
            break
        record["attempts"] = attempts
        with self.rec.lock:
            self.rec.submits.append(record)
            self.submitted_count += 1
            count = self.submitted_count
        if self.restart and count >= self.restart_at and not self.restarted.is_set():
            self.restarted.set()
            threading.Thread(target=self._restart_server, daemon=True).start()

    def _restart_server(self):
        self.down.set()
        t0 = time.perf_counter()
        self.log("  load: killing the server (SIGKILL) and starting it again")
        self.server.restart(hard=True)
        self.restart_info = {
            "after_submits": self.restart_at,
            "downtime_s": round(time.perf_counter() - t0, 1),
        }
        self.down.clear()
        self.log(f"  load: server back after {self.restart_info['downtime_s']} s")

    # ------------------------------------------------------------------
    def staff(self, index, login, n_staff):
        """Reserve the orders clients submitted, the oldest first."""
        try:
            client = self._login(login)
        except Exception as exc:
            self.rec.error(f"staff {login}: {exc}")
            return
        idle_after_done = 0
        while idle_after_done < 3:
            try:
                orders = self._with_retry(
                    "staff_search",
                    lambda: client.call_kw(
                        "sale.order",
                        "search_read",
                        [[("agora_state", "=", "processing"), ("id", ">", self.first_new_id)]],
                        {"fields": ["id"], "limit": 20, "order": "id"},
                    ),
                )
            except Exception as exc:
                self.rec.error(f"staff search: {exc}")
                time.sleep(1)
                continue
            mine = [o["id"] for o in orders if o["id"] % n_staff == index][:3]
            if not mine:
                if self.clients_done.is_set():
                    idle_after_done += 1
                time.sleep(1.0)
                continue
            for order_id in mine:
                self._reserve(client, order_id)

    def _reserve(self, client, order_id):
        """Reserve one order; a retry after a lost answer may find it reserved."""
        retried = False
        deadline = time.monotonic() + RETRY_WINDOW_S
        while True:
            t0 = time.perf_counter()
            try:
                client.call_kw("sale.order", "action_agora_reserve", [[order_id]])
            except (requests.ConnectionError, requests.Timeout) as exc:
                if time.monotonic() > deadline:
                    self.rec.error(f"staff reserve {order_id}: {exc}")
                    return
                retried = True
                with self.rec.lock:
                    self.rec.retries += 1
                time.sleep(1.0)
                continue
            except HttpError as exc:
                self.rec.add("staff_reserve", time.perf_counter() - t0, False)
                if retried and "it is Reserve" in str(exc):
                    # The first attempt went through before the server was killed.
                    with self.rec.lock:
                        self.rec.reservations["done_before_restart"] += 1
                    return
                with self.rec.lock:
                    self.rec.reservations["refused"] += 1
                self.rec.error(f"staff reserve {order_id}: {exc}")
                return
            self.rec.add("staff_reserve", time.perf_counter() - t0, True)
            with self.rec.lock:
                self.rec.reservations["ok"] += 1
            return

    # ------------------------------------------------------------------
    def run(self, first_new_id):
        self.first_new_id = first_new_id
        t0 = time.perf_counter()
        clients = [
            threading.Thread(target=self.portal_client, args=(i, entry), daemon=True)
            for i, entry in enumerate(self.fx["load_clients"])
        ]
        n_staff = max(1, min(2, len(self.fx["staff_logins"])))
        staff = [
            threading.Thread(target=self.staff, args=(i, login, n_staff), daemon=True)
            for i, login in enumerate(self.fx["staff_logins"][:n_staff])
        ]
        for t in clients + staff:
            t.start()
        hard_deadline = time.monotonic() + 1800
        for t in clients:
            t.join(timeout=max(1, hard_deadline - time.monotonic()))
        self.clients_done.set()
        clients_s = time.perf_counter() - t0
        for t in staff:
            t.join(timeout=max(1, min(300, hard_deadline - time.monotonic())))
        wall = time.perf_counter() - t0
        return self.report(wall, clients_s)

    def report(self, wall, clients_s):
        rec = self.rec
        ok = [s for _k, s, good in rec.samples if good]
        portal = [s for k, s, good in rec.samples if good and not k.startswith("staff")]
        by_kind = {}
        for kind, seconds, good in rec.samples:
            if good:
                by_kind.setdefault(kind, []).append(seconds)
        outcomes = {}
        for sub in rec.submits:
            outcomes[sub["outcome"]] = outcomes.get(sub["outcome"], 0) + 1
        return {
            "portal_clients": len(self.fx["load_clients"]),
            "orders_per_client": self.orders_per_client,
            "staff": min(2, len(self.fx["staff_logins"])),
            "requests": len(rec.samples),
            "wall_s": round(wall, 1),
            "clients_wall_s": round(clients_s, 1),
            "throughput_rps": round(len(portal) / clients_s, 1) if clients_s else None,
            "latency_ms": latencies(ok),
            "latency_ms_by_kind": {
                kind: {"n": len(values), **latencies(values)}
                for kind, values in sorted(by_kind.items())
            },
            "errors": len(rec.errors),
            "error_samples": rec.errors[:20],
            "retries_during_restart": rec.retries,
            "restart": self.restart_info,
            "submit_outcomes": outcomes,
            "reservations": rec.reservations,
            "submits": rec.submits,
        }


def latencies(seconds):
    return {f"p{p}": ms(percentile(seconds, p)) for p in (50, 95, 99)}


def idempotence_test(server, fx, log=print):
    """Submit one cart twice at once (a double click), then once more (a retry)."""
    client = Client(server.url, fx["idempotence_login"], fx["password"]).login()
    expected = {}
    for pid in fx["idempotence_products"][:3]:
        resp = client.jsonrpc("/my/cart/add_json", {"product_id": pid, "quantity": 1})
        if resp.result.get("success"):
            expected[pid] = expected.get(pid, 0) + 1
    client.get("/my/cart")
    barrier = threading.Barrier(2)
    answers = []

    def click():
        barrier.wait()
        resp, order_id = submit_cart(client)
        answers.append((resp.status_code, resp.headers.get("Location", ""), order_id))

    threads = [threading.Thread(target=click) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    client.get("/my/cart")
    resp, order_id = submit_cart(client)
    answers.append((resp.status_code, resp.headers.get("Location", ""), order_id))
    ids = {a[2] for a in answers if a[2]}
    result = {
        "answers": [{"status": a[0], "location": a[1]} for a in answers],
        "order_ids": sorted(ids),
        "error_answers": sum(1 for a in answers if a[0] >= 400),
        "expected": expected,
        "login": fx["idempotence_login"],
        "ok": len(ids) == 1,
    }
    log(
        f"  idempotence: {len(answers)} submits -> orders {sorted(ids)}, answers "
        f"{[a[0] for a in answers]}"
    )
    return result

"""Benchmark 4: the reservation-expiry cron over the due reservations, then
the job that emails their clients.

Each job runs in this process, batch after batch as the scheduler's job loop
runs it (``ir.cron._run_job``): one call of its method (a batch of 100 orders,
each in a savepoint), then a commit, again while work remains. Calling the
method rather than ``method_direct_trigger`` lets the benchmark stop at a time
budget between batches (one scheduler run is at least 10 batches).

The expiry cron frees the stock, cancels the invoices and closes the orders;
the "Closed" email of each order is left to the status email job
(``_cron_agora_send_state_mails``), which the expiry wakes at each batch. Both
are measured, each on its own and together, so that no work leaves the
figures. Queries are counted with ``odoo.sql_db.sql_counter`` (every cursor of
the process); memory is the peak resident set size of the process (the
kernel's high-water mark, reset before each job).
"""

import time

import odoo_env


def _run_batches(env, job, left, budget_s, log, label, lines_done=None):
    """Call ``job`` and commit, as the scheduler does, while ``left()`` finds
    work, or until ``budget_s`` seconds are spent (checked between runs).

    ``lines_done()``, if given, counts the lines of the orders done so far:
    the queries a run costs beyond one per line are then reported too (the
    expiry locks each line's quant, so its queries per order follow the
    batch's lines)."""
    import odoo.sql_db as sql_db  # noqa: PLC0415

    env.invalidate_all()
    remaining = left()
    env.cr.commit()
    rss_before = odoo_env.rss_kb()[0]
    odoo_env.rss_peak_reset()
    runs = []
    # The lines are counted for the report only: left out of the totals.
    lines_before = lines_done() if lines_done else 0
    counting_s = counting_q = 0
    t_start = time.perf_counter()
    q_start = sql_db.sql_counter
    while remaining:
        t0 = time.perf_counter()
        q0 = sql_db.sql_counter
        job()
        env.cr.commit()
        q1 = sql_db.sql_counter
        t1 = time.perf_counter()
        env.invalidate_all()
        now_left = left()
        t2, q2 = time.perf_counter(), sql_db.sql_counter
        lines_now = lines_done() if lines_done else 0
        counting_s += time.perf_counter() - t2
        counting_q += sql_db.sql_counter - q2
        env.cr.commit()
        done = remaining - now_left
        runs.append(
            {
                "orders": done,
                # The job and its commit (the totals also count ``left()``).
                "seconds": round(t1 - t0, 2),
                "queries": q1 - q0,
                **({"lines": lines_now - lines_before} if lines_done else {}),
            }
        )
        lines_before = lines_now
        log(
            f"  {label} batch {len(runs)}: {done} orders in {runs[-1]['seconds']} s, "
            f"{runs[-1]['queries'] / max(done, 1):.0f} queries/order, {now_left} left"
        )
        if done <= 0:
            break
        remaining = now_left
        if budget_s and remaining and time.perf_counter() - t_start - counting_s > budget_s:
            log(f"  time budget of {budget_s} s spent: {remaining} orders left")
            break
    total_s = time.perf_counter() - t_start - counting_s
    total_q = sql_db.sql_counter - q_start - counting_q
    rss_now, rss_peak = odoo_env.rss_kb()
    per_run = [r["queries"] / r["orders"] for r in runs if r["orders"]]
    processed = sum(r["orders"] for r in runs)
    lines = {}
    if lines_done:
        # Beyond one query per line, over the warm, full runs: the first run
        # fills the caches (the registry's, the ORM's) that later runs find
        # full, and a smaller last batch spreads the fixed cost of a run over
        # fewer orders.
        full = max((r["orders"] for r in runs), default=0)
        warm = [r for r in runs[1:] if r["orders"] and r["orders"] == full]
        beyond = [(r["queries"] - r["lines"]) / r["orders"] for r in warm]
        lines = {
            "lines": sum(r["lines"] for r in runs),
            "warm_full_runs": len(warm),
            "queries_per_order_beyond_lines_min_run": round(min(beyond), 2) if beyond else None,
            "queries_per_order_beyond_lines_max_run": round(max(beyond), 2) if beyond else None,
            # Unrounded, for the target's check.
            "queries_per_order_beyond_lines_spread": (
                (max(beyond) - min(beyond)) / min(beyond) if beyond and min(beyond) > 0 else None
            ),
        }
    return {
        **lines,
        "processed": processed,
        "total_s": round(total_s, 1),
        "ms_per_order": round(total_s * 1000 / max(processed, 1), 1),
        "queries_total": total_q,
        "queries_per_order": round(total_q / max(processed, 1), 1),
        "queries_per_order_min_run": round(min(per_run), 1) if per_run else None,
        "queries_per_order_max_run": round(max(per_run), 1) if per_run else None,
        "peak_rss_mb": round(rss_peak / 1024, 1),
        "rss_before_mb": round(rss_before / 1024, 1),
        "rss_after_mb": round(rss_now / 1024, 1),
        "runs": runs,
    }


def bench_expiry_cron(dbname, budget_s=None, log=print):
    """Expire every due reservation, or as many as ``budget_s`` seconds allow
    (checked between scheduler runs; the total is then extrapolated), then
    send their clients' emails within the same budget."""
    with odoo_env.environment(dbname) as env:
        from odoo import fields  # noqa: PLC0415

        Order = env["sale.order"]
        domain = Order._agora_expiry_domain(fields.Datetime.now())
        due_ids = Order.search(domain).ids
        n_due = len(due_ids)
        lines = env["sale.order.line"].search_count([("order_id", "in", due_ids)])
        env.cr.commit()
        if not n_due:
            return {"due_orders": 0}

        def lines_expired():
            env.cr.execute(
                "SELECT count(*) FROM sale_order_line line JOIN sale_order o ON o.id = "
                "line.order_id WHERE o.id = ANY(%s) AND o.agora_close_reason = 'expired' "
                "AND line.display_type IS NULL",
                [due_ids],
            )
            return env.cr.fetchone()[0]

        result = _run_batches(
            env,
            Order._cron_agora_expire_reservations,
            lambda: Order.search_count(domain),
            budget_s,
            log,
            "expiry cron",
            lines_done=lines_expired,
        )
        expired_ids = Order.search(
            [("id", "in", due_ids), ("agora_close_reason", "=", "expired")]
        ).ids
        result.update(
            {
                "due_orders": n_due,
                "due_order_lines": lines,
                "complete": result["processed"] >= n_due,
                "expired": len(expired_ids),
                "total_s_for_all_due": round(
                    result["total_s"] * n_due / max(result["processed"], 1), 1
                ),
            }
        )
        log(
            f"  expiry cron: {result['processed']}/{n_due} orders in {result['total_s']} s "
            f"({result['ms_per_order']} ms/order), {result['queries_per_order']} queries/order, "
            f"peak RSS {result['peak_rss_mb']} MB"
        )

        # The clients' emails of the orders just expired.
        pending = [("id", "in", expired_ids), ("agora_state_mail_pending", "!=", False)]
        env.cr.execute("SELECT COALESCE(MAX(id), 0) FROM mail_message")
        last_message_id = env.cr.fetchone()[0]
        emails = _run_batches(
            env,
            Order._cron_agora_send_state_mails,
            lambda: Order.search_count(pending),
            budget_s,
            log,
            "status emails",
        )
        # Each expired order's chatter shows its client's email, once: an
        # email queued for the order's client, with a sender address.
        env.cr.execute(
            "SELECT msg.res_id, count(*) FROM mail_message msg "
            "JOIN sale_order so ON so.id = msg.res_id "
            "WHERE msg.id > %s AND msg.model = 'sale.order' AND msg.message_type = 'auto_comment' "
            "AND msg.res_id = ANY(%s) AND COALESCE(msg.email_from, '') != '' "
            "AND EXISTS (SELECT 1 FROM mail_mail mail "
            "JOIN mail_mail_res_partner_rel rel ON rel.mail_mail_id = mail.id "
            "WHERE mail.mail_message_id = msg.id AND rel.res_partner_id = so.partner_id) "
            "GROUP BY msg.res_id",
            [last_message_id, expired_ids],
        )
        posted = dict(env.cr.fetchall())
        emails.update(
            {
                "orders_emailed": len(posted),
                "orders_emailed_twice": sum(1 for n in posted.values() if n > 1),
                "left_pending": Order.search_count(pending),
            }
        )
        result["emails"] = emails
        result["together_ms_per_order"] = round(result["ms_per_order"] + emails["ms_per_order"], 1)
        result["together_queries_per_order"] = round(
            result["queries_per_order"] + emails["queries_per_order"], 1
        )
        log(
            f"  status emails: {emails['orders_emailed']} orders emailed in "
            f"{emails['total_s']} s ({emails['ms_per_order']} ms/order), "
            f"{emails['queries_per_order']} queries/order, {emails['left_pending']} left; "
            f"expiry and emails together {result['together_ms_per_order']} ms/order"
        )
        return result

"""Benchmark 4: the reservation-expiry cron over the due reservations, then the
job that emails their clients.

Each job runs in this process, batch after batch as the scheduler's job loop
runs it (``ir.cron._run_job``): one call of its method (one batch), then a
commit, again while work remains, or until a time budget is spent (checked
between batches). The expiry frees the stock, cancels the invoices and closes
the orders; the "Closed" email of each order is left to the status email job
(``_cron_agora_send_state_mails``), measured after it, so that no work leaves
the figures.

Two things are measured for the performance bar:

* **time**: the time per order of each job, over all its batches, gives the
  time to expire ``PROJECTED_ORDERS`` due reservations with their emails, which
  must fit well inside one run interval of the expiry job;
* **flat queries**: the first batch of each job fills the caches (the
  registry's, the ORM's) and is not compared; then come a batch of
  ``FLAT_SIZES[0]`` orders and one of ``FLAT_SIZES[1]`` (halved on a small
  dataset until they fit), whose queries per order must be the same: a cost
  per order that grew with the batch would not be constant. The rest goes by
  the jobs' own batch size.

Queries are counted with ``odoo.sql_db.sql_counter`` (every cursor of the
process); memory is the peak resident set size of the process (the kernel's
high-water mark, reset before each job).
"""

import time

import odoo_env

PROJECTED_ORDERS = 10_000
FLAT_SIZES = (50, 200)
INTERVAL_S = {"minutes": 60, "hours": 3600, "days": 86400, "weeks": 604800}


def flat_sizes(n_due):
    """The two batch sizes compared: a warm-up batch and both must fit in ``n_due``."""
    small, large = FLAT_SIZES
    while small > 5 and 2 * small + large > n_due:
        small, large = small // 2, large // 2
    return small, large


def _run_job(env, job, left, sizes, budget_s, log, label, lines_done):
    """Call ``job`` and commit, as the scheduler does, while ``left()`` finds
    work or until ``budget_s`` seconds are spent: first with the batch sizes
    ``sizes`` (warm-up, small, large), then with the job's own.

    ``lines_done()`` counts the order lines done so far, outside the figures."""
    import odoo.sql_db as sql_db  # noqa: PLC0415

    env.invalidate_all()
    remaining = left()
    lines_before = lines_done()
    env.cr.commit()
    rss_before = odoo_env.rss_kb()[0]
    odoo_env.rss_peak_reset()
    runs = []
    job_s = job_q = 0
    while remaining:
        size = sizes[len(runs)] if len(runs) < len(sizes) else None
        t0, q0 = time.perf_counter(), sql_db.sql_counter
        if size:
            job(batch_size=size)
        else:
            job()
        env.cr.commit()
        seconds, queries = time.perf_counter() - t0, sql_db.sql_counter - q0
        job_s += seconds
        job_q += queries
        env.invalidate_all()
        now_left = left()
        lines_now = lines_done()
        env.cr.commit()
        done = remaining - now_left
        runs.append(
            {
                "batch_size": size,
                "orders": done,
                "lines": lines_now - lines_before,
                "seconds": round(seconds, 2),
                "queries": queries,
            }
        )
        lines_before, remaining = lines_now, now_left
        log(
            f"  {label} batch {len(runs)}: {done} orders in {runs[-1]['seconds']} s, "
            f"{queries / max(done, 1):.1f} queries/order, {remaining} left"
        )
        if done <= 0:
            break
        if budget_s and remaining and job_s > budget_s:
            log(f"  time budget of {budget_s} s spent: {remaining} orders left")
            break
    rss_now, rss_peak = odoo_env.rss_kb()
    processed = sum(r["orders"] for r in runs)
    per_run = [r["queries"] / r["orders"] for r in runs if r["orders"]]

    def flat(run):
        """Queries per order of a compared batch, if it was as big as asked."""
        if run["orders"] != run["batch_size"]:
            return None
        return {
            "orders": run["orders"],
            "queries_per_order": round(run["queries"] / run["orders"], 2),
            "lines_per_order": round(run["lines"] / run["orders"], 2),
            "ms_per_order": round(run["seconds"] * 1000 / run["orders"], 1),
        }

    # The batches compared: the small one, then the large one.
    compared = [flat(run) for run in runs[1:3]]
    return {
        "processed": processed,
        "total_s": round(job_s, 1),
        "ms_per_order": round(job_s * 1000 / max(processed, 1), 1),
        "queries_total": job_q,
        "queries_per_order": round(job_q / max(processed, 1), 1),
        "queries_per_order_min_run": round(min(per_run), 1) if per_run else None,
        "queries_per_order_max_run": round(max(per_run), 1) if per_run else None,
        "flat": compared + [None] * (2 - len(compared)),
        "peak_rss_mb": round(rss_peak / 1024, 1),
        "rss_before_mb": round(rss_before / 1024, 1),
        "rss_after_mb": round(rss_now / 1024, 1),
        "runs": runs,
    }


def bench_expiry_cron(dbname, budget_s=None, log=print):
    """Expire every due reservation, or as many as ``budget_s`` seconds allow,
    then send their clients' emails within the same budget."""
    with odoo_env.environment(dbname) as env:
        from odoo import fields  # noqa: PLC0415

        Order = env["sale.order"]
        domain = Order._agora_expiry_domain(fields.Datetime.now())
        due_ids = Order.search(domain).ids
        n_due = len(due_ids)
        cron = env.ref("agora_orders.ir_cron_agora_expire_reservations")
        interval_s = cron.interval_number * INTERVAL_S.get(cron.interval_type, 2592000)
        env.cr.commit()
        if not n_due:
            return {"due_orders": 0}
        small, large = flat_sizes(n_due)
        sizes = (small, small, large)

        def lines_of(orders_domain):
            def count():
                orders = Order.search(orders_domain)
                return env["sale.order.line"].search_count(
                    [("order_id", "in", orders.ids), ("display_type", "=", False)]
                )

            return count

        expired = [("id", "in", due_ids), ("agora_close_reason", "=", "expired")]
        result = _run_job(
            env,
            Order._cron_agora_expire_reservations,
            lambda: Order.search_count(domain),
            sizes,
            budget_s,
            log,
            "expiry cron",
            lines_of(expired),
        )
        expired_ids = Order.search(expired).ids

        # The clients' emails of the orders just expired.
        pending = [("id", "in", expired_ids), ("agora_state_mail_pending", "!=", False)]
        env.cr.execute("SELECT COALESCE(MAX(id), 0) FROM mail_message")
        last_message_id = env.cr.fetchone()[0]
        emails = _run_job(
            env,
            Order._cron_agora_send_state_mails,
            lambda: Order.search_count(pending),
            sizes,
            budget_s,
            log,
            "status emails",
            lines_of([("id", "in", expired_ids), ("agora_state_mail_pending", "=", False)]),
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
        together_ms = result["ms_per_order"] + emails["ms_per_order"]
        result.update(
            {
                "due_orders": n_due,
                "expired": len(expired_ids),
                "complete": result["processed"] >= n_due,
                "emails": emails,
                "flat_sizes": [small, large],
                "together_ms_per_order": round(together_ms, 1),
                "together_queries_per_order": round(
                    result["queries_per_order"] + emails["queries_per_order"], 1
                ),
                "projected_orders": PROJECTED_ORDERS,
                "projected_s": round(together_ms * PROJECTED_ORDERS / 1000, 1),
                "interval_s": interval_s,
            }
        )
        log(
            f"  expiry cron: {result['processed']}/{n_due} orders, {result['ms_per_order']} "
            f"ms and {result['queries_per_order']} queries per order; status emails: "
            f"{emails['orders_emailed']} orders, {emails['ms_per_order']} ms and "
            f"{emails['queries_per_order']} queries per order; {PROJECTED_ORDERS:,} due "
            f"reservations with their emails: {result['projected_s']} s projected"
        )
        return result

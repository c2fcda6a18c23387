"""Benchmark 4: the reservation-expiry cron over the due reservations.

Runs in this process, batch after batch as the scheduler's job loop runs it
(``ir.cron._run_job``): one call of ``sale.order._cron_agora_expire_reservations``
(its batch of 100 orders, each in a savepoint), then a commit, again while due
reservations remain. Calling the method rather than ``method_direct_trigger``
lets the benchmark stop at a time budget between batches (one scheduler run
is at least 10 batches). Queries are counted with ``odoo.sql_db.sql_counter``
(every cursor of the process); memory is the peak resident set size of the
process (the kernel's high-water mark, reset before the run).
"""

import time

import odoo_env


def bench_expiry_cron(dbname, budget_s=None, log=print):
    """Expire every due reservation, or as many as ``budget_s`` seconds allow
    (checked between scheduler runs); the total is then extrapolated."""
    with odoo_env.environment(dbname) as env:
        import odoo.sql_db as sql_db  # noqa: PLC0415
        from odoo import fields  # noqa: PLC0415

        Order = env["sale.order"]
        domain = Order._agora_expiry_domain(fields.Datetime.now())
        due = Order.search(domain)
        due_ids = due.ids
        n_due = len(due_ids)
        lines = env["sale.order.line"].search_count([("order_id", "in", due_ids)])
        env.cr.commit()
        if not n_due:
            return {"due_orders": 0}
        env.invalidate_all()
        rss_before = odoo_env.rss_kb()[0]
        odoo_env.rss_peak_reset()
        runs = []
        t_start = time.perf_counter()
        q_start = sql_db.sql_counter
        remaining = n_due
        while remaining:
            t0 = time.perf_counter()
            q0 = sql_db.sql_counter
            Order._cron_agora_expire_reservations()
            env.cr.commit()
            env.invalidate_all()
            left = Order.search_count(domain)
            env.cr.commit()
            done = remaining - left
            runs.append(
                {
                    "orders": done,
                    "seconds": round(time.perf_counter() - t0, 2),
                    "queries": sql_db.sql_counter - q0,
                }
            )
            log(
                f"  cron batch {len(runs)}: {done} orders in {runs[-1]['seconds']} s, "
                f"{runs[-1]['queries'] / max(done, 1):.0f} queries/order, {left} left"
            )
            if done <= 0:
                break
            remaining = left
            if budget_s and remaining and time.perf_counter() - t_start > budget_s:
                log(f"  time budget of {budget_s} s spent: {remaining} due orders left")
                break
        total_s = time.perf_counter() - t_start
        total_q = sql_db.sql_counter - q_start
        rss_now, rss_peak = odoo_env.rss_kb()
        expired = Order.search_count(
            [("id", "in", due_ids), ("agora_close_reason", "=", "expired")]
        )
        per_run = [r["queries"] / r["orders"] for r in runs if r["orders"]]
        processed = sum(r["orders"] for r in runs)
        result = {
            "due_orders": n_due,
            "due_order_lines": lines,
            "processed": processed,
            "complete": processed >= n_due,
            "expired": expired,
            "total_s": round(total_s, 1),
            "ms_per_order": round(total_s * 1000 / max(processed, 1), 1),
            "total_s_for_all_due": round(total_s * n_due / max(processed, 1), 1),
            "queries_total": total_q,
            "queries_per_order": round(total_q / max(processed, 1), 1),
            "queries_per_order_min_run": round(min(per_run), 1) if per_run else None,
            "queries_per_order_max_run": round(max(per_run), 1) if per_run else None,
            "peak_rss_mb": round(rss_peak / 1024, 1),
            "rss_before_mb": round(rss_before / 1024, 1),
            "rss_after_mb": round(rss_now / 1024, 1),
            "runs": runs,
        }
        log(
            f"  expiry cron: {processed}/{n_due} orders in {result['total_s']} s "
            f"({result['ms_per_order']} ms/order), {result['queries_per_order']} queries/order, "
            f"peak RSS {result['peak_rss_mb']} MB"
        )
        return result

"""End-of-run checks against the database (in-process, after the server stopped)."""

from collections import Counter, defaultdict

import odoo_env

EPS = 1e-6


def _lines_of(order):
    lines = defaultdict(float)
    for line in order.order_line:
        if not line.display_type:
            lines[line.product_id.id] += line.product_uom_qty
    return dict(lines)


def _same_lines(a, b):
    return set(a) == set(b) and all(abs(a[k] - b[k]) < EPS for k in a)


def run_checks(dbname, run_start, submits, idempotence=None, due_ids=()):
    """Check the orders the run submitted, the stock and the statuses.

    :param run_start: datetime (UTC, naive) when the load began
    :param submits: the load test's submit records (login, expected, order_id, outcome)
    """
    submits = list(submits)
    logins = {s["login"] for s in submits} | ({idempotence["login"]} if idempotence else set())
    with odoo_env.environment(dbname) as env:
        Order = env["sale.order"].with_context(active_test=False)
        problems = []
        users = {
            u.login: u
            for u in env["res.users"]
            .with_context(active_test=False)
            .search([("login", "in", list(logins))])
        }
        # Every order submitted during the load, per contact.
        run_orders = Order.search(
            [("agora_submitted_date", ">=", run_start), ("name", "not like", "SH%")]
        )
        by_partner = defaultdict(list)
        for order in run_orders:
            by_partner[order.partner_id.id].append(order)

        # 1. Every acknowledged submit: its order exists once, submitted, with its lines.
        acknowledged = lost = wrong_lines = 0
        matched = set()
        for sub in submits:
            expected = {int(k): float(v) for k, v in sub["expected"].items()}
            if sub.get("order_id"):
                acknowledged += 1
                order = Order.browse(sub["order_id"]).exists()
                if not order or order.agora_state == "new" or not order.agora_submitted_date:
                    lost += 1
                    problems.append(
                        f"acknowledged order {sub['order_id']} missing or not submitted"
                    )
                    continue
                if not _same_lines(_lines_of(order), expected):
                    wrong_lines += 1
                    problems.append(f"order {order.name}: lines differ from what was added")
                matched.add(order.id)
        # 2. Submits whose answer was lost (restart): find the order by its lines.
        unknown = [s for s in submits if not s.get("order_id")]
        found_unknown = 0
        for sub in unknown:
            user = users.get(sub["login"])
            expected = {int(k): float(v) for k, v in sub["expected"].items()}
            candidates = [
                o
                for o in by_partner.get(user.partner_id.id if user else 0, [])
                if o.id not in matched and _same_lines(_lines_of(o), expected)
            ]
            if candidates:
                found_unknown += 1
                matched.add(candidates[0].id)
            elif sub.get("outcome", "").startswith("retried"):
                lost += 1
                problems.append(f"submit of {sub['login']} (answer lost) has no order")
        # 3. No order twice: one contact, same lines, submitted twice in the run.
        duplicates = 0
        for orders in by_partner.values():
            keys = Counter(frozenset(_lines_of(o).items()) for o in orders)
            duplicates += sum(count - 1 for count in keys.values() if count > 1)
        if duplicates:
            problems.append(f"{duplicates} duplicated submitted orders")
        unexpected = [o.name for o in run_orders if o.id not in matched]

        # 4. No stock reserved twice.
        cr = env.cr
        cr.execute(
            """
            SELECT count(*) FROM stock_quant q JOIN stock_location l ON l.id = q.location_id
             WHERE l.usage = 'internal' AND q.reserved_quantity > q.quantity + 1e-6
            """
        )
        over_reserved = cr.fetchone()[0]
        cr.execute(
            """
            WITH ml AS (
                SELECT sml.product_id, sml.location_id, SUM(sml.quantity_product_uom) AS qty
                  FROM stock_move_line sml JOIN stock_move m ON m.id = sml.move_id
                 WHERE m.state NOT IN ('done', 'cancel', 'draft')
                 GROUP BY 1, 2
            ), q AS (
                SELECT q.product_id, q.location_id, SUM(q.reserved_quantity) AS qty
                  FROM stock_quant q JOIN stock_location l ON l.id = q.location_id
                 WHERE l.usage = 'internal'
                 GROUP BY 1, 2
            )
            SELECT count(*) FROM q FULL JOIN ml USING (product_id, location_id)
             WHERE abs(COALESCE(q.qty, 0) - COALESCE(ml.qty, 0)) > 1e-6
            """
        )
        reservation_mismatch = cr.fetchone()[0]
        if over_reserved:
            problems.append(f"{over_reserved} quants with more reserved than on hand")
        if reservation_mismatch:
            problems.append(
                f"{reservation_mismatch} product/locations whose quant reservation differs "
                "from their move lines"
            )

        # 5. No order stuck between states.
        stuck = {}
        checks = {
            "confirmed but New/Processing": (
                "state = 'sale' AND agora_state IN ('new', 'processing')"
            ),
            "cancelled but not Closed": "state = 'cancel' AND agora_state <> 'closed'",
            "Processing without submission date": (
                "agora_state = 'processing' AND agora_submitted_date IS NULL"
            ),
            "Reserve without deadline": (
                "agora_state = 'reserve' AND agora_reserve_deadline IS NULL"
            ),
            "Reserve without a posted invoice": (
                "agora_state = 'reserve' AND NOT EXISTS (SELECT 1 FROM sale_order_line sol "
                "JOIN sale_order_line_invoice_rel r ON r.order_line_id = sol.id "
                "JOIN account_move_line aml ON aml.id = r.invoice_line_id "
                "JOIN account_move am ON am.id = aml.move_id "
                "WHERE sol.order_id = sale_order.id AND am.state = 'posted')"
            ),
            "expired but stock still reserved": (
                "agora_close_reason = 'expired' AND EXISTS (SELECT 1 FROM stock_move m "
                "JOIN sale_order_line sol ON sol.id = m.sale_line_id "
                "WHERE sol.order_id = sale_order.id "
                "AND m.state IN ('assigned','partially_available'))"
            ),
            "expired with an invoice still posted and unpaid": (
                "agora_close_reason = 'expired' AND EXISTS (SELECT 1 FROM sale_order_line sol "
                "JOIN sale_order_line_invoice_rel r ON r.order_line_id = sol.id "
                "JOIN account_move_line aml ON aml.id = r.invoice_line_id "
                "JOIN account_move am ON am.id = aml.move_id "
                "WHERE sol.order_id = sale_order.id AND am.state = 'posted' "
                "AND am.move_type = 'out_invoice' AND am.payment_state = 'not_paid')"
            ),
        }
        for label, where in checks.items():
            cr.execute(f"SELECT count(*) FROM sale_order WHERE {where}")
            count = cr.fetchone()[0]
            stuck[label] = count
            if count:
                problems.append(f"{count} orders {label}")
        # Reservations due when the load began that the cron worker had not expired
        # at the end: pending work, reported (the cron's speed), not an inconsistency.
        cr.execute(
            "SELECT count(*) FROM sale_order WHERE agora_state = 'reserve' "
            "AND NOT agora_payment_hold AND id = ANY(%s)",
            [list(due_ids)],
        )
        due_left = cr.fetchone()[0]
        # The stored statuses of the run's orders are what their documents say now:
        # recompute them from the invoices, pickings and returns and compare.
        touched = Order.search([("write_date", ">=", run_start), ("name", "not like", "SH%")])
        names = [
            "agora_payment_status",
            "agora_delivery_status",
            "agora_close_reason",
            "agora_state",
        ]
        stored = {o.id: tuple(o[f] for f in names) for o in touched}
        for fname in names:
            env.add_to_compute(Order._fields[fname], touched)
        drift = [o.name for o in touched if tuple(o[f] for f in names) != stored[o.id]]
        stuck["stored status differs from the derived one"] = len(drift)
        if drift:
            problems.append(f"{len(drift)} orders whose stored status is stale: {drift[:5]}")
        # 6. The double-clicked cart made exactly one order.
        if idempotence:
            user = (
                env["res.users"]
                .with_context(active_test=False)
                .search([("login", "=", idempotence["login"])])
            )
            orders = by_partner.get(user.partner_id.id, [])
            expected = {int(k): float(v) for k, v in idempotence["expected"].items()}
            idempotence["orders_in_db"] = [o.id for o in orders]
            idempotence["db_ok"] = len(orders) == 1 and _same_lines(_lines_of(orders[0]), expected)
            if not (idempotence["ok"] and idempotence["db_ok"]):
                problems.append(f"double submit: {idempotence}")
            matched.update(o.id for o in orders)
            unexpected = [o.name for o in run_orders if o.id not in matched]
        states = Counter(run_orders.mapped("agora_state"))
        result = {
            "submits": len(submits),
            "acknowledged": acknowledged,
            "answer_lost_but_order_found": found_unknown,
            "lost": lost,
            "wrong_lines": wrong_lines,
            "duplicates": duplicates,
            "unexpected_orders": unexpected[:20],
            "run_orders_by_status": dict(states),
            "due_reservations_left": due_left,
            "quants_over_reserved": over_reserved,
            "reservation_mismatches": reservation_mismatch,
            "stuck": stuck,
            "idempotence": idempotence,
            "problems": problems,
            "ok": not problems,
        }
        env.cr.rollback()
        return result

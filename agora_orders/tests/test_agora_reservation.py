from contextlib import contextmanager
from datetime import datetime, timedelta
from unittest.mock import patch

import psycopg2.errors
from freezegun import freeze_time

from odoo.exceptions import LockError, UserError, ValidationError
from odoo.tests import tagged

from .common import AgoraCommon

NOW = datetime(2026, 11, 2, 9, 0, 0)
# Reasons Odoo may give for refusing to release a reservation (not shown to users).
PACKING = "The delivery is being packed"
LOCKED = "The invoice is in a locked period"


@tagged("post_install", "-at_install")
class TestAgoraReservation(AgoraCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.release_refused_type = cls.env.ref(
            "agora_orders.mail_activity_type_agora_release_refused"
        )

    @contextmanager
    def _odoo_refusing_to_release(self, refused, reason, attempts=None):
        """Odoo refuses, with ``reason``, to release any batch holding one of
        the ``refused`` orders; the expiry runs as usual for the others.
        ``attempts`` collects the batches the cron tries."""
        SaleOrder = type(self.env["sale.order"])
        expire = SaleOrder._agora_expire_reservations

        def expire_refusing(orders, now):
            if attempts is not None:
                attempts.append(orders)
            if orders & refused:
                raise UserError(reason)
            expire(orders, now)

        with patch.object(SaleOrder, "_agora_expire_reservations", expire_refusing):
            yield

    @contextmanager
    def _progress_reports(self):
        """What the expiry cron reports to the scheduler, as (processed,
        remaining) pairs, instead of committing."""
        reports = []
        with patch.object(
            type(self.env["sale.order"]),
            "_agora_commit_progress",
            lambda orders, processed, remaining: reports.append((processed, remaining)),
        ):
            yield reports

    def _expired_reservation_odoo_refused_to_release(self):
        """An order reserved at NOW whose release the cron, three days later,
        was refused (``LOCKED``): out of the queue, waiting for staff."""
        with freeze_time(NOW):
            order = self._reserved_order(lines=[(self.drill, 1)])
        self._flush_tracking()
        with (
            freeze_time(NOW + timedelta(days=3)),
            self._odoo_refusing_to_release(order, LOCKED),
            self.assertLogs("odoo.addons.agora_orders.models", "ERROR"),
        ):
            self.env["sale.order"]._cron_agora_expire_reservations()
        return order

    def _release_refused_activity(self, order):
        refused_type = self.release_refused_type
        return order.activity_ids.filtered(lambda a: a.activity_type_id == refused_type)

    def _free(self, product):
        return product.with_context(warehouse_id=self.warehouse.id).free_qty

    def test_deadline_from_agreement_else_company(self):
        with freeze_time(NOW):
            alfa = self._reserved_order()
            self.assertEqual(alfa.agora_reserve_deadline, NOW + timedelta(hours=48))
            beta = self._reserved_order(
                partner=self.portal_beta.partner_id,
                lines=[(self.paint, 1)],
                user=self.salesman_other,
            )
            self.assertEqual(beta.agora_reserve_deadline, NOW + timedelta(hours=72))

    def test_expiry_releases_stock_cancels_invoice_and_closes(self):
        with freeze_time(NOW):
            order = self._reserved_order(lines=[(self.drill, 5)])
        self.assertEqual(self._free(self.drill), 0.0)
        issued = [
            (line.account_id, line.display_type, line.tax_line_id, line.debit, line.credit)
            for line in order.invoice_ids.line_ids.sorted("id")
        ]
        total = order.invoice_ids.amount_total
        with freeze_time(NOW + timedelta(hours=47)):
            self.env["sale.order"]._cron_agora_expire_reservations()
            self.assertEqual(order.agora_state, "reserve", "not yet due")
        with freeze_time(NOW + timedelta(hours=49)), self.mock_mail_gateway():
            self.env["sale.order"]._cron_agora_expire_reservations()
            self._flush_tracking()
            self.assertRecordValues(
                order, [{"agora_state": "closed", "agora_close_reason": "expired"}]
            )
            self.assertEqual(order.invoice_ids.state, "cancel")
            # Cancelled as issued: the same lines and amounts, for the accountant.
            self.assertEqual(
                [
                    (line.account_id, line.display_type, line.tax_line_id, line.debit, line.credit)
                    for line in order.invoice_ids.line_ids.sorted("id")
                ],
                issued,
            )
            self.assertEqual(order.invoice_ids.amount_total, total)
            self.assertEqual(self._free(self.drill), 5.0)
            # The client's email is left to the status email job, woken for it.
            self.assertFalse(self._new_mails.filtered(lambda m: "Closed" in (m.subject or "")))
            self.assertEqual(order.agora_state_mail_pending, "closed")
            email_job = self.env.ref("agora_orders.ir_cron_agora_send_state_mails")
            self.assertTrue(
                self.env["ir.cron.trigger"].search([("cron_id", "=", email_job.id)]),
                "the expiry wakes the status email job",
            )
            self.env["sale.order"]._cron_agora_send_state_mails()
            self._flush_tracking()
            closed_mail = self._new_mails.filtered(lambda m: "Closed" in (m.subject or ""))
            self.assertEqual(len(closed_mail), 1)
            self.assertEqual(closed_mail.recipient_ids, self.portal_alfa.partner_id)
            self.assertIn("expired", closed_mail.body_html)
            self.assertFalse(order.agora_state_mail_pending)
            # Running them again changes nothing, and emails no one twice.
            self.env["sale.order"]._cron_agora_expire_reservations()
            self.env["sale.order"]._cron_agora_send_state_mails()
            self._flush_tracking()
            self.assertEqual(order.agora_close_reason, "expired")
            self.assertEqual(
                len(self._new_mails.filtered(lambda m: "Closed" in (m.subject or ""))), 1
            )

    def _reserve_two_alfa_orders_and_a_beta_one(self):
        """Reserved at NOW: two orders of Alfa's, from the same salesperson
        (48 h reservations), and one of Beta's, from another (72 h)."""
        with freeze_time(NOW):
            alfa_orders = self._reserved_order(lines=[(self.hammer, 1)]) | self._reserved_order(
                lines=[(self.hammer, 2)]
            )
            beta = self._reserved_order(
                partner=self.portal_beta.partner_id,
                lines=[(self.paint, 1)],
                user=self.salesman_other,
            )
        return alfa_orders, beta

    def _expire_and_email(self, when):
        """Run the expiry, then the status email job, at ``when``: the emails
        the job queued or sent."""
        with freeze_time(when), self.mock_mail_gateway():
            self.env["sale.order"]._cron_agora_expire_reservations()
            self._flush_tracking()
            self.env["sale.order"]._cron_agora_send_state_mails()
            self._flush_tracking()
        return self._new_mails.filtered(lambda m: m.model == "sale.order")

    def test_expiry_emails_each_client_of_the_batch_in_its_language(self):
        """Orders expired together get one email each from the status email
        job, in their client's language, logged on their own order."""
        self._load_russian()
        self.portal_alfa.partner_id.lang = "ru_RU"
        alfa_orders, beta = self._reserve_two_alfa_orders_and_a_beta_one()
        # Past both clients' reservation timeouts (48 h and 72 h).
        closed = self._expire_and_email(NOW + timedelta(days=4))
        self.assertEqual(sorted(closed.mapped("res_id")), sorted((alfa_orders | beta).ids))
        for order in alfa_orders:
            mail = closed.filtered(lambda m, order=order: m.res_id == order.id)
            self.assertEqual(mail.recipient_ids, self.portal_alfa.partner_id)
            self.assertIn(order.name, mail.subject)
            self.assertIn("Закрыт", mail.subject)
            self.assertIn("Здравствуйте", mail.body_html)
        # Alfa's two orders, from the same salesperson, made a batch: handed to
        # the mail queue, which is woken to send them now. Beta's lone order's
        # email was sent at once.
        alfa_mails = closed.filtered(lambda m: m.res_id in alfa_orders.ids)
        self.assertEqual(set(alfa_mails.mapped("state")), {"outgoing"})
        self.assertEqual((closed - alfa_mails).state, "sent")
        queue = self.env.ref("mail.ir_cron_mail_scheduler_action")
        self.assertTrue(
            self.env["ir.cron.trigger"].search(
                [("cron_id", "=", queue.id), ("call_at", "<=", NOW + timedelta(days=4))]
            ),
            "the mail queue is triggered for the batch's emails",
        )
        beta_mail = closed.filtered(lambda m: m.res_id == beta.id)
        self.assertEqual(beta_mail.recipient_ids, self.portal_beta.partner_id)
        self.assertIn(f"order {beta.name} is now Closed", beta_mail.subject)
        self.assertIn("expired", beta_mail.body_html)
        # Each order's chatter shows its own email, from its salesperson.
        for order in alfa_orders | beta:
            emails = order.sudo().message_ids.filtered(lambda m: m.message_type == "auto_comment")
            self.assertEqual(len(emails), 3, "Processing, Reserve and Closed emails on the order")
            self.assertEqual(emails.author_id, order.user_id.partner_id)

    def test_expiry_emails_of_a_batch_come_from_the_templates_sender(self):
        """The emails a batch sends come from the address the template gives,
        as a lone order's email does, even one no contact has (a shared
        sales mailbox), with replies going where the lone order's go."""
        address = "sales-desk@agora-supplier.example"
        sender = f'"Agora Sales" <{address}>'
        self.assertFalse(self.env["res.partner"].search([("email", "=ilike", address)]))
        self.env.ref("agora_orders.mail_template_agora_state_closed").email_from = sender
        batch, lone = self._reserve_two_alfa_orders_and_a_beta_one()
        # Alfa's reservations (48 h) expire first, together: one composer.
        batch_mails = self._expire_and_email(NOW + timedelta(hours=60))
        self.assertEqual(sorted(batch_mails.mapped("res_id")), sorted(batch.ids))
        self.assertEqual(set(batch_mails.mapped("state")), {"outgoing"}, "queued by the batch")
        # Beta's (72 h) later, alone: a one-order composer, as Odoo's tracking sends it.
        lone_mail = self._expire_and_email(NOW + timedelta(days=4))
        self.assertEqual(lone_mail.res_id, lone.id)
        self.assertEqual(lone_mail.state, "sent", "sent at once, alone")
        self.assertEqual(set((batch_mails | lone_mail).mapped("email_from")), {sender})
        # No contact has the address: each is signed by the job's user, and
        # replies go to the company's catchall, as the lone order's.
        self.assertEqual(batch_mails.author_id, lone_mail.author_id)
        self.assertIn(self.env.company.catchall_email, lone_mail.reply_to)
        self.assertEqual(set(batch_mails.mapped("reply_to")), {lone_mail.reply_to})

    def test_expiry_emails_of_a_batch_do_not_run_a_salespersons_name(self):
        """A salesperson may name themselves anything: the sender the
        template renders from that name is not rendered again as a template
        (the job runs as OdooBot, who may run any code)."""
        self.salesman.name = "Sasha {{ 6 * 7 }} Salesman"
        with freeze_time(NOW):
            batch = self._reserved_order(lines=[(self.hammer, 1)]) | self._reserved_order(
                lines=[(self.hammer, 2)]
            )
        mails = self._expire_and_email(NOW + timedelta(days=4))
        self.assertEqual(sorted(mails.mapped("res_id")), sorted(batch.ids))
        self.assertEqual(set(mails.mapped("email_from")), {self.salesman.email_formatted})
        for mail in mails:
            self.assertIn("{{ 6 * 7 }}", mail.email_from)
            self.assertNotIn("42", mail.email_from)

    def test_payment_holds_the_reservation(self):
        self.company.agora_hold_threshold = 50.0
        with freeze_time(NOW):
            small = self._reserved_order(lines=[(self.hammer, 10)])
            big = self._reserved_order(lines=[(self.hammer, 10)])
            self._pay(small.invoice_ids, amount=small.invoice_ids.amount_total * 0.2)
            self._pay(big.invoice_ids, amount=big.invoice_ids.amount_total * 0.5)
        self.assertFalse(small.agora_payment_hold)
        self.assertTrue(big.agora_payment_hold)
        self.assertEqual(small.agora_state, "paid", "paid in part, its reservation still runs")
        small_paid = small.agora_amount_paid
        self.assertAlmostEqual(small_paid, small.amount_total * 0.2, places=2)
        with freeze_time(NOW + timedelta(days=5)):
            self.env["sale.order"]._cron_agora_expire_reservations()
            self._flush_tracking()
        self.assertEqual(big.agora_state, "paid")
        self.assertEqual(big.agora_payment_status, "partial")
        self.assertEqual(big.order_line.agora_qty_reserved, 10.0)
        # Paid below the threshold: the reservation is not held, and expires.
        # The client still sees what was paid; the salesperson is asked to
        # refund it or to reserve the order again.
        self.assertRecordValues(
            small,
            [
                {
                    "agora_state": "closed",
                    "agora_close_reason": "expired",
                    "agora_payment_status": "partial",
                }
            ],
        )
        self.assertAlmostEqual(small.agora_amount_paid, small_paid, places=2)
        self.assertEqual(small.order_line.agora_qty_reserved, 0.0, "the stock is released")
        refund = self.env.ref("agora_orders.mail_activity_type_agora_refund_or_reserve")
        activity = small.activity_ids.filtered(lambda a: a.activity_type_id == refund)
        self.assertEqual(activity.user_id, self.salesman)
        self.assertFalse(big.activity_ids.filtered(lambda a: a.activity_type_id == refund))
        credit_note = small.invoice_ids.filtered(lambda m: m.move_type == "out_refund")
        self.assertEqual(credit_note.state, "posted", "the invoice is reversed for a refund")
        notification = self.env["agora.notification"].search([("order_id", "=", small.id)])
        self.assertIn("closed", notification.mapped("agora_state"))

    def test_any_payment_holds_by_default(self):
        with freeze_time(NOW):
            order = self._reserved_order(lines=[(self.hammer, 10)])
            self._pay(order.invoice_ids, amount=1.0)
        self.assertTrue(order.agora_payment_hold)

    def test_reminder_before_deadline_once(self):
        with freeze_time(NOW):
            order = self._reserved_order()
        with freeze_time(NOW + timedelta(hours=20)), self.mock_mail_gateway():
            self.env["sale.order"]._cron_agora_send_reservation_reminders()
            self.assertFalse(self._new_mails, "48h reservation: 28h left, no reminder yet")
        with freeze_time(NOW + timedelta(hours=25)), self.mock_mail_gateway():
            self.env["sale.order"]._cron_agora_send_reservation_reminders()
            self.env["sale.order"]._cron_agora_send_reservation_reminders()
            reminders = self._new_mails.filtered(
                lambda m: self.portal_alfa.partner_id in m.recipient_ids
            )
            self.assertEqual(len(reminders), 1)
            self.assertIn("expires soon", reminders.subject)
        self.assertTrue(order.agora_reminder_sent)
        self.assertTrue(order.agora_event_ids.filtered(lambda e: e.event_type == "reminder"))

    def test_extend_is_logged_and_reopen_after_expiry(self):
        with freeze_time(NOW):
            order = self._reserved_order(lines=[(self.drill, 2)])
            wizard = (
                self.env["agora.reserve.extend.wizard"]
                .with_user(self.salesman)
                .create(
                    {
                        "order_id": order.id,
                        "new_deadline": NOW + timedelta(hours=96),
                        "reason": "Payment on its way",
                    }
                )
            )
            wizard.action_extend()
        self.assertEqual(order.agora_reserve_deadline, NOW + timedelta(hours=96))
        event = order.agora_event_ids.filtered(lambda e: e.event_type == "deadline")
        # The reason is the staff's note, kept from the client (who sees the deadline).
        self.assertEqual(event.internal_note, "Payment on its way")
        self.assertFalse(event.description)
        self.assertEqual(event.user_id, self.salesman)
        with freeze_time(NOW + timedelta(hours=50)):
            self.env["sale.order"]._cron_agora_expire_reservations()
        self.assertEqual(order.agora_state, "reserve", "extended past the agreement's 48 h")
        with freeze_time(NOW + timedelta(hours=97)):
            self.env["sale.order"]._cron_agora_expire_reservations()
        self.assertEqual(order.agora_close_reason, "expired")
        with freeze_time(NOW + timedelta(hours=98)):
            order.with_user(self.salesman).action_agora_reopen()
            self.assertRecordValues(
                order,
                [
                    {
                        "agora_state": "processing",
                        "agora_close_reason": False,
                        "agora_reserve_deadline": False,
                    }
                ],
            )
            order.action_agora_reserve()
            self.assertEqual(order.agora_state, "reserve")
            self.assertEqual(order.agora_reserve_deadline, NOW + timedelta(hours=98 + 48))
            self.assertEqual(
                len(order._agora_invoices()), 1, "a new invoice, the old one cancelled"
            )

    def test_two_orders_never_reserve_the_same_last_units(self):
        first = self._reserved_order(lines=[(self.drill, 4)])
        second = self._reserved_order(lines=[(self.drill, 4)])
        self.assertEqual(first.order_line.agora_qty_reserved, 4.0)
        self.assertEqual(second.order_line.agora_qty_reserved, 1.0)
        self.assertEqual(self._free(self.drill), 0.0)
        # The second is held by a payment; the first expires and its units
        # become free again for others.
        self._pay(second.invoice_ids, amount=10.0)
        with freeze_time(datetime.now() + timedelta(days=3)):
            self.env["sale.order"]._cron_agora_expire_reservations()
        self.assertEqual(first.agora_close_reason, "expired")
        second.picking_ids.action_assign()
        self.assertEqual(second.order_line.agora_qty_reserved, 4.0)

    def _make_reserved(self, count):
        with freeze_time(NOW):
            orders = self.env["sale.order"]
            for _i in range(count):
                orders |= self._reserved_order(lines=[(self.hammer, 1)])
        self._flush_tracking()
        self.env.invalidate_all()
        return orders

    def _assert_flat_cost(self, make, run, at_most_per_order):
        """``run`` costs the same number of queries for each order ``make``
        prepared, whatever their number: from 4 orders to 8, and from 8 to 12,
        the cost grows by the same amount. That cost per order is at most
        ``at_most_per_order``: a bound with margin against a regression (Odoo
        updates and other modules add queries of their own to each order's
        cancellation and email), not a figure to meet."""

        def measure(count):
            make(count)
            # As assertQueryCount: flushed (tracking included) before and after,
            # no random garbage collection in the count.
            self.env.flush_all()
            self.env.cr.flush()
            with freeze_time(NOW + timedelta(days=3)), patch("random.random", lambda: 1):
                before = self.cr.sql_log_count
                run()
                self.env.flush_all()
                self.env.cr.flush()
                return self.cr.sql_log_count - before

        # Warm up caches and the first-call costs.
        make(1)
        with freeze_time(NOW + timedelta(days=3)):
            run()
        counts = {n: measure(n) for n in (4, 8, 12)}
        first, second = counts[8] - counts[4], counts[12] - counts[8]
        # Up to two queries more or less come and go with caches outside the
        # orders (the invoice sequence's cache, the partners' prefetch): a
        # query more per order would show as four.
        self.assertAlmostEqual(first, second, delta=2, msg=f"not flat: {counts}")
        self.assertLessEqual(max(first, second), 4 * at_most_per_order, counts)

    def test_expiry_cron_costs_the_same_per_order(self):
        """The cron expires a batch at once: a fixed cost per batch, and the same
        number of queries for each order of it (tracking included, as it runs
        when the batch's savepoint is released; the emails are left to their job)."""
        made = self.env["sale.order"]

        def make(count):
            nonlocal made
            made = self._make_reserved(count)

        def run():
            self.env["sale.order"]._cron_agora_expire_reservations()
            self.assertEqual(set(made.mapped("agora_close_reason")), {"expired"})
            self.assertEqual(set(made.mapped("agora_state_mail_pending")), {"closed"})

        # About 13 queries an order: Odoo's tracking notes of the order, its
        # delivery and its invoice (a message and its values each), and stock
        # unreserving its line.
        self._assert_flat_cost(make, run, at_most_per_order=16)

    def test_expiry_cron_costs_a_few_queries_more_per_reserved_line(self):
        """Orders of five lines cost the expiry a few queries more per line than
        orders of one (stock finds, locks and updates each line's quant), and
        their stock is all free again."""
        products = self.hammer | self.env["product.product"].union(
            *(
                self._create_product(f"Nail {size}", f"NAIL-{size}", self.categ_tools, 1.0, qty=40)
                for size in (40, 50, 60, 70)
            )
        )
        with freeze_time(NOW):
            self._reserved_order(lines=[(self.hammer, 1)])
        with freeze_time(NOW + timedelta(days=3)):
            self.env["sale.order"]._cron_agora_expire_reservations()
        self._flush_tracking()

        def measure(lines):
            with freeze_time(NOW):
                orders = self.env["sale.order"]
                for _i in range(4):
                    orders |= self._reserved_order(lines=lines)
            self._flush_tracking()
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            with freeze_time(NOW + timedelta(days=3)):
                self.env["sale.order"]._cron_agora_expire_reservations()
                self._flush_tracking()
            self.assertEqual(set(orders.mapped("agora_close_reason")), {"expired"})
            return self.cr.sql_log_count - before

        one_line = measure([(self.hammer, 1)])
        five_lines = measure([(product, 2) for product in products])
        # 4 orders x 4 lines more: about 3.4 queries a line (54), bounded with
        # margin against a regression, as in _assert_flat_cost.
        self.assertLessEqual(five_lines - one_line, 16 * 5)
        quants = self.env["stock.quant"].search(
            [("product_id", "in", products.ids), ("location_id", "=", self.stock_location.id)]
        )
        self.assertEqual(set(quants.mapped("reserved_quantity")), {0.0})
        self.assertEqual(self._free(products[1]), 40.0)

    def test_status_email_job_costs_the_same_per_order(self):
        """The status email job emails a batch of expired orders with the same
        number of queries for each (their chatter messages included)."""
        made = self.env["sale.order"]

        def make(count):
            nonlocal made
            made = self._make_reserved(count)
            with freeze_time(NOW + timedelta(days=3)):
                self.env["sale.order"]._cron_agora_expire_reservations()
            self._flush_tracking()
            self.env.invalidate_all()

        def run():
            before = self.env["mail.mail"].search_count([])
            self.env["sale.order"]._cron_agora_send_state_mails()
            self.env.flush_all()
            self.assertFalse(made.filtered("agora_state_mail_pending"))
            self.assertEqual(self.env["mail.mail"].search_count([]) - before, len(made))

        # About 11 queries an order: rendering and posting its email.
        self._assert_flat_cost(make, run, at_most_per_order=13)

    def test_expiry_goes_on_when_one_order_conflicts(self):
        """A concurrent update of one order's stock does not hold up the batch:
        the others expire, that one stays reserved until the next run."""
        with freeze_time(NOW):
            first = self._reserved_order(lines=[(self.hammer, 2)])
            stuck = self._reserved_order(lines=[(self.drill, 1)])
            last = self._reserved_order(lines=[(self.hammer, 3)])
        self._flush_tracking()
        SaleOrder = type(self.env["sale.order"])
        expire = SaleOrder._agora_expire_reservations

        def expire_with_conflict(orders, now):
            expire(orders, now)
            orders.env.flush_all()
            if stuck in orders:
                raise psycopg2.errors.SerializationFailure(
                    "could not serialize access due to concurrent update"
                )

        with (
            freeze_time(NOW + timedelta(days=3)),
            patch.object(SaleOrder, "_agora_expire_reservations", expire_with_conflict),
            self.assertLogs("odoo.addons.agora_orders.models", "WARNING") as logs,
        ):
            done = self.env["sale.order"]._cron_agora_expire_reservations()
        self.assertEqual(done, first | last)
        self.assertIn(f"Order {stuck.name} left for the next run", logs.output[0])
        self.env.invalidate_all()
        self.assertEqual({first.agora_state, last.agora_state}, {"closed"})
        # The conflicting order is untouched: reserved, its invoice due.
        self.assertEqual(stuck.agora_state, "reserve")
        self.assertEqual(stuck.invoice_ids.state, "posted")
        self.assertEqual(stuck.order_line.agora_qty_reserved, 1.0)
        self.assertEqual(self._free(self.drill), 4.0)
        self.assertEqual(self._free(self.hammer), 50.0)
        # The next run, without the conflict, expires it.
        with freeze_time(NOW + timedelta(days=3)):
            done = self.env["sale.order"]._cron_agora_expire_reservations()
        self.assertEqual(done, stuck)
        self.assertEqual(self._free(self.drill), 5.0)

    def test_status_email_of_a_status_changed_since_is_not_sent(self):
        """An order reopened before the job emailed its expiry gets the emails
        of its later statuses, sent by those changes, and no stale one: not
        even when it is closed again (cancelled) before the job runs."""
        with freeze_time(NOW):
            order = self._reserved_order(lines=[(self.drill, 1)])
        with freeze_time(NOW + timedelta(days=3)), self.mock_mail_gateway():
            self.env["sale.order"]._cron_agora_expire_reservations()
            self._flush_tracking()
            self.assertEqual(order.agora_state_mail_pending, "closed")
            order.with_user(self.salesman).action_agora_reopen()
            self._flush_tracking()
            self.assertFalse(order.agora_state_mail_pending, "the Processing email supersedes it")
            order.with_user(self.salesman).action_agora_cancel()
            self._flush_tracking()
            self.env["sale.order"]._cron_agora_send_state_mails()
            self._flush_tracking()
        subjects = self._new_mails.mapped("subject")
        self.assertEqual(len(subjects), 2, subjects)
        self.assertIn(f"order {order.name} is now Processing", subjects[0])
        self.assertIn(f"order {order.name} is now Closed", subjects[1])
        self.assertIn("It was cancelled", self._new_mails[1].body_html)
        self.assertFalse(order.agora_state_mail_pending)

    def test_expiry_emails_at_once_when_the_email_job_is_archived(self):
        """Staff who archive the status email job get the emails sent by the
        expiry itself, as before the job existed, rather than none."""
        self.env.ref("agora_orders.ir_cron_agora_send_state_mails").active = False
        with freeze_time(NOW):
            order = self._reserved_order(lines=[(self.drill, 1)])
        with freeze_time(NOW + timedelta(days=3)), self.mock_mail_gateway():
            self.env["sale.order"]._cron_agora_expire_reservations()
            self._flush_tracking()
        self.assertEqual(order.agora_close_reason, "expired")
        self.assertFalse(order.agora_state_mail_pending)
        closed_mail = self._new_mails.filtered(lambda m: "Closed" in (m.subject or ""))
        self.assertEqual(closed_mail.recipient_ids, self.portal_alfa.partner_id)
        self.assertIn("expired", closed_mail.body_html)

    def test_emails_pending_when_the_email_job_is_archived_go_with_the_expiry(self):
        """Emails the job had not sent yet when staff archived it are sent by
        the expiry's next run, reported to the scheduler as its progress."""
        job = self.env.ref("agora_orders.ir_cron_agora_send_state_mails")
        first, second = self._two_expired_orders_awaiting_their_emails()
        self.assertEqual((first | second).mapped("agora_state_mail_pending"), ["closed"] * 2)
        job.active = False
        # Nothing left to expire: the run only sends what the job left, one
        # batch at a time, and tells the scheduler what remains.
        with (
            freeze_time(NOW + timedelta(days=3, minutes=15)),
            self.mock_mail_gateway(),
            self._progress_reports() as reports,
        ):
            self.env["sale.order"]._cron_agora_expire_reservations(batch_size=1)
            self._flush_tracking()
            self.assertEqual(len(self._new_mails.filtered(lambda m: "Closed" in m.subject)), 1)
            self.env["sale.order"]._cron_agora_expire_reservations(batch_size=1)
            self._flush_tracking()
        closed = self._new_mails.filtered(lambda m: "Closed" in (m.subject or ""))
        self.assertEqual(sorted(closed.mapped("res_id")), sorted((first | second).ids))
        self.assertFalse((first | second).filtered("agora_state_mail_pending"))
        self.assertEqual(reports, [(1, 1), (1, 0)])

    def test_expiry_reports_its_progress_to_the_scheduler(self):
        """A batch reports what remains, so the scheduler runs the cron again
        at once; a batch in which nothing could be done reports nothing left,
        so the cron waits for its next run instead of retrying in a loop."""
        with freeze_time(NOW):
            self._reserved_order(lines=[(self.hammer, 1)])
            self._reserved_order(lines=[(self.hammer, 2)])
            self._reserved_order(lines=[(self.hammer, 3)])
        self._flush_tracking()
        SaleOrder = type(self.env["sale.order"])

        def held_up(orders, now):
            # What Odoo raises when another transaction holds a row it locks.
            raise LockError("Cannot grab a lock on records")

        with (
            freeze_time(NOW + timedelta(days=3)),
            self._progress_reports() as reports,
        ):
            self.env["sale.order"]._cron_agora_expire_reservations(batch_size=1)
            with (
                patch.object(SaleOrder, "_agora_expire_reservations", held_up),
                self.assertLogs("odoo.addons.agora_orders.models", "WARNING") as logs,
            ):
                self.env["sale.order"]._cron_agora_expire_reservations(batch_size=1)
            # Held up, not refused: it stays in the queue, nothing asked of staff.
            self.assertEqual([r.levelname for r in logs.records], ["WARNING"])
            refused = self.env["sale.order"].search([("agora_release_refusal", "!=", False)])
            self.assertFalse(refused)
            self.env["sale.order"]._cron_agora_expire_reservations(batch_size=2)
        self.assertEqual(reports, [(1, 2), (0, 0), (2, 0)])

    def test_a_refused_release_counts_as_progress(self):
        """A batch whose only order Odoo refused to release took it out of the
        queue: the scheduler is told so, and runs the cron again for the
        orders due after it."""
        with freeze_time(NOW):
            refused = self._reserved_order(lines=[(self.hammer, 1)])
            self._reserved_order(lines=[(self.hammer, 2)])
        self._flush_tracking()
        with (
            freeze_time(NOW + timedelta(days=3)),
            self._progress_reports() as reports,
            self._odoo_refusing_to_release(refused, "The invoice's period is locked."),
            self.assertLogs("odoo.addons.agora_orders.models", "ERROR"),
        ):
            self.env["sale.order"]._cron_agora_expire_reservations(batch_size=1)
        self.assertEqual(refused.agora_release_refusal, "The invoice's period is locked.")
        self.assertEqual(reports, [(1, 1)])

    def test_expiry_refused_by_odoo_is_logged_with_its_reason(self):
        """An order Odoo refuses to cancel stays reserved, and the server log
        says why; the others of the batch expire."""
        with freeze_time(NOW):
            first = self._reserved_order(lines=[(self.hammer, 2)])
            refused = self._reserved_order(lines=[(self.drill, 1)])
        self._flush_tracking()
        with (
            freeze_time(NOW + timedelta(days=3)),
            self._odoo_refusing_to_release(refused, PACKING),
            self.assertLogs("odoo.addons.agora_orders.models", "ERROR") as logs,
        ):
            done = self.env["sale.order"]._cron_agora_expire_reservations()
        self.assertEqual(done, first)
        self.assertEqual(len(logs.records), 1)
        record = logs.records[0]
        self.assertIn(f"Could not expire the reservation of order {refused.name}", record.message)
        self.assertIsInstance(record.exc_info[1], UserError)
        self.assertEqual(str(record.exc_info[1]), PACKING)
        self.assertEqual(refused.agora_state, "reserve")
        self.assertEqual(first.agora_close_reason, "expired")
        # Staff see why on the order, in its chatter and in an activity of its salesperson.
        self.assertEqual(refused.agora_release_refusal, PACKING)
        activity = self._release_refused_activity(refused)
        self.assertEqual(activity.user_id, self.salesman)
        self.assertIn(PACKING, str(activity.note))
        self.assertTrue(
            refused.message_ids.filtered(
                lambda m: f"could not be released: {PACKING}" in str(m.body)
            )
        )

    def test_refused_release_waits_for_staff_and_holds_up_no_one(self):
        """An order Odoo refuses to release is not tried again on every run
        (each batch with it would go one order at a time, and a batch full of
        them would hold up every order due after them): it waits for staff,
        who retry once they resolved the cause."""
        with freeze_time(NOW):
            refused = self._reserved_order(lines=[(self.drill, 1)])
        with freeze_time(NOW + timedelta(hours=1)):
            later = self._reserved_order(lines=[(self.hammer, 2)])
        self._flush_tracking()
        attempts = []
        with (
            freeze_time(NOW + timedelta(days=3)),
            self._odoo_refusing_to_release(refused, LOCKED, attempts),
        ):
            with self.assertLogs("odoo.addons.agora_orders.models", "ERROR"):
                self.env["sale.order"]._cron_agora_expire_reservations(batch_size=1)
            self.assertEqual(refused.agora_release_refusal, LOCKED)
            self.assertEqual(len(self._release_refused_activity(refused)), 1)
            attempts.clear()
            done = self.env["sale.order"]._cron_agora_expire_reservations(batch_size=1)
            self.assertEqual(done, later)
            self.assertEqual(attempts, [later], "the refused order is not tried again")
            self.assertFalse(self.env["sale.order"]._cron_agora_expire_reservations())
            # Staff retry while Odoo still refuses: they are told why, nothing changes.
            with self.assertRaises(UserError) as refusal:
                refused.with_user(self.salesman).action_agora_retry_release()
            self.assertEqual(str(refusal.exception), LOCKED)
        self.assertEqual(refused.agora_release_refusal, LOCKED)
        self.assertEqual(len(self._release_refused_activity(refused)), 1)
        # Resolved: the retry releases the stock, closes the order and tells the client.
        with freeze_time(NOW + timedelta(days=3)), self.mock_mail_gateway():
            refused.with_user(self.salesman).action_agora_retry_release()
            self._flush_tracking()
            self.assertEqual(
                self._new_mails.filtered(lambda m: "Closed" in (m.subject or "")).recipient_ids,
                self.portal_alfa.partner_id,
            )
        self.assertEqual(refused.agora_close_reason, "expired")
        self.assertFalse(refused.agora_release_refusal)
        self.assertFalse(self._release_refused_activity(refused))
        self.assertEqual(self._free(self.drill), 5.0)

    def test_extending_a_refused_release_gives_it_to_the_cron_again(self):
        order = self._expired_reservation_odoo_refused_to_release()
        self.assertTrue(order.agora_release_refusal)
        self.assertEqual(len(self._release_refused_activity(order)), 1)
        with freeze_time(NOW + timedelta(days=3)):
            # Later than the expired deadline, but past: it would only expire again.
            with self.assertRaises(ValidationError):
                order.with_user(self.salesman)._agora_extend_reservation(
                    NOW + timedelta(days=2, hours=23)
                )
            order.with_user(self.salesman)._agora_extend_reservation(NOW + timedelta(days=4))
        self.assertFalse(order.agora_release_refusal)
        self.assertFalse(self._release_refused_activity(order))
        with freeze_time(NOW + timedelta(days=5)):
            self.assertEqual(self.env["sale.order"]._cron_agora_expire_reservations(), order)
        self.assertEqual(order.agora_close_reason, "expired")

    def test_withdrawn_invoice_leaves_the_sequence_flags_as_odoo_does(self):
        """Cancelling an order withdraws its invoice as Odoo's own Cancel
        would: the sequence gap it leaves is flagged on the same invoices."""

        def three_invoices():
            orders = [self._reserved_order(lines=[(self.hammer, 1)]) for _i in range(3)]
            return [order.invoice_ids for order in orders], orders

        (odoo_first, odoo_middle, odoo_last), _orders = three_invoices()
        odoo_middle.sudo().button_cancel()
        self._flush_tracking()
        (first, middle, last), orders = three_invoices()
        orders[1].action_agora_cancel()
        self._flush_tracking()
        self.assertEqual(middle.state, "cancel")
        self.assertEqual(
            [invoice.made_sequence_gap for invoice in (first, middle, last)],
            [invoice.made_sequence_gap for invoice in (odoo_first, odoo_middle, odoo_last)],
        )
        # The cancelled invoice is the gap in the sequence; its neighbours are not.
        self.assertEqual(
            [invoice.made_sequence_gap for invoice in (first, middle, last)], [False, True, False]
        )

    def test_cancelling_a_refused_release_clears_it(self):
        """An order that leaves Reserve (staff cancel it) has no release left
        to retry: the refusal and its activity go."""
        order = self._expired_reservation_odoo_refused_to_release()
        self.assertEqual(len(self._release_refused_activity(order)), 1)
        order.with_user(self.salesman).action_agora_cancel()
        self._flush_tracking()
        self.assertEqual(order.agora_close_reason, "cancelled")
        self.assertFalse(order.agora_release_refusal)
        self.assertFalse(self._release_refused_activity(order))
        self.assertEqual(self._free(self.drill), 5.0)

    def test_broken_status_template_does_not_hold_up_expiry(self):
        """A status email Odoo cannot render (a template staff broke) neither
        keeps the stock reserved nor is retried forever: the orders expire,
        and staff find a note in each order's chatter."""
        self.env.ref(
            "agora_orders.mail_template_agora_state_closed"
        ).body_html = '<p>Hello <t t-out="object.agora_no_such_field"/></p>'
        with freeze_time(NOW):
            first = self._reserved_order(lines=[(self.drill, 2)])
            second = self._reserved_order(lines=[(self.drill, 3)])
        with freeze_time(NOW + timedelta(days=3)), self.mock_mail_gateway():
            self.env["sale.order"]._cron_agora_expire_reservations()
            self._flush_tracking()
            self.assertEqual((first | second).mapped("agora_close_reason"), ["expired"] * 2)
            self.assertEqual(self._free(self.drill), 5.0)
            with self.assertLogs("odoo.addons.agora_orders.models", "ERROR") as logs:
                self.env["sale.order"]._cron_agora_send_state_mails()
            self._flush_tracking()
            self.assertFalse(self._new_mails.exists())
        self.assertEqual(len(logs.records), 2)
        for order in first | second:
            self.assertIn(f"Could not email order {order.name} its status", logs.output.pop(0))
            self.assertFalse(order.agora_state_mail_pending, "not retried at every run")
            note = order.message_ids[0]
            self.assertEqual(note.message_type, "notification")
            self.assertIn("The client was not emailed the status Closed", note.body)

    def test_status_email_held_up_by_a_concurrent_update_is_sent_next_run(self):
        """An email a concurrent transaction held up waits for the next run;
        the others of the batch go."""
        self._check_status_email_held_up(
            psycopg2.errors.SerializationFailure(
                "could not serialize access due to concurrent update"
            )
        )

    def test_status_email_held_up_by_a_row_lock_is_sent_next_run(self):
        """Odoo's lock error is a UserError, but not a refusal: the email is
        tried again at the next run, and no note asks staff to write."""
        self._check_status_email_held_up(LockError("Cannot grab a lock on records"))
        self.assertFalse(
            self.env["mail.message"].search_count(
                [("model", "=", "sale.order"), ("body", "ilike", "was not emailed")]
            )
        )

    def _two_expired_orders_awaiting_their_emails(self):
        """Two orders reserved at NOW, expired three days later: their
        "Closed" emails left to the status email job."""
        with freeze_time(NOW):
            first = self._reserved_order(lines=[(self.hammer, 2)])
            second = self._reserved_order(lines=[(self.drill, 1)])
        with freeze_time(NOW + timedelta(days=3)):
            self.env["sale.order"]._cron_agora_expire_reservations()
        self._flush_tracking()
        return first, second

    def _check_status_email_held_up(self, error):
        first, held = self._two_expired_orders_awaiting_their_emails()
        SaleOrder = type(self.env["sale.order"])
        post = SaleOrder._agora_post_state_mails

        def post_with_conflict(orders):
            post(orders)
            if held in orders:
                raise error

        with (
            self.mock_mail_gateway(),
            patch.object(SaleOrder, "_agora_post_state_mails", post_with_conflict),
            self.assertLogs("odoo.addons.agora_orders.models", "WARNING") as logs,
        ):
            sent = self.env["sale.order"]._cron_agora_send_state_mails()
            self._flush_tracking()
        self.assertEqual(sent, first)
        self.assertIn(
            f"The status email of order {held.name} left for the next run", logs.output[0]
        )
        # The batch's emails were rolled back with it; first's was made again alone.
        self.assertEqual(self._new_mails.exists().res_id, first.id)
        self.assertFalse(first.agora_state_mail_pending)
        self.assertEqual(held.agora_state_mail_pending, "closed")
        with self.mock_mail_gateway():
            sent = self.env["sale.order"]._cron_agora_send_state_mails()
            self._flush_tracking()
        self.assertEqual(sent, held)
        self.assertEqual(self._new_mails.res_id, held.id)
        self.assertFalse(held.agora_state_mail_pending)

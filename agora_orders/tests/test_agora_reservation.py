from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo.tests import tagged

from .common import AgoraCommon

NOW = datetime(2026, 11, 2, 9, 0, 0)


@tagged("post_install", "-at_install")
class TestAgoraReservation(AgoraCommon):
    def _free(self, product):
        return product.with_context(warehouse_id=self.warehouse.id).free_qty

    def test_deadline_from_agreement_else_company(self):
        with freeze_time(NOW):
            alfa = self._reserved_order()
            self.assertEqual(alfa.agora_reserve_deadline, NOW + timedelta(hours=48))
            beta = self._create_order(
                partner=self.portal_beta.partner_id,
                lines=[(self.paint, 1)],
                user=self.salesman_other,
            )
            beta.action_agora_submit()
            beta.action_agora_reserve()
            self.assertEqual(beta.agora_reserve_deadline, NOW + timedelta(hours=72))

    def test_expiry_releases_stock_cancels_invoice_and_closes(self):
        with freeze_time(NOW):
            order = self._reserved_order(lines=[(self.drill, 5)])
        self.assertEqual(self._free(self.drill), 0.0)
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
            self.assertEqual(self._free(self.drill), 5.0)
            closed_mail = self._new_mails.filtered(lambda m: "Closed" in (m.subject or ""))
            self.assertEqual(len(closed_mail), 1)
            self.assertIn("expired", closed_mail.body_html)
            # Running it again changes nothing.
            self.env["sale.order"]._cron_agora_expire_reservations()
            self.assertEqual(order.agora_close_reason, "expired")

    def test_payment_holds_the_reservation(self):
        self.company.agora_hold_threshold = 50.0
        with freeze_time(NOW):
            small = self._reserved_order(lines=[(self.hammer, 10)])
            big = self._reserved_order(lines=[(self.hammer, 10)])
            self._pay(small.invoice_ids, amount=small.invoice_ids.amount_total * 0.2)
            self._pay(big.invoice_ids, amount=big.invoice_ids.amount_total * 0.5)
        self.assertFalse(small.agora_payment_hold)
        self.assertTrue(big.agora_payment_hold)
        with freeze_time(NOW + timedelta(days=5)):
            self.env["sale.order"]._cron_agora_expire_reservations()
        self.assertEqual(big.agora_state, "paid")
        self.assertEqual(big.agora_payment_status, "partial")
        # Paid below the threshold: the reservation is not held. It is "paid"
        # (partly) so the cron leaves it; only "reserve" orders expire.
        self.assertEqual(small.agora_state, "paid")

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
        self.assertEqual(event.description, "Payment on its way")
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

    def test_expiry_cron_costs_the_same_per_order(self):
        def make(count):
            with freeze_time(NOW):
                orders = self.env["sale.order"]
                for _i in range(count):
                    orders |= self._reserved_order(lines=[(self.hammer, 1)])
            return orders

        # Warm up caches and the first-call costs.
        make(1)
        with freeze_time(NOW + timedelta(days=3)):
            self.env["sale.order"]._cron_agora_expire_reservations()
        base, per_order = 10, 153
        make(2)
        self.env.invalidate_all()
        with freeze_time(NOW + timedelta(days=3)), self.assertQueryCount(base + 2 * per_order):
            self.env["sale.order"]._cron_agora_expire_reservations()
        orders = make(4)
        self.env.invalidate_all()
        # Twice the orders, twice the per-order queries: the cost per order is flat.
        with freeze_time(NOW + timedelta(days=3)), self.assertQueryCount(base + 4 * per_order):
            self.env["sale.order"]._cron_agora_expire_reservations()
        self.assertEqual(set(orders.mapped("agora_close_reason")), {"expired"})

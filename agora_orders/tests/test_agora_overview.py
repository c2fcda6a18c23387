from odoo.tests import tagged

from .common import AgoraCommon


@tagged("post_install", "-at_install")
class TestAgoraOverviewAndEmails(AgoraCommon):
    def test_an_email_for_every_status_the_order_goes_through(self):
        order = self._create_order(lines=[(self.hammer, 4)])
        with self.mock_mail_gateway():
            order.action_agora_submit()
            self._flush_tracking()
            order.action_agora_reserve()
            self._flush_tracking()
            self._pay(order.invoice_ids, amount=10.0)
            self._ship(order, {self.hammer: 2})
            self.env["agora.return.request"].sudo()._create_for_client(
                order, {order.order_line.id: 1}, "Dented"
            )
            self._flush_tracking()
            order.agora_return_request_ids._agora_reject("Dents are cosmetic")
            self._pay(order.invoice_ids)
            self._ship(order)
        subjects = [
            m.subject
            for m in self._new_mails.sorted("id")
            if self.portal_alfa.partner_id in m.recipient_ids
        ]
        statuses = [s.rsplit(" is now ", 1)[1] for s in subjects]
        self.assertEqual(
            statuses, ["Processing", "Reserve", "Paid", "Shipped", "Return", "Shipped", "Closed"]
        )
        self.assertEqual(order.agora_close_reason, "done")

    def test_client_overview_by_status(self):
        reserved = self._reserved_order(lines=[(self.hammer, 10)])
        self._reserved_order(lines=[(self.drill, 1)])
        self._create_order(lines=[(self.hammer, 1)])
        self._pay(reserved.invoice_ids, amount=100.0)
        self.env.flush_all()
        rows = self.env["agora.client.overview"].search([("partner_id", "=", self.client_alfa.id)])
        by_state = {r.agora_state: r for r in rows}
        self.assertEqual(set(by_state), {"new", "reserve", "paid"})
        self.assertEqual(by_state["reserve"].order_count, 1)
        self.assertAlmostEqual(by_state["reserve"].amount_unpaid, 1200.0)  # 1000 + 20 % VAT
        self.assertAlmostEqual(by_state["reserve"].reserved_value, 1200.0)
        self.assertAlmostEqual(by_state["paid"].amount_unpaid, 10 * 90 * 1.2 - 100.0)
        self.assertEqual(by_state["new"].reserved_value, 0.0)
        # Salespeople see the overview of their own clients only; managers see all.
        Overview = self.env["agora.client.overview"]
        domain = [("partner_id", "=", self.client_alfa.id)]
        self.assertFalse(Overview.with_user(self.salesman_other).search(domain))
        self.assertEqual(len(Overview.with_user(self.salesman).search(domain)), 3)
        self.assertEqual(len(Overview.with_user(self.manager).search(domain)), 3)

import io
from unittest.mock import patch

from openpyxl import load_workbook

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged

from .common import AgoraCommon


@tagged("post_install", "-at_install")
class TestAgoraAccess(AgoraCommon):
    def test_salespeople_see_their_own_clients_orders_managers_all(self):
        alfa = self._create_order()
        beta = self._create_order(
            partner=self.portal_beta.partner_id, lines=[(self.paint, 1)], user=self.salesman_other
        )
        SaleOrder = self.env["sale.order"]
        domain = [("id", "in", (alfa | beta).ids)]
        self.assertEqual(SaleOrder.with_user(self.salesman).search(domain), alfa)
        self.assertEqual(SaleOrder.with_user(self.salesman_other).search(domain), beta)
        self.assertEqual(SaleOrder.with_user(self.manager).search(domain), alfa | beta)
        with self.assertRaises(AccessError):
            beta.with_user(self.salesman).read(["name"])
        with self.assertRaises(AccessError):
            beta.with_user(self.salesman).action_agora_submit()
        alfa.action_agora_submit()
        self._flush_tracking()
        Event = self.env["agora.order.event"]
        self.assertTrue(Event.with_user(self.salesman).search([("order_id", "=", alfa.id)]))
        self.assertFalse(Event.with_user(self.salesman_other).search([("order_id", "=", alfa.id)]))

    def test_portal_clients_see_their_company_only(self):
        alfa = self._reserved_order()
        self._create_order(
            partner=self.portal_beta.partner_id, lines=[(self.paint, 1)], user=self.salesman_other
        )
        SaleOrder = self.env["sale.order"]
        self.assertEqual(SaleOrder.with_user(self.portal_alfa).search([]), alfa)
        self.assertEqual(
            SaleOrder.with_user(self.portal_alfa_colleague).search([]),
            alfa,
            "colleagues of one client company see each other's orders",
        )
        self.assertNotIn(alfa, SaleOrder.with_user(self.portal_beta).search([]))
        Notification = self.env["agora.notification"]
        self.assertTrue(Notification.with_user(self.portal_alfa).search([]))
        self.assertFalse(Notification.with_user(self.portal_beta).search([]))
        self.assertFalse(
            self.env["agora.order.event"]
            .with_user(self.portal_beta)
            .search([("order_id", "=", alfa.id)])
        )
        with self.assertRaises(AccessError):
            self.agreement_alfa.with_user(self.portal_alfa).read(["name"])

    def test_accountant_works_from_invoices(self):
        order = self._reserved_order()
        invoice = order.invoice_ids.with_user(self.accountant)
        self.assertEqual(invoice.partner_id, self.portal_alfa.partner_id)
        self._pay(invoice)
        self.assertEqual(order.agora_state, "paid")

    def test_state_recomputation_costs_the_same_for_more_orders(self):
        """Deriving the statuses of 8 orders costs the same queries as of 2: the
        derivation reads what it needs for the whole batch at once."""
        fnames = [
            "agora_payment_status",
            "agora_delivery_status",
            "agora_close_reason",
            "agora_state",
        ]
        orders = self.env["sale.order"]
        for _i in range(8):
            orders |= self._reserved_order(lines=[(self.hammer, 1)])

        def recompute(orders):
            self.env.flush_all()
            self.env.cr.execute(
                "UPDATE sale_order SET agora_state = NULL, agora_payment_status = NULL "
                "WHERE id IN %s",
                [tuple(orders.ids)],
            )
            self.env.invalidate_all()
            # The derivation alone: each status that really changes also costs
            # its history event, notification and email, one per order by nature.
            orders = orders.with_context(tracking_disable=True)
            with patch("random.random", lambda: 1):
                before = self.cr.sql_log_count
                for fname in fnames:
                    self.env.add_to_compute(orders._fields[fname], orders)
                orders._recompute_recordset(fnames)
                self.env.flush_all()
                count = self.cr.sql_log_count - before
            self.assertEqual(set(orders.mapped("agora_state")), {"reserve"}, len(orders))
            self.assertEqual(set(orders.mapped("agora_payment_status")), {"not_paid"}, len(orders))
            return count

        recompute(orders[:2])  # warm-up
        counts = {len(batch): recompute(batch) for batch in (orders[:2], orders)}
        self.assertEqual(counts[2], counts[8], counts)
        # Only a gross regression of the fixed cost (13 queries today): not a contract.
        self.assertLessEqual(counts[2], 30, counts)


@tagged("post_install", "-at_install")
class TestAgoraExport(AgoraCommon, HttpCase):
    def test_xlsx_of_orders_with_lines(self):
        orders = self._reserved_order(lines=[(self.hammer, 2), (self.drill, 1)])
        orders |= self._create_order(lines=[(self.hammer, 5)])
        content = self.env["agora.order.xlsx"].with_user(self.salesman)._render(orders)
        book = load_workbook(io.BytesIO(content))
        rows = list(book.worksheets[0].iter_rows(values_only=True))
        self.assertEqual(rows[0][:2], ("Order", "Date"))
        self.assertEqual({r[0] for r in rows[1:]}, set(orders.mapped("name")))
        self.assertIn("Reserve", [r[4] for r in rows[1:]])
        lines = list(book.worksheets[1].iter_rows(values_only=True))
        self.assertEqual(len(lines), 1 + 3)
        self.assertIn(("HAM-001", 2.0), [(r[1], r[3]) for r in lines[1:]])

    def test_xlsx_download_respects_access(self):
        alfa = self._create_order()
        beta = self._create_order(
            partner=self.portal_beta.partner_id, lines=[(self.paint, 1)], user=self.salesman_other
        )
        self.authenticate("agora_salesman", "agora_salesman")
        response = self.url_open(f"/agora_orders/export/xlsx?ids={alfa.id}")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            response.headers["Content-Type"],
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        self.assertIn(
            alfa.name, str(load_workbook(io.BytesIO(response.content)).active["A2"].value)
        )
        response = self.url_open(f"/agora_orders/export/xlsx?ids={beta.id}")
        self.assertEqual(response.status_code, 404, "another salesperson's order")
        response = self.url_open("/agora_orders/export/xlsx?ids=abc")
        self.assertEqual(response.status_code, 404)

from odoo.exceptions import AccessError, UserError
from odoo.tests import TransactionCase, tagged

from .common import AgoraCompanyDataMixin


@tagged("post_install", "-at_install")
class TestCompanyApproval(AgoraCompanyDataMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_agora_company_data()

    def _submit(self, user, lines):
        cart = self._cart(user, lines)
        self._flush_tracking()
        cart.with_user(user).sudo()._agora_cart_submit()
        self._flush_tracking()
        return cart

    def test_order_above_buyer_limit_awaits_approval(self):
        # 10 hammers: 10 * 90 * 1.2 = 1,080 > Bogdan's 1,000.
        order = self._submit(self.limited_buyer_alfa, [(self.hammer, 10)])
        self.assertEqual(order.amount_total, 1080.0)
        self.assertEqual(order.agora_state, "approval")
        self.assertFalse(order.agora_submitted_date)
        self.assertEqual(order.agora_submitted_by_id, self.limited_buyer_alfa.partner_id)
        approvers = (
            self.env["agora.notification"]
            .search([("order_id", "=", order.id), ("approval_notice", "=", "requested")])
            .partner_id
        )
        self.assertEqual(approvers, self.admin_alfa.partner_id | self.approver_alfa.partner_id)

    def test_order_within_limit_goes_to_supplier(self):
        order = self._submit(self.limited_buyer_alfa, [(self.hammer, 5)])
        self.assertEqual(order.agora_state, "processing")

    def test_approve_and_reject(self):
        order = self._submit(self.limited_buyer_alfa, [(self.hammer, 10)])
        approver = self.approver_alfa.partner_id
        order_as_approver = order.with_user(self.approver_alfa).sudo()
        order_as_approver._agora_reject(approver, "Too many hammers")
        self._flush_tracking()
        self.assertEqual(order.agora_state, "new")
        self.assertEqual(order.agora_rejection_comment, "Too many hammers")
        cart = self.env["sale.order"].sudo()._agora_get_cart(self.limited_buyer_alfa.partner_id)
        self.assertEqual(cart, order)
        order.with_user(self.limited_buyer_alfa).sudo()._agora_cart_submit()
        self._flush_tracking()
        self.assertEqual(order.agora_state, "approval")
        order_as_approver._agora_approve(approver, "OK", {order.order_line.id: "9"})
        self._flush_tracking()
        self.assertEqual(order.agora_state, "processing")
        self.assertEqual(order.agora_approved_by_id, approver)
        self.assertEqual(order.order_line.product_uom_qty, 9)

    def test_buyer_and_viewer_cannot_approve(self):
        order = self._submit(self.limited_buyer_alfa, [(self.hammer, 10)])
        with self.assertRaises(AccessError):
            order.with_user(self.buyer_alfa).sudo()._agora_approve(self.buyer_alfa.partner_id)
        with self.assertRaises(UserError):
            self.env["sale.order"].with_user(self.viewer_alfa).sudo()._agora_get_cart(
                self.viewer_alfa.partner_id, create=True
            )
        self.assertEqual(order.agora_state, "approval")

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.fields import Command
from odoo.tests import tagged

from .common import AgoraCommon


@tagged("post_install", "-at_install")
class TestAgoraRefusals(AgoraCommon):
    def test_submit_refuses_an_order_without_lines(self):
        order = (
            self.env["sale.order"]
            .with_user(self.salesman)
            .create({"partner_id": self.portal_alfa.partner_id.id})
        )
        with self.assertRaisesRegex(UserError, "has no lines"):
            order.action_agora_submit()
        self.assertEqual(order.agora_state, "new")

    def test_submit_refuses_zero_or_negative_quantities(self):
        for qty in (0, -1):
            order = self._create_order(lines=[(self.hammer, qty)])
            with self.assertRaisesRegex(UserError, "must be positive"):
                order.action_agora_submit()
            self.assertEqual(order.agora_state, "new")

    def test_products_outside_the_assortment_are_refused(self):
        with self.assertRaisesRegex(ValidationError, "outside the agreement"):
            self._create_order(lines=[(self.paint, 1)])
        # A product leaving the agreement after it was put in the cart.
        order = self._create_order(lines=[(self.hammer, 1)])
        self.agreement_alfa.category_ids = [Command.set(self.categ_paint.ids)]
        with self.assertRaisesRegex(UserError, "outside the agreement"):
            order.action_agora_submit()
        self.assertEqual(order.agora_state, "new")

    def test_moves_that_make_no_sense(self):
        order = self._create_order()
        with self.assertRaisesRegex(UserError, "cannot reserve"):
            order.action_agora_reserve()  # not submitted yet
        order.action_agora_submit()
        with self.assertRaisesRegex(UserError, "cannot submit"):
            order.action_agora_submit()
        order.action_agora_cancel()
        self.assertRecordValues(
            order, [{"agora_state": "closed", "agora_close_reason": "cancelled"}]
        )
        with self.assertRaisesRegex(UserError, "cannot reserve"):
            order.action_agora_reserve()
        with self.assertRaisesRegex(UserError, "cannot submit"):
            order.action_agora_submit()
        with self.assertRaisesRegex(UserError, "Only an expired order can be reopened"):
            order.action_agora_reopen()

    def test_client_cancels_before_reserve_only(self):
        order = self._create_order()
        order.action_agora_submit()
        self.assertTrue(order.activity_ids)
        order.sudo()._agora_client_cancel()
        self.assertRecordValues(
            order, [{"agora_state": "closed", "agora_close_reason": "cancelled"}]
        )
        self.assertFalse(order.activity_ids, "nothing left to review")
        reserved = self._reserved_order()
        with self.assertRaisesRegex(UserError, "cannot cancel"):
            reserved.sudo()._agora_client_cancel()
        self.assertEqual(reserved.agora_state, "reserve")

    def test_staff_cancel_until_shipping_releases_stock_and_invoice(self):
        order = self._reserved_order(lines=[(self.drill, 2)])
        self.assertEqual(self.drill.with_context(warehouse_id=self.warehouse.id).free_qty, 3.0)
        order.action_agora_cancel()
        self._flush_tracking()
        self.assertRecordValues(
            order, [{"agora_state": "closed", "agora_close_reason": "cancelled"}]
        )
        self.assertEqual(order.invoice_ids.state, "cancel")
        self.assertEqual(self.drill.with_context(warehouse_id=self.warehouse.id).free_qty, 5.0)

        shipped = self._reserved_order(lines=[(self.hammer, 1)])
        self._ship(shipped)
        with self.assertRaisesRegex(UserError, "cannot cancel"):
            shipped.action_agora_cancel()

    def test_cancel_of_a_paid_order_issues_a_credit_note(self):
        order = self._reserved_order(lines=[(self.hammer, 1)])
        self._pay(order.invoice_ids)
        self.assertEqual(order.agora_state, "paid")
        order.action_agora_cancel()
        self.assertEqual(order.agora_close_reason, "cancelled")
        refund = order.invoice_ids.filtered(lambda m: m.move_type == "out_refund")
        self.assertEqual(refund.state, "posted")
        self.assertEqual(
            refund.amount_total,
            order.invoice_ids.filtered(lambda m: m.move_type == "out_invoice").amount_total,
        )

    def test_portal_user_cannot_call_staff_actions(self):
        order = self._create_order()
        with self.assertRaises(AccessError):
            order.with_user(self.portal_alfa).action_agora_submit()
        order.action_agora_submit()
        with self.assertRaises(AccessError):
            order.with_user(self.portal_alfa).action_agora_reserve()
        self.assertEqual(order.agora_state, "processing")

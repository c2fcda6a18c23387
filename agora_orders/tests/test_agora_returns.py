from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common import AgoraCommon


@tagged("post_install", "-at_install")
class TestAgoraReturns(AgoraCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.stock = cls.env["stock.quant"]

    def _shipped_paid_order(self):
        order = self._reserved_order(lines=[(self.hammer, 10), (self.drill, 2)])
        self._pay(order.invoice_ids)
        self._ship(order)
        self.assertEqual(order.agora_close_reason, "done")
        return order

    def _line(self, order, product):
        return order.order_line.filtered(lambda l: l.product_id == product)

    def test_return_approved_creates_transfer_then_credit_note(self):
        order = self._shipped_paid_order()
        hammer_line = self._line(order, self.hammer)
        request = (
            self.env["agora.return.request"]
            .sudo()
            ._create_for_client(order, {hammer_line.id: 3}, "Three arrived broken")
        )
        self._flush_tracking()
        self.assertRecordValues(order, [{"agora_state": "return", "agora_close_reason": False}])
        self.assertEqual(request.state, "requested")

        request.with_user(self.salesman).action_approve()
        self.assertEqual(request.state, "approved")
        self.assertEqual(order.agora_state, "return", "still open until the goods are back")
        picking = request.picking_ids
        self.assertEqual(picking.picking_type_code, "incoming")
        self.assertEqual(picking.move_ids.product_uom_qty, 3.0)
        on_hand = self.hammer.with_context(warehouse_id=self.warehouse.id).qty_available

        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
            move.picked = True
        picking.button_validate()
        self._flush_tracking()
        self.assertEqual(request.state, "done")
        self.assertEqual(
            self.hammer.with_context(warehouse_id=self.warehouse.id).qty_available, on_hand + 3
        )
        self.assertEqual(hammer_line.agora_qty_returned, 3.0)
        credit = request.credit_note_id
        self.assertRecordValues(
            credit, [{"move_type": "out_refund", "state": "posted", "amount_untaxed": 3 * 90.0}]
        )
        self.assertRecordValues(order, [{"agora_state": "closed", "agora_close_reason": "done"}])
        history = order.agora_event_ids.filtered(lambda e: e.event_type == "return").sorted("id")
        self.assertEqual(history.mapped("new_value_display"), ["Requested", "Approved", "Done"])

    def test_return_rejected_with_reason(self):
        order = self._shipped_paid_order()
        request = (
            self.env["agora.return.request"]
            .sudo()
            ._create_for_client(order, {self._line(order, self.drill).id: 1}, "Changed our mind")
        )
        self._flush_tracking()
        wizard = (
            self.env["agora.return.reject.wizard"]
            .with_user(self.salesman)
            .create({"request_id": request.id, "reason": "Opened packaging cannot be returned"})
        )
        wizard.action_reject()
        self._flush_tracking()
        self.assertRecordValues(
            request,
            [{"state": "rejected", "reject_reason": "Opened packaging cannot be returned"}],
        )
        self.assertRecordValues(order, [{"agora_state": "closed", "agora_close_reason": "done"}])
        self.assertFalse(request.picking_ids)
        with self.assertRaisesRegex(UserError, "Only a requested return"):
            request.action_approve()

    def test_quantity_up_to_the_quantity_shipped(self):
        order = self._reserved_order(lines=[(self.hammer, 10)])
        self._pay(order.invoice_ids)
        self._ship(order, {self.hammer: 4})
        line = order.order_line
        Request = self.env["agora.return.request"].sudo()
        with self.assertRaisesRegex(ValidationError, "at most 4"):
            Request._create_for_client(order, {line.id: 5}, "Too many")
        first = Request._create_for_client(order, {line.id: 3}, "Damaged")
        with self.assertRaisesRegex(ValidationError, "at most 1"):
            Request._create_for_client(order, {line.id: 2}, "More damaged")
        first._agora_reject("No")
        # A rejected request no longer claims its quantity.
        Request._create_for_client(order, {line.id: 4}, "All four")
        with self.assertRaisesRegex(ValidationError, "say why"):
            Request._create_for_client(order, {line.id: 1}, "  ")
        with self.assertRaisesRegex(ValidationError, "at least one product"):
            Request._create_for_client(order, {line.id: 0}, "Nothing")

    def test_no_return_before_shipping(self):
        order = self._reserved_order()
        with self.assertRaisesRegex(UserError, "Only goods already shipped"):
            self.env["agora.return.request"].sudo()._create_for_client(
                order, {order.order_line.id: 1}, "Not received yet"
            )

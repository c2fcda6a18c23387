from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged

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

    def _approved_request(self, order, quantities):
        """The client asks to return {product: qty}; a salesperson approves."""
        request = (
            self.env["agora.return.request"]
            .sudo()
            ._create_for_client(
                order,
                {self._line(order, product).id: qty for product, qty in quantities.items()},
                "Damaged in transit",
            )
        )
        self._flush_tracking()
        request.with_user(self.salesman).action_approve()
        self._flush_tracking()
        return request.with_user(self.salesman)

    def _receive(self, picking, quantities, backorder=True):
        """The warehouse (a stock user without accounting rights) receives
        {product: qty} of a return transfer, with or without a backorder."""
        return self._validate_picking(picking, quantities, backorder, user=self.manager)

    def _on_hand(self, product):
        return product.with_context(warehouse_id=self.warehouse.id).qty_available

    def _credited(self, credit_note):
        """{product: quantity} of a credit note's lines."""
        return {
            line.product_id: line.quantity
            for line in credit_note.invoice_line_ids.filtered(
                lambda l: l.display_type == "product"
            )
        }

    def _return_events(self, order):
        return order.agora_event_ids.filtered(lambda e: e.event_type == "return").sorted("id")

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

        self._validate_picking(picking)
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

    def test_partial_reception_waits_for_the_backorder_then_credits_all(self):
        order = self._shipped_paid_order()
        request = self._approved_request(order, {self.hammer: 3, self.drill: 1})
        first = request.picking_ids
        hammer_stock, drill_stock = self._on_hand(self.hammer), self._on_hand(self.drill)

        # Two hammers and the drill arrive; the third hammer is still on its way.
        self._receive(first, {self.hammer: 2, self.drill: 1})
        backorder = first.backorder_ids
        self.assertEqual(backorder.move_ids.product_uom_qty, 1.0)
        self.assertRecordValues(request, [{"state": "approved", "credit_note_id": False}])
        self.assertEqual(request.picking_ids, first | backorder, "the backorder is followed")
        self.assertEqual(order.agora_state, "return", "still waiting for the third hammer")
        self.assertEqual(self._on_hand(self.hammer), hammer_stock + 2)
        self.assertEqual(self._on_hand(self.drill), drill_stock + 1)
        progress = self._return_events(order)[2:]
        self.assertEqual(progress.product_id, self.hammer | self.drill)
        self.assertTrue(all(request.name in e.description for e in progress))
        received = {e.product_id: e.new_value_display for e in progress}
        self.assertRegex(received[self.hammer], r"^2\b.* Units$")
        self.assertRegex(received[self.drill], r"^1\b.* Units$")

        self._receive(backorder, {self.hammer: 1})
        self.assertEqual(request.state, "done")
        self.assertEqual(self._on_hand(self.hammer), hammer_stock + 3)
        credit = request.credit_note_id
        self.assertRecordValues(
            credit,
            [{"move_type": "out_refund", "state": "posted", "amount_untaxed": 3 * 90.0 + 1000.0}],
        )
        self.assertEqual(self._credited(credit), {self.hammer: 3.0, self.drill: 1.0})
        self.assertRecordValues(order, [{"agora_state": "closed", "agora_close_reason": "done"}])
        self.assertEqual(self._return_events(order)[-1].new_value, "done")
        self.assertIn(credit.name, self._return_events(order)[-1].description)

    def test_backorder_cancelled_credits_only_what_came_back(self):
        order = self._shipped_paid_order()
        hammer_line = self._line(order, self.hammer)
        request = self._approved_request(order, {self.hammer: 3})
        hammer_stock = self._on_hand(self.hammer)
        self._receive(request.picking_ids, {self.hammer: 2})
        self.assertEqual(request.state, "approved")

        # The third hammer will never come: the warehouse cancels the backorder.
        request.picking_ids.backorder_ids.with_user(self.manager).action_cancel()
        self._flush_tracking()
        self.assertEqual(request.state, "done")
        self.assertEqual(self._on_hand(self.hammer), hammer_stock + 2)
        self.assertEqual(hammer_line.agora_qty_returned, 2.0)
        self.assertRecordValues(request.credit_note_id, [{"amount_untaxed": 2 * 90.0}])
        self.assertEqual(self._credited(request.credit_note_id), {self.hammer: 2.0})
        self.assertRecordValues(order, [{"agora_state": "closed", "agora_close_reason": "done"}])
        # The hammer that never came back may be asked for again.
        self.assertEqual(hammer_line._agora_returnable_qty(), 8.0)

    def test_partial_reception_without_backorder_credits_only_what_came_back(self):
        order = self._shipped_paid_order()
        request = self._approved_request(order, {self.hammer: 3})
        self._receive(request.picking_ids, {self.hammer: 1}, backorder=False)
        self.assertEqual(request.state, "done")
        self.assertRecordValues(request.credit_note_id, [{"amount_untaxed": 90.0}])
        self.assertEqual(self._credited(request.credit_note_id), {self.hammer: 1.0})
        self.assertEqual(order.agora_state, "closed")

    def test_only_return_transfer_cancelled_closes_without_credit_note(self):
        order = self._shipped_paid_order()
        hammer_line = self._line(order, self.hammer)
        request = self._approved_request(order, {self.hammer: 3})
        hammer_stock = self._on_hand(self.hammer)
        refunds_before = order.invoice_ids.filtered(lambda m: m.move_type == "out_refund")

        request.picking_ids.with_user(self.manager).action_cancel()
        self._flush_tracking()
        self.assertRecordValues(request, [{"state": "done", "credit_note_id": False}])
        self.assertEqual(
            order.invoice_ids.filtered(lambda m: m.move_type == "out_refund"), refunds_before
        )
        self.assertEqual(self._on_hand(self.hammer), hammer_stock)
        self.assertRecordValues(order, [{"agora_state": "closed", "agora_close_reason": "done"}])
        self.assertEqual(hammer_line._agora_returnable_qty(), 10.0)
        self.assertEqual(
            self._return_events(order).mapped("new_value"), ["requested", "approved", "done"]
        )
        self.assertTrue(
            request.message_ids.filtered(lambda m: "nothing" in (m.body or "").lower()),
            "the chatter says why the request closed without a credit note",
        )

    def test_staff_close_credits_what_was_received(self):
        order = self._shipped_paid_order()
        request = self._approved_request(order, {self.hammer: 3, self.drill: 1})
        first = request.picking_ids
        hammer_stock = self._on_hand(self.hammer)
        self._receive(first, {self.hammer: 2, self.drill: 1})
        backorder = first.backorder_ids
        self.assertEqual(request.state, "approved")

        # The client says the last hammer is lost: the salesperson closes the request.
        request.action_close()
        self._flush_tracking()
        self.assertEqual(request.state, "done")
        self.assertEqual(backorder.state, "cancel", "nothing more is expected")
        self.assertEqual(self._on_hand(self.hammer), hammer_stock + 2)
        self.assertRecordValues(request.credit_note_id, [{"amount_untaxed": 2 * 90.0 + 1000.0}])
        self.assertEqual(
            self._credited(request.credit_note_id), {self.hammer: 2.0, self.drill: 1.0}
        )
        self.assertRecordValues(order, [{"agora_state": "closed", "agora_close_reason": "done"}])
        last = self._return_events(order)[-1]
        self.assertRecordValues(last, [{"old_value": "approved", "new_value": "done"}])
        self.assertIn(request.credit_note_id.name, last.description)
        with self.assertRaisesRegex(UserError, "Only an approved return"):
            request.action_close()

    def test_staff_close_with_nothing_received(self):
        order = self._shipped_paid_order()
        request = self._approved_request(order, {self.hammer: 3})
        picking = request.picking_ids
        with self.assertRaises(AccessError):
            request.with_user(self.portal_alfa).action_close()
        request.action_close()
        self._flush_tracking()
        self.assertRecordValues(request, [{"state": "done", "credit_note_id": False}])
        self.assertEqual(picking.state, "cancel")
        self.assertEqual(order.agora_state, "closed")

    def test_close_only_an_approved_request(self):
        order = self._shipped_paid_order()
        request = (
            self.env["agora.return.request"]
            .sudo()
            ._create_for_client(order, {self._line(order, self.hammer).id: 1}, "Broken")
        )
        with self.assertRaisesRegex(UserError, "Only an approved return"):
            request.with_user(self.salesman).action_close()

    def test_warehouse_without_sales_rights_receives_the_return(self):
        order = self._shipped_paid_order()
        request = self._approved_request(order, {self.hammer: 3})
        storekeeper = new_test_user(
            self.env, login="agora_storekeeper", groups="stock.group_stock_user"
        )
        for qty in (2, 1):
            picking = request.picking_ids.filtered(lambda p: p.state == "assigned")
            picking = picking.with_user(storekeeper)
            picking.move_ids.write({"quantity": qty, "picked": True})
            result = picking.button_validate()
            if isinstance(result, dict):
                Wizard = self.env["stock.backorder.confirmation"].with_user(storekeeper)
                Wizard.with_context(**result["context"]).create({}).process()
            self._flush_tracking()
        self.assertEqual(request.state, "done")
        self.assertRecordValues(request.credit_note_id, [{"amount_untaxed": 3 * 90.0}])

    def test_deleted_backorder_closes_the_request(self):
        order = self._shipped_paid_order()
        request = self._approved_request(order, {self.hammer: 3})
        self._receive(request.picking_ids, {self.hammer: 1})
        request.picking_ids.backorder_ids.with_user(self.manager).unlink()
        self._flush_tracking()
        self.assertEqual(request.state, "done")
        self.assertEqual(self._credited(request.credit_note_id), {self.hammer: 1.0})
        self.assertEqual(order.agora_state, "closed")

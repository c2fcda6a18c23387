from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import AgoraCommon


@tagged("post_install", "-at_install")
class TestAgoraInvoicing(AgoraCommon):
    """The invoice issued at reservation is the order's whole invoice, whatever
    the products' invoicing policy: Odoo's "Create Invoice" finds nothing left,
    and never a refund to issue."""

    def _line(self, order, product):
        return order.order_line.filtered(lambda l: l.product_id == product)

    def test_delivery_policy_line_shipped_in_part_leaves_nothing_to_invoice(self):
        saw = self.delivery_policy_product
        order = self._reserved_order(lines=[(saw, 4), (self.hammer, 2)])
        invoice = order._agora_invoices()
        self.assertEqual(
            invoice.invoice_line_ids.filtered(lambda l: l.product_id == saw).quantity,
            4.0,
            "billed on the ordered quantity at reservation",
        )
        self._ship(order, {saw: 1.0, self.hammer: 2.0})
        self.assertEqual(self._line(order, saw).qty_delivered, 1.0)
        self.assertEqual(order.order_line.mapped("qty_to_invoice"), [0.0, 0.0])
        self.assertNotEqual(order.invoice_status, "to invoice")
        with self.assertRaises(UserError):
            order._create_invoices(final=True)
        self.assertFalse(
            order.invoice_ids.filtered(lambda m: m.move_type == "out_refund"),
            "no refund of the goods still to ship",
        )
        self.assertEqual(order._agora_invoices(), invoice)

    def test_a_credited_return_leaves_nothing_to_invoice_either(self):
        order = self._reserved_order(lines=[(self.hammer, 5)])
        self._pay(order.invoice_ids)
        self._ship(order)
        line = self._line(order, self.hammer)
        request = (
            self.env["agora.return.request"]
            .sudo()
            ._create_for_client(order, {line.id: 2}, "Two handles cracked")
        )
        request.with_user(self.salesman).action_approve()
        picking = request.picking_ids
        self._validate_picking(picking)
        self.assertEqual(line.agora_qty_returned, 2.0)
        self.assertEqual(line.qty_invoiced, 3.0, "5 invoiced, 2 credited")
        self.assertEqual(line.qty_to_invoice, 0.0, "the returned goods are not billed again")
        with self.assertRaises(UserError):
            order._create_invoices(final=True)

from odoo import api, fields, models
from odoo.exceptions import ValidationError


class AgoraReturnRequestLine(models.Model):
    _name = "agora.return.request.line"
    _description = "Return Request Line"

    request_id = fields.Many2one(
        "agora.return.request", required=True, ondelete="cascade", index=True
    )
    sale_line_id = fields.Many2one(
        "sale.order.line", string="Order Line", required=True, index=True
    )
    product_id = fields.Many2one(related="sale_line_id.product_id", store=True)
    product_uom_id = fields.Many2one(related="sale_line_id.product_uom_id")
    quantity = fields.Float(required=True, digits="Product Unit")
    quantity_received = fields.Float(
        string="Received",
        compute="_compute_quantity_received",
        digits="Product Unit",
        help="Quantity the warehouse received back for this line, at most the quantity "
        "requested; a done request credits this quantity.",
    )

    @api.depends(
        "quantity",
        "request_id.picking_ids.backorder_ids",
        "request_id.picking_ids.move_ids.state",
        "request_id.picking_ids.move_ids.quantity",
    )
    def _compute_quantity_received(self):
        for request, lines in self.grouped("request_id").items():
            # sudo: only quantities are read; clients and sales staff may not
            # read stock moves.
            remaining = dict(request.sudo()._agora_received_quantities()) if request else {}
            for line in lines:
                sale_line = line.sale_line_id.sudo()
                qty = min(remaining.get(sale_line, 0.0), line.quantity)
                line.quantity_received = qty
                if sale_line in remaining:
                    remaining[sale_line] -= qty

    @api.constrains("quantity", "sale_line_id")
    def _check_quantity(self):
        for line in self:
            if line.sale_line_id.order_id != line.request_id.order_id:
                raise ValidationError(self.env._("A returned line must belong to the order."))
            if line.quantity <= 0:
                raise ValidationError(self.env._("A returned quantity must be positive."))
            line.sale_line_id._agora_check_return_qty(
                line.quantity, exclude_request=line.request_id
            )

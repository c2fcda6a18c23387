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

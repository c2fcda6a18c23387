from odoo import fields, models

from .agora_cart_import import ADJUST_STATUS, LINE_STATUSES, OK_STATUSES


class AgoraCartImportLine(models.TransientModel):
    """One row of an uploaded file and its fate.

    The texts of the file (``code``, ``qty_text``) are kept as they were, to be
    shown back escaped; the product's code and name are copied so that the
    preview is shown without reading products with the client's rights.
    """

    _name = "agora.cart.import.line"
    _description = "Cart Upload Row"
    _order = "import_id, row, id"

    import_id = fields.Many2one("agora.cart.import", required=True, ondelete="cascade", index=True)
    row = fields.Integer(required=True)
    code = fields.Char(string="Code in the File")
    qty_text = fields.Char(string="Quantity in the File")
    product_id = fields.Many2one("product.product", ondelete="cascade")
    product_code = fields.Char(string="SKU")
    product_name = fields.Char()
    uom_name = fields.Char(string="Unit")
    quantity = fields.Float(
        digits="Product Unit",
        help="What the row adds to the cart: the file's quantity, or the quantity rounded "
        "up to the product's order rule, proposed to the client.",
    )
    status = fields.Selection(LINE_STATUSES, required=True)
    message = fields.Char()

    def _agora_is_ok(self):
        self.ensure_one()
        return self.status in OK_STATUSES

    def _agora_to_confirm(self):
        """Whether the row's quantity was rounded up to its order rule, and
        waits for the client to confirm or drop it."""
        self.ensure_one()
        return self.status == ADJUST_STATUS

from odoo import fields, models


class AgoraRequisitionListLine(models.Model):
    """One product of a requisition list and its quantity, in the product's unit."""

    _name = "agora.requisition.list.line"
    _description = "Requisition List Line"
    _order = "list_id, sequence, id"

    list_id = fields.Many2one(
        "agora.requisition.list", required=True, ondelete="cascade", index=True
    )
    sequence = fields.Integer(default=10)
    # Archived products stay on the list, shown as no longer sold.
    product_id = fields.Many2one(
        "product.product", required=True, ondelete="cascade", context={"active_test": False}
    )
    quantity = fields.Float(required=True, digits="Product Unit", default=1.0)

    _one_line_per_product = models.UniqueIndex(
        "(list_id, product_id)", "A product is listed once; its quantity says how many."
    )
    _quantity_positive = models.Constraint(
        "CHECK (quantity > 0)", "A listed quantity must be greater than zero."
    )

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .agora_agreement_quantity_rule import QuantityRule


class ProductTemplate(models.Model):
    _inherit = "product.template"

    # Indexed: every client's assortment, catalog page and category count
    # selects products by category (``categ_id IN`` the agreement's
    # subcategories). Without it a category page reads the whole product table.
    categ_id = fields.Many2one(index=True)
    # Odoo 19's packagings are units of measure (``uom_ids``, "Packagings"):
    # the order pack is one of them, so that the box a client orders is the box
    # the warehouse and the sales order already know.
    agora_order_pack_id = fields.Many2one(
        "uom.uom",
        string="Order Pack",
        domain="[('id', 'in', uom_ids)]",
        help="Clients order whole packs of this packaging (one of the product's "
        "Packagings): the quantity must be a multiple of it. Empty: any number of units. "
        "A client's agreement may set another.",
    )
    agora_order_min_qty = fields.Float(
        string="Minimum Order Quantity",
        digits="Product Unit",
        help="The least a client may order at once, in the product's unit. 0: no minimum. "
        "A client's agreement may set another.",
    )

    _agora_order_min_qty_not_negative = models.Constraint(
        "CHECK (agora_order_min_qty >= 0)", "A minimum order quantity cannot be negative."
    )

    @api.constrains("agora_order_pack_id", "uom_ids")
    def _check_agora_order_pack(self):
        for template in self:
            pack = template.agora_order_pack_id
            if pack and pack not in template.uom_ids:
                raise ValidationError(
                    self.env._(
                        "The order pack of %(product)s must be one of its packagings, "
                        "not %(pack)s.",
                        product=template.display_name,
                        pack=pack.name,
                    )
                )

    @api.model
    def _agora_make_quantity_rule(self, uom, pack, min_qty):
        """The ``QuantityRule`` of a product sold in ``uom`` by ``pack`` (a
        packaging, or nothing) with ``min_qty``; None when any quantity goes."""
        multiple = pack._compute_quantity(1.0, uom, round=False) if pack and uom else 0.0
        if not multiple and not min_qty:
            return None
        return QuantityRule(
            # Not rounded: 3 packs of 10 units make exactly 2.5 dozens.
            multiple=multiple,
            minimum=min_qty or 0.0,
            rounding=uom.rounding,
            pack_name=pack.name if pack else "",
        )

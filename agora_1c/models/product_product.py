from odoo import fields, models


class ProductProduct(models.Model):
    _inherit = "product.product"

    agora_1c_id = fields.Char(
        string="1C Offer ID",
        index="btree_not_null",
        copy=False,
        help="The offer's Ид in 1C: the product's, or product#characteristic for a "
        "variant. Orders sent to 1C name their lines by it.",
    )

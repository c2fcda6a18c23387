from odoo import fields, models


class ProductCategory(models.Model):
    _inherit = "product.category"

    agora_1c_id = fields.Char(
        string="1C ID",
        index="btree_not_null",
        copy=False,
        help="The group's Ид in 1C: the key the catalog exchange matches it on.",
    )

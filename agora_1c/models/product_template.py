from odoo import fields, models


class ProductTemplate(models.Model):
    _inherit = "product.template"

    agora_1c_id = fields.Char(
        string="1C ID",
        index="btree_not_null",
        copy=False,
        help="The product's Ид in 1C (without a characteristic): the key the catalog "
        "exchange matches it on.",
    )

from odoo import fields, models


class ProductTemplate(models.Model):
    _inherit = "product.template"

    # Indexed: every client's assortment, catalog page and category count
    # selects products by category (``categ_id IN`` the agreement's
    # subcategories). Without it a category page reads the whole product table.
    categ_id = fields.Many2one(index=True)

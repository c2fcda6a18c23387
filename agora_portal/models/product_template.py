from odoo import models

# What the price of one unit is computed from, on the template.
PRICE_KEY_FIELDS = {"list_price", "categ_id", "uom_id", "company_id", "currency_id"}


class ProductTemplate(models.Model):
    _inherit = "product.template"

    def write(self, vals):
        res = super().write(vals)
        if PRICE_KEY_FIELDS & vals.keys():
            self.env["agora.catalog.price"]._invalidate_products(
                self.with_context(active_test=False).product_variant_ids
            )
        return res

from odoo import models

# What the price of one unit is computed from, on the variant (its cost, for
# rules based on cost; the rest is on the template).
PRICE_KEY_FIELDS = {"standard_price", "product_tmpl_id", "product_template_attribute_value_ids"}


class ProductProduct(models.Model):
    _inherit = "product.product"

    def write(self, vals):
        res = super().write(vals)
        if PRICE_KEY_FIELDS & vals.keys():
            self.env["agora.catalog.price"]._invalidate_products(self)
        return res

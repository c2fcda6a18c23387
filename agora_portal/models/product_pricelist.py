from odoo import models

# A change of these makes every price of the price list different.
PRICE_KEY_FIELDS = {"currency_id", "company_id", "active"}


class ProductPricelist(models.Model):
    _inherit = "product.pricelist"

    def write(self, vals):
        res = super().write(vals)
        if PRICE_KEY_FIELDS & vals.keys():
            self.env["agora.catalog.price"]._invalidate_pricelists(self)
        return res

from odoo import fields, models

# A change of these makes every price of the price list different.
PRICE_KEY_FIELDS = {"currency_id", "company_id", "active"}


class ProductPricelist(models.Model):
    _inherit = "product.pricelist"

    agora_price_key_version = fields.Integer(
        string="Price Sort Key Version",
        readonly=True,
        copy=False,
        default=0,
        help="Raised when the prices of this price list change: the catalog's "
        "price sort keys computed from an older version are no longer used.",
    )

    def write(self, vals):
        res = super().write(vals)
        if PRICE_KEY_FIELDS & vals.keys():
            self.env["agora.catalog.price"]._invalidate_pricelists(self)
        return res

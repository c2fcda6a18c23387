from odoo import api, fields, models

# What the price of one unit is computed from, on the variant (its cost, for
# rules based on cost; the rest is on the template).
PRICE_KEY_FIELDS = {"standard_price", "product_tmpl_id", "product_template_attribute_value_ids"}
# What decides whether the variant is in an assortment, and in which category
# it is counted (the rest is on the template).
ASSORTMENT_FIELDS = {"active", "product_tmpl_id"}


class ProductProduct(models.Model):
    _inherit = "product.product"

    agora_price_key_version = fields.Integer(
        string="Price Sort Key Version",
        readonly=True,
        copy=False,
        default=0,
        help="Raised when what this product's prices are computed from changes: "
        "the catalog's price sort keys computed from an older version are no longer used.",
    )

    # A new, changed or deleted product changes the catalog's cached category
    # counts (agora.catalog._count_assortment).

    @api.model_create_multi
    def create(self, vals_list):
        products = super().create(vals_list)
        self.env.registry.clear_cache()
        return products

    def write(self, vals):
        res = super().write(vals)
        if PRICE_KEY_FIELDS & vals.keys():
            self.env["agora.catalog.price"]._invalidate_products(self)
        if ASSORTMENT_FIELDS & vals.keys():
            self.env.registry.clear_cache()
        return res

    def unlink(self):
        res = super().unlink()
        self.env.registry.clear_cache()
        return res

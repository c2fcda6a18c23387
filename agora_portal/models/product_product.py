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
    # counts (agora.catalog._count_assortment). Odoo's product module clears
    # the registry cache on these as well (its variant caches); the counts do
    # not rely on it.

    @api.model_create_multi
    def create(self, vals_list):
        products = super().create(vals_list)
        self.env["agora.catalog"]._clear_assortment_counts(products)
        return products

    def write(self, vals):
        Catalog = self.env["agora.catalog"]
        watched = ASSORTMENT_FIELDS & vals.keys()
        before = Catalog._assortment_values(self, watched) if watched else None
        res = super().write(vals)
        if PRICE_KEY_FIELDS & vals.keys():
            self.env["agora.catalog.price"]._invalidate_products(self)
        if watched:
            Catalog._clear_assortment_counts(self, watched, before)
        return res

    def unlink(self):
        res = super().unlink()
        self.env["agora.catalog"]._clear_assortment_counts(self)
        return res

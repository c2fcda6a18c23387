from odoo import fields, models

# What the price of one unit is computed from, on the variant (its cost, for
# rules based on cost; the rest is on the template).
PRICE_KEY_FIELDS = {"standard_price", "product_tmpl_id", "product_template_attribute_value_ids"}


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

    # A new, deleted or archived variant changes the catalog's cached category
    # counts (agora.catalog._count_assortment): Odoo's product module already
    # clears the registry cache on each of these (product.product create,
    # unlink, and write of active), which drops the counts with it. The
    # template's category, sale flag and company are watched on the template.

    def write(self, vals):
        res = super().write(vals)
        if PRICE_KEY_FIELDS & vals.keys():
            self.env["agora.catalog.price"]._invalidate_products(self)
        return res

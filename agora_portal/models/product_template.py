from odoo import models

# What the price of one unit is computed from, on the template.
PRICE_KEY_FIELDS = {"list_price", "categ_id", "uom_id", "company_id", "currency_id"}
# What decides whether the template's variants are in an assortment, and in
# which category they are counted.
ASSORTMENT_FIELDS = {"active", "categ_id", "sale_ok", "company_id"}


class ProductTemplate(models.Model):
    _inherit = "product.template"

    def write(self, vals):
        Catalog = self.env["agora.catalog"]
        watched = ASSORTMENT_FIELDS & vals.keys()
        before = Catalog._assortment_values(self, watched) if watched else None
        res = super().write(vals)
        if PRICE_KEY_FIELDS & vals.keys():
            self.env["agora.catalog.price"]._invalidate_products(
                self.with_context(active_test=False).product_variant_ids
            )
        if watched:
            Catalog._clear_assortment_counts(self, watched, before)
        return res

    def unlink(self):
        res = super().unlink()
        self.env["agora.catalog"]._clear_assortment_counts(self)
        return res

from odoo import models

# What the price of one unit is computed from, on the template.
PRICE_KEY_FIELDS = {"list_price", "categ_id", "uom_id", "company_id", "currency_id"}
# What decides whether the template's variants are in an assortment, and in
# which category they are counted.
ASSORTMENT_FIELDS = {"active", "categ_id", "sale_ok", "company_id"}


class ProductTemplate(models.Model):
    _inherit = "product.template"

    def _agora_assortment_values(self, fnames):
        """The values of ``fnames`` per template, to tell whether a write changed them."""
        fnames = sorted(fnames)
        return [tuple(template[f] for f in fnames) for template in self]

    def write(self, vals):
        watched = ASSORTMENT_FIELDS & vals.keys()
        before = self._agora_assortment_values(watched) if watched else None
        res = super().write(vals)
        if PRICE_KEY_FIELDS & vals.keys():
            self.env["agora.catalog.price"]._invalidate_products(
                self.with_context(active_test=False).product_variant_ids
            )
        if watched:
            self.env["agora.catalog"]._clear_assortment_counts(self, watched, before)
        return res

    def unlink(self):
        res = super().unlink()
        self.env["agora.catalog"]._clear_assortment_counts(self)
        return res

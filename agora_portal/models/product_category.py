from odoo import models


class ProductCategory(models.Model):
    _inherit = "product.category"

    def write(self, vals):
        res = super().write(vals)
        if "parent_id" in vals:
            # Category rules now reach other products: every key may be wrong.
            # Moving a category is rare; the keys are recomputed on demand.
            self.env["agora.catalog.price"]._invalidate_all()
        return res

from odoo import api, models


class ProductCategory(models.Model):
    _inherit = "product.category"

    # The agreements' assortments list the subcategories of their categories
    # (agora.agreement._get_assortment_ids): a new, moved or deleted category
    # changes them.

    @api.model_create_multi
    def create(self, vals_list):
        categories = super().create(vals_list)
        if any(vals.get("parent_id") for vals in vals_list):
            self.env.registry.clear_cache()
        return categories

    def write(self, vals):
        res = super().write(vals)
        if "parent_id" in vals:
            self.env.registry.clear_cache()
        return res

    def unlink(self):
        res = super().unlink()
        self.env.registry.clear_cache()
        return res

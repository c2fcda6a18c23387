from odoo import api, models


class ProductPricelistItem(models.Model):
    _inherit = "product.pricelist.item"

    @api.model_create_multi
    def create(self, vals_list):
        items = super().create(vals_list)
        self.env["agora.catalog.price"]._invalidate_pricelists(items.pricelist_id)
        return items

    def write(self, vals):
        before = self.pricelist_id
        res = super().write(vals)
        self.env["agora.catalog.price"]._invalidate_pricelists(before | self.pricelist_id)
        return res

    def unlink(self):
        pricelists = self.pricelist_id
        res = super().unlink()
        self.env["agora.catalog.price"]._invalidate_pricelists(pricelists)
        return res

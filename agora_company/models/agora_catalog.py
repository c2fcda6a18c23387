from odoo import api, models


class AgoraCatalog(models.AbstractModel):
    _inherit = "agora.catalog"

    @api.model
    def _orders_scope_partner(self, partner):
        # A buyer who sees only their own orders finds only their own in the
        # catalog too ("ordered before", a product's last orders).
        if not partner.agora_sees_company_orders:
            return partner
        return super()._orders_scope_partner(partner)

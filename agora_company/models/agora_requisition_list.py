from odoo import api, models


class AgoraRequisitionList(models.Model):
    _inherit = "agora.requisition.list"

    @api.model
    def _agora_may_change_lists(self, user):
        """A viewer, who may not order, reads the company's shared lists but
        makes and changes none."""
        return super()._agora_may_change_lists(user) and user.partner_id._agora_may_order()

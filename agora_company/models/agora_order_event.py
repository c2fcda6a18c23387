from odoo import fields, models


class AgoraOrderEvent(models.Model):
    _inherit = "agora.order.event"

    event_type = fields.Selection(
        selection_add=[("approval", "Approval")], ondelete={"approval": "cascade"}
    )

from odoo import fields, models


class AgoraOrderEvent(models.Model):
    _inherit = "agora.order.event"

    event_type = fields.Selection(
        selection_add=[("onec", "1C Exchange")], ondelete={"onec": "cascade"}
    )

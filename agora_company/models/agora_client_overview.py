from odoo import fields, models


class AgoraClientOverview(models.Model):
    _inherit = "agora.client.overview"

    # Orders awaiting the client company's approval, named as such (with the
    # carts, New, they are the client's and not yet the supplier's work).
    agora_state = fields.Selection(
        selection_add=[("approval", "Awaiting Approval"), ("processing",)]
    )

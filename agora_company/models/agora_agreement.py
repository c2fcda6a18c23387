from odoo import fields, models


class AgoraAgreement(models.Model):
    """The client's approval threshold on its agreement, beside the prices
    and terms the supplier's staff set there: the same value as on the client
    company (its history records a change made here too)."""

    _inherit = "agora.agreement"

    agora_approval_threshold = fields.Monetary(
        related="partner_id.agora_approval_threshold",
        readonly=False,
        currency_field="currency_id",
        string="Client's Approval Threshold",
        help="Every order of the client above this amount needs approval by an approver or "
        "an administrator of the client company. 0: no threshold. Set on the client company; "
        "in the currency of the client's agreement in force.",
    )

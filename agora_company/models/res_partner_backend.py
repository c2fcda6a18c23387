from odoo import fields, models


class ResPartner(models.Model):
    """What the backend's "Portal Accounts" tab of a client company lists:
    its contacts (not its addresses) and whether each can log in."""

    # One file per concern of res.partner: roles, rules and history in
    # res_partner.py, the administrator's actions in res_partner_colleagues.py,
    # the staff's view of them here.
    _inherit = "res.partner"

    agora_contact_ids = fields.One2many(
        "res.partner",
        "parent_id",
        string="Portal Contacts",
        domain=[("type", "=", "contact"), ("is_company", "=", False)],
        help="The company's contacts (its delivery and invoice addresses left out).",
    )
    agora_has_portal_access = fields.Boolean(
        string="Portal Access",
        compute="_compute_agora_has_portal_access",
        help="Whether this contact can log in to the portal now. Grant or revoke it with "
        "the action Grant portal access.",
    )

    def _compute_agora_has_portal_access(self):
        for partner in self:
            partner.agora_has_portal_access = bool(partner.id) and (
                partner._agora_has_portal_access()
            )

from odoo import api, models


class ResUsers(models.Model):
    """A client contact's portal access, in its company's history, whoever
    gives or removes it: the company's administrator (/my/company), staff
    (Odoo's portal wizard, archiving the user), an import or an RPC call."""

    _inherit = "res.users"

    @api.model_create_multi
    def create(self, vals_list):
        users = super().create(vals_list)
        users._agora_log_access("invited")
        return users

    def write(self, vals):
        if "active" not in vals:
            return super().write(vals)
        was_active = {user.id: user.active for user in self}
        res = super().write(vals)
        changed = self.filtered(lambda u: u.active != was_active[u.id])
        changed.filtered("active")._agora_log_access("reactivated")
        (changed - changed.filtered("active"))._agora_log_access("deactivated")
        return res

    def _agora_log_access(self, event_type):
        """Record ``event_type`` in the history of the client companies of
        these users, for those that are portal contacts of a company."""
        users = self.filtered(lambda u: u.share and u.partner_id.parent_id)
        if not users:
            return
        self.env["agora.company.event"]._log(
            [
                {
                    "client_id": user.partner_id.commercial_partner_id.id,
                    "partner_id": user.partner_id.id,
                    "event_type": event_type,
                    "new_value": user.login if event_type == "invited" else False,
                }
                for user in users
            ]
        )

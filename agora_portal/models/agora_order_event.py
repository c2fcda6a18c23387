from odoo import models


class AgoraOrderEvent(models.Model):
    _inherit = "agora.order.event"

    def _agora_client_author_name(self):
        """Who made the change, as the client reads it in the portal: a contact of
        the client by name; the supplier's staff, jobs and system as the
        supplier's company, never a staff member's name."""
        self.ensure_one()
        # sudo: the author is read to be named by the rule above; portal users
        # may not read the event's user.
        user = self.sudo().user_id
        if user.share and user.partner_id:
            return user.partner_id.name
        return self.sudo().company_id.name or ""

from odoo import SUPERUSER_ID, api, fields, models

from .sale_order import AGORA_STATES


class AgoraNotification(models.Model):
    """An unread/read notice for a client contact: an order's status changed."""

    _name = "agora.notification"
    _description = "Client Notification"
    _order = "create_date desc, id desc"

    partner_id = fields.Many2one(
        "res.partner", string="Recipient", required=True, index=True, ondelete="cascade"
    )
    order_id = fields.Many2one("sale.order", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="order_id.company_id", store=True)
    agora_state = fields.Selection(AGORA_STATES, string="New Status", required=True)
    is_read = fields.Boolean(string="Read", default=False, index=True)

    _unread_idx = models.Index("(partner_id) WHERE is_read IS NOT TRUE")

    def _compute_display_name(self):
        labels = dict(self._fields["agora_state"]._description_selection(self.env))
        for notification in self:
            notification.display_name = self.env._(
                "Order %(order)s: %(status)s",
                order=notification.order_id.name,
                status=labels.get(notification.agora_state, ""),
            )

    @api.model
    def _notify_state_change(self, orders):
        """Create one unread notification per order for its client contact."""
        # As the superuser: notices are created by whoever changed the order
        # (staff, a payment, the cron) for the client's contact, who should not
        # read that staff member's name in ``create_uid``; no one edits them.
        return self.with_user(SUPERUSER_ID).create(
            [
                {"partner_id": o.partner_id.id, "order_id": o.id, "agora_state": o.agora_state}
                for o in orders
                if o.partner_id
            ]
        )

    def _mark_read(self):
        """Mark the current user's own notifications of ``self`` as read.

        Portal users may only read notifications; being read is the one change a
        notification takes, and only its recipient makes it.
        """
        own = self.filtered(lambda n: not n.is_read and n.partner_id == self.env.user.partner_id)
        # sudo: limited just above to the user's own unread notifications.
        own.sudo().write({"is_read": True})
        return own

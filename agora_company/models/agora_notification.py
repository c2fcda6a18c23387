from odoo import fields, models

APPROVAL_NOTICES = [
    ("requested", "Awaits Your Approval"),
    ("approved", "Approved"),
    ("rejected", "Returned for Changes"),
]


class AgoraNotification(models.Model):
    """Approval notices: an order awaits a colleague's approval (for the
    approvers), or was approved or returned (for its buyer)."""

    _inherit = "agora.notification"

    agora_state = fields.Selection(
        selection_add=[("approval", "Awaiting Approval"), ("processing",)],
        ondelete={"approval": "cascade"},
    )
    approval_notice = fields.Selection(APPROVAL_NOTICES, readonly=True)

    def _compute_display_name(self):
        plain = self.filtered(lambda n: not n.approval_notice)
        res = super(AgoraNotification, plain)._compute_display_name()
        labels = dict(self._fields["approval_notice"]._description_selection(self.env))
        for notification in self - plain:
            notification.display_name = self.env._(
                "Order %(order)s: %(notice)s",
                order=notification.order_id.name,
                notice=labels.get(notification.approval_notice, ""),
            )
        return res

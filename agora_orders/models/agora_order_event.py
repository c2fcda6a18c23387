from odoo import SUPERUSER_ID, api, fields, models

EVENT_TYPES = [
    ("state", "Status Changed"),
    ("payment", "Payment"),
    ("shipment", "Shipment"),
    ("line_added", "Line Added"),
    ("line_removed", "Line Removed"),
    ("line_qty", "Quantity Changed"),
    ("line_price", "Price Changed"),
    ("deadline", "Reservation Deadline Changed"),
    ("reminder", "Reservation Reminder Sent"),
    ("return", "Return"),
]


class AgoraOrderEvent(models.Model):
    """One entry of an order's history: when, who, what, old and new value."""

    _name = "agora.order.event"
    _description = "Order History Event"
    _order = "date desc, id desc"
    _rec_name = "description"

    order_id = fields.Many2one(
        "sale.order", required=True, ondelete="cascade", index=True, readonly=True
    )
    partner_id = fields.Many2one(related="order_id.partner_id", string="Client")
    company_id = fields.Many2one(related="order_id.company_id", store=True, index=True)
    date = fields.Datetime(required=True, default=fields.Datetime.now, readonly=True, index=True)
    # Staff members' names are the supplier's internal matter: a client reads
    # the history through the portal, which names the supplier instead.
    user_id = fields.Many2one(
        "res.users",
        string="By",
        default=lambda self: self.env.user,
        readonly=True,
        groups="base.group_user",
    )
    event_type = fields.Selection(EVENT_TYPES, required=True, readonly=True, string="Event")
    product_id = fields.Many2one("product.product", readonly=True)
    old_value = fields.Char(
        string="Old Value (stored)",
        readonly=True,
        help="The text of the old value, or for status events the technical key of the status.",
    )
    new_value = fields.Char(
        string="New Value (stored)",
        readonly=True,
        help="The text of the new value, or for status events the technical key of the status.",
    )
    old_value_display = fields.Char(string="Old Value", compute="_compute_value_display")
    new_value_display = fields.Char(string="New Value", compute="_compute_value_display")
    description = fields.Char(readonly=True, help="Shown to the client with the event.")
    internal_note = fields.Char(
        readonly=True,
        groups="sales_team.group_sale_salesman",
        help="The staff's own note (such as why a reservation was extended); never shown "
        "to the client.",
    )

    def _value_labels(self):
        """{event_type: {key: label}} in the reader's language, for events that
        store a status key rather than a text."""
        order_fields = self.env["sale.order"]._fields
        request_field = self.env["agora.return.request"]._fields["state"]
        return {
            "state": dict(order_fields["agora_state"]._description_selection(self.env)),
            "payment": dict(order_fields["agora_payment_status"]._description_selection(self.env)),
            "shipment": dict(
                order_fields["agora_delivery_status"]._description_selection(self.env)
            ),
            "return": dict(request_field._description_selection(self.env)),
        }

    @api.depends("event_type", "old_value", "new_value")
    @api.depends_context("lang")
    def _compute_value_display(self):
        labels = self._value_labels()
        for event in self:
            mapping = labels.get(event.event_type, {})
            event.old_value_display = mapping.get(event.old_value, event.old_value or "")
            event.new_value_display = mapping.get(event.new_value, event.new_value or "")

    @api.model
    def _prepare_log_values(
        self,
        order,
        event_type,
        old_value=False,
        new_value=False,
        product=False,
        description=False,
        internal_note=False,
    ):
        """One event's values; they are stored as the text shown to people."""
        return {
            "internal_note": internal_note or False,
            "order_id": order.id,
            "event_type": event_type,
            "old_value": old_value if old_value not in (False, None) else False,
            "new_value": new_value if new_value not in (False, None) else False,
            "product_id": product.id if product else False,
            "description": description,
        }

    @api.model
    def _log_batch(self, vals_list):
        """Record the events of ``_prepare_log_values`` at once."""
        # As the superuser: history is written by whoever changed the order,
        # including users with read-only access to history; nobody may create
        # events by hand. Who made the change is ``user_id`` (readable by
        # internal users only), not ``create_uid``, which a portal client could
        # read through RPC.
        vals_list = [{"user_id": self.env.uid, **vals} for vals in vals_list]
        return self.with_user(SUPERUSER_ID).create(vals_list).with_env(self.env)

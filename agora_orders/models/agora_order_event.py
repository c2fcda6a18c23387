import json

from odoo import SUPERUSER_ID, api, fields, models
from odoo.tools import format_amount, formatLang

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
    ("credit", "Credit Check"),
    ("quantity_rule", "Quantity Rule Overridden"),
]
# How quantities and amounts are stored (see ``_qty_value`` and ``_amount_value``):
# {kind: (key of the number, key of the unit or currency id)}.
NUMBER_VALUE_KEYS = {"qty": ("qty", "uom_id"), "amount": ("amount", "currency_id")}


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
        help="The text of the old value, the technical key of a status, or a quantity "
        "or an amount with its unit or currency.",
    )
    new_value = fields.Char(
        string="New Value (stored)",
        readonly=True,
        help="The text of the new value, the technical key of a status, or a quantity "
        "or an amount with its unit or currency.",
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
            "credit": {"approved": self.env._("Approved")},
        }

    @api.model
    def _qty_value(self, qty, uom):
        """How a quantity in ``uom`` is stored: the number and the unit, shown in
        the reader's language by ``_compute_value_display``."""
        return json.dumps({"qty": qty, "uom_id": uom.id or None})

    @api.model
    def _amount_value(self, amount, currency):
        """How an amount in ``currency`` is stored (see ``_qty_value``)."""
        return json.dumps({"amount": amount, "currency_id": currency.id or None})

    @api.model
    def _parse_number_value(self, value):
        """(kind, number, unit or currency id or None) of a value stored by
        ``_qty_value`` ("qty") or ``_amount_value`` ("amount"); None for a text
        or a status key (and for the quantities and prices recorded as text
        before)."""
        if not value or not value.startswith("{"):
            return None
        try:
            data = json.loads(value)
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
        for kind, (number_key, id_key) in NUMBER_VALUE_KEYS.items():
            number, record_id = data.get(number_key), data.get(id_key)
            if isinstance(number, bool) or not isinstance(number, (int, float)):
                continue
            if isinstance(record_id, bool) or not isinstance(record_id, int):
                record_id = None
            return kind, float(number), record_id
        return None

    @api.depends("event_type", "old_value", "new_value")
    @api.depends_context("lang")
    def _compute_value_display(self):
        labels = self._value_labels()
        numbers = {}
        for value in set(self.mapped("old_value") + self.mapped("new_value")):
            parsed = self._parse_number_value(value)
            if parsed:
                numbers[value] = parsed
        # sudo: the unit and the currency of an order line the reader may read
        # (portal users may not read units); iterated to share one prefetch.
        ids = {"qty": set(), "amount": set()}
        for kind, __, record_id in numbers.values():
            if record_id:
                ids[kind].add(record_id)
        uoms = {uom.id: uom for uom in self.env["uom.uom"].sudo().browse(ids["qty"]).exists()}
        currencies = {
            currency.id: currency
            for currency in self.env["res.currency"].sudo().browse(ids["amount"]).exists()
        }

        def display(event, value):
            if value not in numbers:
                return labels.get(event.event_type, {}).get(value, value or "")
            kind, number, record_id = numbers[value]
            if kind == "qty":
                # All units share the "Product Unit" precision (see uom.uom.rounding).
                text = formatLang(self.env, number, dp="Product Unit", rounding_method="HALF-UP")
                uom = uoms.get(record_id)
                return f"{text} {uom.name}" if uom else text
            currency = currencies.get(record_id)
            if currency:
                return format_amount(self.env, number, currency)
            return formatLang(self.env, number)

        for event in self:
            event.old_value_display = display(event, event.old_value)
            event.new_value_display = display(event, event.new_value)

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
        """One event's values. A value is a text shown as it is, a status key
        (shown by its label), or a quantity or an amount from ``_qty_value`` or
        ``_amount_value`` (shown in the reader's language)."""
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

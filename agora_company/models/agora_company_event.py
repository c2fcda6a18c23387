from odoo import SUPERUSER_ID, api, fields, models
from odoo.tools import format_amount

# What a client company's history records, and how its values are stored:
# a role key, an amount (with ``currency_id``), a boolean ("1"/"0"), or nothing.
COMPANY_EVENT_TYPES = [
    ("role", "Role Changed"),
    ("limit", "Order Limit Changed"),
    ("threshold", "Approval Threshold Changed"),
    ("visibility", "Buyers' Visibility Changed"),
    ("invited", "Colleague Invited"),
    ("deactivated", "Portal Access Removed"),
    ("reactivated", "Portal Access Restored"),
]
AMOUNT_EVENTS = ("limit", "threshold")


class AgoraCompanyEvent(models.Model):
    """One entry of a client company's history: who changed what of its
    portal accounts (a colleague's role or limit, the company's approval
    threshold), when, the old and the new value.

    Written by ``res.partner`` whatever made the change: the company's
    administrator on /my/company, the supplier's staff in the backend, an
    import or an RPC call. Never edited.
    """

    _name = "agora.company.event"
    _description = "Client Company History Event"
    _order = "date desc, id desc"
    _rec_name = "event_type"

    client_id = fields.Many2one(
        "res.partner",
        string="Client Company",
        required=True,
        index=True,
        ondelete="cascade",
        readonly=True,
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Colleague",
        ondelete="cascade",
        readonly=True,
        help="The contact the change is about; empty for a company setting.",
    )
    author_id = fields.Many2one(
        "res.partner",
        string="Changed By",
        readonly=True,
        help="The client's administrator, or the supplier's staff member, who made the change.",
    )
    author_is_staff = fields.Boolean(readonly=True)
    date = fields.Datetime(required=True, default=fields.Datetime.now, readonly=True)
    event_type = fields.Selection(COMPANY_EVENT_TYPES, required=True, readonly=True)
    old_value = fields.Char(string="Old Value (stored)", readonly=True)
    new_value = fields.Char(string="New Value (stored)", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    old_value_display = fields.Char(string="Old Value", compute="_compute_value_display")
    new_value_display = fields.Char(string="New Value", compute="_compute_value_display")

    @api.depends("event_type", "old_value", "new_value", "currency_id")
    @api.depends_context("lang")
    def _compute_value_display(self):
        roles = dict(
            self.env["res.partner"]._fields["agora_company_role"]._description_selection(self.env)
        )
        yes_no = {"1": self.env._("Yes"), "0": self.env._("No")}

        def display(event, value):
            if value in (False, None, ""):
                return ""
            if event.event_type == "role":
                return roles.get(value, value)
            if event.event_type == "visibility":
                return yes_no.get(value, value)
            if event.event_type in AMOUNT_EVENTS:
                amount = float(value)
                if not amount:
                    return self.env._("No limit")
                return format_amount(
                    self.env, amount, event.currency_id or self.env.company.currency_id
                )
            return value

        for event in self:
            event.old_value_display = display(event, event.old_value)
            event.new_value_display = display(event, event.new_value)

    @api.model
    def _log(self, vals_list):
        """Record events: dicts of ``client_id``, ``event_type``, and optional
        ``partner_id``, ``old_value``, ``new_value``, ``currency_id``.

        The author is the current user's contact (a portal administrator acts
        through ``sudo()``, which keeps the user).
        """
        author = self.env.user.partner_id
        is_staff = not self.env.user.share
        # As the superuser: the history is written by whoever made the change,
        # and nobody may write it by hand (no one has create access).
        return self.with_user(SUPERUSER_ID).create(
            [{"author_id": author.id, "author_is_staff": is_staff, **vals} for vals in vals_list]
        )

from odoo import api, fields, models

COMPANY_ROLES = [
    ("admin", "Administrator"),
    ("approver", "Approver"),
    ("buyer", "Buyer"),
    ("viewer", "Viewer"),
]
# The fields of a client company's portal accounts whose every change is in the
# company's history (``agora.company.event``), and the event each records.
LOGGED_FIELDS = {
    "agora_company_role": "role",
    "agora_order_limit": "limit",
    "agora_approval_threshold": "threshold",
    "agora_buyers_see_company_orders": "visibility",
}
# The field of a contact that decides which orders its portal user sees (the
# record rules of ``security/agora_company_security.xml``): Odoo caches rules per
# user, so a change clears that cache. (The company's setting is read by the
# rules' query itself.)
VISIBILITY_FIELDS = {"agora_company_role"}


class ResPartner(models.Model):
    """Roles and limits of a client company's contacts, and the company's own
    approval rules (on the company, its commercial partner).

    A client that configures nothing keeps the behaviour before company
    accounts: every contact is a buyer without a limit, the company has no
    approval threshold, and buyers see all the company's orders.
    """

    _inherit = "res.partner"

    agora_company_role = fields.Selection(
        COMPANY_ROLES,
        string="Portal Role",
        default="buyer",
        required=True,
        help="What this contact may do in the client company's portal account.\n"
        "Administrator: manages colleagues, approves any order, sees all the company's orders.\n"
        "Approver: approves colleagues' orders up to their limit.\n"
        "Buyer: fills carts and submits them; an order above the limit (or the company's "
        "threshold) goes to approval first.\n"
        "Viewer: sees the company's orders and documents, and cannot order.",
    )
    agora_limit_currency_id = fields.Many2one(
        "res.currency",
        string="Limit Currency",
        compute="_compute_agora_limit_currency_id",
        help="The currency of the client's agreement, in which its limits are set.",
    )
    agora_order_limit = fields.Monetary(
        string="Order Limit",
        currency_field="agora_limit_currency_id",
        help="A buyer's orders above this amount go to approval; an approver approves "
        "orders up to it. 0: no limit.",
    )
    agora_approval_threshold = fields.Monetary(
        string="Approval Threshold",
        currency_field="agora_limit_currency_id",
        help="Set on the client company: every order above this amount needs approval by "
        "an approver or an administrator of the company. 0: no threshold.",
    )
    agora_buyers_see_company_orders = fields.Boolean(
        string="Buyers See All Company Orders",
        default=True,
        help="Set on the client company: its buyers see all the company's orders, not only "
        "their own. Administrators, approvers and viewers always see them all.",
    )
    agora_sees_company_orders = fields.Boolean(
        compute="_compute_agora_sees_company_orders",
        help="Whether this contact sees all its company's orders in the portal, or only "
        "its own (read by the portal's record rules).",
    )
    agora_company_event_ids = fields.One2many(
        "agora.company.event", "client_id", string="Portal Accounts History"
    )

    @api.depends_context("company")
    def _compute_agora_limit_currency_id(self):
        Agreement = self.env["agora.agreement"]
        for partner in self:
            # The agreement with the supplier company the client belongs to (the
            # current one for a client shared between companies).
            company = partner.commercial_partner_id.company_id or self.env.company
            # sudo: the currency of the client's agreement, whoever reads the limit.
            agreement = Agreement.sudo()._get_active_agreement(partner, company)
            partner.agora_limit_currency_id = agreement.currency_id or company.currency_id

    @api.depends("agora_company_role", "commercial_partner_id.agora_buyers_see_company_orders")
    def _compute_agora_sees_company_orders(self):
        for partner in self:
            partner.agora_sees_company_orders = (
                partner.agora_company_role != "buyer"
                or partner.commercial_partner_id.agora_buyers_see_company_orders
            )

    # ------------------------------------------------------------------
    # The company's history: every change, whoever made it
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        partners = super().create(vals_list)
        events = []
        # What the contact was created with, however it came (its values, the
        # context's defaults of a form or an import).
        for partner in partners:
            if partner.is_company or not partner.parent_id:
                continue
            if partner.agora_company_role != "buyer":
                events.append(partner._agora_event_values("role", "", partner.agora_company_role))
            if partner.agora_order_limit:
                events.append(partner._agora_event_values("limit", "0", partner.agora_order_limit))
        if events:
            self.env["agora.company.event"]._log(events)
        return partners

    def write(self, vals):
        logged = [name for name in LOGGED_FIELDS if name in vals]
        old = {partner.id: {name: partner[name] for name in logged} for partner in self}
        res = super().write(vals)
        events = [
            partner._agora_event_values(LOGGED_FIELDS[name], old[partner.id][name], partner[name])
            for partner in self
            for name in logged
            if old[partner.id][name] != partner[name]
        ]
        if events:
            self.env["agora.company.event"]._log(events)
        if VISIBILITY_FIELDS & vals.keys():
            # Odoo caches each user's record rules: the orders a contact sees change.
            self.env.registry.clear_cache()
        return res

    def _agora_event_values(self, event_type, old, new):
        """The values of a history event about this contact (or this company,
        for the company's own settings)."""
        self.ensure_one()
        company_setting = event_type in ("threshold", "visibility")

        def stored(value):
            if isinstance(value, bool):
                return "1" if value else "0"
            return str(value if value is not None else "")

        return {
            "client_id": self.commercial_partner_id.id,
            "partner_id": False if company_setting else self.id,
            "event_type": event_type,
            "old_value": stored(old),
            "new_value": stored(new),
            "currency_id": self.agora_limit_currency_id.id,
        }

    # ------------------------------------------------------------------
    # The rules of a client company: ONE place decides who may do what
    # ------------------------------------------------------------------

    def _agora_may_order(self):
        """Whether this contact may fill a cart and submit it (not a viewer)."""
        self.ensure_one()
        return self.agora_company_role != "viewer"

    def _agora_amount_in_limit_currency(self, amount, currency, date=None):
        """``amount`` in ``currency``, converted into the currency of this
        contact's limits (the agreement's), to compare with them."""
        self.ensure_one()
        target = self.agora_limit_currency_id
        if not currency or currency == target:
            return amount
        return currency._convert(
            amount, target, self.env.company, date or fields.Date.context_today(self)
        )

    def _agora_may_approve(self, amount, currency):
        """Whether this contact may approve an order of ``amount`` in
        ``currency``: an administrator always, an approver up to their limit
        (0: no limit)."""
        self.ensure_one()
        if self.agora_company_role == "admin":
            return True
        if self.agora_company_role != "approver":
            return False
        if not self.agora_order_limit:
            return True
        amount = self._agora_amount_in_limit_currency(amount, currency)
        return self.agora_limit_currency_id.compare_amounts(amount, self.agora_order_limit) <= 0

    def _agora_needs_approval(self, amount, currency):
        """Whether an order of ``amount`` in ``currency`` that this contact
        submits goes to their company's approval first.

        Not when the contact may approve it themselves (an administrator, an
        approver within their limit). Otherwise, when it is above the
        company's threshold, or above the contact's own limit.
        """
        self.ensure_one()
        if self._agora_may_approve(amount, currency):
            return False
        amount = self._agora_amount_in_limit_currency(amount, currency)
        limit_currency = self.agora_limit_currency_id
        threshold = self.commercial_partner_id.agora_approval_threshold
        if threshold and limit_currency.compare_amounts(amount, threshold) > 0:
            return True
        limit = self.agora_order_limit
        return bool(limit) and limit_currency.compare_amounts(amount, limit) > 0

    def _agora_company_contacts(self):
        """The contacts of this contact's client company who have (or had)
        a portal account: its colleagues, this contact included."""
        self.ensure_one()
        commercial = self.commercial_partner_id
        # sudo: colleagues are read for the rules and pages of the company
        # itself; callers check that the user is one of its contacts.
        return (
            self.env["res.partner"]
            .sudo()
            .with_context(active_test=False)
            .search(
                [
                    # Not the contacts of a subsidiary, a company of its own.
                    ("commercial_partner_id", "=", commercial.id),
                    ("type", "=", "contact"),
                    ("user_ids", "!=", False),
                ],
                order="name, id",
            )
        )

    def _agora_has_portal_access(self):
        """Whether this contact can log in to the portal now."""
        self.ensure_one()
        # sudo: whether a colleague's account is active is the company's matter.
        return any(user.active and user._is_portal() for user in self.sudo().user_ids)

    def _agora_approvers(self, amount, currency):
        """The colleagues (portal users) who may approve an order of ``amount``
        in ``currency`` submitted by this contact, this contact excluded."""
        self.ensure_one()
        # The role and limit first (read with the colleagues), the accounts
        # (a query per user) of the approvers and administrators only.
        return self._agora_company_contacts().filtered(
            lambda p: (
                p != self
                and p.active
                and p._agora_may_approve(amount, currency)
                and p._agora_has_portal_access()
            )
        )

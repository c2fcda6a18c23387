import contextvars

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.fields import Domain
from odoo.tools import float_compare, format_amount

# The ids of the orders a sales manager is reserving beyond their client's
# credit limit (``_agora_reserve_over_credit_limit``), and those only. A context
# variable, so that nothing an RPC call sends can set it.
_CREDIT_OVERRIDE = contextvars.ContextVar("agora_credit_override", default=frozenset())


class SaleOrder(models.Model):
    """The client's credit limit: Odoo's own (Accounting settings, "Sales
    Credit Limit", and ``credit_limit`` on the client company), checked when
    staff reserve an order, which issues its invoice."""

    _inherit = "sale.order"

    agora_credit_exceeded = fields.Boolean(
        string="Over Credit Limit",
        compute="_compute_agora_credit_exceeded",
        search="_search_agora_credit_exceeded",
        help="Reserving this order would take the client beyond their credit limit: "
        "what they owe, plus the confirmed orders not invoiced yet, plus this order. "
        "Only a sales manager may reserve it.",
    )

    agora_credit_warning = fields.Char(
        string="Credit Check",
        compute="_compute_agora_credit_exceeded",
        groups="sales_team.group_sale_salesman",
        help="The figures of the credit check: the limit, what the client owes, its "
        "confirmed orders not invoiced yet and this order.",
    )

    @api.depends(
        "partner_id.commercial_partner_id", "company_id", "amount_total", "currency_rate", "state"
    )
    def _compute_agora_credit_exceeded(self):
        # Each order on its own, whichever orders are read with it.
        figures_by_order = self._agora_credit_figures(together=False)
        for order in self:
            figures = figures_by_order.get(order)
            exceeded = bool(figures and figures["exceeded"])
            order.agora_credit_exceeded = exceeded
            order.agora_credit_warning = (
                order._agora_credit_figures_text(figures) if exceeded else False
            )

    def _search_agora_credit_exceeded(self, operator, value):
        """The orders over their client's credit limit now: worked out from the
        receivable, among the orders not confirmed yet of the clients with a
        limit (a sum per client, however many orders)."""
        if operator not in ("in", "not in"):
            return NotImplemented
        if len(set(value)) > 1:
            # Over the limit or not: every order.
            return Domain.TRUE if operator == "in" else Domain.FALSE
        over_ids = []
        # sudo: which companies use credit limits, and which clients have one
        # (accounting fields), to narrow down the orders to work out.
        for company in self.env.companies.sudo().filtered("account_use_credit_limit"):
            candidates = (
                self.sudo()
                .with_company(company)
                .search(
                    [
                        ("company_id", "=", company.id),
                        ("state", "in", ("draft", "sent")),
                        ("partner_id.commercial_partner_id.credit_limit", ">", 0),
                    ]
                )
            )
            figures = candidates._agora_credit_figures(together=False)
            over_ids += [order.id for order, values in figures.items() if values["exceeded"]]
        domain = Domain("id", "in", over_ids)
        return domain if (operator == "in") == (True in value) else ~domain

    def _agora_credit_figures(self, together=True):
        """What the client's credit limit makes of these orders, in the
        currency of each order's company.

        The same sum as Odoo's credit warning on quotations
        (``account.move._build_credit_warning_message``): the client
        company's open receivable (``credit``), its confirmed orders not
        invoiced yet (``credit_to_invoice``) and the order, if it is not
        confirmed yet.

        :param together: whether the orders of one client add up, as reserving
            them all at once would ("others": those before it), or each order
            counts alone (the order's own flag, a filter).
        :return: {order: {"limit", "balance", "to_invoice", "others", "amount",
            "total", "currency", "exceeded"}} for the orders whose client has a
            credit limit under a company that uses them; other orders are left
            out.
        """
        result = {}
        groups = {
            key: orders
            for key, orders in self.grouped(
                lambda o: (o.company_id, o.partner_id.commercial_partner_id)
            ).items()
            if key[0].account_use_credit_limit and key[1]
        }
        clients_by_company = {}
        for company, client in groups:
            clients_by_company[company] = clients_by_company.get(company, client) | client
        # Invalidated for all the companies first: a client shared by two
        # companies is invalidated once, then summed once per company.
        for company, clients in clients_by_company.items():
            clients.sudo().with_company(company).invalidate_recordset(
                ["credit", "credit_to_invoice"]
            )
        for company, clients in clients_by_company.items():
            # sudo: the credit limit and the receivable are accounting figures
            # (fields of the accounting groups); sales staff and the client's
            # portal page read them for this one check, as Odoo's own credit
            # warning on quotations does. Odoo computes both with no
            # dependencies: an invoice posted in this transaction (an order
            # reserved just before) is not in the cache. Read for all the
            # clients at once (one sum of the receivables).
            clients_sudo = clients.sudo().with_company(company)
            clients_sudo.fetch(["credit_limit"])
            clients_sudo.mapped("credit")
            clients_sudo.mapped("credit_to_invoice")
        for (company, client), orders in groups.items():
            client_sudo = client.sudo().with_company(company)
            limit = client_sudo.credit_limit
            if not limit:
                continue
            currency = company.currency_id
            balance = client_sudo.credit
            to_invoice = client_sudo.credit_to_invoice
            others = 0.0
            # Only an order not confirmed yet has a reservation ahead: a
            # confirmed one is in the client's balance already.
            for order in orders.filtered(lambda o: o.state in ("draft", "sent")):
                # In the company's currency, as Odoo's warning converts it.
                amount = order.amount_total / (order.currency_rate or 1.0)
                running = balance + to_invoice + others + amount
                result[order] = {
                    "limit": limit,
                    "balance": balance,
                    "to_invoice": to_invoice,
                    "others": others,
                    "amount": amount,
                    "total": running,
                    "currency": currency,
                    "exceeded": float_compare(running, limit, precision_rounding=currency.rounding)
                    > 0,
                }
                if together:
                    others += amount
        return result

    def _agora_credit_figures_text(self, figures):
        """The figures of ``_agora_credit_figures`` for one order, as staff
        read them in a refusal or in the history."""
        currency = figures["currency"]
        amounts = {
            key: format_amount(self.env, figures[key], currency)
            for key in ("limit", "balance", "to_invoice", "others", "amount", "total")
        }
        if figures["others"]:
            return self.env._(
                "credit limit %(limit)s; owed %(balance)s, confirmed orders not invoiced "
                "%(to_invoice)s, the other orders reserved with it %(others)s, this order "
                "%(amount)s: %(total)s in all",
                **amounts,
            )
        return self.env._(
            "credit limit %(limit)s; owed %(balance)s, confirmed orders not invoiced "
            "%(to_invoice)s, this order %(amount)s: %(total)s in all",
            **amounts,
        )

    def _agora_check_credit_limit(self):
        """Refuse to reserve orders that would take their client beyond the
        credit limit, with the figures, unless a sales manager overrides it
        (``_agora_reserve_over_credit_limit``)."""
        allowed = _CREDIT_OVERRIDE.get()
        over = [
            (order, figures)
            for order, figures in self._agora_credit_figures().items()
            if figures["exceeded"] and order.id not in allowed
        ]
        if not over:
            return
        raise UserError(
            "\n".join(
                self.env._(
                    "Order %(order)s would take %(client)s beyond their credit limit "
                    "(%(figures)s).",
                    order=order.name,
                    client=order.partner_id.commercial_partner_id.display_name,
                    figures=order._agora_credit_figures_text(figures),
                )
                for order, figures in over
            )
            + "\n"
            + self.env._(
                "A payment from the client makes room; a sales manager may also reserve "
                "it beyond the limit."
            )
        )

    def _agora_awaits_credit_check(self):
        """Whether the client sees that this order waits for the supplier's
        credit check: submitted, and over the client's credit limit."""
        self.ensure_one()
        return self.agora_state == "processing" and self.agora_credit_exceeded

    def _agora_client_credit_notice(self):
        """What the client is told of their credit for this order, in the cart
        before submitting and on the card of an order awaiting the credit
        check: their own open balance, never the limit nor the supplier's
        other figures.

        :return: {"balance", "currency", "awaiting"} when the order, not reserved
            yet, takes the client beyond their credit limit; {} otherwise.
        """
        self.ensure_one()
        if (
            self.agora_state not in self._agora_credit_notice_states()
            or not self.agora_credit_exceeded
        ):
            return {}
        balance, currency = self._agora_client_open_balance()
        return {
            "balance": balance,
            "currency": currency,
            "awaiting": self._agora_awaits_credit_check(),
        }

    def _agora_credit_notice_states(self):
        """The statuses in which the client is told that an order goes beyond
        their credit: before the supplier reserves it."""
        return ("new", "processing")

    def _agora_client_open_balance(self):
        """What the client company owes the order's supplier company now: the
        one credit figure the client sees (their own), with its currency."""
        self.ensure_one()
        # sudo: the client's own receivable, an accounting field (see
        # ``_agora_credit_figures``).
        client = self.partner_id.commercial_partner_id.sudo().with_company(self.company_id)
        client.invalidate_recordset(["credit"])
        return client.credit, self.company_id.currency_id

    def action_agora_reserve_over_credit_limit(self):
        """Open the sales manager's confirmation to reserve beyond the credit limit."""
        self.ensure_one()
        self._agora_check_credit_override_rights()
        self._agora_check_transition("reserve")
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Reserve beyond the Credit Limit"),
            "res_model": "agora.credit.override.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_order_id": self.id},
        }

    def _agora_check_credit_override_rights(self):
        if not self.env.user.has_group("sales_team.group_sale_manager"):
            raise AccessError(
                self.env._(
                    "Only a sales manager may reserve an order beyond the client's credit limit."
                )
            )

    def _agora_reserve_over_credit_limit(self, reason):
        """A sales manager reserves these orders although they take their
        client beyond the credit limit. The decision, the figures and the
        reason are recorded in the history (the figures and the reason for
        staff only)."""
        self.check_access("write")
        self._agora_check_credit_override_rights()
        self._agora_check_transition("reserve")
        reason = (reason or "").strip()
        if not reason:
            raise UserError(
                self.env._("Say why the order may go beyond the client's credit limit.")
            )
        figures_by_order = self._agora_credit_figures()
        for order in self:
            figures = figures_by_order.get(order)
            if not (figures and figures["exceeded"]):
                raise UserError(
                    self.env._(
                        "Order %s is within the client's credit limit: reserve it as usual.",
                        order.name,
                    )
                )
        token = _CREDIT_OVERRIDE.set(frozenset(self.ids))
        try:
            self.action_agora_reserve()
        finally:
            _CREDIT_OVERRIDE.reset(token)
        for order in self:
            order._agora_log_event(
                "credit",
                new_value="approved",
                internal_note=self.env._(
                    "Reserved beyond the credit limit by %(manager)s (%(figures)s). "
                    "Reason: %(reason)s",
                    manager=self.env.user.name,
                    figures=order._agora_credit_figures_text(figures_by_order[order]),
                    reason=reason,
                ),
            )
        return True

import contextvars
import logging
from contextlib import contextmanager

import psycopg2.errors
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import (
    float_compare,
    float_is_zero,
)

_logger = logging.getLogger(__name__)

AGORA_STATES = [
    ("new", "New"),
    ("processing", "Processing"),
    ("reserve", "Reserve"),
    ("paid", "Paid"),
    ("shipped", "Shipped"),
    ("return", "Return"),
    ("closed", "Closed"),
]
PAYMENT_STATUSES = [("not_paid", "Not Paid"), ("partial", "Partially Paid"), ("paid", "Paid")]
DELIVERY_STATUSES = [
    ("not_shipped", "Not Shipped"),
    ("partial", "Partially Shipped"),
    ("shipped", "Shipped"),
]
CLOSE_REASONS = [("done", "Done"), ("cancelled", "Cancelled"), ("expired", "Expired")]
# What may make one order of a cron's batch fail while the others can go on:
# Odoo refusing one of its documents (to cancel it, or to render its email), or
# a concurrent transaction updating the same rows (staff reserving the same
# stock quants at that moment).
BATCH_RETRIABLE_ERRORS = (
    UserError,
    ValidationError,
    psycopg2.errors.SerializationFailure,
    psycopg2.errors.LockNotAvailable,
    psycopg2.errors.DeadlockDetected,
)
# Statuses in which a reservation runs and expires unless a payment holds it:
# reserved, or paid in part below the company's hold threshold.
RESERVATION_RUNNING_STATES = ("reserve", "paid")
# The actions on an order and the stages each one starts from, for supplier
# staff and for the client (through the portal). A stage is the Agora status,
# and for a closed order its reason. The one definition that the actions'
# checks (``_agora_check_transition``), the backend's buttons and the portal
# (the ``agora_can_*`` and ``agora_client_can_*`` fields) read.
AGORA_TRANSITIONS = {
    "submit": {"staff": {"new"}, "client": {"new"}},
    "reserve": {"staff": {"processing"}, "client": set()},
    # Staff until shipping; the client until the supplier reserves it (a cart,
    # New, is emptied rather than cancelled).
    "cancel": {"staff": {"new", "processing", "reserve", "paid"}, "client": {"processing"}},
    "extend": {"staff": {"reserve", "paid"}, "client": set()},
    "reopen": {"staff": {"closed_expired"}, "client": set()},
    "return": {
        "staff": {"shipped", "return", "closed_done"},
        "client": {"shipped", "return", "closed_done"},
    },
}
ACTORS = ("staff", "client")

# Fields only the Agora methods that own them write (submission, reservation,
# expiry, status emails), and the derived statuses: "readonly" in a view is not
# enough, since any user with write access on orders reaches ``write`` through
# RPC. Those methods write them with ``sudo()``.
PROTECTED_FIELDS = frozenset(
    {
        "agora_state",
        "agora_payment_status",
        "agora_amount_paid",
        "agora_amount_unpaid",
        "agora_payment_hold",
        "agora_delivery_status",
        "agora_close_reason",
        "agora_submitted_date",
        "agora_expired_date",
        "agora_reserve_deadline",
        "agora_reminder_sent",
        "agora_state_mail_pending",
        "agora_release_refusal",
    }
)


# Set while ``action_agora_reserve`` confirms its orders: the one way an Agora
# order is confirmed. A context variable, not a context key nor a field, so that
# nothing an RPC call sends can set it.
_RESERVING = contextvars.ContextVar("agora_reserving", default=False)


@contextmanager
def context_flag(variable):
    """Set the boolean context variable ``variable`` for the block."""
    token = variable.set(True)
    try:
        yield
    finally:
        variable.reset(token)


def agora_reserving():
    """Confirm orders as the reservation does (``action_agora_reserve`` and the
    bench's batched copy of it): Odoo's confirmation is refused otherwise."""
    return context_flag(_RESERVING)


class SaleOrder(models.Model):
    _inherit = "sale.order"

    agora_state = fields.Selection(
        AGORA_STATES,
        string="Agora Status",
        compute="_compute_agora_state",
        store=True,
        index=True,
        tracking=True,
        copy=False,
        # The kanban shows every status, in the order of the lifecycle.
        group_expand=True,
        help="New: being formed. Processing: submitted, under review. Reserve: approved, "
        "stock reserved and invoice issued. Paid, Shipped: fully or partly. Return: a "
        "return request is open. Closed: done, cancelled or expired.",
    )
    agora_payment_status = fields.Selection(
        PAYMENT_STATUSES,
        string="Payment Status",
        compute="_compute_agora_payment",
        store=True,
        tracking=True,
        copy=False,
    )
    agora_amount_paid = fields.Monetary(
        string="Amount Paid", compute="_compute_agora_payment", store=True, copy=False
    )
    agora_amount_unpaid = fields.Monetary(
        string="Amount Due", compute="_compute_agora_payment", store=True, copy=False
    )
    agora_payment_hold = fields.Boolean(
        string="Held by Payment",
        compute="_compute_agora_payment",
        store=True,
        copy=False,
        help="Enough was paid: the reservation no longer expires.",
    )
    agora_delivery_status = fields.Selection(
        DELIVERY_STATUSES,
        string="Shipping Status",
        compute="_compute_agora_delivery_status",
        store=True,
        tracking=True,
        copy=False,
    )
    agora_close_reason = fields.Selection(
        CLOSE_REASONS,
        string="Close Reason",
        compute="_compute_agora_close_reason",
        store=True,
        tracking=True,
        copy=False,
    )
    agora_submitted_date = fields.Datetime(string="Submitted On", readonly=True, copy=False)
    agora_expired_date = fields.Datetime(string="Expired On", readonly=True, copy=False)
    agora_reserve_deadline = fields.Datetime(
        string="Reserved Until", readonly=True, copy=False, tracking=True, index=True
    )
    agora_reminder_sent = fields.Boolean(readonly=True, copy=False)
    agora_state_mail_pending = fields.Selection(
        AGORA_STATES,
        string="Status Email Pending",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The status whose email to the client the 'Agora: send status emails' job is "
        "still to send (orders the expiry cron closed).",
    )
    agora_release_refusal = fields.Char(
        string="Release Refused",
        readonly=True,
        copy=False,
        help="Why Odoo refused to release this reservation when it expired. The expiry cron "
        "leaves the order alone until staff retry the release or extend the reservation.",
    )
    agora_agreement_id = fields.Many2one(
        "agora.agreement",
        string="Agreement",
        compute="_compute_agora_agreement_id",
        store=True,
        readonly=False,
        precompute=True,
        check_company=True,
        index="btree_not_null",
        domain="[('partner_id', '=', commercial_partner_id), ('state', '=', 'active')]",
    )
    commercial_partner_id = fields.Many2one(related="partner_id.commercial_partner_id")
    agora_client_comment = fields.Text(string="Client Comment", copy=False)
    agora_event_ids = fields.One2many("agora.order.event", "order_id", string="History")
    agora_return_request_ids = fields.One2many(
        "agora.return.request", "order_id", string="Return Requests"
    )
    agora_open_return_count = fields.Integer(compute="_compute_agora_open_return_count")
    # What staff and the client may do now (``AGORA_TRANSITIONS``).
    agora_can_submit = fields.Boolean(compute="_compute_agora_transitions")
    agora_can_reserve = fields.Boolean(compute="_compute_agora_transitions")
    agora_can_cancel = fields.Boolean(compute="_compute_agora_transitions")
    agora_can_extend = fields.Boolean(compute="_compute_agora_transitions")
    agora_can_reopen = fields.Boolean(compute="_compute_agora_transitions")
    agora_can_return = fields.Boolean(compute="_compute_agora_transitions")
    agora_client_can_cancel = fields.Boolean(compute="_compute_agora_transitions")
    agora_client_can_return = fields.Boolean(
        compute="_compute_agora_client_can_return",
        help="Shipped goods are left to return, and the order allows a return request.",
    )
    agora_reserve_expiring_soon = fields.Boolean(
        compute="_compute_agora_reserve_expiring_soon",
        search="_search_agora_reserve_expiring_soon",
        string="Reservation Expiring Within 24 h",
    )

    # ------------------------------------------------------------------
    # Fields written only by their own methods
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        self._agora_check_protected_fields({name for vals in vals_list for name in vals})
        # Nor through the context's defaults, which Odoo applies after this
        # check (a kanban grouped by status sends ``default_agora_state``).
        defaults = {
            key
            for key in self.env.context
            if key.startswith("default_") and key[len("default_") :] in PROTECTED_FIELDS
        }
        if defaults:
            context = {k: v for k, v in self.env.context.items() if k not in defaults}
            self = self.with_env(self.env(context=context))
        return super().create(vals_list)

    def write(self, vals):
        self._agora_check_protected_fields(vals)
        return super().write(vals)

    @api.model
    def _agora_check_protected_fields(self, field_names):
        """Refuse a direct write of the statuses and of the reservation's fields."""
        if self.env.su:
            return
        protected = PROTECTED_FIELDS.intersection(field_names)
        if protected:
            raise AccessError(
                self.env._(
                    "These fields change only through the order's actions (Submit, Reserve, "
                    "Extend Reservation...): %s",
                    ", ".join(
                        sorted(
                            self._fields[name]._description_string(self.env) for name in protected
                        )
                    ),
                )
            )

    # ------------------------------------------------------------------
    # Agreement: price list, payment terms, assortment
    # ------------------------------------------------------------------

    @api.depends("partner_id", "company_id")
    def _compute_agora_agreement_id(self):
        for order in self:
            if order.state not in ("draft", "sent") and order.agora_agreement_id:
                continue
            order.agora_agreement_id = self.env["agora.agreement"]._get_active_agreement(
                order.partner_id, order.company_id
            )

    @api.depends("agora_agreement_id")
    def _compute_pricelist_id(self):
        res = super()._compute_pricelist_id()
        for order in self:
            if order.state == "draft" and order.agora_agreement_id.pricelist_id:
                order.pricelist_id = order.agora_agreement_id.pricelist_id
        return res

    @api.depends("agora_agreement_id")
    def _compute_payment_term_id(self):
        res = super()._compute_payment_term_id()
        for order in self:
            if order.agora_agreement_id.payment_term_id:
                order.payment_term_id = order.agora_agreement_id.payment_term_id
        return res

    @api.constrains("agora_agreement_id", "partner_id", "company_id")
    def _check_agora_agreement_client(self):
        """An order follows its own client's agreement, in its own company: the
        agreement decides the assortment, prices, payment terms and deadline."""
        for order in self.filtered("agora_agreement_id"):
            agreement = order.agora_agreement_id
            if (
                agreement.partner_id != order.partner_id.commercial_partner_id
                or agreement.company_id != order.company_id
            ):
                raise ValidationError(
                    self.env._(
                        "Order %(order)s cannot follow agreement %(agreement)s: it is the "
                        "agreement of another client or company.",
                        order=order.name,
                        agreement=agreement.display_name,
                    )
                )

    def _agora_check_orderable(self):
        """Refuse lines the client may not order: no product, bad quantity, or
        a product outside the agreement's assortment."""
        for order in self:
            lines = order.order_line.filtered(lambda l: not l.display_type)
            if not lines:
                raise UserError(self.env._("Order %s has no lines to submit.", order.name))
            for line in lines:
                if not line.product_id:
                    raise UserError(self.env._("Every order line needs a product."))
                if (
                    float_compare(
                        line.product_uom_qty, 0.0, precision_rounding=line.product_uom_id.rounding
                    )
                    <= 0
                ):
                    raise UserError(
                        self.env._(
                            "The quantity of %s must be positive.", line.product_id.display_name
                        )
                    )
            products = lines.product_id
            allowed = order.agora_agreement_id._filter_orderable_products(
                products, order.company_id
            )
            refused = products - allowed
            if refused:
                raise UserError(
                    self.env._(
                        "These products are outside the agreement of %(client)s: %(products)s",
                        client=order.partner_id.commercial_partner_id.display_name,
                        products=", ".join(refused.mapped("display_name")),
                    )
                )
            if order.agora_agreement_id.pricelist_id and (
                order.pricelist_id != order.agora_agreement_id.pricelist_id
            ):
                raise UserError(
                    self.env._(
                        "Order %(order)s must use the price list of agreement %(agreement)s.",
                        order=order.name,
                        agreement=order.agora_agreement_id.name,
                    )
                )

    # ------------------------------------------------------------------
    # The derived status: ONE method, whatever changed the documents
    # ------------------------------------------------------------------

    def _agora_invoices(self):
        """Posted customer invoices of the orders (credit notes excluded)."""
        return self.order_line.invoice_lines.move_id.filtered(
            lambda m: m.move_type == "out_invoice" and m.state == "posted"
        )

    @api.depends(
        "order_line.invoice_lines.move_id.state",
        "order_line.invoice_lines.move_id.payment_state",
        "order_line.invoice_lines.move_id.amount_residual",
        "order_line.invoice_lines.move_id.reversal_move_ids.state",
        "order_line.invoice_lines.move_id.reversal_move_ids.amount_residual",
        "company_id.agora_hold_threshold",
    )
    def _compute_agora_payment(self):
        # The reversals of the whole batch's invoices in one query, not per order.
        self._agora_invoices().fetch(["reversal_move_ids"])
        for order in self:
            invoices = order._agora_invoices()
            total = sum(invoices.mapped("amount_total"))
            residual = sum(invoices.mapped("amount_residual"))
            # What the client paid: what was settled on the invoices, less what
            # their reversal credit notes settled (an expired reservation's
            # invoice is reversed: its part payment stays the client's money,
            # shown as paid until it is refunded).
            reversals = invoices.reversal_move_ids.filtered(lambda m: m.state == "posted")
            credited = sum(reversals.mapped("amount_total")) - sum(
                reversals.mapped("amount_residual")
            )
            paid = total - residual - credited
            currency = order.currency_id or order.company_id.currency_id
            if invoices and currency.compare_amounts(paid, total) >= 0:
                status = "paid"
                residual = 0.0
            elif invoices and currency.compare_amounts(paid, 0.0) > 0:
                status = "partial"
            else:
                status = "not_paid"
            threshold = order.company_id.agora_hold_threshold or 0.0
            order._agora_set_status("agora_payment_status", status)
            order.agora_amount_paid = paid
            order.agora_amount_unpaid = residual
            order.agora_payment_hold = bool(
                total
                and currency.compare_amounts(paid, 0.0) > 0
                and currency.compare_amounts(paid, total * threshold / 100.0) >= 0
            )

    @api.depends(
        "state",
        "order_line.agora_qty_shipped",
        "order_line.product_uom_qty",
        "order_line.display_type",
    )
    def _compute_agora_delivery_status(self):
        for order in self:
            goods = order.order_line.filtered(
                lambda l: not l.display_type and l.product_id.type == "consu"
            )
            if order.state != "sale" or not goods:
                order._agora_set_status("agora_delivery_status", "not_shipped")
                continue
            shipped_any = any(
                not float_is_zero(
                    l.agora_qty_shipped, precision_rounding=l.product_uom_id.rounding
                )
                for l in goods
            )
            shipped_all = all(
                float_compare(
                    l.agora_qty_shipped,
                    l.product_uom_qty,
                    precision_rounding=l.product_uom_id.rounding,
                )
                >= 0
                for l in goods
            )
            order._agora_set_status(
                "agora_delivery_status",
                "shipped" if shipped_all else "partial" if shipped_any else "not_shipped",
            )

    @api.depends(
        "state",
        "agora_expired_date",
        "agora_payment_status",
        "agora_delivery_status",
        "agora_return_request_ids.state",
    )
    def _compute_agora_close_reason(self):
        for order in self:
            if order.state == "cancel":
                order.agora_close_reason = "expired" if order.agora_expired_date else "cancelled"
            elif (
                order.state == "sale"
                and order.agora_payment_status == "paid"
                and order.agora_delivery_status == "shipped"
                and not order._agora_has_open_return()
            ):
                order.agora_close_reason = "done"
            else:
                order.agora_close_reason = False

    @api.depends(
        "state",
        "agora_submitted_date",
        "agora_close_reason",
        "agora_payment_status",
        "agora_delivery_status",
        "agora_return_request_ids.state",
    )
    def _compute_agora_state(self):
        """Derive the Agora status from the documents under the order.

        The furthest stage reached wins: a client with payment terms may be
        shipped before paying, and both progress fields stay visible.
        """
        for order in self:
            order._agora_set_status("agora_state", order._agora_derive_state())

    def _agora_derive_state(self):
        self.ensure_one()
        if self.agora_close_reason:
            return "closed"
        if self._agora_has_open_return():
            return "return"
        if self.state == "sale":
            if self.agora_delivery_status != "not_shipped":
                return "shipped"
            if self.agora_payment_status != "not_paid":
                return "paid"
            return "reserve"
        return "processing" if self.agora_submitted_date else "new"

    # ------------------------------------------------------------------
    # Transitions
    # ------------------------------------------------------------------

    def _agora_state_label(self):
        return dict(self._fields["agora_state"]._description_selection(self.env)).get(
            self.agora_state, ""
        )

    def _agora_stage(self):
        """The order's stage in ``AGORA_TRANSITIONS``: its Agora status, and
        for a closed order its reason ("closed_expired")."""
        self.ensure_one()
        if self.agora_state == "closed":
            return f"closed_{self.agora_close_reason}"
        return self.agora_state

    def _agora_allows(self, action, actor="staff"):
        """Whether ``actor`` ("staff" or "client") may take ``action`` on this
        order now, by ``AGORA_TRANSITIONS``."""
        self.ensure_one()
        return self._agora_stage() in AGORA_TRANSITIONS[action][actor]

    @api.depends("agora_state", "agora_close_reason")
    def _compute_agora_transitions(self):
        for order in self:
            for action in AGORA_TRANSITIONS:
                order[f"agora_can_{action}"] = order._agora_allows(action, "staff")
            order.agora_client_can_cancel = order._agora_allows("cancel", "client")

    @api.depends(
        "agora_state",
        "agora_close_reason",
        "order_line.agora_qty_shipped",
        "order_line.agora_return_line_ids.quantity",
        "order_line.agora_return_line_ids.quantity_received",
        "order_line.agora_return_line_ids.request_id.state",
    )
    def _compute_agora_client_can_return(self):
        for order in self:
            # The lines are looked at only where the table allows a return.
            order.agora_client_can_return = order._agora_allows("return", "client") and any(
                float_compare(
                    line._agora_returnable_qty(),
                    0.0,
                    precision_rounding=line.product_uom_id.rounding,
                )
                > 0
                for line in order.order_line
                if not line.display_type and line.product_id
            )

    def _agora_check_transition(self, action, actor="staff"):
        """Refuse ``action`` on the orders it is not allowed from, with the
        reason in the user's words."""
        verbs = {
            "submit": self.env._("submit"),
            "reserve": self.env._("reserve"),
            "cancel": self.env._("cancel"),
            "extend": self.env._("extend the reservation of"),
        }
        for order in self:
            if order._agora_allows(action, actor):
                continue
            if action == "reopen":
                raise UserError(
                    self.env._(
                        "Only an expired order can be reopened; %(order)s is %(status)s.",
                        order=order.name,
                        status=order._agora_state_label(),
                    )
                )
            if action == "return":
                raise UserError(
                    self.env._(
                        "Only goods already shipped can be returned (order %s).", order.name
                    )
                )
            raise UserError(
                self.env._(
                    "You cannot %(action)s order %(order)s: it is %(status)s.",
                    action=verbs[action],
                    order=order.name,
                    status=order._agora_state_label(),
                )
            )

    def _agora_derive_statuses(self):
        """Derive the orders' statuses now, as the user acting on them: the
        history then names whoever took the action (``_agora_set_status``),
        rather than whoever's flush would have derived them later."""
        self.mapped("agora_state")

    def action_agora_submit(self):
        """Submit the order: customer service reviews it next."""
        self.check_access("write")
        self._agora_check_transition("submit")
        self._agora_check_orderable()
        if self._agora_is_staff():
            # Staff submitting for the client may accept other quantities:
            # the history says which.
            self._agora_log_quantity_overrides()
        else:
            self._agora_check_quantity_rules()
        self._agora_submit_to_supplier()
        return True

    def _agora_submit_to_supplier(self):
        """Hand these checked orders to the supplier: they become Processing,
        the client follows them, and the salesperson gets a review to do.

        The one step every submission ends with (``action_agora_submit``, and
        a client company's approval in ``agora_company``); callers have
        checked the access, the transition and the assortment.
        """
        if not self:
            return
        # sudo: the submission date is written only here (after the checks).
        self.sudo().write({"agora_submitted_date": fields.Datetime.now()})
        for order in self:
            order.message_subscribe(partner_ids=order.partner_id.ids)
            order._agora_notify_staff_of_submission()
        self._agora_derive_statuses()

    def _agora_notify_staff_of_submission(self):
        self.ensure_one()
        responsible = self.user_id or self.team_id.user_id
        if not responsible:
            return
        summary = self.env._("Review order %s", self.name)
        self.activity_schedule(
            "agora_orders.mail_activity_type_agora_review",
            user_id=responsible.id,
            summary=summary,
            # The note is HTML, and the client's name is the client's own text:
            # escaped, never markup, a link or an address made clickable.
            note=Markup("<p>%s</p>")
            % self.env._(
                "%(client)s submitted order %(order)s for %(amount)s.",
                client=self.partner_id.display_name,
                order=self.name,
                amount=self.currency_id.format(self.amount_total),
            ),
        )
        self.message_post(
            body=self.env._(
                "Order %(order)s was submitted by %(client)s and awaits review.",
                order=self.name,
                client=self.partner_id.display_name,
            ),
            partner_ids=responsible.partner_id.ids,
            subtype_xmlid="mail.mt_note",
        )

    def _agora_is_client_contact(self, partner):
        """Whether ``partner`` is a contact of this order's client company,
        who may read the order's documents as the client (its invoice)."""
        self.ensure_one()
        return bool(partner) and (
            self.partner_id.commercial_partner_id == partner.commercial_partner_id
        )

    def _agora_is_client(self, partner):
        """Whether ``partner`` may act on this order as the client (cancel,
        repeat, return): a contact of its client company."""
        self.ensure_one()
        return self._agora_is_client_contact(partner)

    # ------------------------------------------------------------------
    # Standard flow guards: only the reservation confirms an Agora order
    # ------------------------------------------------------------------

    def _agora_confirmed_by_reservation(self):
        """Whether only the supplier's reservation (``action_agora_reserve``) may
        confirm this order: a cart or quotation (New) and every submitted order.

        Odoo's other ways to confirm a quotation (the backend's Confirm button,
        a portal signature or online payment, an RPC call) would skip the
        staff's review, the invoice issued at reservation and the reservation
        deadline, so the expiry would never release the stock.
        """
        self.ensure_one()
        return bool(self.agora_submitted_date) or self.agora_state == "new"

    def _has_to_be_signed(self):
        if self._agora_confirmed_by_reservation():
            return False
        return super()._has_to_be_signed()

    def _has_to_be_paid(self):
        # An Agora order is paid through its invoice, once reserved.
        if self._agora_confirmed_by_reservation():
            return False
        return super()._has_to_be_paid()

    def _is_confirmation_amount_reached(self):
        # A payment never confirms an Agora order: sale's payment processing
        # then leaves it where it is instead of calling ``action_confirm``.
        if self._agora_confirmed_by_reservation():
            return False
        return super()._is_confirmation_amount_reached()

    def _confirmation_error_message(self):
        error = super()._confirmation_error_message()
        if error:
            return error
        if self._agora_confirmed_by_reservation() and not _RESERVING.get():
            return self.env._(
                "Order %s is confirmed by reserving it: submit it, then click Reserve.",
                self.name,
            )
        if self.agora_agreement_id and self.state in ("draft", "sent"):
            try:
                self._agora_check_orderable()
            except UserError as exc:
                return exc.args[0]
        return False

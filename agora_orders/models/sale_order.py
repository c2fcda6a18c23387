import contextvars
import logging
from collections import defaultdict
from contextlib import contextmanager
from datetime import timedelta

import psycopg2.errors
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, LockError, MissingError, UserError, ValidationError
from odoo.fields import Command, Domain
from odoo.tools import (
    clean_context,
    float_compare,
    float_is_zero,
    format_datetime,
    plaintext2html,
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
# Statuses staff may still cancel from (until shipping).
STAFF_CANCELLABLE = ("new", "processing", "reserve", "paid")
# Statuses the client may cancel from (before the reservation).
CLIENT_CANCELLABLE = ("new", "processing")
# Tracked fields whose changes become history events.
EVENT_FIELDS = {
    "agora_state": "state",
    "agora_payment_status": "payment",
    "agora_delivery_status": "shipment",
}


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
def agora_reserving():
    """Confirm orders as the reservation does (``action_agora_reserve`` and the
    bench's batched copy of it): Odoo's confirmation is refused otherwise."""
    token = _RESERVING.set(True)
    try:
        yield
    finally:
        _RESERVING.reset(token)


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
            order.agora_payment_status = status
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
                order.agora_delivery_status = "not_shipped"
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
            order.agora_delivery_status = (
                "shipped" if shipped_all else "partial" if shipped_any else "not_shipped"
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
            order.agora_state = order._agora_derive_state()

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

    def _agora_has_open_return(self):
        self.ensure_one()
        return any(r.state in ("requested", "approved") for r in self.agora_return_request_ids)

    @api.depends("agora_return_request_ids.state")
    def _compute_agora_open_return_count(self):
        for order in self:
            order.agora_open_return_count = len(
                order.agora_return_request_ids.filtered(
                    lambda r: r.state in ("requested", "approved")
                )
            )

    def _agora_reservation_runs(self):
        """Whether the reservation still runs to its deadline: reserved, or
        paid in part below the share that holds it (``_agora_expiry_domain``
        in Python)."""
        self.ensure_one()
        return bool(
            self.agora_reserve_deadline
            and self.agora_state in RESERVATION_RUNNING_STATES
            and not self.agora_payment_hold
        )

    @api.depends("agora_reserve_deadline", "agora_state", "agora_payment_hold")
    def _compute_agora_reserve_expiring_soon(self):
        limit = fields.Datetime.now() + timedelta(hours=24)
        for order in self:
            order.agora_reserve_expiring_soon = (
                order._agora_reservation_runs() and order.agora_reserve_deadline <= limit
            )

    def _search_agora_reserve_expiring_soon(self, operator, value):
        if operator not in ("in", "not in"):
            return NotImplemented
        domain = Domain(
            [
                ("agora_state", "in", RESERVATION_RUNNING_STATES),
                ("agora_payment_hold", "=", False),
                ("agora_reserve_deadline", "<=", fields.Datetime.now() + timedelta(hours=24)),
            ]
        )
        return domain if (operator == "in") == (True in value) else ~domain

    # ------------------------------------------------------------------
    # History, notifications and emails on tracked changes
    # ------------------------------------------------------------------

    def _agora_log_event(self, event_type, **values):
        """Record one history event per order: ``values`` as
        ``agora.order.event._prepare_log_values`` takes them (``description``
        is shown to the client, ``internal_note`` to staff only)."""
        Event = self.env["agora.order.event"]
        Event._log_batch(
            [Event._prepare_log_values(order, event_type, **values) for order in self]
        )

    def _message_track(self, fields_iter, initial_values_dict):
        """Turn the tracked Agora fields into history events and client notices.

        Tracking runs once per transaction, before commit, whichever path changed
        the order (UI, payment, picking, import, another module).
        """
        tracking = super()._message_track(fields_iter, initial_values_dict)
        Event = self.env["agora.order.event"]
        events = []
        changed_state = self.browse()
        for order in self:
            changes = (tracking.get(order.id) or (set(), None))[0]
            for fname, event_type in EVENT_FIELDS.items():
                if fname not in changes:
                    continue
                # Keys are stored; agora.order.event shows them in the reader's language.
                events.append(
                    Event._prepare_log_values(
                        order,
                        event_type,
                        old_value=initial_values_dict[order.id].get(fname) or False,
                        new_value=order[fname] or False,
                    )
                )
            if "agora_state" in changes and order.agora_state != "new":
                changed_state |= order
        # An order that left Reserve (paid, cancelled...) has no release left to retry.
        changed_state.filtered(lambda o: o.agora_state != "reserve")._agora_clear_release_refusal()
        # The events of a batch (the expiry cron closes hundreds of orders) at once.
        if events:
            Event._log_batch(events)
        if changed_state:
            self.env["agora.notification"]._notify_state_change(changed_state)
            job = self.env.context.get("agora_defer_state_mails") and self._agora_state_mail_job()
            if job:
                changed_state._agora_defer_state_mails(job)
            else:
                # This status's email, sent now, supersedes one still pending.
                # sudo: the pending email flag belongs to the status emails.
                changed_state.filtered(
                    "agora_state_mail_pending"
                ).sudo().agora_state_mail_pending = False
                changed_state._agora_post_state_mails()
        return tracking

    @api.model
    def _agora_state_mail_job(self):
        """The status email job, if it can run: staff may have archived or
        deleted it, and then the emails go at once, as on any other change."""
        # sudo: reading a scheduled action is for administrators; whoever
        # changes an order only asks whether the job runs.
        job = self.env.ref("agora_orders.ir_cron_agora_send_state_mails", raise_if_not_found=False)
        return job.sudo() if job and job.sudo().active else self.env["ir.cron"]

    def _agora_defer_state_mails(self, job):
        """Leave the status emails of these orders to the status email job.

        The expiry cron closes hundreds of orders at a time: freeing their
        stock must neither wait for their emails (rendered and posted one by
        one, half of its time) nor fail with them (a template staff broke).
        The job is woken to send them as soon as the change is committed.
        """
        for state, orders in self.grouped("agora_state").items():
            # sudo: the pending email flag belongs to the status emails.
            orders.sudo().agora_state_mail_pending = state
        job._trigger()

    def _agora_post_state_mails(self):
        """Email each client its order's new status (its template per status,
        in the client's language), logged in the order's chatter.

        Odoo posts tracking templates (``_track_template``) one order at a
        time, each through its own composer. Here the orders that reached the
        same status, from the same sender, are rendered and posted by one
        composer: a batch (the expiry cron closes hundreds of orders) then
        renders each template once per language instead of once per order.
        A batch's emails go to the mail queue, which is woken at once: they
        leave within moments, sent in bulk by the queue rather than inside
        the transaction that changed the orders (one order's email is sent
        right after its commit, as Odoo does). The chatter author is the
        partner a one-order composer finds from the rendered sender (the
        salesperson). The Reserve email carries each order's own invoice, so
        it keeps one composer per order.
        """
        orders = self.filtered(lambda o: o.agora_state != "new" and o.partner_id)
        orders = orders.with_context(clean_context(self.env.context))._fallback_lang()
        # Notifying the client, sale reads each order's payment transactions (for
        # the title of the email's button): read them for the batch at once.
        # sudo: as sale does to read them there (an invoicing field).
        orders.sudo().fetch(["transaction_ids"])
        orders._agora_prefetch_thread_history()
        Thread = orders.env["mail.thread"].with_context(active_test=False)
        subtype = self.env.ref("mail.mt_note")
        queued = False
        # A status's body is compiled once for the orders one composer renders
        # together, not once per order (a Reserve email has its own composer).
        with self.env["ir.qweb"]._agora_reuse_inline_compilations():
            for state in dict.fromkeys(orders.mapped("agora_state")):
                template = self.env.ref(
                    f"agora_orders.mail_template_agora_state_{state}", raise_if_not_found=False
                )
                if not template:
                    continue
                same_state = orders.filtered(lambda o, state=state: o.agora_state == state)
                for batch, sender in same_state._agora_state_mail_batches(template):
                    values = {
                        "message_type": "auto_comment",
                        "subtype_id": subtype.id,
                        "email_layout_xmlid": "mail.mail_notification_light",
                        "notify_author_mention": True,
                    }
                    if len(batch) == 1:
                        # One order: the composer renders it as Odoo's tracking would.
                        values["partner_ids"] = batch.partner_id.ids
                        values["attachment_ids"] = batch._agora_state_mail_attachments().ids
                    else:
                        # The template's recipient (the order's client) per order, and
                        # the author a one-order composer finds from the sender.
                        author_id = (
                            Thread._message_compute_author(None, sender)[0] if sender else None
                        )
                        values["author_id"] = author_id or self.env.user.partner_id.id
                        # Given an author, the composer leaves its sender (computed with
                        # it) empty: the template's, as the composer takes it when it
                        # computes it, to render for each order (not the rendered sender,
                        # which would be rendered again: a salesperson's name is no
                        # template). The reply-to is then computed for the batch at once.
                        values["email_from"] = template.email_from
                        queued = True
                    composer = (
                        orders.env["mail.compose.message"]
                        .with_context(
                            default_composition_mode="comment",
                            default_model=self._name,
                            default_res_ids=batch.ids,
                            default_template_id=template.id,
                        )
                        .create(values)
                    )
                    composer._action_send_mail()
        if queued:
            # sudo: whoever changed the orders (staff, a payment, the cron) wakes
            # the mail queue for the emails it just queued.
            self.env.ref("mail.ir_cron_mail_scheduler_action").sudo()._trigger()

    def _agora_prefetch_thread_history(self):
        """Read the messages of these orders' chatters for them all at once.

        Posting an email on an order, Odoo looks through the order's messages
        twice: for the message it answers (``_message_compute_parent_id``) and
        for the email's references (``_notify_by_email_get_base_mail_values``),
        reading their type, date, subtype and Message-Id one order at a time.
        Read here, those come from the cache; Odoo still chooses the messages.
        """
        # sudo: as Odoo reads them there, for their ids and headers only.
        self.env["mail.message"].sudo().search_fetch(
            [("model", "=", self._name), ("res_id", "in", self.ids)],
            ["message_type", "date", "create_date", "subtype_id", "is_internal", "message_id"],
        ).subtype_id.fetch(["internal"])

    def _message_compute_real_author(self, author_id):
        """Odoo's, without a query per message: it tells whether the author is
        OdooBot with ``env.ref``, which checks each time that the partner
        exists. The status email job, run by the (inactive) OdooBot, asks once
        per email."""
        if self.env.user.active or not author_id:
            return super()._message_compute_real_author(author_id)
        author = self.env["res.partner"].browse(author_id)
        odoobot_id = self.env["ir.model.data"]._xmlid_to_res_id("base.partner_root")
        return author if author.active and author.id != odoobot_id else self.env["res.partner"]

    def _agora_state_mail_batches(self, template):
        """The orders (of one status) one composer emails together, with their
        rendered sender: those from the same sender. A Reserve email carries
        each order's own invoice: one composer per order."""
        if self[:1].agora_state == "reserve":
            return [(order, None) for order in self]
        senders = template._render_field("email_from", self.ids)
        by_sender = defaultdict(self.browse)
        for order in self:
            by_sender[senders[order.id]] |= order
        return [(batch, sender) for sender, batch in by_sender.items()]

    def _agora_state_mail_attachments(self):
        """The invoice PDF goes with the Reserve email."""
        self.ensure_one()
        if self.agora_state != "reserve":
            return self.env["ir.attachment"]
        attachments = self.env["ir.attachment"]
        for invoice in self._agora_invoices():
            report_ref = invoice._agora_get_invoice_report_ref()
            content, _fmt = self.env["ir.actions.report"]._render_qweb_pdf(report_ref, invoice.ids)
            attachments |= self.env["ir.attachment"].create(
                {
                    "name": self.env._("Invoice %s.pdf", invoice.name),
                    "raw": content,
                    "mimetype": "application/pdf",
                    "res_model": "mail.compose.message",
                    "res_id": 0,
                }
            )
        return attachments

    # ------------------------------------------------------------------
    # Transitions
    # ------------------------------------------------------------------

    def _agora_state_label(self):
        return dict(self._fields["agora_state"]._description_selection(self.env)).get(
            self.agora_state, ""
        )

    def _agora_check_state(self, allowed, action):
        for order in self:
            if order.agora_state not in allowed:
                raise UserError(
                    self.env._(
                        "You cannot %(action)s order %(order)s: it is %(status)s.",
                        action=action,
                        order=order.name,
                        status=order._agora_state_label(),
                    )
                )

    def action_agora_submit(self):
        """Submit the order: customer service reviews it next."""
        self.check_access("write")
        self._agora_check_state(("new",), self.env._("submit"))
        self._agora_check_orderable()
        # sudo: the submission date is written only here (after the access check).
        self.sudo().write({"agora_submitted_date": fields.Datetime.now()})
        for order in self:
            order.message_subscribe(partner_ids=order.partner_id.ids)
            order._agora_notify_staff_of_submission()
        return True

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

    def action_agora_reserve(self):
        """Approve the order: confirm it, reserve its stock, issue the invoice,
        and start the reservation clock."""
        self.check_access("write")
        self._agora_check_state(("processing",), self.env._("reserve"))
        self._agora_check_orderable()
        now = fields.Datetime.now()
        for order in self:
            hours = order.agora_agreement_id._get_reserve_hours(order.company_id)
            # sudo: the deadline is the reservation's own field, written only
            # here; it is set before the confirmation, which requires it.
            order.sudo().write(
                {
                    "agora_reserve_deadline": now + timedelta(hours=hours),
                    "agora_reminder_sent": False,
                }
            )
        with agora_reserving():
            self.with_context(send_email=False).action_confirm()
        self.activity_feedback(
            ["agora_orders.mail_activity_type_agora_review"],
            feedback=self.env._("Reserved"),
        )
        for order in self:
            order._agora_reserve_stock()
            order._agora_create_reserve_invoice()
        return True

    def _agora_reserve_stock(self):
        """Reserve as much as is on hand. Odoo's quant reservation locks the quant
        rows, so two orders never reserve the same last units."""
        pickings = self.picking_ids.filtered(lambda p: p.state not in ("done", "cancel", "draft"))
        # An order of services only has no delivery; Odoo refuses to check
        # the availability of nothing.
        if pickings:
            pickings.action_assign()

    def _agora_create_reserve_invoice(self):
        """Issue and post the invoice for payment of the whole order.

        Agora bills at reservation, whatever the products' invoicing policy, so
        lines are invoiced on their ordered quantity.
        """
        self.ensure_one()
        order = self.with_company(self.company_id)
        if order.partner_invoice_id.lang:
            order = order.with_context(lang=order.partner_invoice_id.lang)
        lines = order.order_line.filtered(
            lambda l: (
                not l.display_type
                and float_compare(
                    l.product_uom_qty - l.qty_invoiced,
                    0.0,
                    precision_rounding=l.product_uom_id.rounding,
                )
                > 0
            )
        )
        if not lines:
            return self.env["account.move"]
        invoice_vals = order._prepare_invoice()
        invoice_vals["invoice_line_ids"] = [
            Command.create(
                line._prepare_invoice_line(
                    sequence=index, quantity=line.product_uom_qty - line.qty_invoiced
                )
            )
            for index, line in enumerate(lines, start=1)
        ]
        # sudo: issuing the order's invoice is part of the reservation that sales
        # staff approve; they hold no accounting rights.
        invoice = (
            self.env["account.move"].sudo().with_company(order.company_id).create(invoice_vals)
        )
        invoice.action_post()
        return invoice.sudo(False)

    def _agora_cancel_invoices(self):
        """Withdraw the invoices of a cancelled or expired order.

        An unpaid invoice is cancelled; one with payments is reversed by a
        credit note, left for the accountant to refund.

        sudo: withdrawing the order's own invoice is part of the cancellation
        staff (or the expiry cron) decided; sales staff hold no accounting rights.
        """
        invoices = self._agora_invoices().sudo()
        # All the unpaid invoices at once: one pass of Odoo's draft and cancel.
        unpaid = invoices.filtered(lambda invoice: invoice.payment_state == "not_paid")
        if unpaid:
            # skip_invoice_sync: the invoices are withdrawn exactly as issued.
            # Re-syncing their tax and payment-term lines from unchanged invoice
            # lines on the way to the cancellation changes nothing and was a
            # fifth of the expiry cron's time; Odoo skips it as well when it
            # reverses a move to cancel it (``_reverse_moves``).
            unpaid = unpaid.with_context(skip_invoice_sync=True)
            unpaid.button_cancel()
            # What the cancellation left to compute on them (their sequence
            # fields, and the gap flag that writes on the next invoices) is
            # computed now, in the same context (flushing recomputes first):
            # computed later, by whatever flushes next, each of those writes
            # re-synced an invoice's lines.
            unpaid.flush_recordset()
        for invoice in invoices - unpaid:
            reversal = invoice._reverse_moves(
                [{"ref": self.env._("Cancellation of %s", invoice.name)}]
            )
            reversal.action_post()
        self.invoice_ids.sudo().filtered(lambda m: m.state == "draft").button_cancel()

    def action_agora_cancel(self):
        """Staff cancel the order; possible until it ships."""
        self.check_access("write")
        self._agora_check_state(STAFF_CANCELLABLE, self.env._("cancel"))
        self._agora_cancel()
        return True

    def message_post(self, **kwargs):
        # Odoo's chatter route applies the context a client sends: a portal user
        # posting on their order must not move it to "sent" (``mark_so_as_sent``).
        if self.env.context.get("mark_so_as_sent") and self.env.user.share:
            self = self.with_context(mark_so_as_sent=False)
        return super().message_post(**kwargs)

    def _agora_is_client(self, partner):
        """Whether ``partner`` is a contact of this order's client company: the
        one who may act on it as the client (cancel, repeat, return)."""
        self.ensure_one()
        return bool(partner) and (
            self.partner_id.commercial_partner_id == partner.commercial_partner_id
        )

    def _agora_client_cancel(self):
        """The client cancels their own order, before it is reserved."""
        self._agora_check_state(CLIENT_CANCELLABLE, self.env._("cancel"))
        self._agora_cancel()
        return True

    def _agora_cancel(self):
        self.activity_unlink(["agora_orders.mail_activity_type_agora_review"])
        self._agora_cancel_invoices()
        self.locked = False
        self._agora_action_cancel()

    def _agora_action_cancel(self):
        """Odoo's cancellation of these orders, their deliveries' stock looked
        up once for all of them.

        Cancelling a delivery unreserves it line by line, and each line
        searches its quant twice: the quants of all the lines are read in one
        query into stock's own cache instead (``stock.quant._agora_quants_cache``).
        sale_stock then reads each order's moves for their origins (the
        activity it logs on upstream transfers): they are read at once too.
        """
        pickings = self.picking_ids.filtered(lambda p: p.state not in ("done", "cancel"))
        quants_cache = self.env["stock.quant"]._agora_quants_cache(pickings.move_ids.move_line_ids)
        self.order_line.move_ids.fetch(["move_orig_ids"])
        return self.with_context(quants_cache=quants_cache)._action_cancel()

    def action_draft(self):
        """Sale's "Set to Quotation" on a cancelled order: what its reservation
        left (deadline, expiry, reminder) goes, as when an expired order is
        reopened, so that it neither expires again nor reads as expired."""
        res = super().action_draft()
        # sudo: the reservation's own fields, after Odoo's state checks above.
        self.filtered(lambda o: o.agora_reserve_deadline or o.agora_expired_date).sudo().write(
            {
                "agora_reserve_deadline": False,
                "agora_expired_date": False,
                "agora_reminder_sent": False,
            }
        )
        return res

    def action_agora_reopen(self):
        """Bring an expired order back to Processing, to be reserved again."""
        self.check_access("write")
        for order in self:
            if order.agora_close_reason != "expired":
                raise UserError(
                    self.env._(
                        "Only an expired order can be reopened; %(order)s is %(status)s.",
                        order=order.name,
                        status=order._agora_state_label(),
                    )
                )
        self.action_draft()
        # sudo: the reservation's own fields, after the access check above.
        self.sudo().write(
            {
                "agora_expired_date": False,
                "agora_reserve_deadline": False,
                "agora_reminder_sent": False,
                "agora_submitted_date": fields.Datetime.now(),
            }
        )
        return True

    def action_agora_extend_reservation(self):
        self.ensure_one()
        self._agora_check_state(("reserve", "paid"), self.env._("extend the reservation of"))
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Extend Reservation"),
            "res_model": "agora.reserve.extend.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_order_id": self.id},
        }

    def _agora_extend_reservation(self, new_deadline, reason=False):
        self.check_access("write")
        self._agora_check_state(("reserve", "paid"), self.env._("extend the reservation of"))
        now = fields.Datetime.now()
        for order in self:
            # In the future too: a past one would expire the order again at once.
            if new_deadline <= max(order.agora_reserve_deadline or now, now):
                raise ValidationError(
                    self.env._("The new deadline must be later than the current one and than now.")
                )
            old = order.agora_reserve_deadline
            # sudo: the deadline changes only here and at reservation.
            order.sudo().write(
                {"agora_reserve_deadline": new_deadline, "agora_reminder_sent": False}
            )
            # The new deadline is a new chance: the cron releases it then.
            order._agora_clear_release_refusal()
            # The reason is the staff's own note: kept for staff, never shown
            # to the client, who sees the new deadline only.
            order._agora_log_event(
                "deadline",
                old_value=format_datetime(self.env, old) if old else "",
                new_value=format_datetime(self.env, new_deadline),
                internal_note=reason or False,
            )
        return True

    # ------------------------------------------------------------------
    # Reservation expiry and reminders (crons)
    # ------------------------------------------------------------------

    def _agora_expiry_domain(self, now):
        return Domain(
            [
                ("agora_state", "in", RESERVATION_RUNNING_STATES),
                ("agora_payment_hold", "=", False),
                ("agora_reserve_deadline", "<", now),
                ("agora_release_refusal", "=", False),
            ]
        )

    def _agora_commit_progress(self, processed, remaining):
        """Report a cron batch: commits and lets the scheduler re-run the job
        while work remains. Outside a cron job (a manual run, a test) the
        caller's transaction commits instead."""
        if self.env.context.get("ir_cron_progress_id"):
            self.env["ir.cron"]._commit_progress(processed, remaining=remaining)

    @api.model
    def _cron_agora_expire_reservations(self, batch_size=100):
        """Release the reservations whose deadline passed and that no payment holds.

        One batch per call; the scheduler calls again while some remain. Orders
        locked by a concurrent run are skipped and left to it; a re-run finds
        nothing left to do. An order Odoo refuses to release leaves the queue
        for staff (``_agora_refuse_release``).
        """
        now = fields.Datetime.now()
        domain = self._agora_expiry_domain(now)
        found = self.search(domain, limit=batch_size, order="agora_reserve_deadline, id")
        orders = found.try_lock_for_update(allow_referencing=True)
        # The clients' emails are left to their own job (_agora_defer_state_mails).
        done = orders.with_context(agora_defer_state_mails=True)._agora_expire_batch(now)
        # Expired, or refused and out of the queue until staff act.
        processed = done | orders.filtered("agora_release_refusal")
        # Orders another transaction holds count as remaining (the scheduler runs
        # again), unless none left the queue: then the next run is the usual one.
        remaining = self.search_count(domain) if processed and len(found) == batch_size else 0
        done_count = len(processed)
        if not self._agora_state_mail_job():
            # Staff archived the status email job: this batch's emails went at
            # once, and those the job had not sent yet go with the expiry's runs.
            _sent, mailed, mails_left = self._agora_send_pending_state_mails(batch_size)
            done_count += mailed
            remaining += mails_left if mailed else 0
        self._agora_commit_progress(done_count, remaining)
        return done

    def _agora_expire_batch(self, now):
        """Expire the due orders of the batch; return those expired.

        The batch is expired at once: Odoo's invoice and picking cancellation
        and the tracking cost far less per order done together. Should it fail
        (an order Odoo refuses to cancel, or a concurrent update of the same
        stock), the orders that fail again alone stay due for the next run.
        """
        orders = self.filtered_domain(self._agora_expiry_domain(now))
        done, failures = orders._agora_batch_or_one_by_one(
            lambda batch: batch._agora_expire_reservations(now), "Expiring"
        )
        for order, error in failures.items():
            self._agora_log_expiry_failure(order, error)
            if self._agora_is_refusal(error):
                order._agora_refuse_release(error)
        return done

    def _agora_batch_or_one_by_one(self, action, description):
        """Run ``action`` on these orders at once, in a savepoint; should that
        fail, roll it back and run it on each order in its own savepoint.

        Return the orders it succeeded on, and a dict of those it failed on
        with their error. Only the errors of ``BATCH_RETRIABLE_ERRORS`` are
        caught: Odoo refusing one order, or a concurrent transaction.
        ``description`` names the action in the server log.
        """
        if not self:
            return self, {}
        try:
            # The tracking notes of the batch's orders, deliveries and invoices
            # are created when the savepoint flushes: together.
            with self.env["mail.thread"]._agora_batched_tracking_notes(), self.env.cr.savepoint():
                action(self)
            return self, {}
        except BATCH_RETRIABLE_ERRORS as error:
            if len(self) == 1:
                return self.browse(), {self: error}
            _logger.info(
                "%s %d orders at once failed (%s); one by one", description, len(self), error
            )
        done, failures = self.browse(), {}
        for order in self:
            try:
                with self.env.cr.savepoint():
                    action(order)
                done |= order
            except BATCH_RETRIABLE_ERRORS as error:
                failures[order] = error
        return done, failures

    @api.model
    def _agora_is_refusal(self, error):
        """Whether Odoo refused the change itself, rather than a concurrent
        transaction held it up (a row lock, a record deleted meanwhile): the
        latter goes through on a later run."""
        return isinstance(error, UserError) and not isinstance(error, (LockError, MissingError))

    def _agora_log_expiry_failure(self, order, error):
        if self._agora_is_refusal(error):
            _logger.error(
                "Could not expire the reservation of order %s", order.name, exc_info=error
            )
        else:
            # A concurrent transaction changed the same stock: the order stays
            # due, and the next run expires it.
            _logger.warning("Order %s left for the next run: %s", order.name, error)

    def _agora_refuse_release(self, error):
        """Odoo refused to release this expired reservation (an invoice in a
        locked accounting period, say): take the order out of the expiry queue
        and ask its salesperson to act.

        Left in the queue, it would fail again on every run, make each batch
        it is part of go one order at a time, and a full batch of such orders
        would hold up every order due after them.
        """
        self.ensure_one()
        # Never empty: an empty reason would leave the order in the queue.
        reason = str(error.args[0] if error.args else "") or type(error).__name__
        # sudo: the refusal is the expiry's own record of what Odoo refused.
        self.sudo().agora_release_refusal = reason
        # The salesperson, else the team leader, else the activity type's
        # default user (Configuration > Activity Types), else the cron's user.
        responsible = (self.user_id | self.team_id.user_id).filtered("active")[:1]
        self.activity_schedule(
            "agora_orders.mail_activity_type_agora_release_refused",
            note=plaintext2html(reason),
            **({"user_id": responsible.id} if responsible else {}),
        )
        self._message_log(
            body=self.env._(
                "The reservation expired but could not be released: %(reason)s. Resolve "
                "this, then use Retry Release, or extend the reservation.",
                reason=reason,
            )
        )

    def _agora_clear_release_refusal(self):
        refused = self.filtered("agora_release_refusal")
        if refused:
            # sudo: see ``_agora_refuse_release``.
            refused.sudo().agora_release_refusal = False
            refused.activity_unlink(["agora_orders.mail_activity_type_agora_release_refused"])

    def action_agora_retry_release(self):
        """Staff resolved why the release was refused: release it now. Should
        Odoo refuse again, staff see why and the order stays as it was."""
        self.check_access("write")
        now = fields.Datetime.now()
        self._agora_clear_release_refusal()
        due = self.filtered_domain(self._agora_expiry_domain(now))
        due._agora_expire_reservations(now)
        return True

    def _agora_expire_reservations(self, now):
        """Free the stock, cancel the unpaid invoices, close the orders as expired.

        An order paid in part, below the share that holds a reservation, expires
        too: its invoice is reversed by a credit note, and its salesperson is
        asked to refund the payment or to reopen and reserve the order again.
        """
        part_paid = self.filtered(
            lambda o: o.currency_id.compare_amounts(o.agora_amount_paid, 0.0) > 0
        )
        self._agora_cancel_invoices()
        # sudo: the expiry date is the expiry's own field (staff retrying a
        # release reach it too, after their access check).
        self.sudo().write({"agora_expired_date": now, "locked": False})
        self._agora_action_cancel()
        part_paid._agora_ask_refund_or_reserve()

    def _agora_ask_refund_or_reserve(self):
        """An activity for the salesperson of each expired order paid in part."""
        for order in self:
            responsible = (order.user_id | order.team_id.user_id).filtered("active")[:1]
            order.activity_schedule(
                "agora_orders.mail_activity_type_agora_refund_or_reserve",
                note=Markup("<p>%s</p>")
                % self.env._(
                    "The reservation expired with %(paid)s of %(total)s paid, less than the "
                    "share that holds a reservation: its stock was released and its invoice "
                    "reversed by a credit note. Refund the payment, or reopen the order and "
                    "reserve it again.",
                    paid=order.currency_id.format(order.agora_amount_paid),
                    total=order.currency_id.format(order.amount_total),
                ),
                **({"user_id": responsible.id} if responsible else {}),
            )

    @api.model
    def _cron_agora_send_state_mails(self, batch_size=100):
        """Email the clients the statuses left to this job (by the expiry cron).

        One batch per call; the scheduler calls again while some remain.
        """
        sent, processed, remaining = self._agora_send_pending_state_mails(batch_size)
        self._agora_commit_progress(processed, remaining)
        return sent

    @api.model
    def _agora_send_pending_state_mails(self, batch_size):
        """Email a batch of the statuses left to the status email job.

        Each order is emailed its current status: an order whose status
        changed again since (reopened by staff, say) was emailed by that
        change, and is skipped. An email Odoo cannot render (a broken
        template) is not retried: a note in the order's chatter tells staff.
        One a concurrent transaction held up stays for the next run.

        Return the orders emailed, how many orders the batch took out of the
        queue, and how many remain (0 when the batch was not full).
        """
        domain = Domain("agora_state_mail_pending", "!=", False)
        found = self.search(domain, limit=batch_size, order="id")
        orders = found.try_lock_for_update(allow_referencing=True)
        current = orders.filtered(lambda o: o.agora_state_mail_pending == o.agora_state)
        sent, failures = current._agora_batch_or_one_by_one(
            lambda batch: batch._agora_post_state_mails(), "Emailing"
        )
        retry = self.browse()
        for order, error in failures.items():
            if self._agora_is_refusal(error):
                _logger.error("Could not email order %s its status", order.name, exc_info=error)
                order._message_log(
                    body=self.env._(
                        "The client was not emailed the status %(status)s: the email could "
                        "not be prepared. Check the email template of this status, then "
                        "write to the client from here.",
                        status=order._agora_state_label(),
                    )
                )
            else:
                _logger.warning(
                    "The status email of order %s left for the next run: %s", order.name, error
                )
                retry |= order
        # sudo: the pending email flag belongs to the status emails (protected).
        (orders - retry).sudo().agora_state_mail_pending = False
        remaining = self.search_count(domain) if len(found) == batch_size else 0
        return sent, len(orders), remaining

    def _agora_reminder_domain(self, now):
        return Domain(
            [
                ("agora_state", "in", RESERVATION_RUNNING_STATES),
                ("agora_payment_hold", "=", False),
                ("agora_reminder_sent", "=", False),
                ("agora_reserve_deadline", ">=", now),
            ]
        )

    @api.model
    def _cron_agora_send_reservation_reminders(self, batch_size=200):
        """Remind clients that an unpaid reservation is about to expire."""
        now = fields.Datetime.now()
        template = self.env.ref("agora_orders.mail_template_agora_reserve_reminder")
        # Companies set their own lead time: bound the search by the longest.
        # sudo: the cron reads every company's reminder setting, nothing else.
        longest = max(self.env["res.company"].sudo().search([]).mapped("agora_reminder_hours"))
        domain = self._agora_reminder_domain(now) & Domain(
            "agora_reserve_deadline", "<=", now + timedelta(hours=longest)
        )
        due = self.search(domain, order="agora_reserve_deadline, id").filtered(
            lambda o: (
                o.agora_reserve_deadline
                <= now + timedelta(hours=o.company_id.agora_reminder_hours)
            )
        )
        batch = due[:batch_size].try_lock_for_update(allow_referencing=True)
        for order in batch:
            order.message_post_with_source(
                template,
                subtype_xmlid="mail.mt_note",
                partner_ids=order.partner_id.ids,
                email_layout_xmlid="mail.mail_notification_light",
            )
            order._agora_log_event(
                "reminder", new_value=format_datetime(self.env, order.agora_reserve_deadline)
            )
        # sudo: the reminder flag belongs to the reminders (protected).
        batch.sudo().write({"agora_reminder_sent": True})
        self._agora_commit_progress(len(batch), max(len(due) - len(batch), 0))
        return batch

    # ------------------------------------------------------------------
    # Returns
    # ------------------------------------------------------------------

    def _agora_check_returnable(self):
        for order in self:
            if order.agora_state not in ("shipped", "return", "closed") or (
                order.agora_close_reason not in (False, "done")
            ):
                raise UserError(
                    self.env._(
                        "Only goods already shipped can be returned (order %s).", order.name
                    )
                )

    def action_view_agora_return_requests(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "agora_orders.agora_return_request_action"
        )
        action["domain"] = [("order_id", "=", self.id)]
        action["context"] = {"create": False}
        return action

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

    def _agora_deadline_display(self):
        self.ensure_one()
        if not self.agora_reserve_deadline:
            return ""
        tz = self.partner_id.tz or self.env.user.tz or "UTC"
        return format_datetime(self.env, self.agora_reserve_deadline, tz=tz)

    def _send_order_confirmation_mail(self):
        # The Agora "Reserve" email replaces Odoo's order confirmation for orders
        # that went through Agora; other orders keep the standard email.
        return super(
            SaleOrder, self.filtered(lambda o: not o.agora_submitted_date)
        )._send_order_confirmation_mail()

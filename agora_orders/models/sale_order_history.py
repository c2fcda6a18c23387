import contextvars
import logging
from collections import defaultdict

from odoo import api, models
from odoo.fields import Domain
from odoo.tools import clean_context

from .sale_order import context_flag

_logger = logging.getLogger(__name__)

# The derived statuses whose changes make an order's history, and the type of
# event each one records.
STATUS_FIELDS = {
    "agora_state": "state",
    "agora_payment_status": "payment",
    "agora_delivery_status": "shipment",
}
# Their values before a new order's statuses are first derived.
INITIAL_STATUSES = {
    "agora_state": "new",
    "agora_payment_status": "not_paid",
    "agora_delivery_status": "not_shipped",
}
# Where the status changes of a transaction wait for
# ``_agora_record_status_changes``: a key of the cursor's pre-commit data,
# {order id: [(field, old value, new value, user id), ...]}.
PENDING_STATUS_CHANGES = "agora_orders.pending_status_changes"

# Set by ``agora_deferring_state_mails``.
_DEFERRING_STATE_MAILS = contextvars.ContextVar("agora_deferring_state_mails", default=False)


def agora_deferring_state_mails():
    """Leave the clients' status emails of the orders changed in this block to
    the status email job (``_agora_defer_state_mails``), if it runs. Their
    history and notifications are recorded as always."""
    return context_flag(_DEFERRING_STATE_MAILS)


class SaleOrder(models.Model):
    """An order's history, its client's notifications and status emails: what
    follows a change of its statuses, however it was made."""

    _inherit = "sale.order"

    def _agora_set_status(self, fname, value):
        """Give this order's derived status ``fname`` (one of ``STATUS_FIELDS``)
        its new ``value``, noting the change for ``_agora_on_state_change``.

        Called by the status's compute method, where the field still holds its
        previous value (Odoo reads it from the database if need be; see
        ``Field.compute_value``). An order created in this transaction starts
        from ``INITIAL_STATUSES``.
        """
        self.ensure_one()
        old = self[fname] if self.id else False
        self[fname] = value
        if not old and (not self.id or self.create_date != self.env.cr.now()):
            # A form's unsaved record, or an order made before the module was
            # installed (its statuses derived for the first time, at install):
            # no step of its history happened now.
            return
        old = old or INITIAL_STATUSES[fname]
        if old != value:
            self._agora_note_status_change(fname, old, value)

    def _agora_note_status_change(self, fname, old, new):
        """Keep a change of a status until the transaction is about to commit
        (or a savepoint is taken): ``_agora_record_status_changes`` then hands
        the changes to ``_agora_on_state_change`` at once."""
        self.ensure_one()
        precommit = self.env.cr.precommit
        pending = precommit.data.get(PENDING_STATUS_CHANGES)
        if pending is None:
            pending = precommit.data[PENDING_STATUS_CHANGES] = defaultdict(list)
            precommit.add(self.env["sale.order"]._agora_record_status_changes)
        # Who made the change: the transaction's hook runs in the environment
        # of whoever noted its first change.
        pending[self.id].append((fname, old, new, self.env.uid))

    @api.model
    def _agora_record_status_changes(self):
        """Hand the status changes noted in this transaction to
        ``_agora_on_state_change``. A pre-commit hook: it runs whenever the
        cursor flushes (at commit, and around a savepoint)."""
        pending = self.env.cr.precommit.data.pop(PENDING_STATUS_CHANGES, None)
        if not pending:
            return
        # sudo: whoever changed the orders (a client paying, a storekeeper, the
        # cron) has their history and the client's notice recorded, as Odoo's
        # own tracking records its notes (``_track_finalize``).
        orders = (
            self.browse(list(pending))
            .exists()
            .with_env(self.env(context=clean_context(self.env.context), su=True))
        )
        orders._agora_on_state_change({order.id: pending[order.id] for order in orders})
        # Hooks run after the transaction's last flush: flush what this wrote.
        self.env.flush_all()

    def _agora_on_state_change(self, changes):
        """What follows a change of these orders' statuses, however it was made
        (the backend, the portal, a payment, a delivery, a cron, an import, an
        RPC call), in the transaction that created the order too, and with mail
        tracking disabled:

        - one history event per change, in the order they happened;
        - when the Agora status changed: the client's notification of the new
          status and its email (left to the status email job inside
          ``agora_deferring_state_mails``).

        Odoo's own hook for a status email, ``_track_template``, runs only
        when mail tracking does: the email goes from here on every path.

        :param dict changes: {order id: [(field, old value, new value, user
            id), ...]} for the fields of ``STATUS_FIELDS``
        """
        Event = self.env["agora.order.event"]
        events = [
            # Keys are stored; agora.order.event shows them in the reader's language.
            dict(
                Event._prepare_log_values(
                    order, STATUS_FIELDS[fname], old_value=old, new_value=new
                ),
                user_id=uid,
            )
            for order in self
            for fname, old, new, uid in changes.get(order.id, ())
        ]
        if events:
            Event._log_batch(events)
        changed_state = self.filtered(
            lambda o: (
                o.agora_state != "new"
                and any(change[0] == "agora_state" for change in changes.get(o.id, ()))
            )
        )
        # An order that left Reserve (paid, cancelled...) has no release left to retry.
        changed_state.filtered(lambda o: o.agora_state != "reserve")._agora_clear_release_refusal()
        if not changed_state:
            return
        self.env["agora.notification"]._notify_state_change(changed_state)
        # While Odoo loads its modules (demo data, an upgrade), the Reserve
        # email's invoice PDF would be rendered through this very server, which
        # answers no request until the loading ends: wkhtmltopdf would wait for
        # it forever. The emails are then left to the status email job.
        deferring = _DEFERRING_STATE_MAILS.get() or not self.env.registry.ready
        job = deferring and self._agora_state_mail_job()
        if job:
            changed_state._agora_defer_state_mails(job)
        else:
            # This status's email, sent now, supersedes one still pending.
            changed_state.filtered("agora_state_mail_pending").agora_state_mail_pending = False
            changed_state._agora_post_state_mails()

    def _agora_log_event(self, event_type, **values):
        """Record one history event per order: ``values`` as
        ``agora.order.event._prepare_log_values`` takes them (``description``
        is shown to the client, ``internal_note`` to staff only)."""
        Event = self.env["agora.order.event"]
        Event._log_batch(
            [Event._prepare_log_values(order, event_type, **values) for order in self]
        )

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
                    author_id = Thread._message_compute_author(None, sender)[0] if sender else None
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

    def message_post(self, **kwargs):
        # Odoo's chatter route applies the context a client sends: a portal user
        # posting on their order must not move it to "sent" (``mark_so_as_sent``).
        if self.env.context.get("mark_so_as_sent") and self.env.user.share:
            self = self.with_context(mark_so_as_sent=False)
        return super().message_post(**kwargs)

    def _send_order_confirmation_mail(self):
        # The Agora "Reserve" email replaces Odoo's order confirmation for orders
        # that went through Agora; other orders keep the standard email.
        return super(
            SaleOrder, self.filtered(lambda o: not o.agora_submitted_date)
        )._send_order_confirmation_mail()

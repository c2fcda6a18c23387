import logging
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import LockError, MissingError, UserError, ValidationError
from odoo.fields import Command, Domain
from odoo.tools import float_compare, format_datetime, plaintext2html

from .sale_order import BATCH_RETRIABLE_ERRORS, RESERVATION_RUNNING_STATES, agora_reserving
from .sale_order_history import agora_deferring_state_mails

_logger = logging.getLogger(__name__)


class SaleOrder(models.Model):
    """The reservation: confirmed with its stock reserved and its invoice
    issued, until a deadline; extended, released at expiry, or cancelled."""

    _inherit = "sale.order"

    @api.model
    def _agora_running_reservation_domain(self):
        """The orders whose reservation still runs to its deadline: reserved,
        or paid in part below the share that holds it. The expiry, the
        reminders and the "expiring soon" filter narrow it down."""
        return Domain(
            [
                ("agora_state", "in", RESERVATION_RUNNING_STATES),
                ("agora_payment_hold", "=", False),
                ("agora_reserve_deadline", "!=", False),
            ]
        )

    def _agora_reservation_runs(self):
        """Whether the reservation still runs to its deadline
        (``_agora_running_reservation_domain`` in Python)."""
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
        domain = self._agora_running_reservation_domain() & Domain(
            "agora_reserve_deadline", "<=", fields.Datetime.now() + timedelta(hours=24)
        )
        return domain if (operator == "in") == (True in value) else ~domain

    def action_agora_reserve(self):
        """Approve the order: confirm it, reserve its stock, issue the invoice,
        and start the reservation clock."""
        self.check_access("write")
        self._agora_check_transition("reserve")
        self._agora_check_orderable()
        self._agora_check_credit_limit()
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
        self._agora_derive_statuses()
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
            unpaid.button_cancel()
        for invoice in invoices - unpaid:
            reversal = invoice._reverse_moves(
                [{"ref": self.env._("Cancellation of %s", invoice.name)}]
            )
            reversal.action_post()
        self.invoice_ids.sudo().filtered(lambda m: m.state == "draft").button_cancel()

    def action_agora_cancel(self):
        """Staff cancel the order; possible until it ships."""
        self.check_access("write")
        self._agora_check_transition("cancel")
        self._agora_cancel()
        return True

    def _agora_client_cancel(self):
        """The client cancels their own order, before it is reserved."""
        self._agora_check_transition("cancel", "client")
        self._agora_cancel()
        return True

    def _agora_cancel(self):
        self.activity_unlink(["agora_orders.mail_activity_type_agora_review"])
        self._agora_cancel_invoices()
        self.locked = False
        self._agora_action_cancel()
        self._agora_derive_statuses()

    def _agora_action_cancel(self):
        """Odoo's cancellation of these orders. sale_stock reads each order's
        delivery moves for their origins (the activity it logs on upstream
        transfers): read for all the orders at once."""
        self.order_line.move_ids.fetch(["move_orig_ids"])
        return self._action_cancel()

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
        self._agora_check_transition("reopen")
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
        self._agora_derive_statuses()
        return True

    def action_agora_extend_reservation(self):
        self.ensure_one()
        self._agora_check_transition("extend")
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
        self._agora_check_transition("extend")
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

    def _agora_expiry_domain(self, now):
        return self._agora_running_reservation_domain() & Domain(
            [("agora_reserve_deadline", "<", now), ("agora_release_refusal", "=", False)]
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
        with agora_deferring_state_mails():
            done = orders._agora_expire_batch(now)
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
            # Flushed when the savepoint is released: the orders' history is
            # recorded there, so that it is rolled back with them.
            with self.env.cr.savepoint():
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

    def _agora_reminder_domain(self, now):
        return self._agora_running_reservation_domain() & Domain(
            [("agora_reminder_sent", "=", False), ("agora_reserve_deadline", ">=", now)]
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

    def _agora_deadline_display(self):
        self.ensure_one()
        if not self.agora_reserve_deadline:
            return ""
        tz = self.partner_id.tz or self.env.user.tz or "UTC"
        return format_datetime(self.env, self.agora_reserve_deadline, tz=tz)

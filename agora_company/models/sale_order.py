from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, LockError, UserError, ValidationError
from odoo.fields import Command

# The fields only the approval's own methods write (see agora_orders'
# ``PROTECTED_FIELDS``): who submitted, asked for and gave the approval.
APPROVAL_PROTECTED_FIELDS = frozenset(
    {
        "agora_submitted_by_id",
        "agora_approval_requested_date",
        "agora_approved_by_id",
        "agora_approved_date",
        "agora_approval_comment",
        "agora_rejected_by_id",
        "agora_rejected_date",
        "agora_rejection_comment",
    }
)
# The orders approved in this transaction: a key of the cursor's pre-commit data.
JUST_APPROVED = "agora_company.just_approved"


class SaleOrder(models.Model):
    """A client company's approval of its buyers' orders.

    A buyer's order above their limit, or above the company's threshold, goes
    to the status Awaiting Approval (``approval``) instead of Processing. An
    approver within their limit, or an administrator, of the same company
    approves it (it then goes to the supplier as any submitted order) or
    rejects it with a comment (it returns to the buyer as their cart).

    The rules are the contacts' (``res.partner._agora_needs_approval``,
    ``_agora_may_approve``), checked here whatever the path: every client
    submission ends in ``_agora_submit_to_supplier``.
    """

    _inherit = "sale.order"

    agora_state = fields.Selection(
        selection_add=[("approval", "Awaiting Approval"), ("processing",)],
        ondelete={"approval": "set new"},
    )
    # The status whose email waits for the status email job mirrors the status.
    agora_state_mail_pending = fields.Selection(
        selection_add=[("approval", "Awaiting Approval"), ("processing",)],
        ondelete={"approval": "set null"},
    )
    agora_submitted_by_id = fields.Many2one(
        "res.partner",
        string="Submitted By",
        readonly=True,
        copy=False,
        help="Who submitted the order: a contact of the client, or a staff member.",
    )
    agora_approval_requested_date = fields.Datetime(
        string="Approval Requested On", readonly=True, copy=False
    )
    agora_approved_by_id = fields.Many2one(
        "res.partner",
        string="Approved By",
        readonly=True,
        copy=False,
        help="The client's approver or administrator who approved the order.",
    )
    agora_approved_date = fields.Datetime(string="Approved On", readonly=True, copy=False)
    agora_approval_comment = fields.Text(string="Approver's Comment", readonly=True, copy=False)
    agora_rejected_by_id = fields.Many2one(
        "res.partner", string="Returned By", readonly=True, copy=False
    )
    agora_rejected_date = fields.Datetime(string="Returned On", readonly=True, copy=False)
    agora_rejection_comment = fields.Text(
        string="Reason for Return",
        readonly=True,
        copy=False,
        help="Why the client's approver returned the order to its buyer.",
    )

    # ------------------------------------------------------------------
    # Protected fields and the derived status
    # ------------------------------------------------------------------

    @api.model
    def _agora_check_protected_fields(self, field_names):
        super()._agora_check_protected_fields(field_names)
        if self.env.su:
            return
        protected = APPROVAL_PROTECTED_FIELDS.intersection(field_names)
        if protected:
            raise AccessError(
                self.env._(
                    "These fields change only through the order's approval: %s",
                    ", ".join(
                        sorted(
                            self._fields[name]._description_string(self.env) for name in protected
                        )
                    ),
                )
            )

    @api.depends("agora_approval_requested_date")
    def _compute_agora_state(self):
        return super()._compute_agora_state()

    def _agora_derive_state(self):
        state = super()._agora_derive_state()
        if state == "new" and self.agora_approval_requested_date:
            return "approval"
        return state

    def _agora_confirmed_by_reservation(self):
        # An order awaiting its client's approval is not the supplier's yet:
        # none of Odoo's ways may confirm it either.
        return super()._agora_confirmed_by_reservation() or self.agora_state == "approval"

    @api.model
    def _agora_cart_search_order(self):
        # An order an approver returned is the buyer's cart until it is submitted
        # again, even when the buyer started another one meanwhile.
        return "agora_rejected_date desc nulls last, id desc"

    # ------------------------------------------------------------------
    # Who may order, and who acts as the client
    # ------------------------------------------------------------------

    @api.model
    def _agora_get_cart(self, partner, create=False):
        if create and not partner._agora_may_order():
            raise UserError(
                self.env._(
                    "Your role in your company's account is Viewer: you can see its orders "
                    "and documents, but not order."
                )
            )
        return super()._agora_get_cart(partner, create=create)

    def _agora_check_cart(self):
        res = super()._agora_check_cart()
        if not self.partner_id._agora_may_order():
            raise UserError(
                self.env._(
                    "Your role in your company's account is Viewer: you can see its orders "
                    "and documents, but not order."
                )
            )
        return res

    def _agora_credit_notice_states(self):
        # The approver decides knowing that the order goes beyond the credit
        # the supplier grants, and will wait for its credit check.
        return (*super()._agora_credit_notice_states(), "approval")

    def _agora_is_client(self, partner):
        # A viewer sees the company's orders and changes nothing.
        return super()._agora_is_client(partner) and partner._agora_may_order()

    # ------------------------------------------------------------------
    # Submission: to the supplier, or to the company's approval first
    # ------------------------------------------------------------------

    def _agora_submit_to_supplier(self):
        """Submitted by a contact of the client, an order that needs the
        company's approval waits for it; every other order goes on."""
        submitter = self.env.user.partner_id
        to_approve = self.browse()
        for order in self:
            if not order._agora_is_submitted_by_client(submitter):
                continue
            if not submitter._agora_may_order():
                raise AccessError(
                    self.env._("Your role in your company's account does not allow ordering.")
                )
            if submitter._agora_needs_approval(order.amount_total, order.currency_id):
                to_approve |= order
        to_approve._agora_request_approval(submitter)
        direct = self - to_approve
        # sudo: who submitted is written only here and by the approval. A
        # return answered by submitting again is history now (the order's events).
        direct.sudo().write(
            {
                "agora_submitted_by_id": submitter.id,
                "agora_rejected_by_id": False,
                "agora_rejected_date": False,
                "agora_rejection_comment": False,
            }
        )
        return super(SaleOrder, direct)._agora_submit_to_supplier()

    def _agora_is_submitted_by_client(self, partner):
        """Whether ``partner`` submits this order as a contact of its client
        (through the portal), not as the supplier's staff."""
        self.ensure_one()
        return self.env.user.share and super()._agora_is_client(partner)

    def _agora_request_approval(self, submitter):
        """Send these orders to their company's approvers: Awaiting Approval."""
        if not self:
            return
        approvers_by_order = {}
        for order in self:
            approvers = submitter._agora_approvers(order.amount_total, order.currency_id)
            if not approvers:
                raise UserError(
                    self.env._(
                        "Order %(order)s for %(amount)s needs your company's approval, and no "
                        "colleague may approve that amount. Ask your company's administrator "
                        "to raise an approver's limit.",
                        order=order.name,
                        amount=order.currency_id.format(order.amount_total),
                    )
                )
            approvers_by_order[order] = approvers
        now = fields.Datetime.now()
        # sudo: the approval's fields are written only by these methods.
        self.sudo().write(
            {
                "agora_submitted_by_id": submitter.id,
                "agora_approval_requested_date": now,
                "agora_rejected_by_id": False,
                "agora_rejected_date": False,
                "agora_rejection_comment": False,
            }
        )
        for order, approvers in approvers_by_order.items():
            order.message_subscribe(partner_ids=order.partner_id.ids)
            order._agora_log_event(
                "approval",
                description=self.env._("Submitted for approval by %s", submitter.name),
            )
            order._agora_notify_approvers(approvers)
        self._agora_derive_statuses()

    def _agora_notify_approvers(self, approvers):
        """Each approver who may approve the order: a portal notice and an
        email with a link to it, in their language."""
        self.ensure_one()
        # sudo: notices are created for their recipients by whoever submitted
        # the order (a portal buyer); nobody creates them by hand.
        self.env["agora.notification"].sudo().create(
            [
                {
                    "partner_id": approver.id,
                    "order_id": self.id,
                    "agora_state": "approval",
                    "approval_notice": "requested",
                }
                for approver in approvers
            ]
        )
        template = self.env.ref("agora_company.mail_template_agora_approval_request")
        for approver in approvers:
            # sudo: the email goes to a colleague of the order's client, who is
            # not a follower of the order.
            template.sudo().with_context(
                agora_recipient_id=approver.id, agora_recipient_lang=approver.lang
            ).send_mail(self.id, email_layout_xmlid="mail.mail_notification_light")

    # ------------------------------------------------------------------
    # Approval and rejection
    # ------------------------------------------------------------------

    def _agora_lock_for_approval(self):
        """Lock the order for one approver: two acting at once give one result
        (the second finds it locked, or no longer awaiting approval)."""
        self.ensure_one()
        try:
            self.lock_for_update()
        except LockError as exc:
            raise UserError(
                self.env._(
                    "A colleague is deciding on order %s right now. Reload the page in a moment.",
                    self.name,
                )
            ) from exc
        self.invalidate_recordset()
        if self.agora_state != "approval":
            raise UserError(
                self.env._(
                    "Order %(order)s no longer awaits approval: it is %(status)s.",
                    order=self.name,
                    status=self._agora_state_label(),
                )
            )

    def _agora_check_approver(self, approver):
        """Refuse unless ``approver`` may decide on this order now."""
        self.ensure_one()
        if not approver or approver.commercial_partner_id != self.partner_id.commercial_partner_id:
            raise AccessError(self.env._("Only your company's approvers can approve its orders."))
        if not approver._agora_may_approve(self.amount_total, self.currency_id):
            if approver.agora_company_role in ("admin", "approver"):
                raise UserError(
                    self.env._(
                        "Order %(order)s for %(amount)s is above your approval limit of "
                        "%(limit)s.",
                        order=self.name,
                        amount=self.currency_id.format(self.amount_total),
                        limit=approver.agora_limit_currency_id.format(approver.agora_order_limit),
                    )
                )
            raise AccessError(
                self.env._("Only your company's approvers and administrators can approve orders.")
            )

    def _agora_may_decide(self, approver):
        """Whether ``approver`` may approve or reject this order now (for the
        portal's buttons; the actions check it again)."""
        self.ensure_one()
        return (
            self.agora_state == "approval"
            and approver.commercial_partner_id == self.partner_id.commercial_partner_id
            and approver._agora_may_approve(self.amount_total, self.currency_id)
        )

    def _agora_approval_set_quantities(self, quantities):
        """The approver's changes of quantities before approving: {line id:
        quantity}; 0 removes a line. Each change is in the order's history."""
        self.ensure_one()
        lines = self.order_line.filtered(lambda l: not l.display_type and l.product_id)
        commands = []
        remaining = set(lines.ids)
        for line_id, value in quantities.items():
            line = lines.filtered(lambda l, line_id=line_id: l.id == line_id)
            if not line:
                raise UserError(self.env._("This line is not in order %s.", self.name))
            if self._agora_to_number(value) == 0:
                commands.append(Command.delete(line.id))
                remaining.discard(line.id)
                continue
            qty = self._agora_parse_qty(value, line.product_uom_id)
            if line.product_uom_id.compare(qty, line.product_uom_qty):
                commands.append(Command.update(line.id, {"product_uom_qty": qty}))
        if not remaining:
            raise ValidationError(
                self.env._("An order needs at least one line: return it to the buyer instead.")
            )
        if commands:
            # sudo: an approver of the client (checked by the caller) changes
            # the quantities of an order that is not the supplier's yet.
            self.sudo().write({"order_line": commands})
        return bool(commands)

    def _agora_approve(self, approver, comment="", quantities=None):
        """Approve the order as ``approver``, after changing its quantities if
        asked: it goes on to the supplier, Processing."""
        self._agora_lock_for_approval()
        self._agora_check_approver(approver)
        if self.partner_id == approver and not approver._agora_may_approve(
            self.amount_total, self.currency_id
        ):
            raise UserError(self.env._("You cannot approve your own order."))
        if quantities:
            self._agora_approval_set_quantities(quantities)
            # The amount may have changed: the approver must still cover it.
            self._agora_check_approver(approver)
        self._agora_check_orderable()
        # The approver's quantities, and the buyer's under a rule changed since.
        self._agora_check_quantity_rules()
        comment = (comment or "").strip()[:2000]
        # sudo: the approval's fields are written only by these methods.
        self.sudo().write(
            {
                "agora_approved_by_id": approver.id,
                "agora_approved_date": fields.Datetime.now(),
                "agora_approval_comment": comment or False,
            }
        )
        self._agora_log_event(
            "approval",
            description=self.env._("Approved by %s", approver.name)
            + (f": {comment}" if comment else ""),
        )
        # Its buyer gets the approval's email, which says it goes on to the
        # supplier, instead of the Processing status email.
        self.env.cr.precommit.data.setdefault(JUST_APPROVED, set()).add(self.id)
        super()._agora_submit_to_supplier()
        self._agora_notify_buyer_of_decision("approved")
        return True

    def _agora_reject(self, approver, comment):
        """Return the order to its buyer as their cart, with the approver's
        comment."""
        comment = (comment or "").strip()[:2000]
        if not comment:
            raise ValidationError(
                self.env._("Please say why the order is returned: the buyer reads it.")
            )
        self._agora_lock_for_approval()
        self._agora_check_approver(approver)
        # sudo: the approval's fields are written only by these methods.
        self.sudo().write(
            {
                "agora_approval_requested_date": False,
                "agora_rejected_by_id": approver.id,
                "agora_rejected_date": fields.Datetime.now(),
                "agora_rejection_comment": comment,
            }
        )
        self._agora_log_event(
            "approval",
            description=self.env._(
                "Returned for changes by %(name)s: %(comment)s",
                name=approver.name,
                comment=comment,
            ),
        )
        self._agora_derive_statuses()
        self._agora_notify_buyer_of_decision("rejected")
        return True

    def _agora_notify_buyer_of_decision(self, decision):
        """The buyer learns the approver's decision and comment: a portal
        notice and an email; staff read it in the chatter."""
        self.ensure_one()
        # sudo: the buyer's notice is created by whoever decided (a portal approver).
        self.env["agora.notification"].sudo().create(
            {
                "partner_id": self.partner_id.id,
                "order_id": self.id,
                "agora_state": self.agora_state,
                "approval_notice": decision,
            }
        )
        template = self.env.ref(f"agora_company.mail_template_agora_approval_{decision}")
        # sudo: the buyer is emailed by whoever decided (a portal approver).
        template.sudo().send_mail(self.id, email_layout_xmlid="mail.mail_notification_light")
        approver = (
            self.agora_approved_by_id if decision == "approved" else self.agora_rejected_by_id
        )
        comment = (
            self.agora_approval_comment if decision == "approved" else self.agora_rejection_comment
        )
        body = (
            self.env._("Approved by the client's %s.", approver.name)
            if decision == "approved"
            else self.env._("Returned to the buyer by the client's %s.", approver.name)
        )
        if comment:
            body = Markup("%s<br/>%s") % (body, comment)
        # sudo: a note in the order's chatter for staff, by a portal approver.
        self.sudo()._message_log(body=body)

    def _agora_post_state_mails(self):
        # An order approved in this transaction: its buyer got the approval's
        # email, which says it goes on to the supplier; no second email.
        approved_ids = self.env.cr.precommit.data.get(JUST_APPROVED, ())
        just_approved = self.filtered(
            lambda o: o.agora_state == "processing" and o.id in approved_ids
        )
        return super(SaleOrder, self - just_approved)._agora_post_state_mails()

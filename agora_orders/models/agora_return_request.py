from collections import defaultdict

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.fields import Command
from odoo.tools import float_is_zero, format_amount

OPEN_RETURN_STATES = ("requested", "approved")
# Written only by the request's own methods (with sudo), never directly.
PROTECTED_FIELDS = frozenset(
    {
        "order_id",
        "partner_id",
        "company_id",
        "user_id",
        "state",
        "reject_reason",
        "picking_ids",
        "credit_note_id",
        "line_ids",
    }
)


class AgoraReturnRequest(models.Model):
    """A client's request to return goods already received.

    requested -> approved (return transfers are created) -> done, or
    requested -> rejected (with a reason).

    An approved request follows its return transfers and their backorders. It is
    done once none of them is still expected (each is done or cancelled), or when
    staff close it (``action_close``: the transfers still open are cancelled). Done
    credits what the warehouse received, at most what was requested; when nothing
    came back there is no credit note. While a request is requested or approved,
    its order is in the Return status.
    """

    _name = "agora.return.request"
    _description = "Return Request"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "id desc"

    name = fields.Char(
        string="Number",
        required=True,
        copy=False,
        readonly=True,
        default=lambda self: self.env._("New"),
    )
    order_id = fields.Many2one(
        "sale.order", required=True, index=True, ondelete="cascade", readonly=True
    )
    partner_id = fields.Many2one(related="order_id.partner_id", store=True, string="Client")
    company_id = fields.Many2one(related="order_id.company_id", store=True, index=True)
    user_id = fields.Many2one(related="order_id.user_id", store=True, string="Salesperson")
    line_ids = fields.One2many("agora.return.request.line", "request_id", string="Lines")
    reason = fields.Text(required=True, tracking=True)
    state = fields.Selection(
        [
            ("requested", "Requested"),
            ("approved", "Approved"),
            ("done", "Done"),
            ("rejected", "Rejected"),
        ],
        default="requested",
        required=True,
        tracking=True,
        index=True,
        readonly=True,
    )
    reject_reason = fields.Text(readonly=True, tracking=True)
    picking_ids = fields.Many2many(
        "stock.picking", string="Return Transfers", readonly=True, copy=False
    )
    credit_note_id = fields.Many2one("account.move", readonly=True)

    def write(self, vals):
        if not self.env.su and PROTECTED_FIELDS.intersection(vals):
            raise AccessError(
                self.env._(
                    "A return request's status, transfers and credit note change only through "
                    "Approve, Reject and the reception of the goods."
                )
            )
        return super().write(vals)

    @api.model_create_multi
    def create(self, vals_list):
        orders = self.env["sale.order"].browse([vals.get("order_id") for vals in vals_list])
        # A portal client's request is checked as the client's (the portal
        # creates it as superuser, after _create_for_client checked it).
        orders._agora_check_transition("return", "client" if self.env.user.share else "staff")
        for vals in vals_list:
            if not vals.get("name") or vals["name"] == self.env._("New"):
                vals["name"] = self.env["ir.sequence"].next_by_code("agora.return.request") or "/"
        requests = super().create(vals_list)
        requests._check_returnable()
        for request in requests:
            request.order_id._agora_log_event(
                "return", new_value="requested", description=request.name
            )
        return requests

    def _check_returnable(self):
        for request in self:
            if not request.line_ids:
                raise ValidationError(self.env._("A return request needs at least one line."))
            request.line_ids._check_quantity()

    @api.model
    def _create_for_client(self, order, quantities, reason):
        """Create a request from the client's input.

        :param order: the client's sale.order
        :param quantities: {sale.order.line id: quantity} (zero quantities are skipped)
        :param reason: the client's text
        """
        reason = (reason or "").strip()
        if not reason:
            raise ValidationError(self.env._("Please say why the goods are returned."))
        order._agora_check_transition("return", "client")
        lines = []
        for line in order.order_line:
            qty = quantities.get(line.id) or 0.0
            if qty < 0:
                raise ValidationError(self.env._("A returned quantity cannot be negative."))
            if qty:
                line._agora_check_return_qty(qty)
                lines.append(fields.Command.create({"sale_line_id": line.id, "quantity": qty}))
        if not lines:
            raise ValidationError(
                self.env._("Choose at least one product and quantity to return.")
            )
        # Everything was checked before writing: a refused request leaves no trace.
        return self.create({"order_id": order.id, "reason": reason, "line_ids": lines})

    # ------------------------------------------------------------------
    # Staff decisions
    # ------------------------------------------------------------------

    def action_approve(self):
        """Approve: create the return transfer of the shipped goods."""
        self.check_access("write")
        for request in self:
            if request.state != "requested":
                raise UserError(self.env._("Only a requested return can be approved."))
            # sudo: the state and the transfers change only through these methods.
            request.sudo().write(
                {
                    "picking_ids": [Command.set(request._create_return_pickings().ids)],
                    "state": "approved",
                }
            )
            request.order_id._agora_log_event(
                "return", old_value="requested", new_value="approved", description=request.name
            )
        return True

    def _agora_reject(self, reason):
        self.check_access("write")
        reason = (reason or "").strip()
        if not reason:
            raise ValidationError(self.env._("Please give the reason for rejecting the return."))
        for request in self:
            if request.state != "requested":
                raise UserError(self.env._("Only a requested return can be rejected."))
            # sudo: see ``action_approve``.
            request.sudo().write({"state": "rejected", "reject_reason": reason})
            request.order_id._agora_log_event(
                "return",
                old_value="requested",
                new_value="rejected",
                description=f"{request.name}: {reason}",
            )
        return True

    def action_reject(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Reject Return"),
            "res_model": "agora.return.reject.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_request_id": self.id},
        }

    def _create_return_pickings(self):
        """Return the requested quantities through Odoo's own return wizard."""
        self.ensure_one()
        pickings = self.order_id.picking_ids.filtered(
            lambda p: p.state == "done" and p.picking_type_code == "outgoing"
        )
        if not pickings:
            raise UserError(
                self.env._("Order %s has no shipped delivery to return.", self.order_id.name)
            )
        remaining = {line.sale_line_id: line.quantity for line in self.line_ids}
        return_picking = self.env["stock.picking"]
        for picking in pickings.sorted("id"):
            # sudo: sales staff approve returns without inventory rights; the
            # transfer only takes back the request's own, already shipped goods.
            wizard = (
                self.env["stock.return.picking"]
                .sudo()
                .with_context(
                    active_id=picking.id, active_ids=picking.ids, active_model="stock.picking"
                )
                .create({"picking_id": picking.id})
            )
            any_line = False
            for wiz_line in wizard.product_return_moves:
                sale_line = wiz_line.move_id.sale_line_id
                qty = min(remaining.get(sale_line, 0.0), wiz_line.move_id.quantity)
                wiz_line.quantity = qty
                if qty:
                    any_line = True
                    remaining[sale_line] -= qty
            if any_line:
                new_picking = wizard._create_return()
                return_picking |= new_picking
        if not return_picking:
            raise UserError(self.env._("Nothing left to return on order %s.", self.order_id.name))
        return return_picking.sudo(False)

    # ------------------------------------------------------------------
    # Following the return transfers
    # ------------------------------------------------------------------

    def _agora_return_pickings(self):
        """The request's return transfers and, recursively, their backorders."""
        pickings = self.picking_ids
        new = pickings.backorder_ids - pickings
        while new:
            pickings |= new
            new = new.backorder_ids - pickings
        return pickings

    def _agora_received_quantities(self):
        """{sale.order.line: quantity the warehouse received back, in the line's
        unit}, from the done moves of the return transfers; never more than the
        request asked for. Lines with nothing received are left out."""
        self.ensure_one()
        requested = defaultdict(float)
        for line in self.line_ids:
            requested[line.sale_line_id] += line.quantity
        received = defaultdict(float)
        for move in self._agora_return_pickings().move_ids:
            sale_line = move.sale_line_id
            if move.state == "done" and sale_line in requested:
                received[sale_line] += move.product_uom._compute_quantity(
                    move.quantity, sale_line.product_uom_id, rounding_method="HALF-UP"
                )
        quantities = {}
        for sale_line, qty in requested.items():
            qty = min(received[sale_line], qty)
            if not float_is_zero(qty, precision_rounding=sale_line.product_uom_id.rounding):
                quantities[sale_line] = qty
        return quantities

    def _agora_on_transfers_changed(self, pickings):
        """Some of ``pickings`` were validated, cancelled or deleted: follow the
        backorders, record what came back, and finish the requests whose goods
        are no longer expected."""
        for request in self.filtered(lambda r: r.state == "approved"):
            transfers = request._agora_return_pickings()
            if transfers != request.picking_ids:
                # sudo: see ``action_approve``.
                request.sudo().write({"picking_ids": [Command.set(transfers.ids)]})
            if all(p.state in ("done", "cancel") for p in transfers):
                request._agora_finish()
            else:
                request._agora_log_reception(transfers & pickings)

    def _agora_log_reception(self, pickings):
        """Record in the order's history the goods of ``pickings`` received back
        while more goods of the request are still expected."""
        self.ensure_one()
        received = defaultdict(float)
        for move in pickings.move_ids:
            sale_line = move.sale_line_id
            if move.state == "done" and sale_line in self.line_ids.sale_line_id:
                received[sale_line] += move.product_uom._compute_quantity(
                    move.quantity, sale_line.product_uom_id, rounding_method="HALF-UP"
                )
        for sale_line, qty in received.items():
            self.order_id._agora_log_event(
                "return",
                new_value=sale_line._agora_qty_text(qty),
                product=sale_line.product_id,
                description=self.env._(
                    "%(request)s: received, more goods are expected", request=self.name
                ),
            )

    def _agora_finish(self, closed_by_staff=False):
        """Close approved requests: credit what was received, if anything, and
        cancel the return transfers still open (nothing more is expected)."""
        for request in self:
            quantities = request._agora_received_quantities()
            credit_note = (
                request._agora_create_credit_note(quantities)
                if quantities
                else self.env["account.move"]
            )
            # sudo: see ``action_approve``. Done before cancelling the open
            # transfers, so that their cancellation does not finish it again.
            request.sudo().write({"credit_note_id": credit_note.id, "state": "done"})
            open_transfers = request._agora_return_pickings().filtered(
                lambda p: p.state not in ("done", "cancel")
            )
            if open_transfers:
                # sudo: see ``_create_return_pickings``; staff closing the request
                # decided that these goods will not come back.
                open_transfers.sudo().action_cancel()
            request._agora_log_finish(credit_note, open_transfers, closed_by_staff)

    def _agora_log_finish(self, credit_note, cancelled_transfers, closed_by_staff):
        self.ensure_one()
        if credit_note:
            amount = format_amount(self.env, credit_note.amount_total, credit_note.currency_id)
            if closed_by_staff:
                description = self.env._(
                    "%(request)s closed by the supplier: credit note %(credit_note)s "
                    "for %(amount)s",
                    request=self.name,
                    credit_note=credit_note.name,
                    amount=amount,
                )
            else:
                description = self.env._(
                    "%(request)s: credit note %(credit_note)s for %(amount)s",
                    request=self.name,
                    credit_note=credit_note.name,
                    amount=amount,
                )
        elif closed_by_staff:
            description = self.env._(
                "%(request)s closed by the supplier: no goods came back, nothing is credited",
                request=self.name,
            )
        else:
            description = self.env._(
                "%(request)s: no goods came back, nothing is credited", request=self.name
            )
        self.order_id._agora_log_event(
            "return", old_value="approved", new_value="done", description=description
        )
        notes = []
        if closed_by_staff:
            notes.append(self.env._("Closed by staff before all the goods came back."))
            if cancelled_transfers:
                notes.append(
                    self.env._(
                        "Return transfers cancelled: %s",
                        ", ".join(cancelled_transfers.mapped("name")),
                    )
                )
        if not credit_note:
            notes.append(
                self.env._("No goods came back: the request is closed with nothing credited.")
                if closed_by_staff
                else self.env._(
                    "All return transfers were cancelled and no goods came back: the "
                    "request is closed with nothing credited."
                )
            )
        if notes:
            self.message_post(body=Markup("<br/>").join(notes), subtype_xmlid="mail.mt_note")

    def _agora_create_credit_note(self, quantities):
        """Credit the goods received back.

        :param quantities: {sale.order.line: quantity}, as ``_agora_received_quantities``
        """
        self.ensure_one()
        order = self.order_id.with_company(self.company_id)
        refund_vals = order._prepare_invoice()
        refund_vals["move_type"] = "out_refund"
        refund_vals["invoice_line_ids"] = [
            Command.create(sale_line._prepare_invoice_line(quantity=qty))
            for sale_line, qty in quantities.items()
        ]
        refund_vals["ref"] = self.env._("Return %s", self.name)
        # sudo: crediting received returns follows the staff's approval of the
        # request; the warehouse user validating the return has no accounting rights.
        credit_note = self.env["account.move"].sudo().create(refund_vals)
        credit_note.action_post()
        return credit_note

    def action_close(self):
        """Close approved requests whose goods will not all come back: credit
        what was received, if anything, and cancel the transfers still open."""
        self.check_access("write")
        for request in self:
            if request.state != "approved":
                raise UserError(self.env._("Only an approved return can be closed."))
        # sudo: see ``action_approve`` and ``_agora_finish``.
        self.sudo()._agora_finish(closed_by_staff=True)
        return True

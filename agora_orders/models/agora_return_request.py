from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.fields import Command

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

    requested -> approved (a return transfer is created; once it is validated the
    credit note is created and the request is done) or -> rejected (with a reason).
    While a request is requested or approved, its order is in the Return status.
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
        orders._agora_check_returnable()
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
        order._agora_check_returnable()
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

    def _agora_on_return_received(self):
        """The return transfer is validated: credit the returned goods and close the request."""
        for request in self.filtered(
            lambda r: (
                r.state == "approved" and all(p.state in ("done", "cancel") for p in r.picking_ids)
            )
        ):
            credit_note = request.order_id._agora_create_return_credit_note(request)
            # sudo: see ``action_approve``.
            request.sudo().write({"credit_note_id": credit_note.id, "state": "done"})
            request.order_id._agora_log_event(
                "return", old_value="approved", new_value="done", description=request.name
            )

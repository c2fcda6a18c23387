from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import float_compare, float_round, formatLang


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    agora_qty_reserved = fields.Float(
        string="Reserved",
        compute="_compute_agora_qty_reserved",
        digits="Product Unit",
        help="Quantity reserved in the warehouse for this line, in the line's unit.",
    )
    agora_qty_shipped = fields.Float(
        string="Shipped",
        compute="_compute_agora_qty_moved",
        store=True,
        digits="Product Unit",
        help="Quantity that left the warehouse for the client (returns not deducted).",
    )
    agora_qty_returned = fields.Float(
        string="Returned",
        compute="_compute_agora_qty_moved",
        store=True,
        digits="Product Unit",
        help="Quantity the client sent back and the warehouse received.",
    )
    agora_return_line_ids = fields.One2many("agora.return.request.line", "sale_line_id")
    agora_qty_rule = fields.Char(
        string="Order Rule",
        compute="_compute_agora_qty_rule",
        help="The client's pack size and minimum for this product (the product's, or "
        "their agreement's).",
    )
    agora_qty_rule_broken = fields.Boolean(
        string="Beyond the Order Rule",
        compute="_compute_agora_qty_rule",
        help="The product's quantity on this order does not fit the client's order rule: "
        "staff accepted it, and the history records it.",
    )

    @api.depends(
        "product_id",
        "product_uom_qty",
        "product_uom_id",
        "order_id.agora_agreement_id",
        "product_id.agora_order_pack_id",
        "product_id.agora_order_min_qty",
    )
    def _compute_agora_qty_rule(self):
        Agreement = self.env["agora.agreement"]
        for order, lines in self.grouped("order_id").items():
            products = (order.order_line | lines).filtered(lambda l: not l.display_type).product_id
            rules = order._agora_quantity_rules(products) if order else {}
            broken = (
                {refusal[0] for refusal in order._agora_quantity_refusals(lines, rules)}
                if rules
                else set()
            )
            for line in lines:
                rule = rules.get(line.product_id.id)
                line.agora_qty_rule = Agreement._quantity_rule_label(rule) if rule else False
                line.agora_qty_rule_broken = bool(rule) and line.product_id in broken

    @api.onchange("product_uom_qty", "product_uom_id", "product_id")
    def _onchange_agora_qty_rule(self):
        """Staff typing a quantity beyond the client's rule are told before
        saving that it overrides the rule."""
        if not self.product_id or not self.order_id.partner_id:
            return None
        refusal = next(
            (
                refusal
                for refusal in self.order_id._agora_quantity_refusals(self)
                if refusal[0] == self.product_id
            ),
            None,
        )
        if not refusal:
            return None
        __, qty, __, rule = refusal
        return {
            "warning": {
                "title": self.env._("Beyond the order rule"),
                "message": self.env["agora.agreement"]._quantity_rule_refusal(rule, qty)
                + "\n"
                + self.env._(
                    "Saved as it is, this quantity overrides the client's rule, "
                    "and the order's history records it."
                ),
            }
        }

    @api.depends("move_ids.state", "move_ids.quantity", "move_ids.product_uom")
    def _compute_agora_qty_moved(self):
        for line in self:
            shipped = returned = 0.0
            if line.qty_delivered_method == "stock_move":
                outgoing, incoming = line._get_outgoing_incoming_moves(strict=False)
                for move in outgoing.filtered(lambda m: m.state == "done"):
                    shipped += move.product_uom._compute_quantity(
                        move.quantity, line.product_uom_id, rounding_method="HALF-UP"
                    )
                for move in incoming.filtered(lambda m: m.state == "done"):
                    returned += move.product_uom._compute_quantity(
                        move.quantity, line.product_uom_id, rounding_method="HALF-UP"
                    )
            line.agora_qty_shipped = shipped
            line.agora_qty_returned = returned

    @api.depends("order_id.agora_submitted_date", "agora_qty_returned")
    def _compute_qty_to_invoice(self):
        """An Agora order is invoiced on its ordered quantity at reservation,
        whatever the product's invoicing policy, and a return is credited by its
        own credit note: nothing is left to invoice, and never a negative
        quantity (on a delivery-policy line shipped in part), which Odoo's
        "Create Invoice" would turn into a refund."""
        res = super()._compute_qty_to_invoice()
        for line in self:
            if (
                line.state == "sale"
                and not line.display_type
                and line.order_id.agora_submitted_date
                and line.product_id.type != "combo"
            ):
                left = line.product_uom_qty - line.agora_qty_returned - line.qty_invoiced
                line.qty_to_invoice = max(
                    float_round(left, precision_rounding=line.product_uom_id.rounding), 0.0
                )
        return res

    @api.depends("move_ids.state", "move_ids.quantity", "move_ids.picked")
    def _compute_agora_qty_reserved(self):
        for line in self:
            reserved = 0.0
            for move in line.move_ids:
                if move.state in ("assigned", "partially_available") and (
                    move.location_dest_id.usage in ("customer", "transit")
                    or move.picking_code == "outgoing"
                ):
                    reserved += move.product_uom._compute_quantity(
                        move.quantity, line.product_uom_id, rounding_method="HALF-UP"
                    )
            line.agora_qty_reserved = reserved

    def _agora_returnable_qty(self, exclude_request=None):
        """Shipped quantity minus what requests (other than ``exclude_request``)
        already claim: open requests their requested quantity, done requests what
        came back (the rest may be asked for again); rejected requests nothing."""
        self.ensure_one()
        claimed = sum(
            rline.quantity_received if rline.request_id.state == "done" else rline.quantity
            for rline in self.agora_return_line_ids
            if rline.request_id != exclude_request and rline.request_id.state != "rejected"
        )
        return self.agora_qty_shipped - claimed

    def _agora_check_return_qty(self, qty, exclude_request=None):
        self.ensure_one()
        limit = self._agora_returnable_qty(exclude_request=exclude_request)
        if float_compare(qty, limit, precision_rounding=self.product_uom_id.rounding or 0.01) > 0:
            raise ValidationError(
                self.env._(
                    "You can return at most %(qty)s %(uom)s of %(product)s: "
                    "that is what was shipped and not yet returned.",
                    qty=formatLang(self.env, max(limit, 0.0), dp="Product Unit"),
                    uom=self.product_uom_id.name,
                    product=self.product_id.display_name,
                )
            )

    # ------------------------------------------------------------------
    # The assortment is enforced on the order itself
    # ------------------------------------------------------------------

    @api.constrains("product_id", "order_id")
    def _check_agora_assortment(self):
        for order, lines in self.grouped("order_id").items():
            agreement = order.agora_agreement_id
            products = lines.filtered(lambda l: not l.display_type).product_id
            if not agreement or not products:
                continue
            refused = products - agreement._filter_orderable_products(products, order.company_id)
            if refused:
                raise ValidationError(
                    self.env._(
                        "These products are outside the agreement of %(client)s: %(products)s",
                        client=order.partner_id.commercial_partner_id.display_name,
                        products=", ".join(refused.mapped("display_name")),
                    )
                )

    # ------------------------------------------------------------------
    # Line history (once the order left the cart)
    # ------------------------------------------------------------------

    def _agora_tracks_lines(self):
        return self.order_id.agora_state not in (False, "new")

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        for line in lines.filtered(lambda l: not l.display_type and l._agora_tracks_lines()):
            line.order_id._agora_log_event(
                "line_added",
                new_value=line._agora_qty_text(line.product_uom_qty),
                product=line.product_id,
            )
        lines._agora_log_quantity_overrides()
        return lines

    def _agora_log_quantity_overrides(self):
        """Record the quantities of these (new or changed) lines that staff
        accepted beyond the client's rule; a client's own paths refuse them
        before they reach a line. Carts are left out: their lines are not in
        the history until the order is submitted."""
        tracked = self.filtered(lambda l: not l.display_type and l._agora_tracks_lines())
        for order, lines in tracked.grouped("order_id").items():
            order._agora_log_quantity_overrides(lines.product_id)

    def write(self, vals):
        watched = {"product_uom_qty": "line_qty", "price_unit": "line_price"}
        if not any(f in vals for f in watched):
            res = super().write(vals)
            if {"product_id", "product_uom_id"} & vals.keys():
                # Another product, or another unit: the rule may break too.
                self._agora_log_quantity_overrides()
            return res
        tracked = self.filtered(lambda l: not l.display_type and l._agora_tracks_lines())
        before = {line.id: (line.product_uom_qty, line.price_unit) for line in tracked}
        res = super().write(vals)
        qty_changed = self.browse()
        for line in tracked:
            old_qty, old_price = before[line.id]
            rounding = line.product_uom_id.rounding
            if float_compare(old_qty, line.product_uom_qty, precision_rounding=rounding):
                qty_changed |= line
                line.order_id._agora_log_event(
                    "line_qty",
                    old_value=line._agora_qty_text(old_qty),
                    new_value=line._agora_qty_text(line.product_uom_qty),
                    product=line.product_id,
                )
            if line.currency_id.compare_amounts(old_price, line.price_unit):
                line.order_id._agora_log_event(
                    "line_price",
                    old_value=line._agora_price_text(old_price),
                    new_value=line._agora_price_text(line.price_unit),
                    product=line.product_id,
                )
        if {"product_id", "product_uom_id"} & vals.keys():
            qty_changed = tracked
        qty_changed._agora_log_quantity_overrides()
        return res

    def unlink(self):
        for line in self.filtered(lambda l: not l.display_type and l._agora_tracks_lines()):
            line.order_id._agora_log_event(
                "line_removed",
                old_value=line._agora_qty_text(line.product_uom_qty),
                product=line.product_id,
            )
        return super().unlink()

    def _agora_qty_text(self, qty):
        """``qty`` of this line's unit as the history stores it: a number that
        agora.order.event shows with the unit's precision, in the reader's language."""
        self.ensure_one()
        return self.env["agora.order.event"]._qty_value(qty, self.product_uom_id)

    def _agora_price_text(self, price):
        """``price`` in this line's currency as the history stores it (see
        ``_agora_qty_text``); shown with the currency's precision."""
        self.ensure_one()
        return self.env["agora.order.event"]._amount_value(price, self.currency_id)

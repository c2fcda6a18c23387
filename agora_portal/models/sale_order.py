import math

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.fields import Command, Domain
from odoo.tools import float_compare, float_is_zero, float_round

# Above this, a quantity typed by a client is a typo, not an order.
MAX_LINE_QTY = 1_000_000


class SaleOrder(models.Model):
    """The portal cart: the contact's ``new`` order, and the operations on it.

    Controllers call these methods on ``sudo()`` records they have checked
    (the cart of the logged-in contact, an order the user may read); the
    methods themselves enforce the business rules: positive quantities, the
    client's assortment, the client's own delivery addresses, the ``new``
    status of the cart.
    """

    _inherit = "sale.order"

    # ------------------------------------------------------------------
    # Finding the cart
    # ------------------------------------------------------------------

    @api.model
    def _agora_get_cart(self, partner, create=False):
        """The cart of ``partner`` (a portal contact): its order still in the
        ``new`` status, created on demand.

        One cart per contact: the newest ``new`` order of the contact in the
        current company. The cart follows the client's agreement: when the
        active agreement changed since the cart was made, the cart takes the
        new one and its prices are recomputed.
        """
        partner.ensure_one()
        company = self.env.company
        cart = self.search(
            [
                ("partner_id", "=", partner.id),
                ("company_id", "=", company.id),
                ("agora_state", "=", "new"),
                ("state", "=", "draft"),
            ],
            order="id desc",
            limit=1,
        )
        if cart:
            cart._agora_cart_follow_agreement()
        elif create:
            cart = self.create({"partner_id": partner.id, "company_id": company.id})
        return cart

    def _agora_cart_follow_agreement(self):
        self.ensure_one()
        agreement = self.env["agora.agreement"]._get_active_agreement(
            self.partner_id, self.company_id
        )
        if agreement != self.agora_agreement_id:
            self.agora_agreement_id = agreement
            self._recompute_prices()

    def _agora_check_cart(self):
        self.ensure_one()
        if self.agora_state != "new" or self.state != "draft":
            raise UserError(
                self.env._(
                    "Order %(order)s was already submitted: it is %(status)s.",
                    order=self.name,
                    status=self._agora_state_label(),
                )
            )

    # ------------------------------------------------------------------
    # Filling the cart
    # ------------------------------------------------------------------

    @api.model
    def _agora_to_number(self, value):
        """A float from the client's input ("1 234,5" too), or None."""
        if isinstance(value, bool):
            return None
        if isinstance(value, (int, float)):
            number = float(value)
        else:
            text = str(value or "").strip()
            for space in ("\xa0", "\u202f", " "):
                text = text.replace(space, "")
            try:
                number = float(text.replace(",", "."))
            except ValueError:
                return None
        return number if math.isfinite(number) else None

    @api.model
    def _agora_parse_qty(self, qty, uom=None):
        """A positive quantity from the client's input, rounded to ``uom``.

        :raise ValidationError: for anything that is not a positive number.
        """
        number = self._agora_to_number(qty)
        if number is None:
            raise ValidationError(self.env._("Please enter the quantity as a number."))
        if uom:
            number = float_round(number, precision_rounding=uom.rounding)
        if number <= 0 or (uom and float_is_zero(number, precision_rounding=uom.rounding)):
            raise ValidationError(self.env._("The quantity must be greater than zero."))
        if number > MAX_LINE_QTY:
            raise ValidationError(
                self.env._("The quantity cannot exceed %s.", f"{MAX_LINE_QTY:,}".replace(",", " "))
            )
        return number

    def _agora_check_orderable_products(self, products):
        """Raise unless every product may be ordered under the cart's agreement."""
        self.ensure_one()
        refused = products - self.agora_agreement_id._filter_orderable_products(
            products, self.company_id
        )
        if refused:
            raise ValidationError(
                self.env._(
                    "These products are not in your assortment: %s",
                    ", ".join(refused.mapped("display_name")),
                )
            )

    def _agora_cart_add(self, product, qty):
        """Add ``qty`` of ``product`` to the cart, or increase its line.

        :return: the cart line
        """
        self.ensure_one()
        product.ensure_one()
        self._agora_check_cart()
        qty = self._agora_parse_qty(qty, product.uom_id)
        self._agora_check_orderable_products(product)
        return self._agora_cart_add_many([(product, qty)])[product]

    def _agora_cart_add_many(self, items):
        """Add several (product, qty) at once; products and quantities already checked.

        Lines of the same product in the product's unit are increased, others created,
        in one write.

        :param items: iterable of (product.product, float) in the product's unit
        :return: {product: cart line}
        """
        self.ensure_one()
        self._agora_check_cart()
        totals = {}
        for product, qty in items:
            totals[product] = totals.get(product, 0.0) + qty
        existing = {}
        for line in self.order_line:
            if not line.display_type and line.product_uom_id == line.product_id.uom_id:
                existing.setdefault(line.product_id, line)
        commands = []
        for product, qty in totals.items():
            line = existing.get(product)
            if line:
                commands.append(
                    Command.update(line.id, {"product_uom_qty": line.product_uom_qty + qty})
                )
            else:
                commands.append(
                    Command.create(
                        {
                            "product_id": product.id,
                            "product_uom_qty": qty,
                            "sequence": 10 + len(self.order_line) + len(commands),
                        }
                    )
                )
        if commands:
            self.write({"order_line": commands})
        result = {}
        for line in self.order_line:
            if not line.display_type and line.product_id in totals:
                result.setdefault(line.product_id, line)
        return result

    def _agora_cart_line(self, line_id):
        """The cart line ``line_id``, or an error if it is not a line of this cart."""
        self.ensure_one()
        line = self.order_line.filtered(lambda l: l.id == line_id and not l.display_type)
        if not line:
            raise UserError(self.env._("This line is not in your cart any more."))
        return line

    def _agora_cart_set_qty(self, line, qty):
        """Set the quantity of a cart line; zero removes the line."""
        self.ensure_one()
        self._agora_check_cart()
        line = self._agora_cart_line(line.id)
        if self._agora_to_number(qty) == 0:
            return self._agora_cart_remove(line)
        qty = self._agora_parse_qty(qty, line.product_uom_id)
        if float_compare(
            qty, line.product_uom_qty, precision_rounding=line.product_uom_id.rounding
        ):
            line.product_uom_qty = qty
        return line

    def _agora_cart_remove(self, line):
        self.ensure_one()
        self._agora_check_cart()
        self._agora_cart_line(line.id).unlink()
        return self.env["sale.order.line"]

    # ------------------------------------------------------------------
    # Repeat an order
    # ------------------------------------------------------------------

    def _agora_repeat_into_cart(self, partner):
        """Put the lines of this (past) order into ``partner``'s cart.

        The cart is the contact's current one when there is one (the lines are
        added to it, quantities of the same product summed), else a new cart.
        Prices are today's: the lines are new lines of the cart, priced by its
        price list. Lines that can no longer be ordered are not added; they are
        returned with the reason.

        :return: (cart, [{"line": sale.order.line, "reason": str}])
        """
        self.ensure_one()
        if not self._agora_is_client(partner):
            raise AccessError(self.env._("Only the client's own contacts can repeat an order."))
        source_lines = self.order_line.filtered(lambda l: not l.display_type and l.product_id)
        if not source_lines:
            raise UserError(self.env._("Order %s has no products to repeat.", self.name))
        cart = self._agora_get_cart(partner, create=True)
        products = source_lines.product_id
        active = products.with_context(active_test=True).filtered("active")
        orderable = cart.agora_agreement_id._filter_orderable_products(active, cart.company_id)
        active_ids, orderable_ids = set(active.ids), set(orderable.ids)
        refused = []
        items = []
        for line in source_lines:
            product = line.product_id
            if product.id not in active_ids:
                refused.append(
                    {"line": line, "reason": self.env._("The product is no longer sold.")}
                )
            elif product.id not in orderable_ids:
                refused.append(
                    {"line": line, "reason": self.env._("The product is not in your assortment.")}
                )
            else:
                qty = line.product_uom_id._compute_quantity(
                    line.product_uom_qty, product.uom_id, rounding_method="HALF-UP"
                )
                if float_is_zero(qty, precision_rounding=product.uom_id.rounding):
                    refused.append({"line": line, "reason": self.env._("The quantity is zero.")})
                else:
                    items.append((product, qty))
        if items:
            cart._agora_cart_add_many(items)
        return cart, refused

    # ------------------------------------------------------------------
    # Order details and submission
    # ------------------------------------------------------------------

    def _agora_delivery_addresses(self):
        """The addresses the client may deliver to: its company and the
        company's delivery addresses."""
        self.ensure_one()
        commercial = self.partner_id.commercial_partner_id
        # sudo: a portal user may not read the company's other addresses; the
        # search is limited to the user's own company and its delivery addresses.
        addresses = (
            self.env["res.partner"]
            .sudo()
            .search(
                Domain("id", "child_of", commercial.id)
                & (Domain("type", "=", "delivery") | Domain("id", "=", commercial.id)),
                order="name, id",
            )
        )
        # The company's own address first, then its delivery addresses.
        return addresses.sorted(lambda p: p != commercial)

    def _agora_cart_update_details(self, vals):
        """Save what the client fills in on the cart.

        :param vals: dict with optional keys ``client_order_ref`` (str),
            ``partner_shipping_id`` (int), ``commitment_date`` (date or
            ISO string, empty to clear) and ``agora_client_comment`` (str).
        """
        self.ensure_one()
        self._agora_check_cart()
        values = {}
        if "client_order_ref" in vals:
            values["client_order_ref"] = (vals["client_order_ref"] or "").strip()[:100] or False
        if "agora_client_comment" in vals:
            values["agora_client_comment"] = (vals["agora_client_comment"] or "").strip() or False
        if vals.get("partner_shipping_id"):
            try:
                address_id = int(vals["partner_shipping_id"])
            except (TypeError, ValueError):
                address_id = 0
            address = self._agora_delivery_addresses().filtered(lambda p: p.id == address_id)
            if not address:
                raise ValidationError(
                    self.env._("Please choose one of your company's delivery addresses.")
                )
            values["partner_shipping_id"] = address.id
        if "commitment_date" in vals:
            date = vals["commitment_date"]
            if date:
                try:
                    date = fields.Date.to_date(date)
                except ValueError as exc:
                    raise ValidationError(
                        self.env._("The desired delivery date is not a valid date.")
                    ) from exc
                if date < fields.Date.context_today(self):
                    raise ValidationError(
                        self.env._("The desired delivery date cannot be in the past.")
                    )
                # Noon: the date stays the same whatever the time zone it is shown in.
                values["commitment_date"] = fields.Datetime.to_datetime(date).replace(hour=12)
            else:
                values["commitment_date"] = False
        if values:
            self.write(values)
        return True

    def _agora_cart_submit(self):
        """Submit the cart; the refusals of ``action_agora_submit`` are kept."""
        self.ensure_one()
        self._agora_check_cart()
        return self.action_agora_submit()

    # ------------------------------------------------------------------
    # Presentation helpers for the portal
    # ------------------------------------------------------------------

    def _agora_portal_line_quantities(self):
        """Per product line: ordered, reserved, shipped, returned (line's unit)."""
        self.ensure_one()
        return [
            {
                "line": line,
                "ordered": line.product_uom_qty,
                "reserved": line.agora_qty_reserved,
                "shipped": line.agora_qty_shipped,
                "returned": line.agora_qty_returned,
            }
            for line in self.order_line
            if not line.display_type and line.product_id
        ]

    def _agora_reservation_notice(self):
        """What the order card says of the reservation: "running" (the time
        left to pay), "over" (its time is over, and the cron or staff have
        yet to release it), or "" when the order is not reserved."""
        self.ensure_one()
        if not self._agora_reservation_runs():
            return ""
        if self.agora_reserve_deadline <= fields.Datetime.now():
            return "over"
        return "running"

    def _agora_time_left(self):
        """The time left before the reservation expires, as text; "" without one."""
        self.ensure_one()
        if not self._agora_reservation_runs():
            return ""
        seconds = (self.agora_reserve_deadline - fields.Datetime.now()).total_seconds()
        if seconds <= 0:
            return self.env._("expired")
        minutes = int(seconds // 60)
        days, minutes = divmod(minutes, 24 * 60)
        hours, minutes = divmod(minutes, 60)
        if days:
            return self.env._("%(days)s d %(hours)s h left", days=days, hours=hours)
        if hours:
            return self.env._("%(hours)s h %(minutes)s min left", hours=hours, minutes=minutes)
        return self.env._("%s min left", max(minutes, 1))

    def _agora_can_client_cancel(self):
        self.ensure_one()
        return self.agora_state == "processing"

    def _agora_can_request_return(self):
        self.ensure_one()
        if self.agora_state not in ("shipped", "return", "closed"):
            return False
        if self.agora_close_reason not in (False, "done"):
            return False
        return any(
            float_compare(
                line._agora_returnable_qty(), 0.0, precision_rounding=line.product_uom_id.rounding
            )
            > 0
            for line in self.order_line
            if not line.display_type and line.product_id
        )

    def _agora_state_badge_class(self):
        self.ensure_one()
        return {
            "new": "text-bg-light",
            "processing": "text-bg-info",
            "reserve": "text-bg-warning",
            "paid": "text-bg-primary",
            "shipped": "text-bg-success",
            "return": "text-bg-danger",
            "closed": "text-bg-secondary" if self.agora_close_reason != "done" else "text-bg-dark",
        }.get(self.agora_state, "text-bg-light")

    def _agora_timeline(self):
        """The status steps of the order, for the portal's timeline.

        :return: list of {"key", "label", "done", "current", "date"}
        """
        self.ensure_one()
        labels = dict(self._fields["agora_state"]._description_selection(self.env))
        reached = {}
        for event in self.agora_event_ids.sorted("date"):
            if event.event_type == "state" and event.new_value:
                reached.setdefault(event.new_value, event.date)
        steps = ["new", "processing", "reserve", "paid", "shipped"]
        if self.agora_state == "return" or "return" in reached:
            steps.append("return")
        steps.append("closed")
        current = self.agora_state
        current_index = steps.index(current) if current in steps else 0
        reached.setdefault("new", self.create_date)
        if self.agora_submitted_date:
            reached.setdefault("processing", self.agora_submitted_date)
        timeline = []
        for index, key in enumerate(steps):
            timeline.append(
                {
                    "key": key,
                    "label": labels.get(key, key),
                    "done": index < current_index or (key in reached and index <= current_index),
                    "current": key == current,
                    "date": reached.get(key),
                }
            )
        return timeline

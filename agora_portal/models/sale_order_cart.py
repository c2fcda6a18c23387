from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.fields import Command, Domain
from odoo.tools import float_compare

from odoo.addons.agora_orders.models.sale_order import AGORA_TRANSITIONS


class SaleOrder(models.Model):
    """The portal cart: the contact's ``new`` order, and the operations on it.

    Controllers call these methods on ``sudo()`` records they have checked
    (the cart of the logged-in contact, an order the user may read); the
    methods themselves enforce the business rules: positive quantities
    (``_agora_parse_qty``), the client's assortment, the client's own delivery
    addresses, and that the order is still a cart (``_agora_cart_domain``).
    """

    # One file per concern of the portal's sale.order (issue #17): the cart's
    # operations in sale_order_cart.py, the client's input in sale_order_input.py.
    _inherit = "sale.order"

    # ------------------------------------------------------------------
    # What a cart is, and finding it
    # ------------------------------------------------------------------

    @api.model
    def _agora_cart_domain(self, partner=None, company=None):
        """What a cart is, the one definition: an order its client may still
        submit (``AGORA_TRANSITIONS``: New) that is still a draft quotation,
        not one the supplier sent; with ``partner`` and ``company``, the
        carts of that contact in that company.

        Every search for a cart (the cart itself, its menu counter, the
        catalog's "in cart") and ``_agora_is_cart`` read this domain.
        """
        domain = Domain(
            "agora_state", "in", sorted(AGORA_TRANSITIONS["submit"]["client"])
        ) & Domain("state", "=", "draft")
        if partner is not None:
            domain &= Domain("partner_id", "=", partner.id)
        if company is not None:
            domain &= Domain("company_id", "=", company.id)
        return domain

    def _agora_is_cart(self):
        """Whether this order is still a cart (``_agora_cart_domain``)."""
        self.ensure_one()
        return bool(self.filtered_domain(self._agora_cart_domain()))

    @api.model
    def _agora_get_cart(self, partner, create=False):
        """The cart of ``partner`` (a portal contact), created on demand.

        One cart per contact: the newest of the contact's carts
        (``_agora_cart_domain``) in the current company. The cart follows the
        client's agreement: when the active agreement changed since the cart
        was made, the cart takes the new one and its prices are recomputed.
        """
        partner.ensure_one()
        company = self.env.company
        cart = self.search(
            self._agora_cart_domain(partner, company),
            order=self._agora_cart_search_order(),
            limit=1,
        )
        if cart:
            cart._agora_cart_follow_agreement()
        elif create:
            cart = self.create({"partner_id": partner.id, "company_id": company.id})
        return cart

    @api.model
    def _agora_cart_search_order(self):
        """Which of a contact's carts is the cart: the newest."""
        return "id desc"

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
        if not self._agora_is_cart():
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
        self._agora_check_orderable_products(product)
        qty = self._agora_parse_order_qty(
            product, qty, self._agora_cart_quantities().get(product, 0.0)
        )
        return self._agora_cart_add_many([(product, qty)])[product]

    def _agora_cart_quantities(self):
        """{product: quantity} the cart holds of each product, all its lines
        together in the product's unit: what its order rule holds for, as the
        submission counts it (``sale.order._agora_quantity_totals``)."""
        self.ensure_one()
        return {product: qty for product, (qty, _line) in self._agora_quantity_totals().items()}

    def _agora_cart_add_many(self, items):
        """Add several (product, qty) at once; products and quantities already checked.

        Lines of the same product in the product's unit are increased, others created,
        in one write. Whatever the path, no line leaves with a quantity beyond
        its product's order rule (``_agora_validate_order_qty``): callers that
        refuse lines one by one check them first, this refuses the whole.

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
        rules = self._agora_quantity_rules(self.env["product.product"].concat(*totals))
        in_cart = self._agora_cart_quantities()
        refusals = []
        for product, qty in totals.items():
            __, error = self._agora_validate_order_qty(
                product, qty, in_cart.get(product, 0.0), rules
            )
            if error:
                refusals.append(f"{product.display_name}: {error}")
        if refusals:
            raise ValidationError("\n".join(refusals))
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
        if line.product_uom_id == line.product_id.uom_id:
            qty = self._agora_parse_order_qty(line.product_id, qty)
        else:
            # A line in another unit (made by staff): its quantity as it is.
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
        rules = cart._agora_quantity_rules(orderable)
        refused = []
        # The lines of each product together: the order rule holds for what
        # the cart's line will hold (what the cart has, and all of them).
        lines_by_product = {}
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
                lines_by_product.setdefault(product, self.env["sale.order.line"])
                lines_by_product[product] |= line
        in_cart = cart._agora_cart_quantities()
        items = []
        for product, lines in lines_by_product.items():
            errors = []
            total = 0.0
            for line in lines:
                qty, error = self._agora_validate_qty(
                    line.product_uom_id._compute_quantity(
                        line.product_uom_qty, product.uom_id, rounding_method="HALF-UP"
                    ),
                    product.uom_id,
                )
                if error:
                    refused.append({"line": line, "reason": error})
                    errors.append(line)
                else:
                    total += qty
            lines -= self.env["sale.order.line"].concat(*errors)
            if not lines:
                continue
            qty, error = cart._agora_validate_order_qty(
                product, total, in_cart.get(product, 0.0), rules
            )
            if error:
                refused.extend({"line": line, "reason": error} for line in lines)
            else:
                items.append((product, qty))
        if items:
            cart._agora_cart_add_many(items)
        # The refusals in the order of the lines, as the client reads the order.
        positions = {line.id: index for index, line in enumerate(source_lines)}
        refused.sort(key=lambda refusal: positions[refusal["line"].id])
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

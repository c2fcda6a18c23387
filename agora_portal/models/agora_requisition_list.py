from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.fields import Command, Domain
from odoo.tools import SQL

# A list is a buyer's reorder sheet, not a warehouse: bounded as a file upload is.
MAX_LIST_LINES = 1000


class AgoraRequisitionList(models.Model):
    """A requisition list ("Список закупок"): products with quantities that a
    client's contact keeps to order again and again.

    Kept per client company: private to its author, or shared with the
    author's colleagues, who may then edit it too. A list never holds what the
    client may not order: its lines are shown with today's price, stock and
    availability under the client's agreement, and only orderable lines, in
    quantities that fit their order rule, reach the cart.

    Portal users read the lists they may see (record rule); every change goes
    through these methods, called on ``sudo()`` records the caller checked with
    ``_agora_check_visible`` (to read) and ``_agora_check_editable`` (to change).
    """

    _name = "agora.requisition.list"
    _description = "Requisition List"
    _order = "write_date desc, id desc"

    name = fields.Char(required=True)
    partner_id = fields.Many2one(
        "res.partner",
        string="Client",
        required=True,
        index=True,
        ondelete="cascade",
        help="The client company whose contacts may share the list.",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Author",
        required=True,
        index=True,
        ondelete="cascade",
        default=lambda self: self.env.user,
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    shared = fields.Boolean(
        string="Shared with Colleagues",
        help="The author's colleagues at the client company see and edit the list.",
    )
    line_ids = fields.One2many("agora.requisition.list.line", "list_id", string="Lines")
    line_count = fields.Integer(compute="_compute_line_count", string="Products")

    @api.depends("line_ids")
    def _compute_line_count(self):
        counts = dict(
            self.env["agora.requisition.list.line"]._read_group(
                [("list_id", "in", self.ids)], ["list_id"], ["__count"]
            )
        )
        for requisition in self:
            requisition.line_count = counts.get(requisition, 0)

    @api.constrains("partner_id")
    def _check_partner_is_company(self):
        for requisition in self:
            if requisition.partner_id != requisition.partner_id.commercial_partner_id:
                raise ValidationError(self.env._("A list belongs to a client company."))

    # ------------------------------------------------------------------
    # Who may see and change a list
    # ------------------------------------------------------------------

    @api.model
    def _agora_visible_domain(self, user):
        """The lists ``user`` sees: their own, and their colleagues' shared ones,
        in the current company. The record rule's domain, for searches in sudo."""
        return (
            Domain("partner_id", "=", user.partner_id.commercial_partner_id.id)
            & Domain("company_id", "=", self.env.company.id)
            & (Domain("user_id", "=", user.id) | Domain("shared", "=", True))
        )

    def _agora_check_visible(self, user):
        """Raise unless ``user`` may see this list: its author, or a colleague
        when it is shared."""
        self.ensure_one()
        if not self.filtered_domain(self._agora_visible_domain(user)):
            raise AccessError(self.env._("This list is not yours."))

    @api.model
    def _agora_may_change_lists(self, user):
        """Whether ``user`` may make lists and change the lists they see. A
        hook: agora_company leaves a viewer, who may not order, read-only."""
        return True

    def _agora_check_editable(self, user):
        """Raise unless ``user`` may change this list's lines: one who may see
        it (``_agora_check_visible``) and change lists."""
        self._agora_check_visible(user)
        self._agora_check_may_change_lists(user)

    def _agora_check_may_change_lists(self, user):
        """Raise unless ``user``'s role lets it make and change lists."""
        if not self._agora_may_change_lists(user):
            raise AccessError(
                self.env._("Your role in your company's account does not allow changing lists.")
            )

    def _agora_check_author(self, user):
        """Raise unless ``user`` wrote the list: only the author renames, shares
        or deletes it."""
        self.ensure_one()
        self._agora_check_editable(user)
        if self.user_id != user:
            raise AccessError(
                self.env._(
                    "Only %s, who made this list, can rename, share or delete it.",
                    self.user_id.partner_id.name,
                )
            )

    # ------------------------------------------------------------------
    # Making a list
    # ------------------------------------------------------------------

    @api.model
    def _agora_create_list(self, user, name, shared=False, items=()):
        """A new list of ``user``'s company, with ``items`` [(product, qty)]
        already checked by the caller (the product's unit; a product twice is
        one line)."""
        self._agora_check_may_change_lists(user)
        name = (name or "").strip()[:100]
        if not name:
            raise ValidationError(self.env._("Please give the list a name."))
        requisition = self.create(
            {
                "name": name,
                "partner_id": user.partner_id.commercial_partner_id.id,
                "user_id": user.id,
                "company_id": self.env.company.id,
                "shared": bool(shared),
            }
        )
        requisition._agora_add_items(items)
        return requisition

    def _agora_add_items(self, items):
        """Add (product, qty) to the list: a product already listed has its
        quantity increased. Quantities checked by the caller."""
        self.ensure_one()
        totals = {}
        for product, qty in items:
            totals[product] = totals.get(product, 0.0) + qty
        existing = {line.product_id: line for line in self.line_ids}
        new_products = [p for p in totals if p not in existing]
        if len(self.line_ids) + len(new_products) > MAX_LIST_LINES:
            raise UserError(self.env._("A list holds at most %s products.", MAX_LIST_LINES))
        commands = [
            Command.update(existing[p].id, {"quantity": existing[p].quantity + totals[p]})
            for p in totals
            if p in existing
        ]
        sequence = max(self.line_ids.mapped("sequence"), default=0)
        for product in new_products:
            sequence += 1
            commands.append(
                Command.create(
                    {"product_id": product.id, "quantity": totals[product], "sequence": sequence}
                )
            )
        if commands:
            self.write({"line_ids": commands})

    @api.model
    def _agora_validated_items(self, pairs, agreement, held=None):
        """(items, refusals) of ``pairs`` [(product, qty)]: each quantity checked
        as a cart's is (``sale.order._agora_validate_order_qty``: what the list's
        line will hold must fit the product's order rule), products outside
        ``agreement``'s assortment left out.

        :param held: {product: quantity already on the list}
        :return: ([(product, qty)], [(product, reason)])
        """
        held = held or {}
        products = self.env["product.product"].concat(*(product for product, _q in pairs))
        orderable = agreement._filter_orderable_products(products)
        rules = agreement._get_quantity_rules(orderable)
        SaleOrder = self.env["sale.order"]
        # The quantities of each product together: the list holds one line per
        # product, and its order rule holds for that line.
        totals, refusals = {}, []
        for product, qty in pairs:
            if product not in orderable:
                refusals.append((product, self.env._("The product is not in your assortment.")))
                continue
            number, error = SaleOrder._agora_validate_qty(qty, product.uom_id)
            if error:
                refusals.append((product, error))
            else:
                totals[product] = totals.get(product, 0.0) + number
        items = []
        for product, total in totals.items():
            number, error = SaleOrder._agora_validate_order_qty(
                product, total, held.get(product, 0.0), rules
            )
            if error:
                refusals.append((product, error))
            else:
                items.append((product, number))
        return items, refusals

    # ------------------------------------------------------------------
    # Changing a list
    # ------------------------------------------------------------------

    def _agora_set_quantities(self, changes, agreement):
        """Save the quantities the user changed: {line id: (quantity the page
        showed, quantity typed)}. Only a line whose quantity changed is written,
        so that two colleagues editing the list at once lose neither change.
        When a colleague changed the same line since the page was shown, their
        quantity is kept and the user is told.

        0 removes a line. All or nothing: a refused quantity saves nothing.

        :return: the names of the products whose quantity a colleague changed
            first (the user's quantity not saved)
        """
        self.ensure_one()
        lines = self.line_ids.filtered(lambda l: l.id in changes)
        if not lines:
            return []
        self._agora_lock_lines(lines)
        SaleOrder = self.env["sale.order"]
        rules = agreement._get_quantity_rules(lines.product_id)
        conflicts, to_delete, errors = [], self.env["agora.requisition.list.line"], []
        for line in lines:
            shown, typed = changes[line.id]
            shown = SaleOrder._agora_to_number(shown)
            uom = line.product_id.uom_id
            typed_number = SaleOrder._agora_to_number(typed)
            if (
                shown is not None
                and typed_number is not None
                and uom.compare(typed_number, shown) == 0
            ):
                # Not changed on this page: whatever a colleague saved stays.
                continue
            if shown is not None and uom.compare(shown, line.quantity) != 0:
                # A colleague saved another quantity since this page was shown.
                conflicts.append(line.product_id.display_name)
                continue
            if typed_number == 0:
                to_delete |= line
                continue
            number, error = SaleOrder._agora_validate_order_qty(
                line.product_id, typed, rules=rules
            )
            if error:
                errors.append(f"{line.product_id.display_name}: {error}")
                continue
            if uom.compare(number, line.quantity) != 0:
                line.quantity = number
        if errors:
            raise ValidationError("\n".join(errors))
        to_delete.unlink()
        return conflicts

    def _agora_set_settings(self, user, name, shared):
        """Rename the list, share it or make it private: its author only."""
        self._agora_check_author(user)
        name = (name or "").strip()[:100]
        if not name:
            raise ValidationError(self.env._("Please give the list a name."))
        self.write({"name": name, "shared": shared})

    def _agora_delete(self, user):
        self._agora_check_author(user)
        self.unlink()

    def _agora_lock_lines(self, lines):
        """Wait for the lines a colleague is saving, then hold them until this
        transaction ends: two saves of the same lines are made one after the
        other. Odoo's own ``lock_for_update`` gives up at once instead (SKIP
        LOCKED), which would throw the user's changes away. Once the other save
        is committed, PostgreSQL refuses this transaction's snapshot (a
        serialization failure) and Odoo replays the request, which then reads
        the colleague's quantities and keeps them (``_agora_set_quantities``)."""
        self.env.execute_query(
            SQL(
                "SELECT id FROM agora_requisition_list_line WHERE id IN %s FOR NO KEY UPDATE",
                tuple(lines.ids),
            )
        )
        lines.invalidate_recordset(["quantity"])

    def _agora_remove_line(self, line_id):
        self.ensure_one()
        line = self.line_ids.filtered(lambda l: l.id == line_id)
        if not line:
            raise UserError(self.env._("This product is not in the list any more."))
        line.unlink()

    # ------------------------------------------------------------------
    # From the list to the cart
    # ------------------------------------------------------------------

    def _agora_lines_to_cart(self, cart, lines=None):
        """Add the list's lines (or ``lines``) to ``cart``, the list unchanged.

        Lines the client can no longer order (an archived product, one outside
        the agreement) and quantities that no longer fit their order rule stay
        out, each with its reason.

        :return: (number of lines added, [(line, reason)])
        """
        self.ensure_one()
        lines = self.line_ids if lines is None else lines & self.line_ids
        if not lines:
            raise UserError(self.env._("Please choose the products to add to the cart."))
        availability = self._agora_availability(cart.agora_agreement_id, lines)
        rules = cart._agora_quantity_rules(lines.product_id)
        held = cart._agora_cart_quantities()
        items, refused = [], []
        for line in lines:
            if availability[line.id]:
                refused.append((line, availability[line.id]))
                continue
            qty, reason = cart._agora_validate_order_qty(
                line.product_id, line.quantity, held.get(line.product_id, 0.0), rules
            )
            if reason:
                refused.append((line, reason))
                continue
            items.append((line.product_id, qty))
            held[line.product_id] = held.get(line.product_id, 0.0) + qty
        if items:
            cart._agora_cart_add_many(items)
        return len(items), refused

    def _agora_availability(self, agreement, lines=None):
        """{line id: why the client cannot order it now, or ""}."""
        self.ensure_one()
        lines = lines if lines is not None else self.line_ids
        products = lines.product_id
        active = products.with_context(active_test=True).filtered("active")
        orderable = agreement._filter_orderable_products(active, self.company_id)
        reasons = {}
        for line in lines:
            if line.product_id not in active:
                reasons[line.id] = self.env._("The product is no longer sold.")
            elif line.product_id not in orderable:
                reasons[line.id] = self.env._("The product is not in your assortment.")
            else:
                reasons[line.id] = ""
        return reasons

    # ------------------------------------------------------------------
    # Export
    # ------------------------------------------------------------------

    def _agora_export_xlsx(self):
        """The list as a workbook the file upload reads back: SKU and quantity
        columns, the product's name after them (not read)."""
        self.ensure_one()
        return self.env["agora.cart.import"]._agora_workbook(
            [
                (
                    line.product_id.default_code or line.product_id.barcode or "",
                    line.quantity,
                    line.product_id.name,
                )
                for line in self.line_ids
            ],
            sheet_name=self.name,
        )

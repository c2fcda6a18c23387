from werkzeug.exceptions import NotFound

from odoo import http
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.http import content_disposition, request

from .cart import XLSX_MIMETYPE, AgoraCartPortal
from .portal import error_text, flash


class AgoraRequisitionPortal(AgoraCartPortal):
    """Requisition lists (/my/lists): named lists of products with
    quantities, kept per client company, to order again and again.

    A list is found through the record rule (the user's own lists and the
    colleagues' shared ones), then changed on ``sudo()`` through the methods of
    ``agora.requisition.list``, which check who may change what.
    """

    def _agora_list(self, list_id, change=True):
        """The list ``list_id`` if the user may see it, sudo; else 404. With
        ``change``, the user must also be one who may change lists
        (``_agora_check_editable``): else an AccessError, for the caller to
        show on the list's page."""
        requisition = request.env["agora.requisition.list"].search([("id", "=", list_id)])
        if not requisition:
            raise NotFound()
        try:
            requisition._agora_check_visible(request.env.user)
        except AccessError as exc:
            raise NotFound() from exc
        if change:
            requisition._agora_check_editable(request.env.user)
        # sudo: the user may see (and with ``change``, edit) this list, checked above.
        return requisition.sudo()

    def _agora_refused_change(self, list_id):
        """Why the user may not change the list ``list_id`` (a viewer's role),
        shown on its page; None when the user may."""
        try:
            self._agora_list(list_id)
        except AccessError as exc:
            flash("danger", error_text(exc))
            return request.redirect(f"/my/lists/{list_id}")
        return None

    def _agora_agreement(self):
        return request.env["agora.catalog"]._get_agreement(self._agora_partner())

    # ------------------------------------------------------------------
    # The lists
    # ------------------------------------------------------------------

    @http.route("/my/lists", type="http", auth="user", methods=["GET"], website=True)
    def portal_my_lists(self, **kw):
        Requisition = request.env["agora.requisition.list"]
        # The record rule bounds a client to its lists; staff (who may read
        # every list) see here only what they would as a client.
        lists = Requisition.search(Requisition._agora_visible_domain(request.env.user))
        values = self._agora_layout_values("agora_lists")
        values.update(
            {
                "lists": lists,
                "may_change": Requisition._agora_may_change_lists(request.env.user),
                "limits": request.env["agora.cart.import"]._agora_limits(),
            }
        )
        return request.render("agora_portal.portal_my_lists", values)

    @http.route("/my/lists/create", type="http", auth="user", methods=["POST"], website=True)
    def portal_my_lists_create(self, name="", shared=None, source="empty", order_id=None, **kw):
        """A new list: empty, from the user's cart, or from a past order."""
        Requisition = request.env["agora.requisition.list"].sudo()
        try:
            with request.env.cr.savepoint():
                if source == "cart":
                    cart = self._agora_cart()
                    if not cart or not cart.order_line:
                        raise UserError(request.env._("Your cart is empty."))
                    pairs = self._agora_order_pairs(cart)
                elif source == "order":
                    order = self._agora_order_for_user(self._agora_int(order_id), act=False)
                    pairs = self._agora_order_pairs(order)
                    name = name or request.env._("Like order %s", order.name)
                else:
                    pairs = []
                items, refusals = Requisition._agora_validated_items(
                    pairs, self._agora_agreement()
                )
                # sudo: the user makes a list of their own company (the method
                # sets the author and the client from the user).
                requisition = Requisition._agora_create_list(
                    request.env.user, name, shared=bool(shared), items=items
                )
        except (UserError, ValidationError) as exc:
            flash("danger", error_text(exc))
            return request.redirect("/my/lists")
        flash(
            "success" if not refusals else "warning",
            request.env._("List %s was made.", requisition.name),
            [f"{product.display_name}: {reason}" for product, reason in refusals],
        )
        return request.redirect(f"/my/lists/{requisition.id}")

    @staticmethod
    def _agora_order_pairs(order):
        """(product, quantity in the product's unit) of an order's lines."""
        return [
            (
                line.product_id,
                line.product_uom_id._compute_quantity(
                    line.product_uom_qty, line.product_id.uom_id, rounding_method="HALF-UP"
                ),
            )
            for line in order.order_line
            if not line.display_type and line.product_id and line.product_uom_qty > 0
        ]

    @http.route("/my/lists/import", type="http", auth="user", methods=["POST"], website=True)
    def portal_my_lists_import(self, file=None, **kw):
        """A new list from a file: the cart's upload, its preview, then a list."""
        Import = request.env["agora.cart.import"]
        limits = Import._agora_limits()
        user = request.env.user
        if not request.env["agora.requisition.list"]._agora_may_change_lists(user):
            flash(
                "danger",
                request.env._(
                    "Your role in your company's account does not allow changing lists."
                ),
            )
            return request.redirect("/my/lists")
        if not file or not getattr(file, "filename", None):
            flash("danger", request.env._("Please choose a file."))
            return request.redirect("/my/lists")
        content = file.read(limits["max_size_mb"] * 1024 * 1024 + 1)
        try:
            with request.env.cr.savepoint():
                # sudo: portal users may only read uploads; the preview is the
                # user's (user_id) and every row is matched against the user's
                # own assortment.
                upload = Import.sudo()._agora_create_list_preview(file.filename, content)
        except (UserError, ValidationError) as exc:
            flash("danger", error_text(exc))
            return request.redirect("/my/lists")
        return request.redirect(f"/my/cart/import/{upload.id}")

    # ------------------------------------------------------------------
    # One list
    # ------------------------------------------------------------------

    @http.route("/my/lists/<int:list_id>", type="http", auth="user", methods=["GET"], website=True)
    def portal_my_list(self, list_id, **kw):
        requisition = self._agora_list(list_id, change=False)
        Catalog = request.env["agora.catalog"]
        partner = self._agora_partner()
        agreement = Catalog._get_agreement(partner)
        pricelist = Catalog._get_pricelist(partner, agreement)
        lines = requisition.line_ids
        products = lines.product_id
        Agreement = request.env["agora.agreement"]
        values = self._agora_layout_values("agora_lists")
        values.update(
            {
                "requisition": requisition,
                "lines": lines,
                "is_author": requisition.user_id == request.env.user,
                "may_change": requisition._agora_may_change_lists(request.env.user),
                "availability": requisition._agora_availability(agreement),
                "prices": Catalog._prices(products, pricelist),
                "currency": pricelist.currency_id or request.env.company.currency_id,
                "stock": Catalog._stock_info(products),
                "show_stock_qty": request.env.company.agora_show_stock_quantity,
                "qty_rules": {
                    product_id: Agreement._quantity_rule_label(rule)
                    for product_id, rule in agreement._get_quantity_rules(products).items()
                },
            }
        )
        return request.render("agora_portal.portal_my_list", values)

    @http.route(
        "/my/lists/<int:list_id>/update", type="http", auth="user", methods=["POST"], website=True
    )
    def portal_my_list_update(self, list_id, action="save", **post):
        """Save the quantities changed on the page (``qty_<line>``, with
        ``shown_<line>``, the quantity the page showed); with ``action`` "cart"
        or "cart_all", then add the selected lines (``select_<line>``) or all of
        them to the cart. The list is kept."""
        refused = self._agora_refused_change(list_id)
        if refused:
            return refused
        requisition = self._agora_list(list_id)
        changes = {}
        for line in requisition.line_ids:
            typed = post.get(f"qty_{line.id}")
            if typed is not None:
                changes[line.id] = (post.get(f"shown_{line.id}"), typed)
        posted = {key for key in post if key.startswith("qty_")}
        if len(posted) > len(changes):
            flash(
                "warning",
                request.env._(
                    "A colleague removed some products from the list meanwhile; "
                    "your quantities for them were not saved."
                ),
            )
        try:
            with request.env.cr.savepoint():
                conflicts = requisition._agora_set_quantities(changes, self._agora_agreement())
        except (UserError, ValidationError) as exc:
            flash("danger", error_text(exc))
            return request.redirect(f"/my/lists/{requisition.id}")
        if conflicts:
            flash(
                "warning",
                request.env._(
                    "A colleague changed these quantities meanwhile; theirs are kept, "
                    "yours were not saved:"
                ),
                conflicts,
            )
        if action not in ("cart", "cart_all"):
            if not conflicts:
                flash("success", request.env._("The list was saved."))
            return request.redirect(f"/my/lists/{requisition.id}")
        lines = requisition.line_ids
        if action == "cart":
            lines = lines.filtered(lambda l: post.get(f"select_{l.id}"))
        try:
            with request.env.cr.savepoint():
                added, refused = requisition._agora_lines_to_cart(
                    self._agora_cart(create=True), lines
                )
        except (UserError, ValidationError) as exc:
            flash("danger", error_text(exc))
            return request.redirect(f"/my/lists/{requisition.id}")
        flash(
            "success" if not refused else "warning",
            request.env._("Lines added to your cart: %s.", added),
            [
                self._agora_refusal_text(line.product_id, line.quantity, reason)
                for line, reason in refused
            ],
        )
        return request.redirect("/my/cart" if added else f"/my/lists/{requisition.id}")

    @http.route(
        "/my/lists/<int:list_id>/add", type="http", auth="user", methods=["POST"], website=True
    )
    def portal_my_list_add(self, list_id, code=None, product_id=None, quantity="1", **kw):
        """Add a product to the list, by its code (or id), as "add a line" does."""
        refused = self._agora_refused_change(list_id)
        if refused:
            return refused
        requisition = self._agora_list(list_id)
        self._agora_add_to_list(
            requisition, self._agora_product_from_input(product_id, code), quantity
        )
        return request.redirect(f"/my/lists/{requisition.id}")

    @http.route("/my/lists/add_product", type="http", auth="user", methods=["POST"], website=True)
    def portal_my_lists_add_product(self, list_id=None, product_id=None, quantity="1", **kw):
        """A product's card adds the product to one of the user's lists."""
        list_id = self._agora_int(list_id)
        refused = self._agora_refused_change(list_id)
        if refused:
            return refused
        requisition = self._agora_list(list_id)
        self._agora_add_to_list(requisition, self._agora_product_from_input(product_id), quantity)
        return request.redirect(f"/my/lists/{requisition.id}")

    def _agora_add_to_list(self, requisition, product, quantity):
        """Add ``quantity`` of ``product`` to the list, with the message of the outcome."""
        if not product:
            flash("danger", request.env._("This product is not available to you."))
            return
        held = requisition.line_ids.filtered(lambda l: l.product_id == product).quantity
        items, refusals = requisition._agora_validated_items(
            [(product, quantity)], self._agora_agreement(), held={product: held}
        )
        try:
            with request.env.cr.savepoint():
                if items:
                    requisition._agora_add_items(items)
        except (UserError, ValidationError) as exc:
            refusals = [(product, error_text(exc))]
        if refusals:
            flash("danger", " ".join(f"{p.display_name}: {reason}" for p, reason in refusals))
        else:
            flash("success", request.env._("%s was added to the list.", product.display_name))

    @http.route(
        "/my/lists/<int:list_id>/line/<int:line_id>/remove",
        type="http",
        auth="user",
        methods=["POST"],
        website=True,
    )
    def portal_my_list_remove(self, list_id, line_id, **kw):
        refused = self._agora_refused_change(list_id)
        if refused:
            return refused
        requisition = self._agora_list(list_id)
        try:
            requisition._agora_remove_line(line_id)
        except UserError as exc:
            flash("danger", error_text(exc))
        return request.redirect(f"/my/lists/{requisition.id}")

    @http.route(
        "/my/lists/<int:list_id>/settings",
        type="http",
        auth="user",
        methods=["POST"],
        website=True,
    )
    def portal_my_list_settings(self, list_id, name="", shared=None, **kw):
        """Rename the list, share it or make it private again: its author only."""
        refused = self._agora_refused_change(list_id)
        if refused:
            return refused
        requisition = self._agora_list(list_id)
        try:
            with request.env.cr.savepoint():
                requisition._agora_set_settings(request.env.user, name, bool(shared))
        except (AccessError, UserError, ValidationError) as exc:
            flash("danger", error_text(exc))
        else:
            flash("success", request.env._("The list was saved."))
        return request.redirect(f"/my/lists/{requisition.id}")

    @http.route(
        "/my/lists/<int:list_id>/delete", type="http", auth="user", methods=["POST"], website=True
    )
    def portal_my_list_delete(self, list_id, **kw):
        refused = self._agora_refused_change(list_id)
        if refused:
            return refused
        requisition = self._agora_list(list_id)
        name = requisition.name
        try:
            requisition._agora_delete(request.env.user)
        except AccessError as exc:
            flash("danger", error_text(exc))
            return request.redirect(f"/my/lists/{requisition.id}")
        flash("success", request.env._("List %s was deleted.", name))
        return request.redirect("/my/lists")

    @http.route(
        "/my/lists/<int:list_id>/export.xlsx",
        type="http",
        auth="user",
        methods=["GET"],
        readonly=True,
        website=True,
    )
    def portal_my_list_export(self, list_id, **kw):
        """The list as a workbook the upload reads back."""
        requisition = self._agora_list(list_id, change=False)
        content = requisition._agora_export_xlsx()
        return request.make_response(
            content,
            headers=[
                ("Content-Type", XLSX_MIMETYPE),
                ("Content-Disposition", content_disposition(f"{requisition.name}.xlsx")),
            ],
        )

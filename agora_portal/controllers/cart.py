from werkzeug.exceptions import NotFound

from odoo import fields, http
from odoo.exceptions import AccessError, LockError, UserError, ValidationError
from odoo.http import content_disposition, request

from . import presenter
from .portal import AgoraPortal, error_text, flash, safe_redirect_path

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class AgoraCartPortal(AgoraPortal):
    """The cart (/my/cart): add, edit, upload a file, submit.

    The cart is always the logged-in contact's own ``new`` order, found from
    the user (never from an id sent by the client). The portal rule on orders
    is read-only, so the cart is written with ``sudo()`` through the methods
    of ``agora_portal/models/sale_order_cart.py``, which check products (the
    client's assortment), quantities and addresses. Products are only ever
    taken from the client as an id or a code, checked by ``agora.catalog``;
    prices always come from the cart's price list.
    """

    def _agora_cart(self, create=False):
        # sudo: the cart of the logged-in contact; see the class docstring.
        return request.env["sale.order"].sudo()._agora_get_cart(self._agora_partner(), create)

    def _agora_product_from_input(self, product_id=None, code=None):
        """The product the client means, if it is in the client's assortment."""
        Catalog = request.env["agora.catalog"]
        partner = self._agora_partner()
        if product_id:
            return Catalog._get_product(partner, product_id)
        code = (code or "").strip()
        if not code:
            return Catalog._products()
        agreement = Catalog._get_agreement(partner)
        # The code typed is an SKU, a barcode or a name: resolved as a file's rows are.
        return Catalog._resolve_codes(agreement, [(code, code)])[0]["product"]

    def _agora_add(self, product, quantity):
        """Add to the cart; return (success, message)."""
        if not product:
            return False, request.env._("This product is not available to you.")
        try:
            with request.env.cr.savepoint():
                line = self._agora_cart(create=True)._agora_cart_add(product, quantity)
        except (UserError, ValidationError) as exc:
            return False, error_text(exc)
        return True, request.env._(
            "%(product)s: %(qty)s %(uom)s in your cart.",
            product=product.display_name,
            qty=request.env["agora.catalog"]._qty_display(line.product_uom_qty),
            uom=line.product_uom_id.name,
        )

    # ------------------------------------------------------------------
    # The cart page
    # ------------------------------------------------------------------

    def _agora_cart_values(self, cart, errors=None):
        Catalog = request.env["agora.catalog"]
        values = self._agora_layout_values("agora_cart")
        lines = cart.order_line.filtered(lambda l: not l.display_type) if cart else []
        products = cart.order_line.product_id if cart else Catalog._products()
        orderable = (
            cart.agora_agreement_id._filter_orderable_products(products, cart.company_id)
            if cart
            else products
        )
        values.update(
            {
                "cart": cart,
                "lines": lines,
                "orderable": orderable,
                "stock": Catalog._stock_info(products) if cart else {},
                "show_stock_qty": request.env.company.agora_show_stock_quantity,
                "addresses": cart._agora_delivery_addresses() if cart else [],
                "today": fields.Date.to_string(fields.Date.context_today(request.env.user)),
                "errors": errors or [],
                "limits": request.env["agora.cart.import"]._agora_limits(),
                "qty_input_value": presenter.qty_input_value,
                "credit_notice": cart._agora_client_credit_notice() if lines else {},
                "qty_rules": {
                    product_id: request.env["agora.agreement"]._quantity_rule_label(rule)
                    for product_id, rule in cart._agora_quantity_rules(products).items()
                }
                if lines
                else {},
                "qty_refusals": {
                    product.id: message
                    for product, _qty, message, _rule in cart._agora_quantity_refusals()
                }
                if lines
                else {},
            }
        )
        return values

    @http.route("/my/cart", type="http", auth="user", methods=["GET"], website=True)
    def portal_my_cart(self, **kw):
        cart = self._agora_cart()
        return request.render("agora_portal.portal_my_cart", self._agora_cart_values(cart))

    @http.route("/my/cart/add", type="http", auth="user", methods=["POST"], website=True)
    def portal_my_cart_add(self, product_id=None, code=None, quantity="1", redirect=None, **kw):
        """Add a product (by id from the catalog, or by code in the cart); no JS needed."""
        product = self._agora_product_from_input(product_id, code)
        success, message = self._agora_add(product, quantity)
        flash("success" if success else "danger", message)
        return request.redirect(safe_redirect_path(redirect, "/my/cart"))

    @http.route("/my/cart/add_json", type="jsonrpc", auth="user", methods=["POST"])
    def portal_my_cart_add_json(self, product_id=None, quantity=1, code=None, **kw):
        """The catalog's and the cart's "add" without reloading the page.

        No CSRF on JSON routes: the user is the session's, the cart is found
        from the user, the product is checked against the user's assortment.
        """
        product = self._agora_product_from_input(product_id, code)
        success, message = self._agora_add(product, quantity)
        partner = self._agora_partner()
        return {
            "success": success,
            "message": message,
            "cart_count": self._agora_cart_line_count(partner),
            "in_cart": self._agora_in_cart(partner).get(product.id, 0.0) if product else 0.0,
        }

    @http.route(
        "/my/cart/search_products", type="jsonrpc", auth="user", methods=["POST"], readonly=True
    )
    def portal_my_cart_search_products(self, term="", limit=10, **kw):
        """Autocomplete of "add a line": up to 10 products of the user's assortment."""
        limit = self._agora_int(limit, 10)
        partner = self._agora_partner()
        return request.env["agora.catalog"]._autocomplete(
            partner, str(term or "")[:100], limit=limit, in_cart=self._agora_in_cart(partner)
        )

    @http.route("/my/cart/update", type="http", auth="user", methods=["POST"], website=True)
    def portal_my_cart_update(self, action="update", **post):
        """Save the quantities and the order details; submit when asked.

        All or nothing: when something is refused, nothing of the form is saved.
        """
        cart = self._agora_cart()
        if not cart:
            if action == "submit":
                return self._agora_already_submitted()
            flash("warning", request.env._("Your cart is empty."))
            return request.redirect("/my/cart")
        try:
            # A second click while the first is being processed finds the cart
            # locked; once the first is committed, it finds no cart at all.
            cart.lock_for_update()
        except LockError:
            flash("info", request.env._("Your order is being submitted, please wait a moment."))
            return request.redirect(f"/my/orders/{cart.id}")
        try:
            with request.env.cr.savepoint():
                for line in cart.order_line.filtered(lambda l: not l.display_type):
                    key = f"qty_{line.id}"
                    if key in post:
                        cart._agora_cart_set_qty(line, post[key])
                cart._agora_cart_update_details(
                    {
                        key: post.get(key) or ""
                        for key in (
                            "client_order_ref",
                            "partner_shipping_id",
                            "commitment_date",
                            "agora_client_comment",
                        )
                        if key in post
                    }
                )
                if action == "submit":
                    cart._agora_cart_submit()
        except (UserError, ValidationError) as exc:
            flash("danger", error_text(exc))
            return request.redirect("/my/cart")
        if action == "submit":
            flash("success", self._agora_submitted_message(cart))
            return request.redirect(f"/my/orders/{cart.id}")
        flash("success", request.env._("Your cart was saved."))
        return request.redirect("/my/cart")

    def _agora_submitted_message(self, order):
        """The message shown once the cart ``order`` was submitted."""
        return request.env._(
            "Order %s was submitted. We will review it and reserve the goods.", order.name
        )

    def _agora_already_submitted(self):
        """A repeated "Submit" (double click, retry): show the order just made."""
        order = request.env["sale.order"].search(
            [
                ("partner_id", "=", self._agora_partner().id),
                ("agora_submitted_date", "!=", False),
            ],
            order="agora_submitted_date desc, id desc",
            limit=1,
        )
        if not order:
            flash("warning", request.env._("Your cart is empty."))
            return request.redirect("/my/cart")
        flash("info", request.env._("Order %s was already submitted.", order.name))
        return request.redirect(f"/my/orders/{order.id}")

    @http.route(
        "/my/cart/line/<int:line_id>/remove",
        type="http",
        auth="user",
        methods=["POST"],
        website=True,
    )
    def portal_my_cart_remove(self, line_id, **kw):
        cart = self._agora_cart()
        if not cart:
            raise NotFound()
        try:
            line = cart._agora_cart_line(line_id)
            name = line.product_id.display_name
            cart._agora_cart_remove(line)
        except UserError as exc:
            flash("danger", error_text(exc))
        else:
            flash("success", request.env._("%s was removed from your cart.", name))
        return request.redirect("/my/cart")

    # ------------------------------------------------------------------
    # File upload
    # ------------------------------------------------------------------

    def _agora_import_values(self, error=None):
        values = self._agora_layout_values("agora_cart_import")
        values.update({"limits": request.env["agora.cart.import"]._agora_limits(), "error": error})
        return values

    @http.route("/my/cart/import", type="http", auth="user", methods=["GET"], website=True)
    def portal_my_cart_import_form(self, **kw):
        return request.render("agora_portal.portal_my_cart_import", self._agora_import_values())

    @http.route("/my/cart/import", type="http", auth="user", methods=["POST"], website=True)
    def portal_my_cart_import_upload(self, file=None, **kw):
        Import = request.env["agora.cart.import"]
        limits = Import._agora_limits()
        if not file or not getattr(file, "filename", None):
            error = request.env._("Please choose a file.")
        else:
            content = file.read(limits["max_size_mb"] * 1024 * 1024 + 1)
            try:
                with request.env.cr.savepoint():
                    cart = self._agora_cart(create=True)
                    # sudo: portal users may only read uploads. The cart is the
                    # user's own (found from the user), the preview is made for
                    # the user (user_id) and every row is matched against the
                    # cart's assortment.
                    upload = Import.sudo()._agora_create_from_file(cart, file.filename, content)
            except (UserError, ValidationError) as exc:
                error = error_text(exc)
            else:
                return request.redirect(f"/my/cart/import/{upload.id}")
        return request.render(
            "agora_portal.portal_my_cart_import", self._agora_import_values(error), status=400
        )

    def _agora_own_import(self, import_id):
        """The user's upload ``import_id`` for the user's current cart, or 404."""
        upload = request.env["agora.cart.import"].search([("id", "=", import_id)])
        if not upload:
            raise NotFound()
        try:
            upload._agora_check_owner()
        except AccessError as exc:
            raise NotFound() from exc
        return upload

    @http.route(
        "/my/cart/import/<int:import_id>",
        type="http",
        auth="user",
        methods=["GET"],
        website=True,
    )
    def portal_my_cart_import_preview(self, import_id, **kw):
        upload = self._agora_own_import(import_id)
        lines = upload.line_ids
        to_confirm = lines.filtered(lambda l: l._agora_to_confirm())
        problems = lines.filtered(lambda l: not l._agora_is_ok()) - to_confirm
        good = lines - problems - to_confirm
        values = self._agora_layout_values(
            "agora_lists" if upload.target == "list" else "agora_cart_import"
        )
        values.update(
            {
                "upload": upload,
                # Every row to confirm is shown: each needs the client's answer.
                "to_confirm": to_confirm,
                "problems": problems[:1000],
                "problems_hidden": max(len(problems) - 1000, 0),
                "good": good[:500],
                "good_hidden": max(len(good) - 500, 0),
                "status_labels": dict(lines._fields["status"]._description_selection(request.env)),
            }
        )
        return request.render("agora_portal.portal_my_cart_import_preview", values)

    @http.route(
        "/my/cart/import/<int:import_id>/confirm",
        type="http",
        auth="user",
        methods=["POST"],
        website=True,
    )
    def portal_my_cart_import_confirm(self, import_id, **kw):
        """Add the file's rows to the cart; each row rounded up to its order
        rule comes with the client's answer, ``adjust_<row id>`` = "add" or
        "drop". Refused, nothing is added and the preview stays as it was."""
        upload = self._agora_own_import(import_id)
        decisions = {}
        for key, answer in kw.items():
            if key.startswith("adjust_") and answer in ("add", "drop"):
                line_id = self._agora_int(key.removeprefix("adjust_"), 0)
                if line_id:
                    decisions[line_id] = answer == "add"
        try:
            with request.env.cr.savepoint():
                result = upload._agora_apply(decisions)
        except (UserError, ValidationError) as exc:
            flash("danger", error_text(exc))
            if upload.state == "preview":
                return request.redirect(f"/my/cart/import/{upload.id}")
            return request.redirect("/my/lists" if upload.target == "list" else "/my/cart")
        if result.get("list"):
            # A list's refusals name the product and the reason.
            details = list(result["refused"])
        else:
            details = [
                request.env._("No longer available to you: %s", name) for name in result["refused"]
            ]
        if result["dropped"]:
            details.append(request.env._("Rows dropped: %s.", result["dropped"]))
        if result.get("list"):
            flash(
                "success" if not result["refused"] else "warning",
                request.env._(
                    "List %(name)s was made: %(count)s products.",
                    name=result["list"].name,
                    count=result["added"],
                ),
                details,
            )
            return request.redirect(f"/my/lists/{result['list'].id}")
        flash(
            "success" if not result["refused"] else "warning",
            request.env._("Lines added to your cart: %s.", result["added"]),
            details,
        )
        return request.redirect("/my/cart")

    @http.route(
        "/my/cart/import/template.xlsx",
        type="http",
        auth="user",
        methods=["GET"],
        readonly=True,
    )
    def portal_my_cart_import_template(self, **kw):
        content = request.env["agora.cart.import"]._agora_template_xlsx()
        filename = request.env._("order_template") + ".xlsx"
        return request.make_response(
            content,
            headers=[
                ("Content-Type", XLSX_MIMETYPE),
                ("Content-Disposition", content_disposition(filename)),
            ],
        )

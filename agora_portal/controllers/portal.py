from werkzeug.exceptions import NotFound

from odoo import fields, http
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.fields import Domain
from odoo.http import request

from odoo.addons.portal.controllers.portal import pager as portal_pager
from odoo.addons.sale.controllers import portal as sale_portal

from . import presenter

FLASH_KEY = "agora_flash"
ORDER_STATUS_FILTERS = ("processing", "reserve", "paid", "shipped", "return", "closed")


def flash(kind, text, details=None):
    """Keep a message for the next page the user sees (after a redirect)."""
    messages = list(request.session.get(FLASH_KEY) or [])
    messages.append({"kind": kind, "text": text, "details": list(details or [])})
    request.session[FLASH_KEY] = messages[-5:]


def pop_flash():
    return request.session.pop(FLASH_KEY, None) or []


def error_text(exc):
    return exc.args[0] if exc.args else str(exc)


def safe_redirect_path(path, default):
    """A redirect target from the client: a path of the portal, or ``default``."""
    path = (path or "").strip()
    if path.startswith("/my/") and "//" not in path and "\\" not in path:
        return path
    return default


class AgoraPortal(sale_portal.CustomerPortal):
    """/my home counters, the order list and card, order actions, notifications."""

    # ------------------------------------------------------------------
    # Shared helpers
    # ------------------------------------------------------------------

    def _agora_partner(self):
        return request.env.user.partner_id

    def _agora_layout_values(self, page_name):
        """Values of every Agora page: layout, counters of the Agora menu, messages."""
        partner = self._agora_partner()
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "page_name": page_name,
                "agora_cart_count": self._agora_cart_line_count(partner),
                "agora_unread_count": self._agora_unread_count(partner),
                "agora_flash": pop_flash(),
                "fmt_qty": request.env["agora.catalog"]._qty_display,
                "qty_input_value": presenter.qty_input_value,
            }
        )
        return values

    def _agora_cart_line_count(self, partner):
        cart_domain = request.env["sale.order"]._agora_cart_domain(partner, request.env.company)
        # sudo: counts the lines of the user's own cart only.
        return (
            request.env["sale.order.line"]
            .sudo()
            .search_count(
                Domain("order_id", "any", cart_domain) & Domain("display_type", "=", False)
            )
        )

    def _agora_unread_count(self, partner):
        Notification = request.env["agora.notification"]
        if not Notification.has_access("read"):
            return 0
        return Notification.search_count(
            [("partner_id", "=", partner.id), ("is_read", "=", False)]
        )

    def _agora_order_for_user(self, order_id, act=True):
        """The order ``order_id`` of the logged-in user's own company, sudo.

        Reading is not enough: an internal user who may read every order (an
        auditor, say) is not the client, and may not act as one. The order must
        pass Odoo's access check (no token) and belong to the user's company;
        with ``act``, the user must also be one who may act on it as the client
        (``_agora_is_client``), not only read its documents.

        :raise NotFound: otherwise, revealing nothing of the order.
        """
        try:
            order_sudo = self._document_check_access("sale.order", order_id)
        except (AccessError, MissingError) as exc:
            raise NotFound() from exc
        partner = request.env.user.partner_id
        allowed = order_sudo._agora_is_client if act else order_sudo._agora_is_client_contact
        if not allowed(partner):
            raise NotFound()
        return order_sudo

    # ------------------------------------------------------------------
    # /my home
    # ------------------------------------------------------------------

    def _prepare_portal_layout_values(self):
        values = super()._prepare_portal_layout_values()
        # The status badge of the order list, the catalog's last orders and the card.
        values["agora_state_badge_class"] = presenter.state_badge_class
        return values

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        partner = self._agora_partner()
        if "agora_notification_count" in counters:
            values["agora_notification_count"] = self._agora_unread_count(partner)
        if "agora_cart_count" in counters:
            values["agora_cart_count"] = self._agora_cart_line_count(partner)
        return values

    # ------------------------------------------------------------------
    # /my/orders: Agora orders (submitted), with status, filters and search
    # ------------------------------------------------------------------

    def _prepare_orders_domain(self, partner):
        """Confirmed orders and every order the client submitted (carts excluded)."""
        return [
            ("partner_id", "child_of", [partner.commercial_partner_id.id]),
            "|",
            ("state", "=", "sale"),
            ("agora_submitted_date", "!=", False),
        ]

    def _get_sale_searchbar_sortings(self):
        sortings = super()._get_sale_searchbar_sortings()
        sortings.update(
            {
                "name": {"label": request.env._("Number"), "order": "name desc, id desc"},
                "status": {"label": request.env._("Status"), "order": "agora_state, id desc"},
                "amount": {"label": request.env._("Total"), "order": "amount_total desc, id desc"},
            }
        )
        return sortings

    def _agora_order_filters(self):
        labels = dict(
            request.env["sale.order"]._fields["agora_state"]._description_selection(request.env)
        )
        filters = {
            "all": {"label": request.env._("All"), "domain": []},
            "open": {
                "label": request.env._("In progress"),
                "domain": [("agora_state", "!=", "closed")],
            },
        }
        for key in ORDER_STATUS_FILTERS:
            filters[key] = {"label": labels[key], "domain": [("agora_state", "=", key)]}
        return filters

    def _agora_order_search_inputs(self):
        return {
            "all": {"input": "all", "label": request.env._("Search in number and reference")},
            "name": {"input": "name", "label": request.env._("Search in order number")},
            "ref": {"input": "ref", "label": request.env._("Search in your reference")},
        }

    def _prepare_sale_portal_rendering_values(
        self,
        page=1,
        date_begin=None,
        date_end=None,
        sortby=None,
        quotation_page=False,
        **kwargs,
    ):
        if quotation_page:
            return super()._prepare_sale_portal_rendering_values(
                page=page,
                date_begin=date_begin,
                date_end=date_end,
                sortby=sortby,
                quotation_page=quotation_page,
                **kwargs,
            )
        SaleOrder = request.env["sale.order"]
        partner = self._agora_partner()
        values = self._prepare_portal_layout_values()
        sortings = self._get_sale_searchbar_sortings()
        sortby = sortby if sortby in sortings else "date"
        filters = self._agora_order_filters()
        filterby = kwargs.get("filterby")
        filterby = filterby if filterby in filters else "all"
        inputs = self._agora_order_search_inputs()
        search_in = kwargs.get("search_in")
        search_in = search_in if search_in in inputs else "all"
        search = (kwargs.get("search") or "").strip()

        domain = Domain(self._prepare_orders_domain(partner)) & Domain(filters[filterby]["domain"])
        if search:
            by_name = Domain("name", "ilike", search)
            by_ref = Domain("client_order_ref", "ilike", search)
            domain &= {"name": by_name, "ref": by_ref}.get(search_in, by_name | by_ref)
        date_from = self._agora_parse_date(kwargs.get("date_from"))
        date_to = self._agora_parse_date(kwargs.get("date_to"))
        if date_from:
            domain &= Domain("date_order", ">=", fields.Datetime.to_datetime(date_from))
        if date_to:
            domain &= Domain(
                "date_order",
                "<",
                fields.Datetime.to_datetime(fields.Date.add(date_to, days=1)),
            )
        if date_begin and date_end:
            domain &= Domain("create_date", ">", date_begin) & Domain(
                "create_date", "<=", date_end
            )

        url_args = {
            "sortby": sortby,
            "filterby": filterby,
            "search_in": search_in,
            "search": search,
            "date_from": (date_from and fields.Date.to_string(date_from)) or "",
            "date_to": (date_to and fields.Date.to_string(date_to)) or "",
        }
        url_args = {k: v for k, v in url_args.items() if v}
        pager_values = portal_pager(
            url="/my/orders",
            total=SaleOrder.search_count(domain),
            page=page,
            step=self._items_per_page,
            url_args=url_args,
        )
        orders = SaleOrder.search(
            domain,
            order=sortings[sortby]["order"],
            limit=self._items_per_page,
            offset=pager_values["offset"],
        )
        values.update(
            {
                "date": date_begin,
                "quotations": SaleOrder,
                # sudo: these orders were searched with the user's rights just
                # above; sudo only lets the list show their related fields.
                "orders": orders.sudo(),
                "page_name": "order",
                "pager": pager_values,
                "default_url": "/my/orders",
                "sortby": sortby,
                "searchbar_sortings": sortings,
                "filterby": filterby,
                "searchbar_filters": filters,
                "searchbar_inputs": inputs,
                "search_in": search_in,
                "search": search,
                "agora_date_from": url_args.get("date_from", ""),
                "agora_date_to": url_args.get("date_to", ""),
                "agora_flash": pop_flash(),
                # The counters of the Agora menu, as on every Agora page.
                "agora_cart_count": self._agora_cart_line_count(partner),
                "agora_unread_count": self._agora_unread_count(partner),
            }
        )
        return values

    @staticmethod
    def _agora_refusal_text(product, qty, reason):
        """A line kept out of the cart, as the client reads it:
        "SKU Name × qty: reason"."""
        fmt_qty = request.env["agora.catalog"]._qty_display
        return f"{product.default_code or ''} {product.name} × {fmt_qty(qty)}: {reason}".strip()

    @staticmethod
    def _agora_int(value, default=0):
        try:
            return int(value)
        except (TypeError, ValueError):
            return default

    @staticmethod
    def _agora_parse_date(value):
        if not value:
            return None
        try:
            return fields.Date.to_date(value)
        except ValueError:
            return None

    # ------------------------------------------------------------------
    # The order card
    # ------------------------------------------------------------------

    @http.route()
    def portal_order_page(self, order_id, report_type=None, access_token=None, **kw):
        if kw.get("payment_amount") or kw.get("amount_selection"):
            # sudo: only reads whether the order is paid through its invoice;
            # the access to the order is checked by sale's route below.
            order = request.env["sale.order"].sudo().browse(order_id).exists()
            if order and order._agora_confirmed_by_reservation():
                # An Agora order is paid through its invoice: no payment form here.
                kw.pop("payment_amount", None)
                kw.pop("amount_selection", None)
        response = super().portal_order_page(
            order_id, report_type=report_type, access_token=access_token, **kw
        )
        if getattr(response, "qcontext", None) is not None and "sale_order" in response.qcontext:
            order = response.qcontext["sale_order"]
            user = request.env.user
            response.qcontext.update(
                {
                    "agora_flash": pop_flash(),
                    "fmt_qty": request.env["agora.catalog"]._qty_display,
                    "agora_state_badge_class": presenter.state_badge_class,
                    # Actions need a logged-in contact of the client, not a token.
                    "agora_client_actions": not user._is_public()
                    and order._agora_is_client(user.partner_id),
                    **presenter.order_card_values(order),
                }
            )
            # The client's open balance is for the client's own contacts, not
            # for whoever holds the order's link.
            if user._is_public() or not order._agora_is_client_contact(user.partner_id):
                response.qcontext["agora_credit_notice"] = {}
        return response

    @http.route(
        "/my/orders/<int:order_id>/invoice/<int:invoice_id>",
        type="http",
        auth="user",
        methods=["GET"],
        website=True,
    )
    def agora_order_invoice_pdf(self, order_id, invoice_id, download=False, **kw):
        """The invoice of the order, printed on the company's invoice form."""
        order_sudo = self._agora_order_for_user(order_id, act=False)
        invoice = order_sudo._agora_invoices().filtered(lambda m: m.id == invoice_id)
        if not invoice:
            raise NotFound()
        return self._show_report(
            model=invoice,
            report_type="pdf",
            report_ref=invoice._agora_get_invoice_report_ref(),
            download=download,
        )

    @http.route(
        "/my/orders/<int:order_id>/cancel",
        type="http",
        auth="user",
        methods=["POST"],
        website=True,
    )
    def agora_order_cancel(self, order_id, **kw):
        order_sudo = self._agora_order_for_user(order_id)
        try:
            # sudo: the user may read the order (checked above); the client may
            # cancel only before the reservation, which the model enforces.
            order_sudo._agora_client_cancel()
        except UserError as exc:
            flash("danger", error_text(exc))
        else:
            flash("success", request.env._("Order %s was cancelled.", order_sudo.name))
        return request.redirect(f"/my/orders/{order_sudo.id}")

    @http.route(
        "/my/orders/<int:order_id>/repeat",
        type="http",
        auth="user",
        methods=["POST"],
        website=True,
    )
    def agora_order_repeat(self, order_id, **kw):
        order_sudo = self._agora_order_for_user(order_id)
        try:
            # sudo: the lines are read from an order the user may read; they go
            # into the user's own cart, products checked against the assortment.
            _cart, refused = order_sudo._agora_repeat_into_cart(self._agora_partner())
        except (UserError, ValidationError) as exc:
            flash("danger", error_text(exc))
            return request.redirect(f"/my/orders/{order_sudo.id}")
        if refused:
            flash(
                "warning",
                request.env._(
                    "The lines of order %s were added to your cart, except these:", order_sudo.name
                ),
                [
                    self._agora_refusal_text(
                        r["line"].product_id, r["line"].product_uom_qty, r["reason"]
                    )
                    for r in refused
                ],
            )
        else:
            flash(
                "success",
                request.env._("The lines of order %s were added to your cart.", order_sudo.name),
            )
        return request.redirect("/my/cart")

    def _agora_return_values(self, order_sudo, quantities=None, reason="", error=None):
        lines = []
        for line in order_sudo.order_line:
            if line.display_type or not line.product_id:
                continue
            returnable = max(line._agora_returnable_qty(), 0.0)
            lines.append(
                {
                    "line": line,
                    "shipped": line.agora_qty_shipped,
                    "returnable": returnable,
                    "value": (quantities or {}).get(line.id, ""),
                }
            )
        values = self._agora_layout_values("agora_return")
        values.update(
            {
                "sale_order": order_sudo,
                "return_lines": lines,
                "reason": reason,
                "error": error,
            }
        )
        return values

    @http.route(
        "/my/orders/<int:order_id>/return",
        type="http",
        auth="user",
        methods=["GET"],
        website=True,
    )
    def agora_order_return_form(self, order_id, **kw):
        order_sudo = self._agora_order_for_user(order_id)
        if not order_sudo.agora_client_can_return:
            flash("warning", request.env._("Nothing of this order can be returned."))
            return request.redirect(f"/my/orders/{order_sudo.id}")
        return request.render(
            "agora_portal.portal_agora_return_request", self._agora_return_values(order_sudo)
        )

    @http.route(
        "/my/orders/<int:order_id>/return",
        type="http",
        auth="user",
        methods=["POST"],
        website=True,
    )
    def agora_order_return_submit(self, order_id, reason="", **post):
        order_sudo = self._agora_order_for_user(order_id)
        SaleOrder = request.env["sale.order"]
        raw = {}
        quantities = {}
        error = None
        for line in order_sudo.order_line:
            text = (post.get(f"qty_{line.id}") or "").strip()
            if not text:
                continue
            raw[line.id] = text
            number = SaleOrder._agora_to_number(text)
            if number is None or number < 0:
                error = request.env._("Quantities must be positive numbers.")
            elif number:
                quantities[line.id] = number
        if not error:
            try:
                with request.env.cr.savepoint():
                    # sudo: portal users may only read return requests; the
                    # order is the user's (checked above) and the model checks
                    # every quantity against what was shipped.
                    return_request = (
                        request.env["agora.return.request"]
                        .sudo()
                        ._create_for_client(order_sudo, quantities, reason)
                    )
            except (UserError, ValidationError) as exc:
                error = error_text(exc)
        if error:
            values = self._agora_return_values(order_sudo, raw, reason, error)
            return request.render("agora_portal.portal_agora_return_request", values, status=400)
        flash(
            "success",
            request.env._(
                "Return request %s was sent. We will let you know our decision.",
                return_request.name,
            ),
        )
        return request.redirect(f"/my/orders/{order_sudo.id}")

    # ------------------------------------------------------------------
    # Notifications
    # ------------------------------------------------------------------

    @http.route(
        ["/my/notifications", "/my/notifications/page/<int:page>"],
        type="http",
        auth="user",
        methods=["GET"],
        website=True,
    )
    def agora_notifications(self, page=1, **kw):
        Notification = request.env["agora.notification"]
        partner = self._agora_partner()
        domain = [("partner_id", "=", partner.id)]
        pager_values = portal_pager(
            url="/my/notifications",
            total=Notification.search_count(domain),
            page=page,
            step=self._items_per_page,
        )
        notifications = Notification.search(
            domain, limit=self._items_per_page, offset=pager_values["offset"]
        )
        unread_ids = set(notifications.filtered(lambda n: not n.is_read).ids)
        # Seen now: they are read (the user's own, through the portal rule). The
        # menu then counts the unread ones left on other pages.
        notifications._mark_read()
        values = self._agora_layout_values("agora_notifications")
        # The order names and statuses are shown: the recipient is the order's
        # contact, who may read it.
        values.update(
            {
                "notifications": notifications.sudo(),
                "unread_ids": unread_ids,
                "pager": pager_values,
            }
        )
        return request.render("agora_portal.portal_my_notifications", values)

    @http.route(
        "/my/notifications/mark_all_read",
        type="http",
        auth="user",
        methods=["POST"],
        website=True,
    )
    def agora_notifications_mark_all_read(self, **kw):
        Notification = request.env["agora.notification"]
        Notification.search(
            [("partner_id", "=", self._agora_partner().id), ("is_read", "=", False)]
        )._mark_read()
        flash("success", request.env._("All notifications are marked as read."))
        return request.redirect("/my/notifications")

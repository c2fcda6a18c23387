from werkzeug.exceptions import NotFound

from odoo import http
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.fields import Domain
from odoo.http import request

from odoo.addons.agora_portal.controllers import presenter
from odoo.addons.agora_portal.controllers.cart import AgoraCartPortal
from odoo.addons.agora_portal.controllers.portal import error_text, flash
from odoo.addons.portal.controllers.portal import pager as portal_pager

# Its own colour: Awaiting Approval is the client's step, not the supplier's
# (Reserve is text-bg-warning).
APPROVAL_BADGE_CLASS = "bg-warning-subtle text-warning-emphasis border border-warning"


def state_badge_class(order):
    """agora_portal's badge classes, and one for Awaiting Approval."""
    if order.agora_state == "approval":
        return APPROVAL_BADGE_CLASS
    return presenter.state_badge_class(order)


def timeline(order):
    """agora_portal's timeline, with an "Awaiting approval" step after New for
    an order that went through its company's approval."""
    steps = presenter.timeline(order)
    if not (
        order.agora_state == "approval"
        or order.agora_approval_requested_date
        or order.agora_approved_date
    ):
        return steps
    labels = dict(order._fields["agora_state"]._description_selection(order.env))
    current = order.agora_state == "approval"
    step = {
        "key": "approval",
        "label": labels.get("approval", "approval"),
        "done": current or bool(order.agora_approved_date),
        "current": current,
        "date": order.agora_approved_date or order.agora_approval_requested_date,
    }
    index = next((i + 1 for i, s in enumerate(steps) if s["key"] == "new"), 0)
    return [*steps[:index], step, *steps[index:]]


class AgoraApprovalPortal(AgoraCartPortal):
    """A client company's approval in its portal: the approver's decision on
    the order card, the list of orders awaiting approval (/my/approvals), the
    Awaiting approval status in the order list, and what buyers and viewers
    see of it (the returned cart, no ordering for viewers).

    The model decides (``sale.order._agora_may_decide``, ``_agora_approve``,
    ``_agora_reject``); these routes parse, check access and call it.
    """

    # ------------------------------------------------------------------
    # Values of every page
    # ------------------------------------------------------------------

    def _agora_may_approve_orders(self, partner):
        """Whether ``partner`` approves some of the company's orders (an
        approver or an administrator): the Approvals entries are shown."""
        return not request.env.user._is_public() and partner._agora_may_approve(0.0, None)

    def _prepare_portal_layout_values(self):
        values = super()._prepare_portal_layout_values()
        partner = self._agora_partner()
        values.update(
            {
                "agora_state_badge_class": state_badge_class,
                "agora_may_order": partner._agora_may_order(),
                "agora_may_approve_orders": self._agora_may_approve_orders(partner),
            }
        )
        return values

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "agora_approval_count" in counters:
            partner = self._agora_partner()
            values["agora_approval_count"] = (
                request.env["sale.order"].search_count(self._agora_approvals_domain(partner))
                if self._agora_may_approve_orders(partner)
                else 0
            )
        return values

    # ------------------------------------------------------------------
    # /my/orders: orders awaiting approval are listed too
    # ------------------------------------------------------------------

    def _prepare_orders_domain(self, partner):
        # An order awaiting approval is not submitted to the supplier yet
        # (no agora_submitted_date), and is the company's order all the same.
        # A list, as sale's callers expect.
        return list(
            Domain(super()._prepare_orders_domain(partner))
            | (
                Domain("partner_id", "child_of", [partner.commercial_partner_id.id])
                & Domain("agora_state", "=", "approval")
            )
        )

    def _agora_order_filters(self):
        filters = super()._agora_order_filters()
        approval = {
            "approval": {
                "label": request.env._("Awaiting approval"),
                "domain": [("agora_state", "=", "approval")],
            }
        }
        # After "All" and "In progress", before the supplier's statuses.
        keys = list(filters)
        position = keys.index("open") + 1 if "open" in keys else len(keys)
        return {
            **{key: filters[key] for key in keys[:position]},
            **approval,
            **{key: filters[key] for key in keys[position:]},
        }

    # ------------------------------------------------------------------
    # The order card
    # ------------------------------------------------------------------

    @http.route()
    def portal_order_page(self, order_id, report_type=None, access_token=None, **kw):
        response = super().portal_order_page(
            order_id, report_type=report_type, access_token=access_token, **kw
        )
        qcontext = getattr(response, "qcontext", None)
        if qcontext is None or "sale_order" not in qcontext:
            return response
        order = qcontext["sale_order"]
        user = request.env.user
        may_decide = not user._is_public() and order._agora_may_decide(user.partner_id)
        qcontext.update(
            {
                "agora_state_badge_class": state_badge_class,
                "agora_may_decide": may_decide,
                "agora_approval_lines": order.order_line.filtered(
                    lambda l: not l.display_type and l.product_id
                )
                if may_decide
                else [],
                # The approver changes quantities within the products' order rules.
                "agora_approval_qty_rules": {
                    product_id: request.env["agora.agreement"]._quantity_rule_label(rule)
                    for product_id, rule in order._agora_quantity_rules(
                        order.order_line.product_id
                    ).items()
                }
                if may_decide
                else {},
                "qty_input_value": presenter.qty_input_value,
            }
        )
        if qcontext.get("agora_timeline"):
            qcontext["agora_timeline"] = timeline(order)
        if order.agora_state == "approval":
            # Not the supplier's order yet: nothing is invoiced nor due.
            qcontext["agora_show_amount_due"] = False
        return response

    def _agora_order_to_decide(self, order_id):
        """The order ``order_id``, sudo, if the user may read it; else 404."""
        try:
            return self._document_check_access("sale.order", order_id)
        except (AccessError, MissingError) as exc:
            raise NotFound() from exc

    @http.route(
        "/my/orders/<int:order_id>/approve",
        type="http",
        auth="user",
        methods=["POST"],
        website=True,
    )
    def agora_order_approve(self, order_id, comment="", **post):
        order_sudo = self._agora_order_to_decide(order_id)
        quantities = {}
        for key, value in post.items():
            if key.startswith("qty_"):
                line_id = self._agora_int(key[4:])
                if line_id:
                    quantities[line_id] = (value or "").strip()
        try:
            with request.env.cr.savepoint():
                # sudo: the user may read the order (checked above); the model
                # checks that the user is an approver of the order's company
                # within their limit, and that the lines are the order's.
                order_sudo._agora_approve(self._agora_partner(), comment, quantities)
        except (AccessError, UserError, ValidationError) as exc:
            flash("danger", error_text(exc))
        else:
            flash(
                "success",
                request.env._("Order %s was approved and sent to the supplier.", order_sudo.name),
            )
        return request.redirect(f"/my/orders/{order_sudo.id}")

    @http.route(
        "/my/orders/<int:order_id>/reject",
        type="http",
        auth="user",
        methods=["POST"],
        website=True,
    )
    def agora_order_reject(self, order_id, comment="", **post):
        order_sudo = self._agora_order_to_decide(order_id)
        try:
            with request.env.cr.savepoint():
                # sudo: the user may read the order (checked above); the model
                # checks that the user is an approver of the order's company.
                order_sudo._agora_reject(self._agora_partner(), comment)
        except (AccessError, UserError, ValidationError) as exc:
            flash("danger", error_text(exc))
        else:
            flash(
                "success",
                request.env._(
                    "Order %(order)s was returned to %(buyer)s.",
                    order=order_sudo.name,
                    buyer=order_sudo.partner_id.name,
                ),
            )
        return request.redirect(f"/my/orders/{order_sudo.id}")

    # ------------------------------------------------------------------
    # /my/approvals
    # ------------------------------------------------------------------

    def _agora_approvals_domain(self, partner):
        """The company's orders awaiting approval that ``partner`` may approve.

        ``_agora_may_decide`` is the rule: this domain only narrows the search
        to it, so that a page reads only its orders. An approver's limit is
        compared here in its own currency; an order in another currency is
        kept, and decided on by the model.
        """
        domain = Domain("agora_state", "=", "approval") & Domain(
            "partner_id", "child_of", [partner.commercial_partner_id.id]
        )
        if partner.agora_company_role == "approver" and partner.agora_order_limit:
            currency = partner.agora_limit_currency_id
            domain &= Domain("currency_id", "!=", currency.id) | Domain(
                "amount_total", "<=", partner.agora_order_limit + currency.rounding / 2
            )
        return domain

    @http.route(
        ["/my/approvals", "/my/approvals/page/<int:page>"],
        type="http",
        auth="user",
        methods=["GET"],
        website=True,
    )
    def agora_approvals(self, page=1, **kw):
        SaleOrder = request.env["sale.order"]
        partner = self._agora_partner()
        values = self._agora_layout_values("agora_approvals")
        if values["agora_may_approve_orders"]:
            domain = self._agora_approvals_domain(partner)
            pager_values = portal_pager(
                url="/my/approvals",
                total=SaleOrder.search_count(domain),
                page=page,
                step=self._items_per_page,
            )
            # Searched with the user's rights (the company's orders it sees).
            orders = SaleOrder.search(
                domain,
                order="agora_approval_requested_date, id",
                limit=self._items_per_page,
                offset=pager_values["offset"],
            ).filtered(lambda o: o._agora_may_decide(partner))
        else:
            pager_values = None
            orders = SaleOrder
        values.update(
            {
                # sudo: these orders were searched with the user's rights just
                # above; sudo only lets the list show their buyers' names.
                "orders": orders.sudo(),
                "pager": pager_values,
            }
        )
        return request.render("agora_company.portal_my_approvals", values)

    # ------------------------------------------------------------------
    # The cart
    # ------------------------------------------------------------------

    def _agora_submitted_message(self, order):
        if order.agora_state == "approval":
            return request.env._(
                "Order %s was sent to your company's approvers. You will be notified of "
                "their decision.",
                order.name,
            )
        return super()._agora_submitted_message(order)

from odoo import http
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.http import request
from odoo.tools import float_repr, format_amount

from odoo.addons.agora_portal.controllers.portal import AgoraPortal, error_text, flash

# The company's history shown on /my/company: the latest changes.
HISTORY_LIMIT = 50
# What the invitation form held when it was refused, to fill it again.
INVITE_KEY = "agora_company_invite"


class AgoraCompanyPortal(AgoraPortal):
    """/my/company: the client company's administrator manages colleagues
    (invite, role and limit, portal access) and the company's approval rules.

    Thin: every change is a method of ``res.partner``
    (``models/res_partner_colleagues.py``), called on the administrator's own
    contact with ``sudo()``; each method checks again that the contact is an
    administrator of the colleague's company and logs the change in the
    company's history. Portal users may not read colleagues or the history:
    this controller reads them with ``sudo()`` for an administrator only.
    """

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------

    def _agora_company_admin(self):
        """The logged-in user's contact (sudo) if an administrator of its
        client company, else None."""
        # sudo: reads the user's own contact and account to decide; the methods
        # called on it check the administrator again.
        partner = self._agora_partner().sudo()
        try:
            partner._agora_check_company_admin()
        except AccessError:
            return None
        return partner

    def _agora_company_refused(self):
        """The page anyone but an administrator gets, changing nothing."""
        values = self._agora_layout_values("agora_company")
        values["agora_company_refusal"] = request.env._(
            "Only an administrator of your company can manage its colleagues."
        )
        return request.render("agora_company.portal_my_company_refused", values, status=403)

    def _agora_is_company_admin(self):
        user = request.env.user
        if user._is_public() or not user._is_portal():
            return False
        return bool(self._agora_company_admin())

    def _agora_role_line(self, partner):
        """The contact's own role and limit, in one line ("Your role: Buyer, limit 1,000 ₽")."""
        # sudo: the contact's own role, limit and its currency (the agreement's).
        partner = partner.sudo()
        roles = dict(partner._fields["agora_company_role"]._description_selection(request.env))
        role = roles.get(partner.agora_company_role, "")
        if partner.agora_company_role in ("admin", "viewer"):
            return request.env._("Your role: %s", role)
        if not partner.agora_order_limit:
            return request.env._("Your role: %s, no limit", role)
        return request.env._(
            "Your role: %(role)s, limit %(limit)s",
            role=role,
            limit=format_amount(
                request.env, partner.agora_order_limit, partner.agora_limit_currency_id
            ),
        )

    def _agora_back(self):
        return request.redirect("/my/company")

    # ------------------------------------------------------------------
    # The Agora menu and the /my home
    # ------------------------------------------------------------------

    def _prepare_portal_layout_values(self):
        values = super()._prepare_portal_layout_values()
        # The "Company" entry of the Agora menu and of the /my home.
        values["agora_company_admin"] = self._agora_is_company_admin()
        return values

    @http.route()
    def home(self, **kw):
        response = super().home(**kw)
        user = request.env.user
        if getattr(response, "qcontext", None) is not None and user._is_portal():
            response.qcontext["agora_role_line"] = self._agora_role_line(user.partner_id)
        return response

    # ------------------------------------------------------------------
    # /my/company
    # ------------------------------------------------------------------

    def _agora_company_values(self, admin):
        commercial = admin.commercial_partner_id
        roles = admin._fields["agora_company_role"]._description_selection(request.env)
        colleagues = [
            {
                "partner": colleague,
                "has_access": colleague._agora_has_portal_access(),
                "is_self": colleague == admin,
            }
            for colleague in admin._agora_company_contacts()
        ]
        # sudo: the history of the administrator's own company (checked by the caller).
        events = (
            request.env["agora.company.event"]
            .sudo()
            .search([("client_id", "=", commercial.id)], limit=HISTORY_LIMIT)
        )
        supplier = request.env.company.name
        values = self._agora_layout_values("agora_company")
        values.update(
            {
                "company": commercial,
                "currency": commercial.agora_limit_currency_id,
                "roles": roles,
                "role_labels": dict(roles),
                "colleagues": colleagues,
                "events": events,
                # The supplier's staff are named as the supplier, never by name.
                "event_author": lambda event: (
                    supplier if event.author_is_staff else event.author_id.name or ""
                ),
                "invite": request.session.pop(INVITE_KEY, None) or {},
                # An amount as its input shows it: "30000", "1250.5"; empty for none.
                "amount_input": lambda amount: (
                    float_repr(amount, commercial.agora_limit_currency_id.decimal_places)
                    .rstrip("0")
                    .rstrip(".")
                    if amount
                    else ""
                ),
                "history_limit": HISTORY_LIMIT,
            }
        )
        return values

    @http.route("/my/company", type="http", auth="user", methods=["GET"], website=True)
    def portal_my_company(self, **kw):
        admin = self._agora_company_admin()
        if not admin:
            return self._agora_company_refused()
        return request.render("agora_company.portal_my_company", self._agora_company_values(admin))

    @http.route("/my/company/settings", type="http", auth="user", methods=["POST"], website=True)
    def portal_my_company_settings(self, threshold="", buyers_see_company_orders=None, **kw):
        admin = self._agora_company_admin()
        if not admin:
            return self._agora_company_refused()
        try:
            with request.env.cr.savepoint():
                changed = admin._agora_update_company_settings(
                    threshold, bool(buyers_see_company_orders)
                )
        except (UserError, ValidationError, AccessError) as exc:
            flash("danger", error_text(exc))
        else:
            if changed:
                flash("success", request.env._("The company's settings are saved."))
            else:
                flash("info", request.env._("Nothing was changed."))
        return self._agora_back()

    def _agora_colleague(self, admin, partner_id):
        """The colleague ``partner_id``, among the administrator's company contacts only."""
        return admin._agora_company_contacts().filtered(lambda p: p.id == partner_id)

    @http.route(
        "/my/company/colleague/<int:partner_id>",
        type="http",
        auth="user",
        methods=["POST"],
        website=True,
    )
    def portal_my_company_colleague(self, partner_id, role="", limit="", **kw):
        admin = self._agora_company_admin()
        if not admin:
            return self._agora_company_refused()
        colleague = self._agora_colleague(admin, partner_id)
        if not colleague:
            flash("danger", request.env._("This person is not a colleague of your company."))
            return self._agora_back()
        try:
            with request.env.cr.savepoint():
                changed = admin._agora_update_colleague(colleague, role, limit)
        except (UserError, ValidationError, AccessError) as exc:
            flash("danger", error_text(exc))
        else:
            if changed:
                flash(
                    "success",
                    request.env._("%s: the role and the limit are saved.", colleague.name),
                )
            else:
                flash("info", request.env._("Nothing was changed."))
        return self._agora_back()

    @http.route(
        "/my/company/colleague/<int:partner_id>/access",
        type="http",
        auth="user",
        methods=["POST"],
        website=True,
    )
    def portal_my_company_colleague_access(self, partner_id, active="", **kw):
        admin = self._agora_company_admin()
        if not admin:
            return self._agora_company_refused()
        colleague = self._agora_colleague(admin, partner_id)
        if not colleague:
            flash("danger", request.env._("This person is not a colleague of your company."))
            return self._agora_back()
        if active not in ("0", "1"):
            flash("danger", request.env._("Please choose to remove or to restore the access."))
            return self._agora_back()
        try:
            with request.env.cr.savepoint():
                changed = admin._agora_set_colleague_access(colleague, active == "1")
        except (UserError, ValidationError, AccessError) as exc:
            flash("danger", error_text(exc))
        else:
            if not changed:
                flash("info", request.env._("Nothing was changed."))
            elif active == "1":
                flash(
                    "success",
                    request.env._(
                        "The access of %(name)s is restored: an invitation was sent to %(email)s.",
                        name=colleague.name,
                        email=colleague.email or "",
                    ),
                )
            else:
                flash(
                    "success",
                    request.env._("%s can no longer sign in to the portal.", colleague.name),
                )
        return self._agora_back()

    @http.route("/my/company/invite", type="http", auth="user", methods=["POST"], website=True)
    def portal_my_company_invite(self, name="", email="", role="buyer", limit="", **kw):
        admin = self._agora_company_admin()
        if not admin:
            return self._agora_company_refused()
        try:
            with request.env.cr.savepoint():
                colleague = admin._agora_invite_colleague(name, email, role, limit)
        except (UserError, ValidationError, AccessError) as exc:
            flash("danger", error_text(exc))
            # The form is filled again with what was typed.
            request.session[INVITE_KEY] = {
                "name": str(name)[:128],
                "email": str(email)[:128],
                "role": str(role)[:16],
                "limit": str(limit)[:32],
            }
        else:
            flash(
                "success",
                request.env._(
                    "%(name)s is invited: an email to choose a password was sent to %(email)s.",
                    name=colleague.name,
                    email=colleague.email,
                ),
            )
        return self._agora_back()

from odoo import models
from odoo.exceptions import AccessError, LockError, UserError, ValidationError
from odoo.tools import email_normalize

from .res_partner import COMPANY_ROLES


class ResPartner(models.Model):
    """What a client company's administrator does on /my/company: invite
    colleagues, change their role and limit, remove or restore their access,
    and set the company's approval rules.

    Called on the administrator's own contact (``sudo()``, by the portal's
    controller); every method checks that the contact is an administrator
    of the colleague's company. Each change lands in the company's history
    (``res.partner.write``).
    """

    # One file per concern of res.partner: roles, rules and history in
    # res_partner.py, the administrator's actions here.
    _inherit = "res.partner"

    def _agora_check_company_admin(self):
        """Refuse unless this contact is an administrator of its client company
        with an active portal account."""
        self.ensure_one()
        if self.agora_company_role != "admin" or not self._agora_has_portal_access():
            raise AccessError(
                self.env._("Only an administrator of your company can manage its colleagues.")
            )

    def _agora_check_colleague(self, colleague):
        """Refuse unless ``colleague`` is a contact of this administrator's
        company; return it in this administrator's environment, so that its
        changes are logged as theirs."""
        self._agora_check_company_admin()
        if colleague not in self._agora_company_contacts():
            raise AccessError(self.env._("This person is not a colleague of your company."))
        return colleague.with_env(self.env)

    def _agora_parse_limit(self, value):
        """A limit typed by the administrator: a positive amount, 0 or empty for none."""
        text = str(value if value is not None else "").strip().replace(" ", "").replace(",", ".")
        if not text:
            return 0.0
        try:
            amount = float(text)
        except ValueError as exc:
            raise ValidationError(
                self.env._("The limit must be an amount, such as 50000 (0 for no limit).")
            ) from exc
        if amount < 0 or amount != amount or amount in (float("inf"), float("-inf")):
            raise ValidationError(self.env._("The limit cannot be negative."))
        return self.agora_limit_currency_id.round(amount)

    def _agora_check_role(self, role):
        if role not in dict(COMPANY_ROLES):
            raise ValidationError(self.env._("Please choose one of the roles."))
        return role

    def _agora_check_keeps_an_admin(self, colleague, new_role=None, deactivate=False):
        """Refuse a change that would leave the company without an active
        administrator: the last one can neither change role nor leave."""
        if colleague.agora_company_role != "admin":
            return
        if not deactivate and new_role == "admin":
            return
        # Two administrators removing each other at once: each locks every
        # administrator's row first, so the second waits for none and is
        # refused, or (the first committed) is retried by Odoo and sees it.
        admins = self._agora_company_contacts().filtered(lambda p: p.agora_company_role == "admin")
        try:
            admins.lock_for_update()
        except LockError as exc:
            raise UserError(
                self.env._(
                    "A colleague is changing your company's administrators right now. Try "
                    "again in a moment."
                )
            ) from exc
        others = self._agora_company_contacts().filtered(
            lambda p: (
                p != colleague
                and p.agora_company_role == "admin"
                and p.active
                and p._agora_has_portal_access()
            )
        )
        if not others:
            raise UserError(
                self.env._(
                    "%s is the last administrator of your company: make another colleague an "
                    "administrator first.",
                    colleague.name,
                )
            )

    def _agora_invite_colleague(self, name, email, role="buyer", limit=0.0):
        """Create a contact for a new colleague under the company and send
        Odoo's own portal invitation (a link to set a password).

        :return: the new contact
        """
        self._agora_check_company_admin()
        name = (name or "").strip()
        if not name:
            raise ValidationError(self.env._("Please enter the colleague's name."))
        normalized = email_normalize(email or "")
        if not normalized:
            raise ValidationError(self.env._("%s is not a valid email address.", email or ""))
        role = self._agora_check_role(role)
        limit = self._agora_parse_limit(limit)
        # sudo: a login is unique across the database, whoever holds it; only
        # whether it is taken is told.
        if (
            self.env["res.users"]
            .sudo()
            .with_context(active_test=False)
            .search_count([("login", "=ilike", normalized)], limit=1)
        ):
            raise UserError(
                self.env._(
                    "A portal account with the email %s already exists. If it is a colleague "
                    "whose access was removed, restore it from the list.",
                    normalized,
                )
            )
        commercial = self.commercial_partner_id
        if self._agora_company_contacts().filtered(
            lambda p: email_normalize(p.email or "") == normalized
        ):
            raise UserError(
                self.env._(
                    "A colleague with the email %s already has an account. Restore their access "
                    "from the list if it was removed.",
                    normalized,
                )
            )
        # sudo: portal users may not create contacts; the administrator (checked
        # above) creates one under their own company only.
        colleague = (
            self.env["res.partner"]
            .sudo()
            .create(
                {
                    "name": name[:128],
                    "email": normalized,
                    "parent_id": commercial.id,
                    "type": "contact",
                    "lang": self.lang,
                    "agora_company_role": role,
                    "agora_order_limit": limit,
                }
            )
        )
        # Its portal account is in the company's history (res.users.create).
        colleague._agora_grant_portal_access()
        return colleague

    def _agora_grant_portal_access(self):
        """Give this contact a portal account through Odoo's portal wizard,
        which sends its invitation email."""
        self.ensure_one()
        # sudo: the portal wizard is for staff; the caller checked that this is
        # a colleague of the administrator acting.
        wizard = self.env["portal.wizard"].sudo().create({"partner_ids": [self.id]})
        wizard.user_ids.filtered(lambda u: u.partner_id == self).action_grant_access()

    def _agora_update_colleague(self, colleague, role, limit):
        """Change a colleague's role and limit."""
        colleague = self._agora_check_colleague(colleague)
        role = self._agora_check_role(role)
        limit = self._agora_parse_limit(limit)
        self._agora_check_keeps_an_admin(colleague, new_role=role)
        values = {}
        if colleague.agora_company_role != role:
            values["agora_company_role"] = role
        if colleague.agora_limit_currency_id.compare_amounts(colleague.agora_order_limit, limit):
            values["agora_order_limit"] = limit
        if values:
            # sudo: checked above; the change is logged in the company's history.
            colleague.sudo().write(values)
        return bool(values)

    def _agora_set_colleague_access(self, colleague, active):
        """Remove a colleague's portal access, or restore it (which sends a
        new invitation)."""
        colleague = self._agora_check_colleague(colleague)
        has_access = colleague._agora_has_portal_access()
        if active == has_access:
            return False
        # The change of access is in the company's history (res.users.write).
        if active:
            colleague._agora_grant_portal_access()
        else:
            if colleague == self:
                raise UserError(self.env._("You cannot remove your own access."))
            self._agora_check_keeps_an_admin(colleague, deactivate=True)
            # sudo: the portal wizard is for staff; checked above.
            wizard = self.env["portal.wizard"].sudo().create({"partner_ids": [colleague.id]})
            wizard.user_ids.filtered(lambda u: u.partner_id == colleague).action_revoke_access()
        return True

    def _agora_update_company_settings(self, threshold, buyers_see_company_orders):
        """Set the company's approval threshold and whether its buyers see all
        its orders."""
        self._agora_check_company_admin()
        commercial = self.commercial_partner_id
        threshold = self._agora_parse_limit(threshold)
        values = {}
        if commercial.agora_limit_currency_id.compare_amounts(
            commercial.agora_approval_threshold, threshold
        ):
            values["agora_approval_threshold"] = threshold
        if commercial.agora_buyers_see_company_orders != bool(buyers_see_company_orders):
            values["agora_buyers_see_company_orders"] = bool(buyers_see_company_orders)
        if values:
            # sudo: checked above; the change is logged in the company's history.
            commercial.sudo().write(values)
        return bool(values)

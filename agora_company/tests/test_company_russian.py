"""A client company that works in Russian: its administrator, approvers and
buyers read the company's pages, its approval emails and its statuses in
Russian (agora_company/i18n/ru.po)."""

import re

import polib

from odoo.tests import tagged
from odoo.tools.misc import file_path
from odoo.tools.translate import TranslationModuleReader

from odoo.addons.agora_portal.tests.common import AgoraPortalHttpCase

from .common import AgoraCompanyDataMixin

MODULES = ("agora_orders", "agora_portal", "agora_company")
# What a term leaves to the code, the template or the email: %s, %(name)s,
# {{ expression }}, and the markup (tags with their attributes).
KEPT_RE = re.compile(r"%(?:\(\w+\))?[sdf]|\{\{.*?\}\}|<[^>]+>", re.DOTALL)


@tagged("post_install", "-at_install")
class TestCompanyRussian(AgoraCompanyDataMixin, AgoraPortalHttpCase):
    @classmethod
    def setUpClass(cls):
        # HttpCase's own set-up, not AgoraPortalHttpCase's: the company's data
        # below includes the portal's (set up twice, its users would clash).
        super(AgoraPortalHttpCase, cls).setUpClass()
        cls._setup_agora_company_data()
        cls.env["res.lang"]._activate_lang("ru_RU")
        cls.env["ir.module.module"]._load_module_terms(list(MODULES), ["ru_RU"])
        if "website" in cls.env:
            # With the shop installed, a page speaks the website's languages.
            cls.env["website"].search([]).language_ids |= cls.env.ref("base.lang_ru")
        for user in (
            cls.admin_alfa,
            cls.buyer_alfa,
            cls.approver_alfa,
            cls.limited_buyer_alfa,
            cls.viewer_alfa,
        ):
            user.lang = "ru_RU"

    def _submit(self, user, lines):
        cart = self._cart(user, lines)
        self._flush_tracking()
        cart.with_user(user).sudo()._agora_cart_submit()
        self._flush_tracking()
        return cart

    def _mails_to(self, partner):
        return self.env["mail.mail"].search([("recipient_ids", "in", partner.ids)])

    # ------------------------------------------------------------------
    # The translation file
    # ------------------------------------------------------------------

    def test_every_text_has_russian(self):
        """Every text of agora_company (code, templates, fields, statuses,
        emails) has its Russian."""
        # Texts Russian keeps as they are ("ID"): Odoo stores no translation
        # equal to its source, so the database has none to read.
        same_in_russian = {
            entry.msgid
            for entry in polib.pofile(file_path("agora_company/i18n/ru.po"))
            if entry.msgstr == entry.msgid
        }
        self.assertLessEqual(same_in_russian, {"ID", "agora_state"})
        # Odoo exports a record's every translated field under each module that
        # extends its model: with the shop installed, the "res.partner" model
        # brings the shop's form label ("Create a Customer"). A field defined
        # by a module agora_company does not depend on is that module's to
        # translate, and ships with it.
        Module = self.env["ir.module.module"]
        ours = Module.search([("name", "=", "agora_company")])
        ours |= ours.upstream_dependencies(exclude_states=("uninstalled", "to remove"))
        our_modules = set(ours.mapped("name"))

        def defined_by_us(kind, name):
            if kind not in ("model", "model_terms"):
                return True
            model, field_name = name.split(",", 1)
            field = self.env["ir.model.fields"]._get(model, field_name)
            return bool(set((field.modules or "").split(", ")) & our_modules)

        untranslated = [
            (name, source)
            for _module, kind, name, _res_id, source, value, _comments in TranslationModuleReader(
                self.env.cr, modules=["agora_company"], lang="ru_RU"
            )
            if not value and source not in same_in_russian and defined_by_us(kind, name)
        ]
        self.assertFalse(untranslated, "no Russian in agora_company/i18n/ru.po")

    def test_translations_keep_placeholders_and_markup(self):
        """A translation keeps what the code fills in and the template's
        markup, in the same order."""
        wrong = {
            entry.msgid: entry.msgstr
            for entry in polib.pofile(file_path("agora_company/i18n/ru.po"))
            if KEPT_RE.findall(entry.msgid) != KEPT_RE.findall(entry.msgstr)
        }
        self.assertFalse(wrong)

    # ------------------------------------------------------------------
    # Approval in Russian: statuses and emails
    # ------------------------------------------------------------------

    def test_approval_emails_and_status_in_russian(self):
        polina = self.approver_alfa.partner_id
        bogdan = self.limited_buyer_alfa.partner_id
        # Bogdan (limit 1,000) orders 10 hammers: 1,080, for approval.
        order = self._submit(self.limited_buyer_alfa, [(self.hammer, 10)])
        self.assertEqual(order.agora_state, "approval")
        ru_order = order.with_context(lang="ru_RU")
        labels = dict(ru_order._fields["agora_state"]._description_selection(ru_order.env))
        self.assertEqual(labels["approval"], "На согласовании")

        request = self._mails_to(polina)
        self.assertEqual(len(request), 1)
        self.assertIn(order.name, request.subject)
        self.assertIn("ожидает вашего согласования", request.subject)
        self.assertNotIn("awaits your approval", request.subject)
        self.assertIn("Здравствуйте!", request.body_html)
        self.assertIn("отправил(а) заказ", request.body_html)
        self.assertIn("Проверить заказ", request.body_html)
        self.assertNotIn("Review the order", request.body_html)
        self.assertIn(f"/my/orders/{order.id}", request.body_html)
        # Her portal notice, in Russian too.
        notice = self.env["agora.notification"].search(
            [("partner_id", "=", polina.id), ("order_id", "=", order.id)]
        )
        self.assertEqual(
            notice.with_context(lang="ru_RU").display_name,
            f"Заказ {order.name}: Ожидает вашего согласования",
        )

        order.with_user(self.approver_alfa).sudo()._agora_reject(polina, "Слишком много молотков")
        self._flush_tracking()
        self.assertEqual(order.agora_state, "new")
        returned = self._mails_to(bogdan)
        self.assertEqual(len(returned), 1)
        self.assertEqual(returned.subject, f"Заказ {order.name} возвращён вам на доработку")
        self.assertIn("не согласовал(а) ваш заказ", returned.body_html)
        self.assertIn("Слишком много молотков", returned.body_html)
        self.assertIn("Открыть корзину", returned.body_html)
        self.assertNotIn("returned it to you", returned.body_html)
        notice = self.env["agora.notification"].search(
            [("partner_id", "=", bogdan.id), ("approval_notice", "=", "rejected")]
        )
        self.assertEqual(
            notice.with_context(lang="ru_RU").display_name,
            f"Заказ {order.name}: Возвращён на доработку",
        )

    # ------------------------------------------------------------------
    # The company's pages in Russian
    # ------------------------------------------------------------------

    def test_company_page_in_russian(self):
        self._login(self.admin_alfa)
        response = self._get("/my/company")
        self.assertEqual(response.status_code, 200)
        page = response.text
        for phrase in (
            "Пригласить коллегу",
            "Порог согласования",
            "Закупщики видят все заказы компании",
            "Коллеги",
            # The roles of the colleagues' selects.
            "Согласующий",
            "Наблюдатель",
        ):
            self.assertIn(phrase, page)
        for english in ("Invite a colleague", "Approval threshold", "Save settings"):
            self.assertNotIn(english, page)

    def test_approvals_page_in_russian(self):
        order = self._submit(self.limited_buyer_alfa, [(self.hammer, 10)])
        self._login(self.approver_alfa)
        response = self._get("/my/approvals")
        self.assertEqual(response.status_code, 200)
        page = response.text
        self.assertIn(f'data-order-id="{order.id}"', page)
        self.assertIn("Заказы на согласовании", page)
        self.assertIn("Рассмотреть", page)
        self.assertNotIn("Orders awaiting your approval", page)
        # The order card: the approver's form, in Russian.
        card = self._get(f"/my/orders/{order.id}").text
        self.assertIn("o_agora_approval_form", card)
        self.assertIn("Ваше решение", card)
        self.assertIn("Вернуть на доработку", card)
        self.assertNotIn("Return to buyer", card)

"""A client whose language is Russian meets no English text of ours.

The English texts of ours are every source term of agora_orders' and
agora_portal's ru.po that Russian translates to something else; none may show
in the content or the title of a page of the client's journey, in Russian.
What Odoo's own layout and texts leave in English: README, "Known limitations".
"""

import html
import io
import re

import polib
from lxml import html as lxml_html

from odoo.tests import new_test_user, tagged
from odoo.tools.misc import file_path
from odoo.tools.translate import TranslationModuleReader

from .common import AgoraPortalHttpCase

MODULES = ("agora_orders", "agora_portal")
# Odoo's modules whose texts these pages show too, loaded in Russian as well:
# an English text of Odoo's may share a word with one of ours ("Order").
ODOO_PAGE_MODULES = (
    "web",
    "portal",
    "mail",
    "payment",
    "product",
    "uom",
    "account",
    "stock",
    "sale",
    "sale_stock",
    "sale_management",
    "website",
    "website_sale",
)
# Quoted names are literal (the headers an upload recognises: «SKU», «Qty»).
QUOTED_RE = re.compile(r"«[^»]*»|“[^”]*”")
# What a term leaves to the code or the template: %s, %(name)s, {name}, <t t-out/>.
PLACEHOLDER_RE = re.compile(
    r"%(?:\(\w+\))?[sdf]|\{\w*\}"
    r"|<(?P<tag>\w+)\b[^>]*\bt-(?:out|esc|field)=[^>]*?(?:/>|>.*?</(?P=tag)>)",
    re.DOTALL,
)
TAG_RE = re.compile(r"<[^>]+>")
WORD_RE = re.compile(r"[^\W\d_]+")
# Attributes a user reads (as a tooltip, a placeholder or aloud).
SHOWN_ATTRIBUTES = ("title", "placeholder", "alt", "aria-label")


def words(text):
    return WORD_RE.findall(QUOTED_RE.sub(" ", text))


def english_phrases():
    """{phrase: source term}: the phrases of every source term of ours that
    Russian translates to something else, as sequences of words."""
    phrases = {}
    for module in MODULES:
        for entry in polib.pofile(file_path(f"{module}/i18n/ru.po")):
            if entry.obsolete or not entry.msgstr or entry.msgstr == entry.msgid:
                continue
            for part in PLACEHOLDER_RE.sub("\0", entry.msgid).split("\0"):
                part_words = words(html.unescape(TAG_RE.sub(" ", part)))
                # A word alone counts as a label ("Status", "SKU"), not as a
                # piece of a sentence cut by a placeholder ("for", "d" of "%s d").
                label = len(part_words) == 1 and re.fullmatch(r"[A-Z]\w+", part_words[0])
                if len(part_words) > 1 or label:
                    phrases.setdefault(" ".join(part_words), entry.msgid)
    return phrases


def shown_words(page):
    """The words a user sees of ``page``'s own content and title: texts and
    shown attributes, not scripts; hidden blocks (modals, collapsed menus)
    count. The layout around (Odoo's header and footer, the website's menu)
    is left out."""
    root = lxml_html.fromstring(page)
    for element in root.xpath("//script | //style | //template | //noscript"):
        element.drop_tree()
    texts = root.xpath("//title/text()")
    for content in root.xpath("//main") or [root]:
        texts += content.xpath(".//text()")
        for attribute in SHOWN_ATTRIBUTES:
            texts += content.xpath(f".//@{attribute}")
    return " ".join(words(" ".join(texts)))


@tagged("post_install", "-at_install")
class TestPortalInRussian(AgoraPortalHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=False))
        cls.env["res.lang"]._activate_lang("ru_RU")
        Module = cls.env["ir.module.module"]
        installed = Module.search(
            [("name", "in", ODOO_PAGE_MODULES), ("state", "=", "installed")]
        ).mapped("name")
        Module._load_module_terms([*installed, *MODULES], ["ru_RU"])
        if "website" in cls.env:
            # With the shop installed, a page speaks the website's languages.
            cls.env["website"].search([]).language_ids |= cls.env.ref("base.lang_ru")
        for user in (cls.user_alfa, cls.user_alfa2):
            user.lang = "ru_RU"
        # The supplier, its staff and goods, named in Russian as a client's are
        # (not "My Company", whose "Company" is a term of ours).
        cls.company.name = "ООО «Тест Опт»"
        cls.salesman.name = "Светлана Продажина"
        for product, name in (
            (cls.hammer, "Молоток стальной"),
            (cls.drill, "Дрель сетевая"),
            (cls.glue, "Клей монтажный"),
        ):
            product.with_context(lang="ru_RU").name = name
            product.with_context(lang="en_US").name = name
        cls.phrases = english_phrases()

    def assertNoEnglishOfOurs(self, page, url):
        shown = f" {shown_words(page)} "
        found = {}
        for phrase, term in self.phrases.items():
            at = shown.find(f" {phrase} ")
            if at >= 0:
                found[term] = shown[max(at - 60, 0) : at + len(phrase) + 60]
        self.assertFalse(found, f"{url} shows English texts of ours (term: where): {found}")

    def _page(self, url):
        response = self._get(url)
        self.assertEqual(response.status_code, 200, url)
        # Our menu's "Catalog", or the order card's "Repeat order": in Russian.
        self.assertRegex(response.text, "Каталог|Повторить заказ", f"{url} is not in Russian")
        return response.text

    def test_every_text_of_the_portal_has_russian(self):
        """Every text of our templates and code has its Russian (a text not
        in ru.po yet would escape the page checks below)."""
        untranslated = [
            source
            for _module, kind, name, _res_id, source, value, _comments in TranslationModuleReader(
                self.env.cr, modules=["agora_portal"], lang="ru_RU"
            )
            if not value and (kind == "code" or name == "ir.ui.view,arch_db")
        ]
        self.assertFalse(untranslated, "no Russian in agora_portal/i18n/ru.po")

    def test_phrases_are_found(self):
        """The check sees an English text of ours, and only in English."""
        self.assertIn("Return requests", self.phrases)
        self.assertIn("In cart", self.phrases)
        sample = (
            "<html><head><title>Cart | Shop</title></head><body><header>Orders</header><main>"
            "<p>Заявки на возврат</p><h4>Return requests</h4><script>'In cart'</script>"
            "</main></body></html>"
        )
        self.assertEqual(shown_words(sample), "Cart Shop Заявки на возврат Return requests")

    def test_client_journey_is_in_russian(self):
        shipped = self._shipped_order(self.user_alfa, [(self.hammer, 4), (self.glue, 2)])
        submitted = self._submitted_order(self.user_alfa2, [(self.drill, 1)])
        self._cart(self.user_alfa, [(self.hammer, 1), (self.drill, 2)])
        self._login(self.user_alfa)
        urls = [
            "/my",
            "/my/catalog",
            f"/my/catalog/product/{self.hammer.id}",
            "/my/cart",
            "/my/cart/import",
            "/my/orders",
            f"/my/orders/{shipped.id}",
            f"/my/orders/{submitted.id}",
            f"/my/orders/{shipped.id}/return",
            "/my/notifications",
        ]
        for url in urls:
            with self.subTest(url=url):
                self.assertNoEnglishOfOurs(self._page(url), url)
        with self.subTest(url="upload preview"):
            response = self.url_open(
                "/my/cart/import",
                data={"csrf_token": self._csrf()},
                files={
                    "file": ("order.csv", io.BytesIO(b"AGP-HAM-01;2\nNOPE-404;1\n"), "text/csv")
                },
            )
            self.assertEqual(response.status_code, 200)
            self.assertIn("NOPE-404", response.text)
            self.assertNoEnglishOfOurs(response.text, response.url)
        with self.subTest(url="repeat: the cart with a message"):
            response = self._post(f"/my/orders/{shipped.id}/repeat")
            self.assertIn("o_agora_flash", response.text)
            self.assertNoEnglishOfOurs(response.text, response.url)

    def test_requisition_lists_are_in_russian(self):
        """The lists, a colleague's shared list with a line no longer
        orderable, a file made into a list, and a list sent to the cart."""
        requisition = (
            self.env["agora.requisition.list"]
            .sudo()
            ._agora_create_list(
                self.user_alfa2,
                "Еженедельно",
                shared=True,
                items=[(self.hammer, 2.0), (self.secret, 1.0)],
            )
        )
        self._login(self.user_alfa)
        for url in ("/my/lists", f"/my/lists/{requisition.id}"):
            with self.subTest(url=url):
                page = self._page(url)
                self.assertIn("Еженедельно", page)
                self.assertNoEnglishOfOurs(page, url)
        with self.subTest(url="a list from a file"):
            response = self.url_open(
                "/my/lists/import",
                data={"csrf_token": self._csrf()},
                files={
                    "file": ("list.csv", io.BytesIO(b"AGP-HAM-01;2\nNOPE-404;1\n"), "text/csv")
                },
            )
            self.assertIn("NOPE-404", response.text)
            self.assertNoEnglishOfOurs(response.text, response.url)
        with self.subTest(url="a list sent to the cart"):
            response = self._post(f"/my/lists/{requisition.id}/update", {"action": "cart_all"})
            self.assertIn("o_agora_flash", response.text)
            self.assertNoEnglishOfOurs(response.text, response.url)

    def test_credit_notices_are_in_russian(self):
        """The cart's warning and the card of an order awaiting the credit
        check, with the client's open balance, in Russian."""
        self._reserved_order(self.user_alfa, [(self.hammer, 4)])
        submitted = self._submitted_order(self.user_alfa2, [(self.drill, 1)])
        self._cart(self.user_alfa, [(self.hammer, 1)])
        self.company.account_use_credit_limit = True
        self.client_alfa.with_company(self.company).credit_limit = 1.0
        self._login(self.user_alfa)
        for url, css_class, text in (
            ("/my/cart", "o_agora_credit_notice", "превышает предоставленный вам кредит"),
            (f"/my/orders/{submitted.id}", "o_agora_credit_check", "Ожидает проверки кредита"),
        ):
            with self.subTest(url=url):
                page = self._page(url)
                self.assertIn(css_class, page)
                self.assertIn(text, page)
                self.assertIn("Ваша текущая задолженность", page)
                self.assertNoEnglishOfOurs(page, url)

    def test_order_card_offers_no_software_connection(self):
        """Sale's "Connect with your software!" (its UBL export, with sale_edi_ubl)
        is not a wholesaler's client's business: the card has no such button."""
        order = self._reserved_order(self.user_alfa, [(self.hammer, 1)])
        self._login(self.user_alfa)
        page = self._page(f"/my/orders/{order.id}")
        self.assertIn('id="agora_status"', page)
        self.assertNotIn("portal_connect_software_modal_btn", page)
        self.assertNotIn("sale_portal_connect_software_modal", page)
        self.assertNotIn("Подключите свое программное обеспечение", page)
        # Nor does the order's PDF link to it.
        pdf_html = self.env["ir.actions.report"]._render_qweb_html(
            "sale.action_report_saleorder", order.ids
        )[0]
        self.assertIn(order.name, str(pdf_html))
        self.assertNotIn("portal_connect_software_modal_btn", str(pdf_html))

    def test_scripts_speak_russian(self):
        """The texts of our scripts ("In cart: %s") and of the chatter (mail's)
        reach the browser in Russian."""
        self._login(self.user_alfa)
        response = self._get("/website/translations", params={"lang": "ru_RU"})
        self.assertEqual(response.status_code, 200)
        modules = response.json()["modules"]
        messages = {
            module: {message["id"]: message["string"] for message in data["messages"]}
            for module, data in modules.items()
        }
        self.assertEqual(messages.get("agora_portal", {}).get("In cart: %s"), "В корзине: %s")
        self.assertEqual(
            messages.get("mail", {}).get("The conversation is empty."), "Беседа пуста."
        )

    def test_scripts_in_the_browser(self):
        # start_tour logs in with the login as password.
        user = new_test_user(
            self.env,
            login="agora_ru_client",
            password="agora_ru_client",
            name="Таня Турова",
            groups="base.group_portal",
            lang="ru_RU",
        )
        user.partner_id.parent_id = self.client_alfa
        self._submitted_order(user, [(self.drill, 1)])
        self.start_tour("/my/catalog", "agora_portal_ru_tour", login=user.login)

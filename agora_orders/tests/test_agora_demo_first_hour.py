import re

from lxml import etree

from odoo.fields import Domain
from odoo.modules.module import get_manifest
from odoo.tests import HttpCase, tagged
from odoo.tools import convert_file
from odoo.tools.safe_eval import safe_eval

CATALOG_ROW_RE = re.compile(r'data-product-id="(\d+)"')

# What the web client does on /odoo for a user without a home action: it opens
# the first app. The code then opens the Sales app as its menu does. Both must
# show the Agora orders' kanban.
FIRST_SCREEN_JS = """
(async () => {
    const {action, menu} = odoo.__WOWL_DEBUG__.root.env.services;
    const expected = %(action_id)s;
    const onAgoraKanban = (previous) => {
        const controller = action.currentController;
        return controller && controller !== previous && controller.action.id === expected
            && document.querySelector(".o_action_manager .o_kanban_view .o_kanban_group");
    };
    const waitFor = async (what, condition) => {
        for (let i = 0; i < 150; i++) {
            if (condition()) {
                return;
            }
            await new Promise((resolve) => setTimeout(resolve, 100));
        }
        const controller = action.currentController;
        throw new Error(`${what}: action ${controller && controller.action.id}, not ${expected}`);
    };
    await waitFor("/odoo", () => onAgoraKanban(null));
    const first = action.currentController;
    await menu.selectMenu(%(sales_menu_id)s);
    await waitFor("the Sales app", () => onAgoraKanban(first));
    console.log("test successful");
})();
"""


@tagged("post_install", "-at_install")
class TestAgoraDemoFirstHour(HttpCase):
    """What a new user meets first in a demo database: the clients' catalogs
    hold the wholesaler's goods only, and the staff land on the Agora orders.

    The test databases have no demo data: the module's demo files are loaded
    here as a demo database loads them, beside a product made as Odoo's own
    demo goods are (shared by all companies, saleable, in a generic category)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.generic_product = cls.env["product.product"].create(
            {
                "name": "Two-Seat Sofa",
                "default_code": "FURN_TEST",
                "categ_id": cls.env.ref("product.product_category_goods").id,
                "sale_ok": True,
                "list_price": 1500.0,
            }
        )
        for filename in get_manifest("agora_orders")["demo"]:
            convert_file(cls.env, "agora_orders", filename, {}, mode="init", noupdate=True)
        cls.env.flush_all()
        cls.wholesaler_goods = cls.env["product.product"].browse(
            cls.env["ir.model.data"]
            .search([("module", "=", "agora_orders"), ("model", "=", "product.product")])
            .mapped("res_id")
        )
        cls.company = cls.env.ref("agora_orders.agora_company_demo")

    def _demo_agreement(self, login):
        user = self.env["res.users"].search([("login", "=", login)])
        agreement = self.env["agora.agreement"]._get_active_agreement(
            user.partner_id, self.company
        )
        self.assertTrue(agreement, f"{login} has no agreement in force")
        return agreement

    def test_demo_clients_order_only_the_wholesalers_goods(self):
        """No demo client may order anything but the wholesaler's goods, and
        Beta, whose agreement is "the whole assortment", may order all of them."""
        everything = self.env["product.product"].search([])
        self.assertIn(self.generic_product, everything)
        for login in ("client_alfa", "client_beta", "client_gamma"):
            with self.subTest(login=login):
                agreement = self._demo_agreement(login)
                orderable = agreement._filter_orderable_products(everything, self.company)
                self.assertTrue(orderable)
                self.assertFalse(
                    (orderable - self.wholesaler_goods).mapped("display_name"),
                    "products outside the wholesaler's goods are orderable",
                )
                self.assertFalse(
                    agreement._filter_orderable_products(self.generic_product, self.company)
                )
        beta = self._demo_agreement("client_beta")
        self.assertEqual(
            beta._filter_orderable_products(everything, self.company),
            self.wholesaler_goods.filtered("sale_ok"),
        )

    def test_demo_client_near_its_credit_limit(self):
        """Beta owes its shipped order, and its order in review goes beyond
        its credit limit: it awaits the credit check, and the one the limit
        would let through is a smaller one."""
        beta = self.env.ref("agora_orders.res_partner_beta_demo").with_company(self.company)
        order = self.env.ref("agora_orders.sale_order_3_demo").with_company(self.company)
        self.assertTrue(self.company.account_use_credit_limit)
        self.assertGreater(beta.credit, 0)
        self.assertLess(beta.credit, beta.credit_limit)
        self.assertEqual(order.agora_state, "processing")
        self.assertTrue(order.agora_credit_exceeded)
        self.assertTrue(order._agora_client_credit_notice()["awaiting"])
        # The other clients have no limit.
        for xmlid in ("agora_orders.res_partner_alfa_demo", "agora_orders.res_partner_gamma_demo"):
            self.assertFalse(self.env.ref(xmlid).with_company(self.company).credit_limit)

    def test_demo_products_sold_by_the_box_with_a_minimum(self):
        """The demo sells the masking tape by the box of 24 from 48, the conduit
        by the 50 m coil, the wall plugs by the carton of 10 packs from 20;
        Альфа Строй's agreement lets it buy the tape from one box."""
        tape = self.env.ref("agora_orders.product_lk_0008_demo")
        conduit = self.env.ref("agora_orders.product_el_0004_demo")
        plugs = self.env.ref("agora_orders.product_kr_0007_demo")
        Agreement = self.env["agora.agreement"]
        expected = {
            "client_beta": {tape: "multiple of 24, min. 48", conduit: "multiple of 50"},
            "client_alfa": {tape: "multiple of 24, min. 24", plugs: "multiple of 10, min. 20"},
        }
        for login, labels in expected.items():
            agreement = self._demo_agreement(login)
            rules = agreement._get_quantity_rules(tape | conduit | plugs)
            for product, label in labels.items():
                with self.subTest(login=login, product=product.display_name):
                    self.assertIn(product, agreement._filter_orderable_products(product))
                    self.assertEqual(Agreement._quantity_rule_label(rules[product.id]), label)
        # The card shows the rule in the page's language (the client's, or
        # with the shop installed the website's), and proposes 48.
        client = self.env["res.users"].search([("login", "=", "client_beta")])
        rule = self._demo_agreement("client_beta")._get_quantity_rules(tape)[tape.id]
        self.authenticate("client_beta", "client_beta")
        page = self.url_open(f"/my/catalog/product/{tape.id}")
        page_lang = re.search(r'<html lang="([a-z]+)-([A-Z]+)"', page.text)
        lang = "_".join(page_lang.groups()) if page_lang else client.lang
        label = Agreement.with_context(lang=lang)._quantity_rule_label(rule)
        self.assertIn(label, page.text)
        self.assertIn('value="48"', page.text)

    def test_demo_catalog_pages_list_only_the_wholesalers_goods(self):
        """What client_beta and client_gamma see at /my/catalog, listed or
        searched for, is the wholesaler's goods only."""
        for login in ("client_beta", "client_gamma"):
            with self.subTest(login=login):
                self.authenticate(login, login)
                response = self.url_open("/my/catalog", params={"ppg": "120"})
                self.assertEqual(response.status_code, 200)
                listed = self.env["product.product"].browse(
                    {int(pid) for pid in CATALOG_ROW_RE.findall(response.text)}
                )
                self.assertTrue(listed, "no product row found on the catalog page")
                self.assertFalse((listed - self.wholesaler_goods).mapped("display_name"))
                searched = self.url_open("/my/catalog", params={"search": "Sofa"})
                self.assertEqual(searched.status_code, 200)
                self.assertNotIn(f'data-product-id="{self.generic_product.id}"', searched.text)

    def test_staff_first_screen_is_the_agora_orders(self):
        """agora_manager lands on the Agora orders' kanban, at /odoo and in
        the Sales app, whose own menus Odoo's quotations keep their place in."""
        action = self.env.ref("agora_orders.agora_sale_order_action")
        sales_root = self.env.ref("sale.sale_menu_root")
        manager = self.env.ref("agora_orders.user_agora_manager_demo")
        self.assertEqual(manager.login, "agora_manager")
        # What the web client is given: the first app opens on the Agora orders
        # (unless the user has a home action of its own), so does the Sales app.
        self.assertFalse(manager.action_id)
        menus = self.env["ir.ui.menu"].with_user(manager).load_web_menus(False)
        first_app = menus[menus["root"]["children"][0]]
        self.assertEqual(first_app["actionID"], action.id, first_app["name"])
        self.assertEqual(menus[sales_root.id]["actionID"], action.id)
        quotations = menus[self.env.ref("sale.menu_sale_quotations").id]
        self.assertEqual(
            quotations["actionID"], self.env.ref("sale.action_quotations_with_onboarding").id
        )
        # What the browser shows.
        self.browser_js(
            "/odoo",
            FIRST_SCREEN_JS % {"action_id": action.id, "sales_menu_id": sales_root.id},
            ready="!!(odoo.__WOWL_DEBUG__ && odoo.__WOWL_DEBUG__.root)",
            login="agora_manager",
        )

    def test_first_screen_filters_find_the_days_work(self):
        """The kanban's filters for what waits for review, what is reserved
        and expiring, and what is paid and not shipped find those demo orders."""
        manager = self.env.ref("agora_orders.user_agora_manager_demo")
        search_view = etree.fromstring(
            self.env.ref("agora_orders.sale_order_view_search_agora").arch
        )
        expected = {
            "agora_processing": ("3", "4"),  # submitted, awaiting review
            "reserve_expiring": ("6",),  # reserved for 24 h; Alfa's for 48 h
            "paid_not_shipped": ("7",),  # paid; Beta's shipped unpaid, Gamma's returning
        }
        Order = self.env["sale.order"].with_user(manager)
        for name, numbers in expected.items():
            with self.subTest(filter=name):
                (node,) = search_view.xpath(f"//filter[@name='{name}']")
                domain = safe_eval(node.get("domain"), {"uid": manager.id})
                self.assertEqual(
                    Order.search(Domain(domain) & Domain("company_id", "=", self.company.id)),
                    Order.browse(
                        self.env.ref(f"agora_orders.sale_order_{number}_demo").id
                        for number in numbers
                    ),
                )

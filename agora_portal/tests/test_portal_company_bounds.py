from odoo import fields
from odoo.fields import Command
from odoo.tests import new_test_user, tagged

from .common import AgoraPortalHttpCase
from .test_portal_catalog import price_re, skus


@tagged("post_install", "-at_install")
class TestAgoraPortalCompanyBounds(AgoraPortalHttpCase):
    """A client sees and orders only the goods of the supplier company it
    deals with, with or without an agreement."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.company_2 = env["res.company"].create(
            {"name": "AGP Second Supplier", "currency_id": cls.company.currency_id.id}
        )
        # The first company's own product, and the second company's own one,
        # both in the Paint category (which Beta's agreement allows).
        cls.own_paint = cls._agp_product("Paint Own", "AGP-OWN-08", cls.categ_paint, 60.0, 10)
        cls.own_paint.company_id = cls.company
        cls.other_paint = cls._agp_product(
            "Paint Other Supplier", "AGP-OTH-07", cls.categ_paint, 70.0
        )
        cls.other_paint.company_id = cls.company_2
        # A client with no agreement at all.
        cls.client_gamma = env["res.partner"].create({"name": "AGP Gamma", "is_company": True})
        cls.user_gamma = cls._agp_portal_user("agp_gamma", "Galina Gamma", cls.client_gamma)
        # A client of the second company, with its own agreement and prices.
        cls.client_delta = env["res.partner"].create({"name": "AGP Delta", "is_company": True})
        cls.user_delta = new_test_user(
            env,
            login="agp_delta",
            name="Denis Delta",
            password="agp_delta_pwd",
            groups="base.group_portal",
            company_id=cls.company_2.id,
            company_ids=[Command.set(cls.company_2.ids)],
        )
        cls.user_delta.partner_id.parent_id = cls.client_delta
        cls.pricelist_delta = (
            env["product.pricelist"]
            .with_company(cls.company_2)
            .create(
                {
                    "name": "AGP Delta prices",
                    "company_id": cls.company_2.id,
                    "currency_id": cls.company.currency_id.id,
                    "item_ids": [
                        Command.create(
                            {
                                "applied_on": "1_product",
                                "product_tmpl_id": cls.other_paint.product_tmpl_id.id,
                                "compute_price": "fixed",
                                "fixed_price": 65.0,
                            }
                        )
                    ],
                }
            )
        )
        cls.agreement_delta = (
            env["agora.agreement"]
            .with_company(cls.company_2)
            .create(
                {
                    "partner_id": cls.client_delta.id,
                    "company_id": cls.company_2.id,
                    "pricelist_id": cls.pricelist_delta.id,
                    "category_ids": [Command.set(cls.categ_paint.ids)],
                    "date_start": "2020-01-01",
                }
            )
        )
        cls.agreement_delta.action_activate()

    def _catalog_skus(self, **params):
        return skus(self._get("/my/catalog", params={"ppg": "120", **params}).text)

    def test_client_without_agreement_reaches_only_the_current_company_goods(self):
        self._login(self.user_gamma)
        listed = self._catalog_skus()
        self.assertIn("AGP-HAM-01", listed, "no agreement: the company's saleable goods")
        self.assertIn("AGP-OWN-08", listed)
        self.assertNotIn("AGP-OTH-07", listed)
        self.assertNotIn("AGP-OTH-07", self._catalog_skus(search="AGP-OTH"))
        for url in (
            f"/my/catalog/product/{self.other_paint.id}",
            f"/my/catalog/image/{self.other_paint.id}/128",
        ):
            with self.subTest(url=url):
                response = self._get(url)
                self.assertEqual(response.status_code, 404)
                self.assertNotIn("Paint Other Supplier", response.text)
        found = self._rpc("/my/cart/search_products", term="Paint")
        self.assertIn("AGP-OWN-08", [p["code"] for p in found])
        self.assertNotIn("AGP-OTH-07", [p["code"] for p in found])
        for data in ({"product_id": self.other_paint.id}, {"code": "AGP-OTH-07"}):
            with self.subTest(data=data):
                self._post("/my/cart/add", {**data, "quantity": "1"})
                cart = self._cart_of(self.user_gamma)
                self.assertNotIn(self.other_paint, cart.order_line.product_id)
        self._post("/my/cart/add", {"product_id": self.own_paint.id, "quantity": "2"})
        self.assertEqual(self._cart_of(self.user_gamma).order_line.product_id, self.own_paint)

    def test_orders_in_another_company_are_not_ordered_before_here(self):
        """ "Ordered before" and a card's last orders count this company's orders only."""
        order_2 = (
            self.env["sale.order"]
            .with_company(self.company_2)
            .create(
                {
                    "partner_id": self.user_gamma.partner_id.id,
                    "company_id": self.company_2.id,
                    "order_line": [
                        Command.create({"product_id": self.hammer.id, "product_uom_qty": 3})
                    ],
                }
            )
        )
        order_2.sudo().agora_submitted_date = fields.Datetime.now()
        self.assertEqual(order_2.agora_state, "processing")
        self._login(self.user_gamma)
        self.assertNotIn("AGP-HAM-01", self._catalog_skus(ordered="1"))
        html = self._get(f"/my/catalog/product/{self.hammer.id}").text
        self.assertNotIn(order_2.name, html)
        # The same order placed with this company is listed.
        order_1 = self._submitted_order(self.user_gamma, [(self.hammer, 1)])
        self.assertIn("AGP-HAM-01", self._catalog_skus(ordered="1"))
        html = self._get(f"/my/catalog/product/{self.hammer.id}").text
        self.assertIn(order_1.name, html)
        self.assertNotIn(order_2.name, html)

    def test_each_company_clients_see_and_order_their_company_goods(self):
        self._login(self.user_beta)
        listed = self._catalog_skus()
        self.assertEqual(sorted(listed), ["AGP-OWN-08", "AGP-PNT-04"])

        self._login(self.user_delta)
        response = self._get("/my/catalog", params={"ppg": "120"})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(sorted(skus(response.text)), ["AGP-OTH-07", "AGP-PNT-04"])
        self.assertRegex(response.text, price_re(self.other_paint, "65.00"))
        self.assertEqual(self._get(f"/my/catalog/product/{self.own_paint.id}").status_code, 404)
        self._post("/my/cart/add", {"product_id": self.own_paint.id, "quantity": "1"})
        self._post("/my/cart/add", {"product_id": self.other_paint.id, "quantity": "4"})
        cart = self._cart_of(self.user_delta)
        self.assertRecordValues(
            cart,
            [{"company_id": self.company_2.id, "agora_agreement_id": self.agreement_delta.id}],
        )
        self.assertRecordValues(
            cart.order_line,
            [{"product_id": self.other_paint.id, "product_uom_qty": 4.0, "price_unit": 65.0}],
        )

import re

from odoo.tests import tagged

from .common import AgoraPortalHttpCase


def price_re(product, amount):
    return (
        rf'(?s)data-product-id="{product.id}".*?o_agora_price"[^>]*>[^<]*<span[^>]*>'
        rf"{re.escape(amount)}<"
    )


def skus(html):
    """The SKUs listed in the catalog table, in order."""
    return re.findall(r'o_agora_sku">([^<]*)<', html)


@tagged("post_install", "-at_install")
class TestAgoraPortalCatalog(AgoraPortalHttpCase):
    def test_catalog_lists_only_the_assortment_at_the_client_prices(self):
        self._login(self.user_alfa)
        response = self._get("/my/catalog")
        self.assertEqual(response.status_code, 200)
        html = response.text
        self.assertEqual(
            skus(html), ["AGP-DRL-02", "AGP-GLU-05", "AGP-HAM-01", "AGP-SAW-03"], "sorted by name"
        )
        self.assertNotIn("AGP-PNT-04", html)
        self.assertNotIn("Secret Widget", html)
        # Alfa's prices: the hammer at a fixed 90, others at 10 % off.
        self.assertRegex(html, price_re(self.hammer, "90.00"))
        self.assertRegex(html, price_re(self.drill, "900.00"))
        # Stock: 50 hammers (in stock), 3 drills (low, threshold 5), no saw.
        stock = r'(?s)data-product-id="%s".*?data-level="%s">\s*%s'
        self.assertRegex(html, stock % (self.hammer.id, "in", "In stock: 50\n"))
        self.assertRegex(html, stock % (self.drill.id, "low", "Low stock: 3\n"))
        self.assertRegex(html, stock % (self.saw.id, "out", "Out of stock"))
        # The category tree counts products (sub-categories included). The lone
        # top category is unfolded; Tools' subcategories show once it is chosen.
        self.assertRegex(html, r"AGP Tools</span>\s*</span>\s*<span[^>]*>3<")
        self.assertRegex(html, r"AGP Misc</span>\s*</span>\s*<span[^>]*>1<")
        self.assertNotIn("AGP Hand tools", html)
        self.assertNotIn("AGP Paint", html)
        html = self._get("/my/catalog", params={"category": self.categ_tools.id}).text
        self.assertRegex(html, r"AGP Hand tools</span>\s*</span>\s*<span[^>]*>1<")
        self.assertRegex(html, r"AGP Misc</span>\s*</span>\s*<span[^>]*>1<")

        self._login(self.user_beta)
        html = self._get("/my/catalog").text
        self.assertEqual(skus(html), ["AGP-PNT-04"])
        self.assertRegex(html, price_re(self.paint, "50.00"))

    def test_category_counts_follow_changes_to_the_catalog(self):
        """The counts of the whole assortment are kept between requests; a moved,
        new, archived, unsold, other company's or deleted product and a changed
        assortment show at once."""
        self._login(self.user_alfa)

        def counts():
            html = self._get("/my/catalog").text
            found = re.findall(r"(AGP [\w ]+?)</span>\s*</span>\s*<span[^>]*>(\d+)<", html)
            return {name: int(count) for name, count in found}

        self.assertEqual(counts(), {"AGP Goods": 4, "AGP Tools": 3, "AGP Misc": 1})
        self.assertEqual(counts(), {"AGP Goods": 4, "AGP Tools": 3, "AGP Misc": 1})
        # Out of the agreement's categories: gone from the catalog.
        self.hammer.product_tmpl_id.categ_id = self.categ_misc
        self.assertEqual(counts(), {"AGP Goods": 3, "AGP Tools": 2, "AGP Misc": 1})
        self._agp_product("Chisel", "AGP-CHI-06", self.categ_hand, 12.0)
        self.assertEqual(counts(), {"AGP Goods": 4, "AGP Tools": 3, "AGP Misc": 1})
        self.drill.active = False
        self.assertEqual(counts(), {"AGP Goods": 3, "AGP Tools": 2, "AGP Misc": 1})
        self.saw.product_tmpl_id.sale_ok = False
        self.assertEqual(counts(), {"AGP Goods": 2, "AGP Tools": 1, "AGP Misc": 1})
        self.agreement_alfa.product_ids |= self.hammer
        self.assertEqual(counts(), {"AGP Goods": 3, "AGP Tools": 1, "AGP Misc": 2})
        # Another company's product is not in Alfa's company's assortment.
        nails = self._agp_product("Nails", "AGP-NAI-07", self.categ_hand, 3.0)
        self.assertEqual(counts(), {"AGP Goods": 4, "AGP Tools": 2, "AGP Misc": 2})
        other_company = self.env["res.company"].create({"name": "AGP Other Company"})
        nails.product_tmpl_id.company_id = other_company
        self.assertEqual(counts(), {"AGP Goods": 3, "AGP Tools": 1, "AGP Misc": 2})
        # A deleted product.
        self.env["product.product"].search([("default_code", "=", "AGP-CHI-06")]).unlink()
        self.assertEqual(counts(), {"AGP Goods": 2, "AGP Misc": 2})
        # A search counts what it finds, the cache aside.
        html = self._get("/my/catalog", params={"search": "glue"}).text
        self.assertEqual(skus(html), ["AGP-GLU-05"])
        self.assertRegex(html, r"AGP Misc</span>\s*</span>\s*<span[^>]*>1<")
        self.assertNotIn("AGP Tools", html)

    def test_stock_quantity_hidden_when_the_company_says_so(self):
        self.company.agora_show_stock_quantity = False
        self._login(self.user_alfa)
        html = self._get("/my/catalog").text
        self.assertIn("In stock", html)
        self.assertNotIn("In stock: 50", html)

    def test_search_by_words_sku_and_barcode(self):
        self._login(self.user_alfa)
        cases = {
            "hammer": ["AGP-HAM-01"],
            "STEEL ham": ["AGP-HAM-01"],
            "agp-drl": ["AGP-DRL-02"],
            "4600000000011": ["AGP-HAM-01"],
            "000000001": ["AGP-HAM-01"],
            "paint": [],  # Beta's product: never found by Alfa
            "secret": [],
            "hammer drill": [],
        }
        for search, expected in cases.items():
            with self.subTest(search=search):
                html = self._get("/my/catalog", params={"search": search}).text
                self.assertEqual(skus(html), expected)
        self.assertIn("No products match your search", html)

    def test_sort_by_sku_price_and_availability(self):
        self._login(self.user_alfa)
        by_code = skus(self._get("/my/catalog", params={"sortby": "code"}).text)
        self.assertEqual(by_code, ["AGP-DRL-02", "AGP-GLU-05", "AGP-HAM-01", "AGP-SAW-03"])
        # Alfa's prices: glue 27, hammer 90 (fixed), saw 180, drill 900.
        by_price = skus(self._get("/my/catalog", params={"sortby": "price"}).text)
        self.assertEqual(by_price, ["AGP-GLU-05", "AGP-HAM-01", "AGP-SAW-03", "AGP-DRL-02"])
        by_price_desc = skus(self._get("/my/catalog", params={"sortby": "price_desc"}).text)
        self.assertEqual(by_price_desc, list(reversed(by_price)))
        # In stock (most first), then low, then out.
        by_stock = skus(self._get("/my/catalog", params={"sortby": "stock"}).text)
        self.assertEqual(by_stock, ["AGP-HAM-01", "AGP-GLU-05", "AGP-DRL-02", "AGP-SAW-03"])

    def test_filters_category_in_stock_ordered_before_and_pager(self):
        self._login(self.user_alfa)
        html = self._get("/my/catalog", params={"category": self.categ_hand.id}).text
        self.assertEqual(skus(html), ["AGP-HAM-01"])
        # A category outside the assortment shows the whole assortment, nothing else.
        html = self._get("/my/catalog", params={"category": self.categ_paint.id}).text
        self.assertEqual(len(skus(html)), 4)
        html = self._get("/my/catalog", params={"in_stock": "1"}).text
        self.assertEqual(skus(html), ["AGP-DRL-02", "AGP-GLU-05", "AGP-HAM-01"])
        html = self._get("/my/catalog", params={"ordered": "1"}).text
        self.assertEqual(skus(html), [])
        # A colleague's order counts: it is the company's.
        self._submitted_order(self.user_alfa2, [(self.glue, 1)])
        html = self._get("/my/catalog", params={"ordered": "1"}).text
        self.assertEqual(skus(html), ["AGP-GLU-05"])
        # Pages of 20: add products until there are two pages.
        for index in range(20):
            self._agp_product(f"Bolt {index:02d}", f"AGP-BLT-{index:02d}", self.categ_tools, 1.0)
        page1 = self._get("/my/catalog", params={"ppg": "20"}).text
        page2 = self._get("/my/catalog/page/2", params={"ppg": "20"}).text
        self.assertEqual(len(skus(page1)), 20)
        self.assertEqual(len(skus(page2)), 4)
        self.assertFalse(set(skus(page1)) & set(skus(page2)))
        self.assertIn("/my/catalog/page/2?ppg=20", page1)

    def test_product_card(self):
        order = self._submitted_order(self.user_alfa, [(self.hammer, 7)])
        self.hammer.description_sale = "Forged <b>steel</b> head"
        self._login(self.user_alfa)
        response = self._get(f"/my/catalog/product/{self.hammer.id}")
        self.assertEqual(response.status_code, 200)
        html = response.text
        self.assertIn("Hammer Steel", html)
        self.assertIn("4600000000011", html)
        self.assertIn("Forged &lt;b&gt;steel&lt;/b&gt; head", html, "escaped, not HTML")
        self.assertRegex(html, r'o_agora_price"[^>]*>[^<]*<span[^>]*>90\.00<')
        self.assertIn("In stock: 50\n", html, "submitted, not reserved yet")
        self.assertRegex(html, rf"(?s)o_agora_last_orders.*{re.escape(order.name)}")
        self.assertNotIn("You have not ordered this product yet", html)

    def test_product_card_and_image_outside_the_assortment_are_not_found(self):
        self._login(self.user_alfa)
        for product in (self.paint, self.secret):
            with self.subTest(product=product.name):
                response = self._get(f"/my/catalog/product/{product.id}")
                self.assertEqual(response.status_code, 404)
                self.assertNotIn(product.name, response.text)
                response = self._get(f"/my/catalog/image/{product.id}/128")
                self.assertEqual(response.status_code, 404)
        self.assertEqual(self._get("/my/catalog/product/999999999").status_code, 404)
        self.assertEqual(self._get(f"/my/catalog/image/{self.hammer.id}/128").status_code, 200)
        self.assertEqual(self._get(f"/my/catalog/image/{self.hammer.id}/77").status_code, 404)

    def test_catalog_needs_a_login(self):
        response = self._get("/my/catalog", allow_redirects=False)
        self.assertIn(response.status_code, (302, 303))
        self.assertIn("/web/login", response.headers["Location"])

    def test_add_from_the_catalog_without_js_returns_to_the_same_place(self):
        self._login(self.user_alfa)
        back = f"/my/catalog?search=hammer#product-{self.hammer.id}"
        response = self._post(
            "/my/cart/add",
            {"product_id": self.hammer.id, "quantity": "3", "redirect": back},
            allow_redirects=False,
        )
        self.assertEqual(response.status_code, 303)
        self.assertTrue(response.headers["Location"].endswith(back))
        cart = self._cart_of(self.user_alfa)
        self.assertEqual(cart.order_line.product_id, self.hammer)
        self.assertEqual(cart.order_line.product_uom_qty, 3)
        self.assertEqual(cart.order_line.price_unit, 90.0)
        html = self._get("/my/catalog?search=hammer").text
        self.assertIn("Hammer Steel: 3", html, "the flash message")
        self.assertIn("In cart:", html)
        # An open redirect is not followed.
        response = self._post(
            "/my/cart/add",
            {"product_id": self.hammer.id, "quantity": "1", "redirect": "https://evil.example/"},
            allow_redirects=False,
        )
        self.assertTrue(response.headers["Location"].endswith("/my/cart"))

    def test_add_refuses_other_products_and_bad_quantities(self):
        self._login(self.user_alfa)
        result = self._rpc("/my/cart/add_json", product_id=self.paint.id, quantity=1)
        self.assertFalse(result["success"])
        self.assertEqual(result["message"], "This product is not available to you.")
        result = self._rpc("/my/cart/add_json", product_id=self.secret.id, quantity=1)
        self.assertFalse(result["success"])
        result = self._rpc("/my/cart/add_json", product_id=self.hammer.id, quantity="-2")
        self.assertFalse(result["success"])
        self.assertIn("greater than zero", result["message"])
        self._post("/my/cart/add", {"product_id": self.paint.id, "quantity": "1"})
        self.assertFalse(self._cart_of(self.user_alfa).order_line)
        # No price is ever taken from the client.
        result = self._rpc(
            "/my/cart/add_json", product_id=self.hammer.id, quantity=2, price_unit=0.01
        )
        self.assertTrue(result["success"])
        self.assertEqual(result["cart_count"], 1)
        self.assertEqual(result["in_cart"], 2)
        self.assertEqual(self._cart_of(self.user_alfa).order_line.price_unit, 90.0)

    def test_add_without_csrf_is_refused(self):
        self._login(self.user_alfa)
        response = self._post(
            "/my/cart/add", {"product_id": self.hammer.id, "quantity": "1"}, csrf=False
        )
        self.assertIn(response.status_code, (400, 403))
        self.assertFalse(self._cart_of(self.user_alfa))

from unittest.mock import patch

from odoo.fields import Command
from odoo.tests import tagged

from .common import AgoraPortalHttpCase

# The query budgets below compare the same request with a small and a large
# data size: the cost must be the same (a flat cost), whatever other modules
# (website_sale, loyalty, ...) or an Odoo update add to every request. The
# absolute bounds only catch a gross regression of the fixed cost: about twice
# what these requests take today (catalog page 26-29 queries, 31-34 with
# website_sale; cart 31, 36; _search_page 18-21), not a contract.
MAX_PAGE_QUERIES = 70
MAX_CART_QUERIES = 70
MAX_SEARCH_QUERIES = 45

# The small and the large data sizes: products shown by the catalog (the
# largest page is 120 products) and lines of the cart.
SMALL = 10
LARGE = 200


@tagged("post_install", "-at_install")
class TestAgoraPortalQueries(AgoraPortalHttpCase):
    """The number of queries of the catalog and the cart pages does not grow
    with the number of products shown or of lines."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Alfa's assortment shows the Tools (Hammer, Drill, Saw), Glue and
        # these bolts: 4 + 6 = SMALL products with all but 6 archived, 204
        # with all active.
        cls.bolts = cls.env["product.product"].create(
            [
                {
                    "name": f"Bolt M{index:03d}",
                    "default_code": f"AGP-BLT-{index:03d}",
                    "categ_id": cls.categ_tools.id,
                    "list_price": 1.0 + index,
                    "type": "consu",
                    "is_storable": True,
                    "invoice_policy": "order",
                    "taxes_id": [Command.set(cls.tax.ids)],
                }
                for index in range(LARGE)
            ]
        )
        Quant = cls.env["stock.quant"]
        for index, bolt in enumerate(cls.bolts):
            Quant._update_available_quantity(bolt, cls.stock_location, 5 + index % 50)

    def _queries(self, url):
        self._flush_tracking()
        self.env.invalidate_all()
        # As assertQueryCount: no random garbage collection in the count.
        with patch("random.random", lambda: 1):
            before = self.cr.sql_log_count
            response = self.url_open(url)
            count = self.cr.sql_log_count - before
        self.assertEqual(response.status_code, 200)
        return count

    def _show_bolts(self, count):
        """Alfa's catalog shows ``count`` bolts (and its 4 other products)."""
        self.bolts[:count].active = True
        self.bolts[count:].active = False
        self._flush_tracking()

    def test_catalog_queries_do_not_grow_with_the_page(self):
        """The catalog page: same number of queries with 10 products and with
        204 shown by pages of 20 to 120, for every sort."""
        self._login(self.user_alfa)
        for sortby in ("name", "price", "stock"):
            with self.subTest(sortby=sortby):
                url = f"/my/catalog?sortby={sortby}"
                self._show_bolts(SMALL - 4)
                self._queries(url)  # warm-up: templates, caches
                counts = {f"{SMALL} products": self._queries(url)}
                self._show_bolts(LARGE)
                self._queries(url)  # warm-up after the change of the products
                for ppg in (20, 40, 80, 120):
                    key = f"{LARGE + 4} products, {ppg} per page"
                    counts[key] = self._queries(f"{url}&ppg={ppg}")
                self.assertEqual(len(set(counts.values())), 1, counts)
                self.assertLessEqual(counts[f"{SMALL} products"], MAX_PAGE_QUERIES, counts)

    def test_catalog_search_page_queries_do_not_grow(self):
        """A search counts its own results per category (the cached counts are
        the whole assortment's): one query more than the plain page, whatever
        the number of products found."""
        self._login(self.user_alfa)
        url = "/my/catalog?search=Bolt"
        self._show_bolts(SMALL)
        self._queries(url)  # warm-up
        self._queries("/my/catalog")
        counts = {
            f"{SMALL} found": self._queries(url),
            "plain page": self._queries("/my/catalog"),
        }
        self._show_bolts(LARGE)
        self._queries(url)
        counts[f"{LARGE} found, 120 per page"] = self._queries(f"{url}&ppg=120")
        self.assertEqual(counts[f"{LARGE} found, 120 per page"], counts[f"{SMALL} found"], counts)
        self.assertEqual(counts[f"{SMALL} found"], counts["plain page"] + 1, counts)

    def test_unchanged_products_keep_the_cached_counts(self):
        """Saving products without changing their category, sale or company
        keeps the cached category counts (and Odoo's other cached values); a
        real change counts again."""
        self._login(self.user_alfa)
        self._queries("/my/catalog")
        cached = self._queries("/my/catalog")
        self.bolts.product_tmpl_id.write(
            {"categ_id": self.categ_tools.id, "sale_ok": True, "company_id": False}
        )
        self.assertEqual(self._queries("/my/catalog"), cached)
        self.bolts[:1].product_tmpl_id.sale_ok = False
        self.assertGreater(self._queries("/my/catalog"), cached)

    def test_catalog_search_model_queries_do_not_grow(self):
        """One page of the catalog: agreement, products, prices, stock, in the
        same number of queries for a page of 10 products and one of 120."""
        Catalog = self.env["agora.catalog"].with_user(self.user_alfa)

        def search(sort, limit):
            self._flush_tracking()
            self.env.invalidate_all()
            with patch("random.random", lambda: 1):
                before = self.cr.sql_log_count
                result = Catalog._search_page(
                    self.partner_alfa, search="Bolt M", sort=sort, limit=limit
                )
                count = self.cr.sql_log_count - before
            self.assertEqual(len(result["products"]), limit)
            return count

        for sort in ("name", "price", "stock"):
            with self.subTest(sort=sort):
                # Warm-up of this sort's code path and of the access caches.
                search(sort, SMALL)
                search(sort, SMALL)
                counts = {limit: search(sort, limit) for limit in (SMALL, 120)}
                self.assertEqual(counts[SMALL], counts[120], counts)
                self.assertLessEqual(counts[SMALL], MAX_SEARCH_QUERIES, counts)

    def test_cart_queries_do_not_grow_with_the_lines(self):
        """The cart page: same number of queries with 10 lines and with 200."""
        self._login(self.user_alfa)
        cart = self._cart(self.user_alfa, [(self.hammer, 1), (self.drill, 1)])
        cart._agora_cart_add_many([(bolt, 2.0) for bolt in self.bolts[: SMALL - 2]])
        self._queries("/my/cart")  # warm-up
        counts = {f"{SMALL} lines": self._queries("/my/cart")}
        cart._agora_cart_add_many([(bolt, 2.0) for bolt in self.bolts[SMALL - 2 : LARGE - 2]])
        self.assertEqual(len(cart.order_line), LARGE)
        self._queries("/my/cart")  # warm-up after the change of the cart
        counts[f"{LARGE} lines"] = self._queries("/my/cart")
        self.assertEqual(counts[f"{SMALL} lines"], counts[f"{LARGE} lines"], counts)
        self.assertLessEqual(counts[f"{SMALL} lines"], MAX_CART_QUERIES, counts)

    def test_order_rules_keep_the_catalog_and_the_cart_flat(self):
        """Pack sizes and minimums, the products' and the agreement's own, read
        in the same number of queries for 10 products or lines and for 200."""
        unit = self.env.ref("uom.product_uom_unit")
        pair = self.env["uom.uom"].create(
            {"name": "AGP Pair", "relative_factor": 2, "relative_uom_id": unit.id}
        )
        self.bolts.product_tmpl_id.write(
            {"uom_ids": [Command.link(pair.id)], "agora_order_pack_id": pair.id}
        )
        # Alfa's agreement sets its own minimum on every other bolt.
        self.env["agora.agreement.quantity.rule"].create(
            [
                {
                    "agreement_id": self.agreement_alfa.id,
                    "product_tmpl_id": bolt.product_tmpl_id.id,
                    "pack_id": pair.id,
                    "min_qty": 4,
                }
                for bolt in self.bolts[::2]
            ]
        )
        self._login(self.user_alfa)
        self._show_bolts(SMALL - 4)
        self._queries("/my/catalog")  # warm-up
        catalog = {SMALL: self._queries("/my/catalog")}
        self._show_bolts(LARGE)
        self._queries("/my/catalog?ppg=120")
        catalog[LARGE] = self._queries("/my/catalog?ppg=120")
        self.assertEqual(catalog[SMALL], catalog[LARGE], catalog)
        self.assertIn("multiple of 2, min. 4", self.url_open("/my/catalog?ppg=120").text)

        cart = self._cart(self.user_alfa, [(self.hammer, 1), (self.drill, 1)])
        cart._agora_cart_add_many([(bolt, 4.0) for bolt in self.bolts[: SMALL - 2]])
        self._queries("/my/cart")  # warm-up
        counts = {SMALL: self._queries("/my/cart")}
        cart._agora_cart_add_many([(bolt, 4.0) for bolt in self.bolts[SMALL - 2 : LARGE - 2]])
        self._queries("/my/cart")
        counts[LARGE] = self._queries("/my/cart")
        self.assertEqual(counts[SMALL], counts[LARGE], counts)

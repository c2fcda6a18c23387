from odoo.tests import tagged

from .common import AgoraPortalHttpCase

# Queries of agora.catalog._search_page (record caches cleared): partner,
# agreement (its assortment ids are in the registry cache), count + page (or
# ids), price list and rules, stock quants; the price sort also checks its
# stored sort keys (stale, missing) before the page.
PINNED_SEARCH_QUERIES = {"name": 18, "price": 21, "stock": 19}
# The whole /my/catalog request (session, layout, category tree, page; the
# counts of the whole assortment come from the registry cache, the page reuses
# the tree's domain and count).
PINNED_PAGE_QUERIES = {"name": 26, "price": 29, "stock": 28}
# The whole /my/cart request.
PINNED_CART_QUERIES = 31


@tagged("post_install", "-at_install")
class TestAgoraPortalQueries(AgoraPortalHttpCase):
    """The number of queries of the catalog and the cart pages does not grow
    with the number of products shown or of lines."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bolts = cls.env["product.product"]
        for index in range(56):
            cls.bolts |= cls._agp_product(
                f"Bolt M{index:02d}",
                f"AGP-BLT-{index:02d}",
                cls.categ_tools,
                1.0 + index,
                5 + index,
            )

    def _queries(self, url):
        self._flush_tracking()
        self.env.invalidate_all()
        before = self.cr.sql_log_count
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200)
        return self.cr.sql_log_count - before

    def test_catalog_queries_do_not_grow_with_the_page(self):
        """The catalog page: same number of queries with 10 products and with 60
        shown by pages of 20 to 120, for every sort."""
        self._login(self.user_alfa)
        for sortby in ("name", "price", "stock"):
            with self.subTest(sortby=sortby):
                url = f"/my/catalog?sortby={sortby}"
                self.bolts[6:].active = False  # 10 products
                self._queries(url)  # warm-up: templates, caches
                counts = {"10 products": self._queries(url)}
                self.bolts.active = True  # 60 products
                self._queries(url)  # warm-up after the change of the products
                for ppg in (20, 40, 80, 120):
                    counts[f"60 products, {ppg} per page"] = self._queries(f"{url}&ppg={ppg}")
                self.assertEqual(len(set(counts.values())), 1, counts)
                self.assertEqual(counts["10 products"], PINNED_PAGE_QUERIES[sortby], counts)

    def test_catalog_search_page_queries_do_not_grow(self):
        """A search counts its own results per category (the cached counts are
        the whole assortment's): one query more than the plain page, whatever
        the number of products found."""
        self._login(self.user_alfa)
        url = "/my/catalog?search=Bolt"
        self.bolts[6:].active = False  # 6 found
        self._queries(url)  # warm-up
        six = self._queries(url)
        self.bolts.active = True  # 56 found
        self._queries(url)
        self.assertEqual(self._queries(f"{url}&ppg=80"), six)
        self.assertEqual(six, PINNED_PAGE_QUERIES["name"] + 1)

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

    def test_catalog_search_model_is_pinned(self):
        """One page of the catalog: agreement, products, prices, stock, in a fixed
        number of queries whatever the page size."""
        Catalog = self.env["agora.catalog"].with_user(self.user_alfa)

        def search(sort, limit):
            self._flush_tracking()
            self.env.invalidate_all()
            return Catalog._search_page(self.partner_alfa, search="Bolt M", sort=sort, limit=limit)

        for sort, expected in PINNED_SEARCH_QUERIES.items():
            # Warm-up of this sort's code path and of the access caches.
            search(sort, 10)
            search(sort, 10)
            for limit in (10, 40):
                with self.subTest(sort=sort, limit=limit):
                    with self.assertQueryCount(expected):
                        result = search(sort, limit)
                    self.assertEqual(len(result["products"]), limit)

    def test_cart_queries_do_not_grow_with_the_lines(self):
        self._login(self.user_alfa)
        cart = self._cart(self.user_alfa, [(self.hammer, 1), (self.drill, 1)])
        self._queries("/my/cart")
        two = self._queries("/my/cart")
        for bolt in self.bolts[:8]:
            cart._agora_cart_add(bolt, 2)
        ten = self._queries("/my/cart")
        self.assertEqual(two, ten)
        self.assertEqual(two, PINNED_CART_QUERIES)

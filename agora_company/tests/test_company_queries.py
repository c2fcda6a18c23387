from unittest.mock import patch

from odoo.tests import tagged

from odoo.addons.agora_portal.tests.common import AgoraPortalHttpCase

from .common import AgoraCompanyDataMixin

# Colleagues and orders of Alfa beyond those of the data: the small and the
# large size. Every page must cost the same number of queries with both.
SMALL = 2
LARGE = 12


@tagged("post_install", "-at_install")
class TestCompanyQueries(AgoraCompanyDataMixin, AgoraPortalHttpCase):
    """The roles and the approval add no query per colleague or per order to
    the catalog, the cart and the order list."""

    @classmethod
    def setUpClass(cls):
        super(AgoraPortalHttpCase, cls).setUpClass()
        cls._setup_agora_company_data()
        cls.client_alfa.agora_approval_threshold = 2000.0

    def _add_colleagues_and_orders(self, start, stop):
        """Alfa gets more approvers and buyers (numbered ``start`` to ``stop``),
        each with an order: half awaiting approval, half with the supplier."""
        for index in range(start, stop):
            user = self._agp_portal_user(f"agc_q{index}", f"Colleague {index}", self.client_alfa)
            if index % 2:
                user.partner_id.write(
                    {"agora_company_role": "approver", "agora_order_limit": 1000.0 * index}
                )
            quantity = 25 if index % 2 else 1  # 2,700 needs approval; 108 does not
            self._submitted_order(user, [(self.hammer, quantity)])
        self._flush_tracking()

    def _queries(self, url):
        self._flush_tracking()
        self.env.invalidate_all()
        # As assertQueryCount: no random garbage collection in the count.
        with patch("random.random", lambda: 1):
            before = self.cr.sql_log_count
            response = self.url_open(url)
            count = self.cr.sql_log_count - before
        self.assertEqual(response.status_code, 200, url)
        return count

    def _counts(self, user, urls):
        self._login(user)
        for url in urls:
            self._queries(url)  # warm-up: templates, caches
        return {url: self._queries(url) for url in urls}

    def test_pages_do_not_grow_with_colleagues_and_orders(self):
        urls = ["/my/catalog", "/my/cart", "/my/orders", "/my/orders?filterby=all"]
        self._cart(self.limited_buyer_alfa, [(self.hammer, 2), (self.drill, 1)])
        self._cart(self.admin_alfa, [(self.hammer, 2)])
        self._add_colleagues_and_orders(0, SMALL)
        small = {
            user.login: self._counts(user, urls)
            for user in (self.limited_buyer_alfa, self.admin_alfa, self.viewer_alfa)
        }
        self._add_colleagues_and_orders(SMALL, LARGE)
        large = {
            user.login: self._counts(user, urls)
            for user in (self.limited_buyer_alfa, self.admin_alfa, self.viewer_alfa)
        }
        self.assertEqual(small, large)

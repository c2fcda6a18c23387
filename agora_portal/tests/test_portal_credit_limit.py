from unittest.mock import patch

from lxml import html

from odoo.tests import tagged
from odoo.tests.common import JsonRpcException

from .common import AgoraPortalHttpCase


@tagged("post_install", "-at_install")
class TestPortalCreditLimit(AgoraPortalHttpCase):
    """The client's credit limit on the portal: the cart warns before
    submitting, the order card says the order waits for the credit check;
    the client reads their own open balance, never the limit."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.account_use_credit_limit = True

    def _set_limit(self, client, limit):
        client.with_company(self.company).credit_limit = limit
        self._flush_tracking()

    def _money(self, amount):
        return self.company.currency_id.format(amount).replace("\xa0", " ")

    def _number(self, amount):
        """An amount as the test company's English pages write it, without
        its currency symbol ("1,314.56")."""
        return f"{amount:,.2f}"

    def _block(self, response, css_class):
        """The text of the page's element of ``css_class``, its spaces
        collapsed; "" when the page has none."""
        nodes = html.fromstring(response.content).find_class(css_class)
        return " ".join(nodes[0].text_content().split()) if nodes else ""

    def test_cart_warns_and_the_order_card_awaits_the_credit_check(self):
        reserved = self._reserved_order(self.user_alfa, [(self.hammer, 10)])
        owed = reserved.amount_total
        # A limit of 234.56 over what Alfa owes: the next 10 hammers go beyond.
        limit = owed + 234.56
        self._set_limit(self.client_alfa, limit)
        cart = self._cart(self.user_alfa, [(self.hammer, 10)])
        self.assertGreater(cart.amount_total, 234.56)

        self._login(self.user_alfa)
        page = self._get("/my/cart")
        self.assertEqual(page.status_code, 200)
        notice = self._block(page, "o_agora_credit_notice")
        self.assertIn("This order goes beyond the credit we grant you.", notice)
        self.assertIn(
            f"Your open balance is {self._money(owed)}: paying your open invoices", notice
        )
        # The limit is the supplier's figure, nowhere on the page.
        self.assertNotIn(self._number(limit), page.text)

        # The client may submit all the same: the supplier checks the credit.
        response = self._post("/my/cart/update", {"action": "submit"})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(cart.agora_state, "processing")

        card = self._get(f"/my/orders/{cart.id}")
        self.assertEqual(card.status_code, 200)
        check = self._block(card, "o_agora_credit_check")
        self.assertIn("Awaiting the credit check", check)
        self.assertIn(f"Your open balance is {self._money(owed)}:", check)
        self.assertNotIn(self._number(limit), card.text)
        # Whoever holds the order's link without being Alfa's contact reads
        # the status, not Alfa's balance.
        self.authenticate(None, None)
        shared = self._get(f"/my/orders/{cart.id}?access_token={cart._portal_ensure_token()}")
        self.assertEqual(shared.status_code, 200)
        self.assertIn(cart.name, shared.text)
        self.assertNotIn("o_agora_credit_check", shared.text)
        self.assertNotIn("o_agora_open_balance", shared.text)
        self.assertNotIn("Your open balance", shared.text)
        self._login(self.user_alfa)
        # The reserved order has nothing to check.
        self.assertNotIn("o_agora_credit_check", self._get(f"/my/orders/{reserved.id}").text)

    def test_a_client_owing_nothing_reads_no_balance(self):
        self._cart(self.user_alfa, [(self.hammer, 10)])
        self._set_limit(self.client_alfa, 100.0)
        self._login(self.user_alfa)
        notice = self._block(self._get("/my/cart"), "o_agora_credit_notice")
        self.assertIn("This order goes beyond the credit we grant you.", notice)
        self.assertNotIn("Your open balance", notice)

    def test_no_warning_within_the_limit_or_without_one(self):
        self._cart(self.user_alfa, [(self.hammer, 1)])
        self._login(self.user_alfa)
        self.assertNotIn("o_agora_credit_notice", self._get("/my/cart").text)
        self._set_limit(self.client_alfa, 1_000_000.0)
        self.assertNotIn("o_agora_credit_notice", self._get("/my/cart").text)
        self._set_limit(self.client_alfa, 1.0)
        self.assertIn("o_agora_credit_notice", self._get("/my/cart").text)
        # Another client's limit is not Alfa's.
        self._set_limit(self.client_alfa, 0.0)
        self._set_limit(self.client_beta, 1.0)
        self.assertNotIn("o_agora_credit_notice", self._get("/my/cart").text)

    def test_a_client_cannot_read_the_limit_through_rpc(self):
        """The limit is Odoo's accounting field: a portal user reaches it
        neither on their company nor on their order's figures."""
        self._set_limit(self.client_alfa, 5000.0)
        self._login(self.user_alfa)
        for field_name in ("credit_limit", "credit"):
            with self.subTest(field=field_name), self.assertRaises(JsonRpcException) as denied:
                self.make_jsonrpc_request(
                    "/web/dataset/call_kw/res.partner/read",
                    {
                        "model": "res.partner",
                        "method": "read",
                        "args": [self.client_alfa.ids, [field_name]],
                        "kwargs": {},
                    },
                )
            self.assertIn("AccessError", str(denied.exception))

    def test_cart_queries_do_not_grow_with_the_open_invoices(self):
        """The credit check reads the balance in one sum: the cart page costs
        the same with 2 open invoices and with 12."""
        for _index in range(2):
            self._reserved_order(self.user_alfa, [(self.hammer, 1)])
        self._cart(self.user_alfa, [(self.hammer, 1), (self.drill, 1)])
        self._set_limit(self.client_alfa, 1.0)
        self._login(self.user_alfa)

        def queries():
            self._flush_tracking()
            self.env.invalidate_all()
            with patch("random.random", lambda: 1):
                before = self.cr.sql_log_count
                response = self._get("/my/cart")
                count = self.cr.sql_log_count - before
            self.assertIn("o_agora_credit_notice", response.text)
            return count

        queries()  # warm-up
        counts = {"2 open invoices": queries()}
        # Ten more orders reserved (staff lift the limit meanwhile) by a
        # colleague, whose cart is their own.
        self._set_limit(self.client_alfa, 0.0)
        for _index in range(10):
            self._reserved_order(self.user_alfa2, [(self.hammer, 1)])
        self._set_limit(self.client_alfa, 1.0)
        queries()
        counts["12 open invoices"] = queries()
        self.assertEqual(counts["2 open invoices"], counts["12 open invoices"], counts)

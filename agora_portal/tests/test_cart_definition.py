from odoo.fields import Command
from odoo.tests import tagged

from .common import AgoraPortalHttpCase


@tagged("post_install", "-at_install")
class TestAgoraCartDefinition(AgoraPortalHttpCase):
    """What a cart is has one definition (``sale.order._agora_cart_domain``):
    the order its client may still submit, while it is a draft quotation."""

    def _is_cart_by_domain(self, order):
        SaleOrder = self.env["sale.order"]
        return order in SaleOrder.search(SaleOrder._agora_cart_domain(order.partner_id))

    def test_the_predicate_and_the_domain_agree(self):
        cart = self._cart(self.user_alfa, [(self.hammer, 1)])
        # A quotation the supplier sent the client: New, but not a cart.
        sent = (
            self.env["sale.order"]
            .with_user(self.salesman)
            .create({"partner_id": self.partner_alfa.id})
        )
        sent.with_user(self.salesman).action_quotation_sent()
        submitted = self._submitted_order(self.user_alfa2, [(self.drill, 1)])
        cancelled = self._submitted_order(self.user_beta, [(self.paint, 1)])
        cancelled._agora_client_cancel()
        cases = {
            "cart": (cart, True),
            "sent quotation": (sent, False),
            "submitted": (submitted, False),
            "cancelled": (cancelled, False),
        }
        for label, (order, is_cart) in cases.items():
            with self.subTest(label):
                self.assertEqual(order._agora_is_cart(), is_cart)
                self.assertEqual(self._is_cart_by_domain(order), is_cart)
                self.assertEqual(order.agora_can_submit and order.state == "draft", is_cart)

    def test_the_cart_its_counter_and_the_catalog_read_the_same_cart(self):
        """A quotation sent to the contact is neither the cart, nor counted in
        the menu, nor "in cart" in the catalog."""
        sent = (
            self.env["sale.order"]
            .with_user(self.salesman)
            .create(
                {
                    "partner_id": self.partner_alfa.id,
                    "order_line": [
                        Command.create({"product_id": self.drill.id, "product_uom_qty": 4})
                    ],
                }
            )
        )
        sent.with_user(self.salesman).action_quotation_sent()
        self.assertEqual(sent.agora_state, "new")
        SaleOrder = self.env["sale.order"].with_user(self.user_alfa).sudo()
        self.assertFalse(SaleOrder._agora_get_cart(self.partner_alfa))
        self._cart(self.user_alfa, [(self.hammer, 2)])
        self._login(self.user_alfa)
        html = self._get("/my/cart").text
        self.assertRegex(html, r'o_agora_cart_count[^"]*">1<', "the menu counts the cart only")
        self.assertNotIn("AGP-DRL-02", html)
        result = self._rpc("/my/cart/add_json", product_id=self.drill.id, quantity=1)
        self.assertEqual((result["cart_count"], result["in_cart"]), (2, 1))

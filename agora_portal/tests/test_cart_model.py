from odoo.exceptions import UserError, ValidationError
from odoo.tests import TransactionCase, tagged

from odoo.addons.agora_portal.controllers import presenter

from .common import AgoraPortalDataMixin


@tagged("post_install", "-at_install")
class TestAgoraCartModel(AgoraPortalDataMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_agora_data()

    def test_cart_is_created_once_per_contact(self):
        SaleOrder = self.env["sale.order"].with_user(self.user_alfa).sudo()
        self.assertFalse(SaleOrder._agora_get_cart(self.partner_alfa))
        cart = SaleOrder._agora_get_cart(self.partner_alfa, create=True)
        self.assertEqual(cart.agora_state, "new")
        self.assertEqual(cart.partner_id, self.partner_alfa)
        self.assertEqual(cart.agora_agreement_id, self.agreement_alfa)
        self.assertEqual(cart.pricelist_id, self.pricelist_alfa)
        self.assertEqual(cart.user_id, self.salesman, "the client's salesperson, not the client")
        self.assertEqual(SaleOrder._agora_get_cart(self.partner_alfa, create=True), cart)
        # A colleague has a cart of their own.
        other = (
            self.env["sale.order"]
            .with_user(self.user_alfa2)
            .sudo()
            ._agora_get_cart(self.user_alfa2.partner_id, create=True)
        )
        self.assertNotEqual(other, cart)

    def test_add_increases_and_prices_come_from_the_agreement(self):
        cart = self._cart(self.user_alfa)
        line = cart._agora_cart_add(self.hammer, "2")
        self.assertEqual(line.price_unit, 90.0)
        again = cart._agora_cart_add(self.hammer, "1,5")
        self.assertEqual(again, line)
        self.assertEqual(line.product_uom_qty, 3.5)
        drill = cart._agora_cart_add(self.drill, 1)
        self.assertEqual(drill.price_unit, 900.0, "10 % off the list price")
        self.assertEqual(len(cart.order_line), 2)

    def test_add_refuses_products_outside_the_assortment_and_bad_quantities(self):
        cart = self._cart(self.user_alfa)
        with self.assertRaises(ValidationError):
            cart._agora_cart_add(self.paint, 1)
        with self.assertRaises(ValidationError):
            cart._agora_cart_add(self.secret, 1)
        for bad in ("0", "-1", "abc", "", "nan", "inf", 10**9):
            with self.subTest(qty=bad), self.assertRaises(ValidationError):
                cart._agora_cart_add(self.hammer, bad)
        self.assertFalse(cart.order_line)

    def test_set_quantity_and_remove(self):
        cart = self._cart(self.user_alfa, [(self.hammer, 2), (self.drill, 1)])
        hammer_line = cart.order_line.filtered(lambda l: l.product_id == self.hammer)
        cart._agora_cart_set_qty(hammer_line, "7")
        self.assertEqual(hammer_line.product_uom_qty, 7)
        with self.assertRaises(ValidationError):
            cart._agora_cart_set_qty(hammer_line, "-3")
        cart._agora_cart_set_qty(hammer_line, "0")
        self.assertEqual(cart.order_line.product_id, self.drill)
        cart._agora_cart_remove(cart.order_line)
        self.assertFalse(cart.order_line)
        # A line of another order is refused.
        other = self._cart(self.user_beta, [(self.paint, 1)])
        with self.assertRaises(UserError):
            cart._agora_cart_set_qty(other.order_line, 3)
        with self.assertRaises(UserError):
            cart._agora_cart_remove(other.order_line)
        self.assertEqual(other.order_line.product_uom_qty, 1)

    def test_details_accept_only_the_client_addresses(self):
        cart = self._cart(self.user_alfa, [(self.hammer, 1)])
        cart._agora_cart_update_details(
            {
                "client_order_ref": " PO-77 ",
                "partner_shipping_id": str(self.alfa_depot.id),
                "commitment_date": "2999-01-31",
                "agora_client_comment": "Ring the bell",
            }
        )
        self.assertEqual(cart.client_order_ref, "PO-77")
        self.assertEqual(cart.partner_shipping_id, self.alfa_depot)
        self.assertEqual(str(cart.commitment_date.date()), "2999-01-31")
        self.assertEqual(cart.agora_client_comment, "Ring the bell")
        for bad in (self.beta_depot.id, self.client_beta.id, "x"):
            with self.subTest(address=bad), self.assertRaises(ValidationError):
                cart._agora_cart_update_details({"partner_shipping_id": bad})
        with self.assertRaises(ValidationError):
            cart._agora_cart_update_details({"commitment_date": "2001-01-01"})
        with self.assertRaises(ValidationError):
            cart._agora_cart_update_details({"commitment_date": "31.31.2030"})
        self.assertEqual(cart.partner_shipping_id, self.alfa_depot)

    def test_submitted_cart_is_no_longer_a_cart(self):
        cart = self._cart(self.user_alfa, [(self.hammer, 1)])
        cart._agora_cart_submit()
        self.assertEqual(cart.agora_state, "processing")
        with self.assertRaises(UserError):
            cart._agora_cart_add(self.hammer, 1)
        with self.assertRaises(UserError):
            cart._agora_cart_update_details({"client_order_ref": "late"})
        new_cart = self._cart(self.user_alfa)
        self.assertNotEqual(new_cart, cart)

    def test_repeat_order_lists_lines_no_longer_orderable(self):
        order = self._submitted_order(self.user_alfa, [(self.hammer, 2), (self.drill, 1)])
        # The drill leaves the assortment: it is moved out of the Tools category.
        self.drill.categ_id = self.categ_paint
        self.pricelist_alfa.item_ids.filtered(lambda i: i.fixed_price == 90.0).fixed_price = 95.0
        cart, refused = order.sudo()._agora_repeat_into_cart(self.partner_alfa)
        self.assertEqual(cart.agora_state, "new")
        self.assertNotEqual(cart, order)
        self.assertEqual(cart.order_line.product_id, self.hammer)
        self.assertEqual(cart.order_line.product_uom_qty, 2)
        self.assertEqual(cart.order_line.price_unit, 95.0, "today's price")
        self.assertEqual([r["line"].product_id for r in refused], [self.drill])
        # Repeating again adds to the same cart.
        cart2, _refused = order.sudo()._agora_repeat_into_cart(self.partner_alfa)
        self.assertEqual(cart2, cart)
        self.assertEqual(cart.order_line.product_uom_qty, 4)

    def test_cart_follows_a_new_agreement(self):
        cart = self._cart(self.user_alfa, [(self.hammer, 1)])
        new_agreement = self.env["agora.agreement"].create(
            {
                "partner_id": self.client_alfa.id,
                "pricelist_id": self.pricelist_beta.id,
                "category_ids": [(6, 0, self.categ_tools.ids)],
                "date_start": "2020-01-01",
            }
        )
        new_agreement.action_activate()
        same = self._cart(self.user_alfa)
        self.assertEqual(same, cart)
        self.assertEqual(cart.agora_agreement_id, new_agreement)
        self.assertEqual(cart.order_line.price_unit, 100.0)

    def test_time_left_and_timeline(self):
        order = self._reserved_order(self.user_alfa, [(self.hammer, 1)])
        self.assertEqual(order.agora_state, "reserve")
        self.assertIn("left", presenter.time_left(order))
        timeline = presenter.timeline(order)
        current = [step["key"] for step in timeline if step["current"]]
        self.assertEqual(current, ["reserve"])
        done = [step["key"] for step in timeline if step["done"]]
        self.assertIn("processing", done)

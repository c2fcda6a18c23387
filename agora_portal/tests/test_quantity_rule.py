import io

from odoo.tests import tagged

from .common import AgoraPortalHttpCase

NOT_A_NUMBER = "Please enter the quantity as a number."
NOT_POSITIVE = "The quantity must be greater than zero."
TOO_BIG = "The quantity cannot exceed 1 000 000."
# What the client types, and the one answer every path gives.
BAD_QUANTITIES = {
    "abc": NOT_A_NUMBER,
    "0": NOT_POSITIVE,
    "-2": NOT_POSITIVE,
    "0,001": NOT_POSITIVE,  # zero once rounded to the unit
    "2000000": TOO_BIG,
}


@tagged("post_install", "-at_install")
class TestAgoraQuantityRule(AgoraPortalHttpCase):
    """Whether a quantity may go into a cart is one rule, with one message, from
    the catalog, the quick add, a file upload and the repeat of a past order."""

    def test_the_rule(self):
        SaleOrder = self.env["sale.order"]
        unit = self.hammer.uom_id
        for value, message in BAD_QUANTITIES.items():
            with self.subTest(value=value):
                self.assertEqual(SaleOrder._agora_validate_qty(value, unit), (None, message))
        for value, qty in {"2": 2.0, "1 234,5": 1234.5, 3: 3.0, "1000000": 1_000_000.0}.items():
            with self.subTest(value=value):
                self.assertEqual(SaleOrder._agora_validate_qty(value, unit), (qty, None))

    def test_catalog_quick_add_and_upload_give_the_same_message(self):
        self._login(self.user_alfa)
        rows = "\n".join(f"AGP-HAM-01;{value}" for value in BAD_QUANTITIES)
        response = self.url_open(
            "/my/cart/import",
            data={"csrf_token": self._csrf()},
            files={"file": ("order.csv", io.BytesIO(f"SKU;Qty\n{rows}\n".encode()), "text/csv")},
        )
        self.assertEqual(response.status_code, 200)
        upload = self.env["agora.cart.import"].search(
            [("user_id", "=", self.user_alfa.id)], order="id desc", limit=1
        )
        self.assertEqual(upload.line_ids.mapped("status"), ["invalid_qty"] * len(BAD_QUANTITIES))
        upload_messages = dict(
            zip(upload.line_ids.mapped("qty_text"), upload.line_ids.mapped("message"), strict=True)
        )
        for value, message in BAD_QUANTITIES.items():
            with self.subTest(value=value):
                catalog = self._rpc("/my/cart/add_json", product_id=self.hammer.id, quantity=value)
                self.assertFalse(catalog["success"])
                self.assertEqual(catalog["message"], message, "catalog")
                # "Add a line" in the cart: the code typed, without JavaScript.
                quick_add = self._post("/my/cart/add", {"code": "agp-ham-01", "quantity": value})
                self.assertIn(message, quick_add.text, "quick add")
                self.assertEqual(upload_messages[value], message, "upload")
        self.assertFalse(self._cart_of(self.user_alfa).order_line)

    def test_repeat_gives_the_same_message(self):
        order = self._submitted_order(
            self.user_alfa, [(self.hammer, 1), (self.drill, 1), (self.glue, 1)]
        )
        # Staff changed the submitted order: a line emptied, a line far too big.
        lines = {line.product_id: line for line in order.order_line}
        lines[self.hammer].with_user(self.salesman).product_uom_qty = 0
        lines[self.drill].with_user(self.salesman).product_uom_qty = 2_000_000
        self._login(self.user_alfa)
        response = self._post(f"/my/orders/{order.id}/repeat")
        self.assertTrue(response.url.endswith("/my/cart"))
        self.assertIn(f"AGP-HAM-01 Hammer Steel × 0: {NOT_POSITIVE}", response.text)
        self.assertIn(f"AGP-DRL-02 Drill Power × 2,000,000: {TOO_BIG}", response.text)
        cart = self._cart_of(self.user_alfa)
        self.assertEqual(cart.order_line.product_id, self.glue)
        self.assertEqual(cart.order_line.product_uom_qty, 1)

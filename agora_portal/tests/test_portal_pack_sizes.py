import io

from odoo.fields import Command
from odoo.tests import tagged

from .common import AgoraPortalHttpCase

HAMMER_RULE = "multiple of 12, min. 24"


def refusal(qty, nearest, rule=HAMMER_RULE):
    return f"Order rule: {rule}. {qty} does not fit; the nearest quantity that fits is {nearest}."


@tagged("post_install", "-at_install")
class TestAgoraPortalPackSizes(AgoraPortalHttpCase):
    """Pack sizes and minimums in the client's cabinet: the catalog, the quick
    add, the cart, the upload and the repeat show the rule next to the
    quantity, and refuse (or, for the upload, round up on the client's word)
    a quantity that does not fit, with one message."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        unit = cls.env.ref("uom.product_uom_unit")
        cls.box_12 = cls.env["uom.uom"].create(
            {"name": "AGP Box of 12", "relative_factor": 12, "relative_uom_id": unit.id}
        )
        cls.box_5 = cls.env["uom.uom"].create(
            {"name": "AGP Box of 5", "relative_factor": 5, "relative_uom_id": unit.id}
        )
        # The hammer is sold by the box of 12, from 24; the glue by the box of
        # 5, but Alfa's agreement lets Alfa order any quantity of it.
        cls.hammer.product_tmpl_id.write(
            {
                "uom_ids": [Command.set(cls.box_12.ids)],
                "agora_order_pack_id": cls.box_12.id,
                "agora_order_min_qty": 24,
            }
        )
        cls.glue.product_tmpl_id.write(
            {"uom_ids": [Command.set(cls.box_5.ids)], "agora_order_pack_id": cls.box_5.id}
        )
        cls.env["agora.agreement.quantity.rule"].create(
            {"agreement_id": cls.agreement_alfa.id, "product_tmpl_id": cls.glue.product_tmpl_id.id}
        )

    def _line_qty(self, user, product):
        cart = self._cart_of(user)
        return sum(
            cart.order_line.filtered(lambda l: l.product_id == product).mapped("product_uom_qty")
        )

    def _upload(self, rows):
        content = "SKU;Qty\n" + "\n".join(f"{code};{qty}" for code, qty in rows) + "\n"
        response = self.url_open(
            "/my/cart/import",
            data={"csrf_token": self._csrf()},
            files={"file": ("order.csv", io.BytesIO(content.encode()), "text/csv")},
        )
        self.assertEqual(response.status_code, 200)
        return self.env["agora.cart.import"].search(
            [("user_id", "=", self.user_alfa.id)], order="id desc", limit=1
        )

    def test_catalog_and_product_card_show_the_rule_and_propose_a_quantity_that_fits(self):
        self._login(self.user_alfa)
        catalog = self._get("/my/catalog?search=AGP-HAM-01")
        self.assertIn(HAMMER_RULE, catalog.text)
        self.assertIn('value="24"', catalog.text, "the least quantity that fits")
        card = self._get(f"/my/catalog/product/{self.hammer.id}")
        self.assertIn(HAMMER_RULE, card.text)
        self.assertIn('value="24"', card.text)
        # Alfa's agreement overrides the glue's box of 5: no rule, any quantity.
        glue = self._get(f"/my/catalog/product/{self.glue.id}")
        self.assertNotIn("multiple of", glue.text)
        self.assertIn('value="1"', glue.text)
        # With 24 in the cart, one more box fits.
        self._cart(self.user_alfa, [(self.hammer, 24)])
        card = self._get(f"/my/catalog/product/{self.hammer.id}")
        self.assertIn('value="12"', card.text)

    def test_the_next_pack_proposed_fits_with_a_pack_of_another_unit(self):
        """A product sold by the dozen, in packs of 10 units (0.83 dozen as
        the unit rounds it): the catalog proposes 0.83, then 0.84, which
        brings the cart to 1.67, two packs."""
        unit = self.env.ref("uom.product_uom_unit")
        dozen, ten = self.env["uom.uom"].create(
            [
                {"name": "AGP Dozen", "relative_factor": 12, "relative_uom_id": unit.id},
                {"name": "AGP Ten", "relative_factor": 10, "relative_uom_id": unit.id},
            ]
        )
        eggs = self._agp_product("Egg Tray", "AGP-EGG-08", self.categ_tools, 5.0, 10)
        eggs.product_tmpl_id.write(
            {"uom_id": dozen.id, "uom_ids": [Command.set(ten.ids)], "agora_order_pack_id": ten.id}
        )
        Catalog = self.env["agora.catalog"]
        hints = Catalog._quantity_hints(self.agreement_alfa, eggs, {eggs.id: 0.0})
        self.assertEqual(hints[eggs.id]["qty"], 0.83)
        hints = Catalog._quantity_hints(self.agreement_alfa, eggs, {eggs.id: 0.83})
        self.assertEqual(hints[eggs.id]["qty"], 0.84)
        cart = self._cart(self.user_alfa, [(eggs, 0.83)])
        cart._agora_cart_add(eggs, 0.84)
        self.assertEqual(self._line_qty(self.user_alfa, eggs), 1.67)

    def test_catalog_add_refuses_what_does_not_fit_with_one_message(self):
        self._login(self.user_alfa)
        for qty, message in ((30, refusal(30, 36)), (12, refusal(12, 24))):
            with self.subTest(qty=qty):
                result = self._rpc("/my/cart/add_json", product_id=self.hammer.id, quantity=qty)
                self.assertFalse(result["success"])
                self.assertEqual(result["message"], message)
        self.assertFalse(self._cart_of(self.user_alfa).order_line)
        self.assertTrue(
            self._rpc("/my/cart/add_json", product_id=self.hammer.id, quantity="24")["success"]
        )
        # One more box fits: the rule holds for what the line holds.
        result = self._rpc("/my/cart/add_json", product_id=self.hammer.id, quantity="12")
        self.assertTrue(result["success"])
        self.assertEqual(result["in_cart"], 36)
        result = self._rpc("/my/cart/add_json", product_id=self.hammer.id, quantity="5")
        self.assertEqual(result["message"], refusal(41, 48))
        self.assertEqual(self._line_qty(self.user_alfa, self.hammer), 36)
        # The glue: any quantity for Alfa.
        self.assertTrue(
            self._rpc("/my/cart/add_json", product_id=self.glue.id, quantity="3")["success"]
        )

    def test_quick_add_shows_the_rule_and_refuses_with_the_same_message(self):
        self._login(self.user_alfa)
        [found] = self._rpc("/my/cart/search_products", term="AGP-HAM-01")
        self.assertEqual((found["qty_rule"], found["qty"]), (HAMMER_RULE, 24))
        [glue] = self._rpc("/my/cart/search_products", term="AGP-GLU-05")
        self.assertEqual((glue["qty_rule"], glue["qty"]), ("", 1.0))
        response = self._post("/my/cart/add", {"code": "agp-ham-01", "quantity": "30"})
        self.assertTrue(response.url.endswith("/my/cart"))
        self.assertIn(refusal(30, 36), response.text)
        self.assertFalse(self._cart_of(self.user_alfa).order_line)
        self._post("/my/cart/add", {"code": "agp-ham-01", "quantity": "36"})
        self.assertEqual(self._line_qty(self.user_alfa, self.hammer), 36)

    def test_cart_refuses_a_quantity_and_shows_a_rule_changed_since(self):
        cart = self._cart(self.user_alfa, [(self.hammer, 24), (self.drill, 1)])
        line = cart.order_line.filtered(lambda l: l.product_id == self.hammer)
        self._login(self.user_alfa)
        page = self._get("/my/cart")
        self.assertIn(HAMMER_RULE, page.text)
        response = self._post(
            "/my/cart/update",
            {"action": "update", f"qty_{line.id}": "30", "client_order_ref": "PO-77"},
        )
        self.assertIn(refusal(30, 36), response.text)
        self.env.invalidate_all()
        self.assertEqual(line.product_uom_qty, 24)
        self.assertFalse(cart.client_order_ref, "all or nothing: nothing of the form is saved")
        # The supplier raises the minimum: the cart says so, and the order cannot go.
        self.hammer.product_tmpl_id.agora_order_min_qty = 48
        page = self._get("/my/cart")
        self.assertIn("multiple of 12, min. 48", page.text)
        self.assertIn(refusal(24, 48, "multiple of 12, min. 48"), page.text)
        response = self._post("/my/cart/update", {"action": "submit"})
        self.assertIn(refusal(24, 48, "multiple of 12, min. 48"), response.text)
        self.env.invalidate_all()
        self.assertEqual(cart.agora_state, "new")
        self._post("/my/cart/update", {"action": "submit", f"qty_{line.id}": "48"})
        self.env.invalidate_all()
        self.assertEqual(cart.agora_state, "processing")
        self.assertEqual(line.product_uom_qty, 48)

    def test_upload_proposes_the_rounded_quantity_and_the_client_decides(self):
        self._login(self.user_alfa)
        upload = self._upload([("AGP-HAM-01", "30"), ("AGP-DRL-02", "2"), ("AGP-GLU-05", "3")])
        fates = {line.product_id: (line.status, line.quantity) for line in upload.line_ids}
        self.assertEqual(
            fates,
            {
                self.hammer: ("adjust", 36.0),
                self.drill: ("add", 2.0),
                self.glue: ("add", 3.0),
            },
        )
        hammer_row = upload.line_ids.filtered(lambda l: l.product_id == self.hammer)
        self.assertEqual(hammer_row.message, refusal(30, 36))
        preview = self._get(f"/my/cart/import/{upload.id}")
        self.assertIn("Quantities to confirm: 1", preview.text)
        self.assertIn(refusal(30, 36), preview.text)
        self.assertIn(f'name="adjust_{hammer_row.id}"', preview.text)
        # Without an answer for the rounded row, nothing is added and the preview stays.
        response = self._post(f"/my/cart/import/{upload.id}/confirm")
        self.assertTrue(response.url.endswith(f"/my/cart/import/{upload.id}"))
        self.assertIn(
            "Please confirm the rounded quantity, or drop the row, for rows: 2.", response.text
        )
        self.assertFalse(self._cart_of(self.user_alfa).order_line)
        self.assertEqual(upload.state, "preview")
        response = self._post(
            f"/my/cart/import/{upload.id}/confirm", {f"adjust_{hammer_row.id}": "add"}
        )
        self.assertIn("Lines added to your cart: 3.", response.text)
        self.assertEqual(self._line_qty(self.user_alfa, self.hammer), 36)
        self.assertEqual(self._line_qty(self.user_alfa, self.drill), 2)
        # A second file: 5 more hammers round up to 12 (36 + 12 = 48); dropped.
        upload = self._upload([("AGP-HAM-01", "5"), ("AGP-DRL-02", "1")])
        hammer_row = upload.line_ids.filtered(lambda l: l.product_id == self.hammer)
        self.assertEqual((hammer_row.status, hammer_row.quantity), ("adjust", 12.0))
        self.assertEqual(hammer_row.message, refusal(41, 48))
        response = self._post(
            f"/my/cart/import/{upload.id}/confirm", {f"adjust_{hammer_row.id}": "drop"}
        )
        self.assertIn("Lines added to your cart: 1.", response.text)
        self.assertIn("Rows dropped: 1.", response.text)
        self.assertEqual(self._line_qty(self.user_alfa, self.hammer), 36)
        self.assertEqual(self._line_qty(self.user_alfa, self.drill), 3)

    def test_upload_counts_the_rows_of_a_product_together(self):
        self._login(self.user_alfa)
        # 12 + 12 = 24 fits: nothing to confirm. 12 + 5 = 17 rounds the last row up to 12.
        upload = self._upload([("AGP-HAM-01", "12"), ("AGP-HAM-01", "12")])
        self.assertEqual(upload.line_ids.mapped("status"), ["add", "merge"])
        upload = self._upload([("AGP-HAM-01", "12"), ("AGP-HAM-01", "5")])
        self.assertEqual(upload.line_ids.mapped("status"), ["add", "adjust"])
        self.assertEqual(upload.line_ids.mapped("quantity"), [12.0, 12.0])

    def test_a_rule_changed_between_preview_and_confirmation_adds_nothing(self):
        self._login(self.user_alfa)
        upload = self._upload([("AGP-HAM-01", "24"), ("AGP-DRL-02", "1")])
        self.assertEqual(upload.line_ids.mapped("status"), ["add", "add"])
        self.hammer.product_tmpl_id.agora_order_min_qty = 48
        response = self._post(f"/my/cart/import/{upload.id}/confirm")
        self.assertIn(f"Hammer Steel: {refusal(24, 48, 'multiple of 12, min. 48')}", response.text)
        self.assertFalse(self._cart_of(self.user_alfa).order_line)
        self.assertEqual(upload.state, "preview")

    def test_repeat_refuses_a_quantity_that_does_not_fit_any_more(self):
        # Ordered before the hammer was sold by the box: 30, as the supplier accepted it.
        self.hammer.product_tmpl_id.agora_order_pack_id = False
        order = self._submitted_order(self.user_alfa, [(self.hammer, 30), (self.drill, 2)])
        self.hammer.product_tmpl_id.agora_order_pack_id = self.box_12
        self._login(self.user_alfa)
        response = self._post(f"/my/orders/{order.id}/repeat")
        self.assertTrue(response.url.endswith("/my/cart"))
        self.assertIn(f"AGP-HAM-01 Hammer Steel × 30: {refusal(30, 36)}", response.text)
        cart = self._cart_of(self.user_alfa)
        self.assertEqual(cart.order_line.product_id, self.drill)
        self.assertEqual(cart.order_line.product_uom_qty, 2)

    def test_repeat_counts_the_lines_of_a_product_together(self):
        # Staff split the hammer over two lines: 12 + 24 = 36 fits.
        order = self._submitted_order(self.user_alfa, [(self.hammer, 36), (self.drill, 1)])
        line = order.order_line.filtered(lambda l: l.product_id == self.hammer)
        line.with_user(self.salesman).product_uom_qty = 12
        order.with_user(self.salesman).write(
            {"order_line": [Command.create({"product_id": self.hammer.id, "product_uom_qty": 24})]}
        )
        self._login(self.user_alfa)
        response = self._post(f"/my/orders/{order.id}/repeat")
        self.assertIn(f"The lines of order {order.name} were added to your cart.", response.text)
        self.assertEqual(self._line_qty(self.user_alfa, self.hammer), 36)
        self.assertEqual(self._line_qty(self.user_alfa, self.drill), 1)

    def test_dropping_a_rounded_row_drops_its_product(self):
        self._login(self.user_alfa)
        upload = self._upload([("AGP-HAM-01", "12"), ("AGP-HAM-01", "5"), ("AGP-DRL-02", "1")])
        self.assertEqual(upload.line_ids.mapped("status"), ["add", "adjust", "add"])
        rounded = upload.line_ids[1]
        response = self._post(
            f"/my/cart/import/{upload.id}/confirm", {f"adjust_{rounded.id}": "drop"}
        )
        self.assertIn("Lines added to your cart: 1.", response.text)
        self.assertEqual(self._line_qty(self.user_alfa, self.hammer), 0)
        self.assertEqual(self._line_qty(self.user_alfa, self.drill), 1)

    def test_repeat_adds_what_fits_with_the_cart(self):
        order = self._submitted_order(self.user_alfa, [(self.hammer, 24)])
        self._cart(self.user_alfa, [(self.hammer, 12 * 3)])
        self._login(self.user_alfa)
        self._post(f"/my/orders/{order.id}/repeat")
        self.assertEqual(self._line_qty(self.user_alfa, self.hammer), 60)

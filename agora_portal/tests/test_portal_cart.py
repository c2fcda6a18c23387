import io
import re

from odoo.tests import tagged

from .common import AgoraPortalHttpCase
from .test_cart_import import xlsx_bytes


@tagged("post_install", "-at_install")
class TestAgoraPortalCart(AgoraPortalHttpCase):
    def _upload(self, content, filename="order.csv", csrf=True):
        data = {"csrf_token": self._csrf()} if csrf else {}
        return self.url_open(
            "/my/cart/import",
            data=data,
            files={"file": (filename, io.BytesIO(content), "application/octet-stream")},
        )

    def test_empty_cart_page(self):
        self._login(self.user_alfa)
        response = self._get("/my/cart")
        self.assertEqual(response.status_code, 200)
        self.assertIn("Your cart is empty", response.text)
        self.assertFalse(self._cart_of(self.user_alfa), "looking creates no cart")

    def test_cart_page_shows_lines_totals_and_only_the_client_addresses(self):
        self._cart(self.user_alfa, [(self.hammer, 2), (self.drill, 1)])
        self._login(self.user_alfa)
        html = self._get("/my/cart").text
        self.assertIn("AGP-HAM-01", html)
        self.assertIn("AGP-DRL-02", html)
        # 2 × 90 + 900 = 1080 untaxed, 20 % tax: 1296.
        self.assertRegex(html, r"1,080\.00")
        self.assertRegex(html, r"1,296\.00")
        self.assertIn("Alfa depot", html)
        self.assertNotIn("Beta depot", html)
        self.assertNotIn("AGP Beta Torg", html)

    def test_cart_form_sent_back_unchanged_changes_no_quantity(self):
        """The quantity boxes show each quantity with every digit it has:
        saving the form for another reason (the order's reference) leaves
        1,000,000 and 12,345.67 as they were (not "1e+06", "12345.7")."""
        cart = self._cart(self.user_alfa, [(self.hammer, 2), (self.drill, 1)])
        hammer_line = cart.order_line.filtered(lambda l: l.product_id == self.hammer)
        drill_line = cart.order_line - hammer_line
        # sudo: set as staff would, beyond what the client's form offers.
        hammer_line.sudo().product_uom_qty = 1_000_000
        drill_line.sudo().product_uom_qty = 12345.67
        self._login(self.user_alfa)
        html = self._get("/my/cart").text
        shown = dict(re.findall(r'name="qty_(\d+)"\s+value="([^"]*)"', html))
        self.assertEqual(shown, {str(hammer_line.id): "1000000", str(drill_line.id): "12345.67"})
        response = self._post(
            "/my/cart/update",
            {
                **{f"qty_{line_id}": value for line_id, value in shown.items()},
                "client_order_ref": "PO-7",
                "action": "update",
            },
        )
        self.assertIn("Your cart was saved.", response.text)
        self.assertEqual(cart.client_order_ref, "PO-7")
        self.assertEqual(hammer_line.product_uom_qty, 1_000_000)
        self.assertEqual(drill_line.product_uom_qty, 12345.67)

    def test_add_a_line_by_code_and_by_autocomplete(self):
        self._login(self.user_alfa)
        found = self._rpc("/my/cart/search_products", term="ham")
        self.assertEqual([p["code"] for p in found], ["AGP-HAM-01"])
        self.assertEqual(found[0]["price"], 90.0)
        self.assertEqual(self._rpc("/my/cart/search_products", term="paint"), [])
        self.assertEqual(self._rpc("/my/cart/search_products", term="AGP-PNT-04"), [])
        many = self._rpc("/my/cart/search_products", term="agp", limit=50)
        self.assertEqual(len(many), 4, "the assortment only")
        for index in range(12):
            self._agp_product(f"Nail {index}", f"AGP-NAIL-{index:02d}", self.categ_tools, 1.0)
        self.assertEqual(len(self._rpc("/my/cart/search_products", term="agp", limit=50)), 10)
        # Without JavaScript: the exact SKU (any case) or barcode typed.
        self._post("/my/cart/add", {"code": "agp-ham-01", "quantity": "2"})
        self._post("/my/cart/add", {"code": "4600000000011", "quantity": "1"})
        for code in ("AGP-PNT-04", "AGP-NOPE", "AGP-SEC-06"):
            response = self._post("/my/cart/add", {"code": code, "quantity": "1"})
            self.assertIn("This product is not available to you.", response.text)
        cart = self._cart_of(self.user_alfa)
        self.assertEqual(cart.order_line.product_id, self.hammer)
        self.assertEqual(cart.order_line.product_uom_qty, 3)

    def test_update_quantities_and_details_then_submit(self):
        cart = self._cart(self.user_alfa, [(self.hammer, 2), (self.drill, 1)])
        hammer_line = cart.order_line.filtered(lambda l: l.product_id == self.hammer)
        drill_line = cart.order_line - hammer_line
        self._login(self.user_alfa)
        response = self._post(
            "/my/cart/update",
            {
                f"qty_{hammer_line.id}": "5",
                f"qty_{drill_line.id}": "0",
                "client_order_ref": "PO-2024-001",
                "partner_shipping_id": str(self.alfa_depot.id),
                "commitment_date": "2999-12-31",
                "agora_client_comment": "Call before delivery",
                "action": "update",
            },
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("Your cart was saved.", response.text)
        self.assertEqual(cart.order_line, hammer_line)
        self.assertEqual(hammer_line.product_uom_qty, 5)
        self.assertEqual(cart.client_order_ref, "PO-2024-001")
        self.assertEqual(cart.partner_shipping_id, self.alfa_depot)
        self.assertEqual(cart.agora_client_comment, "Call before delivery")
        # Something refused: nothing of the form is saved.
        response = self._post(
            "/my/cart/update",
            {
                f"qty_{hammer_line.id}": "7",
                "client_order_ref": "CHANGED",
                "partner_shipping_id": str(self.beta_depot.id),
                "action": "submit",
            },
        )
        self.assertIn("delivery addresses", response.text)
        self.assertEqual(hammer_line.product_uom_qty, 5)
        self.assertEqual(cart.client_order_ref, "PO-2024-001")
        self.assertEqual(cart.agora_state, "new")
        # Submit.
        response = self._post(
            "/my/cart/update", {f"qty_{hammer_line.id}": "6", "action": "submit"}
        )
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.url.endswith(f"/my/orders/{cart.id}"))
        self.assertIn("was submitted", response.text)
        self.assertEqual(cart.agora_state, "processing")
        self.assertEqual(hammer_line.product_uom_qty, 6)
        self.assertFalse(self._cart_of(self.user_alfa))
        # A second click (or a retry) shows the order just made, makes no other.
        orders_before = self.env["sale.order"].search_count([])
        response = self._post("/my/cart/update", {"action": "submit"})
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.url.endswith(f"/my/orders/{cart.id}"))
        self.assertIn("was already submitted", response.text)
        self.assertEqual(self.env["sale.order"].search_count([]), orders_before)
        self.assertEqual(cart.agora_state, "processing")

    def test_remove_a_line_and_lines_of_others_are_refused(self):
        cart = self._cart(self.user_alfa, [(self.hammer, 2), (self.drill, 1)])
        beta_cart = self._cart(self.user_beta, [(self.paint, 4)])
        colleague_cart = self._cart(self.user_alfa2, [(self.glue, 1)])
        hammer_line = cart.order_line.filtered(lambda l: l.product_id == self.hammer)
        self._login(self.user_alfa)
        self._post(f"/my/cart/line/{hammer_line.id}/remove")
        self.assertEqual(cart.order_line.product_id, self.drill)
        for other in (beta_cart, colleague_cart):
            response = self._post(f"/my/cart/line/{other.order_line.id}/remove")
            self.assertIn("not in your cart", response.text)
            self.assertTrue(other.order_line.exists())
            # A quantity for another cart's line is simply not one of this cart's fields.
            self._post("/my/cart/update", {f"qty_{other.order_line.id}": "99"})
            self.assertLess(other.order_line.product_uom_qty, 99)
        # Without CSRF nothing happens.
        response = self._post(f"/my/cart/line/{cart.order_line.id}/remove", csrf=False)
        self.assertIn(response.status_code, (400, 403))
        response = self._post(
            "/my/cart/update",
            {f"qty_{cart.order_line.id}": "9", "action": "submit"},
            csrf=False,
        )
        self.assertIn(response.status_code, (400, 403))
        self.assertEqual(cart.order_line.product_uom_qty, 1)
        self.assertEqual(cart.agora_state, "new")

    def test_submit_refusal_is_shown(self):
        cart = self._cart(self.user_alfa, [(self.hammer, 2)])
        # The hammer left the assortment since it was put in the cart.
        self.hammer.categ_id = self.categ_paint
        self._login(self.user_alfa)
        html = self._get("/my/cart").text
        self.assertIn("No longer in your assortment", html)
        response = self._post("/my/cart/update", {"action": "submit"})
        self.assertIn("outside the agreement", response.text)
        self.assertEqual(cart.agora_state, "new")

    def test_upload_preview_then_confirm(self):
        self._cart(self.user_alfa, [(self.drill, 1)])
        self._login(self.user_alfa)
        content = (
            "Артикул;Кол-во\nAGP-HAM-01;2,5\nAGP-DRL-02;1\nNOPE;1\nAGP-PNT-04;3\nAGP-GLU-05;x\n"
        )
        response = self._upload(content.encode("cp1251"))
        self.assertEqual(response.status_code, 200)
        self.assertIn("/my/cart/import/", response.url)
        html = response.text
        self.assertIn("Rows to add: 2", html)
        self.assertIn("Rows refused: 3", html)
        for status in ("unknown", "outside", "invalid_qty", "add", "merge"):
            self.assertIn(f'data-status="{status}"', html)
        cart = self._cart_of(self.user_alfa)
        self.assertEqual(cart.order_line.product_id, self.drill, "nothing added before confirm")
        upload_id = int(re.search(r"/my/cart/import/(\d+)", response.url).group(1))
        # Another user cannot see nor confirm it.
        self._login(self.user_alfa2)
        self.assertEqual(self._get(f"/my/cart/import/{upload_id}").status_code, 404)
        self.assertEqual(self._post(f"/my/cart/import/{upload_id}/confirm").status_code, 404)
        self._login(self.user_beta)
        self.assertEqual(self._get(f"/my/cart/import/{upload_id}").status_code, 404)
        self.assertEqual(self._post(f"/my/cart/import/{upload_id}/confirm").status_code, 404)
        # Confirm needs the CSRF token.
        self._login(self.user_alfa)
        response = self._post(f"/my/cart/import/{upload_id}/confirm", csrf=False)
        self.assertIn(response.status_code, (400, 403))
        self.assertEqual(len(cart.order_line), 1)
        response = self._post(f"/my/cart/import/{upload_id}/confirm")
        self.assertIn("Lines added to your cart: 2", response.text)
        quantities = {line.product_id: line.product_uom_qty for line in cart.order_line}
        self.assertEqual(quantities, {self.drill: 2, self.hammer: 2.5})
        # A second confirmation adds nothing.
        self._post(f"/my/cart/import/{upload_id}/confirm")
        self.assertEqual(
            {line.product_id: line.product_uom_qty for line in cart.order_line}, quantities
        )

    def test_upload_formats_through_the_page(self):
        self._login(self.user_alfa)
        files = {
            "utf8.csv": b"SKU,Quantity\nAGP-HAM-01,2\n",
            "bom.csv": "\ufeffАртикул;Количество\nAGP-HAM-01;2\n".encode(),
            "tab.txt": b"AGP-HAM-01\t2\n",
            "order.xlsx": xlsx_bytes([["SKU", "Qty"], ["AGP-HAM-01", 2]]),
        }
        for filename, content in files.items():
            with self.subTest(filename):
                html = self._upload(content, filename).text
                self.assertIn("Rows to add: 1", html)
                self.assertIn("Hammer Steel", html)

    def test_upload_echoes_cells_as_text(self):
        self._login(self.user_alfa)
        content = b'<script>alert(1)</script>;1\n=CMD|" /C calc"!A0;2\n'
        html = self._upload(content).text
        self.assertNotIn("<script>alert(1)</script>", html)
        self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt;", html)
        self.assertIn("=CMD|&#34; /C calc&#34;!A0", html.replace("&quot;", "&#34;"))

    def test_bad_uploads_are_explained_and_leave_the_cart_untouched(self):
        self._cart(self.user_alfa, [(self.hammer, 1)])
        self._login(self.user_alfa)
        cases = {
            "The file is too large": b"AGP-HAM-01;1\n" * 200_000,
            "too many rows": b"AGP-HAM-01;1\n" * 5001,
            "could not be read as an XLSX": b"PK\x03\x04garbage",
            "no quantity column": b"SKU;Price\nAGP-HAM-01;1\n",
            "The file is empty": b"",
        }
        for message, content in cases.items():
            with self.subTest(message):
                response = self._upload(content, "bad.xlsx" if b"PK" in content else "bad.csv")
                self.assertEqual(response.status_code, 400)
                self.assertIn(message, response.text)
        response = self._upload(b"AGP-HAM-01;1\n", csrf=False)
        self.assertIn(response.status_code, (400, 403))
        cart = self._cart_of(self.user_alfa)
        self.assertEqual(cart.order_line.product_uom_qty, 1)
        self.assertFalse(self.env["agora.cart.import"].search([]))

    def test_upload_page_and_template(self):
        self._login(self.user_alfa)
        html = self._get("/my/cart/import").text
        self.assertIn("5000", html)
        self.assertIn("2 MB", html)
        response = self._get("/my/cart/import/template.xlsx")
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.content.startswith(b"PK"))
        self.assertIn("spreadsheetml", response.headers["Content-Type"])

import io
from unittest.mock import patch

import openpyxl

from odoo.exceptions import AccessError
from odoo.fields import Command
from odoo.tests import tagged

from .common import AgoraPortalHttpCase

ACCESS_ERROR = "odoo.exceptions.AccessError"


@tagged("post_install", "-at_install")
class TestAgoraRequisitionLists(AgoraPortalHttpCase):
    """Requisition lists ("Списки закупок"): named lists of products with
    quantities, private to their author or shared with colleagues, made empty,
    from the cart, from a past order or from a file, and sent to the cart in
    whole or in part while they stay as they are."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        unit = cls.env.ref("uom.product_uom_unit")
        cls.box_12 = cls.env["uom.uom"].create(
            {"name": "AGP Box of 12", "relative_factor": 12, "relative_uom_id": unit.id}
        )
        cls.hammer.product_tmpl_id.write(
            {"uom_ids": [Command.set(cls.box_12.ids)], "agora_order_pack_id": cls.box_12.id}
        )

    def _list(self, user, name, lines, shared=False):
        return (
            self.env["agora.requisition.list"]
            .with_user(user)
            .sudo()
            ._agora_create_list(user, name, shared=shared, items=lines)
        )

    def _quantities(self, record, field="quantity", lines="line_ids"):
        self.env.invalidate_all()
        return {line.product_id: line[field] for line in record[lines]}

    def _upload(self, url, rows, name="weekly.csv"):
        content = "SKU;Qty\n" + "\n".join(f"{code};{qty}" for code, qty in rows) + "\n"
        return self.url_open(
            url,
            data={"csrf_token": self._csrf()},
            files={"file": (name, io.BytesIO(content.encode()), "text/csv")},
        )

    # ------------------------------------------------------------------
    # Making lists
    # ------------------------------------------------------------------

    def test_a_list_made_empty_from_the_cart_and_from_a_past_order(self):
        self._login(self.user_alfa)
        response = self._post("/my/lists/create", {"name": "Weekly", "shared": "1"})
        weekly = self.env["agora.requisition.list"].search([("name", "=", "Weekly")])
        self.assertTrue(response.url.endswith(f"/my/lists/{weekly.id}"))
        self.assertRecordValues(
            weekly,
            [
                {
                    "partner_id": self.client_alfa.id,
                    "user_id": self.user_alfa.id,
                    "shared": True,
                    "line_count": 0,
                }
            ],
        )
        self.assertIn("This list is empty.", response.text)
        # From the cart: its lines, the cart unchanged.
        cart = self._cart(self.user_alfa, [(self.hammer, 24), (self.glue, 3)])
        self._post("/my/lists/create", {"name": "From the cart", "source": "cart"})
        from_cart = self.env["agora.requisition.list"].search([("name", "=", "From the cart")])
        self.assertEqual(self._quantities(from_cart), {self.hammer: 24, self.glue: 3})
        self.assertEqual(len(cart.order_line), 2)
        # From a past order: its card offers it; the list is named after it.
        cart._agora_cart_submit()
        card = self._get(f"/my/orders/{cart.id}")
        self.assertIn("o_agora_order_to_list", card.text)
        response = self._post("/my/lists/create", {"source": "order", "order_id": cart.id})
        from_order = self.env["agora.requisition.list"].search(
            [("name", "=", f"Like order {cart.name}")]
        )
        self.assertTrue(response.url.endswith(f"/my/lists/{from_order.id}"))
        self.assertEqual(self._quantities(from_order), {self.hammer: 24, self.glue: 3})
        # Another client's order cannot be copied into a list.
        beta_order = self._submitted_order(self.user_beta, [(self.paint, 2)])
        response = self._post("/my/lists/create", {"source": "order", "order_id": beta_order.id})
        self.assertEqual(response.status_code, 404)
        # A list needs a name.
        response = self._post("/my/lists/create", {"name": "  "})
        self.assertIn("Please give the list a name.", response.text)

    def test_a_list_from_a_file_through_the_carts_preview(self):
        self._login(self.user_alfa)
        response = self._upload(
            "/my/lists/import", [("AGP-HAM-01", "30"), ("AGP-GLU-05", "2"), ("NOPE", "1")]
        )
        upload = self.env["agora.cart.import"].search(
            [("user_id", "=", self.user_alfa.id)], order="id desc", limit=1
        )
        self.assertTrue(response.url.endswith(f"/my/cart/import/{upload.id}"))
        self.assertEqual(upload.target, "list")
        self.assertEqual(upload.line_ids.mapped("status"), ["adjust", "add", "unknown"])
        self.assertIn("make a new requisition list", response.text)
        self.assertIn("Make the list", response.text)
        hammer_row = upload.line_ids[0]
        response = self._post(
            f"/my/cart/import/{upload.id}/confirm", {f"adjust_{hammer_row.id}": "add"}
        )
        requisition = self.env["agora.requisition.list"].search([("name", "=", "weekly")])
        self.assertTrue(response.url.endswith(f"/my/lists/{requisition.id}"))
        self.assertIn("List weekly was made: 2 products.", response.text)
        self.assertEqual(self._quantities(requisition), {self.hammer: 36, self.glue: 2})
        self.assertFalse(self._cart_of(self.user_alfa).order_line, "the cart is untouched")

    def test_export_reads_back_as_the_same_list(self):
        requisition = self._list(
            self.user_alfa, "Export me", [(self.hammer, 24.0), (self.glue, 2.5)]
        )
        self._login(self.user_alfa)
        response = self._get(f"/my/lists/{requisition.id}/export.xlsx")
        self.assertEqual(response.status_code, 200)
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        rows = list(sheet.iter_rows(values_only=True))
        self.assertEqual(rows[0], ("SKU", "Quantity", "Comment (not read)"))
        self.assertEqual(
            rows[1:], [("AGP-HAM-01", 24, "Hammer Steel"), ("AGP-GLU-05", 2.5, "Glue Strong")]
        )
        response = self.url_open(
            "/my/lists/import",
            data={"csrf_token": self._csrf()},
            files={
                "file": ("again.xlsx", io.BytesIO(response.content), "application/octet-stream")
            },
        )
        upload = self.env["agora.cart.import"].search(
            [("user_id", "=", self.user_alfa.id)], order="id desc", limit=1
        )
        self.assertEqual(upload.line_ids.mapped("status"), ["add", "add"])
        self._post(f"/my/cart/import/{upload.id}/confirm")
        again = self.env["agora.requisition.list"].search([("name", "=", "again")])
        self.assertEqual(self._quantities(again), self._quantities(requisition))

    # ------------------------------------------------------------------
    # A list's page, and from the list to the cart
    # ------------------------------------------------------------------

    def test_the_list_shows_todays_terms_and_what_can_no_longer_be_ordered(self):
        retired = self._agp_product("Retired Chisel", "AGP-CHS-07", self.categ_hand, 40.0, 5)
        requisition = self._list(
            self.user_alfa, "Site", [(self.hammer, 24.0), (self.drill, 1.0), (retired, 2.0)]
        )
        # Since the list was made: the chisel is archived, the drill left Alfa's agreement.
        retired.active = False
        self.agreement_alfa.write(
            {"category_ids": [Command.set(self.categ_hand.ids)], "product_ids": [Command.set([])]}
        )
        self._login(self.user_alfa)
        page = self._get(f"/my/lists/{requisition.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("multiple of 12", page.text)
        self.assertIn("90.00", page.text, "the hammer at Alfa's own price")
        self.assertIn("The product is no longer sold.", page.text)
        self.assertIn("The product is not in your assortment.", page.text)
        self.assertEqual(page.text.count("o_agora_list_line_unavailable"), 2)
        self.assertEqual(page.text.count('class="form-check-input o_agora_list_select"'), 1)
        # Everything to the cart: only the hammer goes, the list stays whole.
        response = self._post(f"/my/lists/{requisition.id}/update", {"action": "cart_all"})
        self.assertTrue(response.url.endswith("/my/cart"))
        self.assertIn("Lines added to your cart: 1.", response.text)
        self.assertIn(
            "AGP-DRL-02 Drill Power × 1: The product is not in your assortment.", response.text
        )
        self.assertIn("× 2: The product is no longer sold.", response.text)
        self.assertEqual(
            self._quantities(self._cart_of(self.user_alfa), "product_uom_qty", "order_line"),
            {self.hammer: 24},
        )
        self.assertEqual(len(requisition.line_ids), 3)

    def test_the_selected_lines_go_to_the_cart_with_the_quantities_saved(self):
        requisition = self._list(
            self.user_alfa, "Weekly", [(self.hammer, 24.0), (self.drill, 1.0), (self.glue, 3.0)]
        )
        lines = {line.product_id: line for line in requisition.line_ids}
        self._cart(self.user_alfa, [(self.hammer, 12)])
        self._login(self.user_alfa)
        response = self._post(
            f"/my/lists/{requisition.id}/update",
            {
                "action": "cart",
                f"select_{lines[self.hammer].id}": "1",
                f"select_{lines[self.glue].id}": "1",
                f"shown_{lines[self.glue].id}": "3",
                f"qty_{lines[self.glue].id}": "5",
            },
        )
        self.assertTrue(response.url.endswith("/my/cart"))
        cart = self._cart_of(self.user_alfa)
        self.assertEqual(
            self._quantities(cart, "product_uom_qty", "order_line"),
            {self.hammer: 36, self.glue: 5},
        )
        self.assertEqual(
            self._quantities(requisition), {self.hammer: 24, self.drill: 1, self.glue: 5}
        )
        # A quantity that breaks the pack size is refused on the list too.
        response = self._post(
            f"/my/lists/{requisition.id}/update",
            {f"shown_{lines[self.hammer].id}": "24", f"qty_{lines[self.hammer].id}": "30"},
        )
        self.assertIn("30 does not fit; the nearest quantity that fits is 36.", response.text)
        self.assertEqual(self._quantities(requisition)[self.hammer], 24)
        # Nothing selected: nothing happens, and the client is told.
        response = self._post(f"/my/lists/{requisition.id}/update", {"action": "cart"})
        self.assertIn("Please choose the products to add to the cart.", response.text)

    def test_adding_and_removing_products(self):
        requisition = self._list(self.user_alfa, "Weekly", [(self.glue, 1.0)])
        self._login(self.user_alfa)
        self._post(f"/my/lists/{requisition.id}/add", {"code": "AGP-HAM-01", "quantity": "24"})
        self._post(f"/my/lists/{requisition.id}/add", {"code": "agp-glu-05", "quantity": "2"})
        self.assertEqual(self._quantities(requisition), {self.glue: 3, self.hammer: 24})
        response = self._post(
            f"/my/lists/{requisition.id}/add", {"code": "AGP-HAM-01", "quantity": "5"}
        )
        self.assertIn("29 does not fit; the nearest quantity that fits is 36.", response.text)
        response = self._post(
            f"/my/lists/{requisition.id}/add", {"code": "AGP-PNT-04", "quantity": "1"}
        )
        self.assertIn("This product is not available to you.", response.text)
        line = requisition.line_ids.filtered(lambda l: l.product_id == self.glue)
        self._post(f"/my/lists/{requisition.id}/line/{line.id}/remove")
        self.assertEqual(self._quantities(requisition), {self.hammer: 24})
        # From a product's card: the user's lists to choose from, the least quantity that fits.
        card = self._get(f"/my/catalog/product/{self.drill.id}").text
        self.assertIn("o_agora_add_to_list", card)
        self.assertIn(f'<option value="{requisition.id}">Weekly</option>', card)
        response = self._post(
            "/my/lists/add_product",
            {"list_id": requisition.id, "product_id": self.drill.id, "quantity": "2"},
        )
        self.assertTrue(response.url.endswith(f"/my/lists/{requisition.id}"))
        self.assertEqual(self._quantities(requisition), {self.hammer: 24, self.drill: 2})
        # Not into a list of another company.
        beta_list = self._list(self.user_beta, "Beta's", [(self.paint, 1.0)], shared=True)
        response = self._post(
            "/my/lists/add_product",
            {"list_id": beta_list.id, "product_id": self.drill.id, "quantity": "2"},
        )
        self.assertEqual(response.status_code, 404)
        self.assertEqual(self._quantities(beta_list), {self.paint: 1})

    # ------------------------------------------------------------------
    # Private, shared, and two colleagues at once
    # ------------------------------------------------------------------

    def test_private_lists_stay_private_and_shared_ones_are_the_companys(self):
        private = self._list(self.user_alfa, "Mine", [(self.glue, 1.0)])
        shared = self._list(self.user_alfa, "Ours", [(self.glue, 2.0)], shared=True)
        beta_list = self._list(self.user_beta, "Beta's", [(self.paint, 1.0)], shared=True)
        self._login(self.user_alfa2)
        index = self._get("/my/lists").text
        self.assertIn("Ours", index)
        self.assertNotIn("Mine", index)
        self.assertNotIn("Beta's", index)
        for requisition in (private, beta_list):
            with self.subTest(requisition=requisition.name):
                self.assertEqual(self._get(f"/my/lists/{requisition.id}").status_code, 404)
                self.assertEqual(
                    self._get(f"/my/lists/{requisition.id}/export.xlsx").status_code, 404
                )
                line = requisition.line_ids
                response = self._post(
                    f"/my/lists/{requisition.id}/update",
                    {f"shown_{line.id}": "1", f"qty_{line.id}": "7"},
                )
                self.assertEqual(response.status_code, 404)
                self.assertEqual(requisition.line_ids.quantity, line.quantity)
        # A colleague edits a shared list, but only its author renames, shares or deletes it.
        line = shared.line_ids
        self._post(
            f"/my/lists/{shared.id}/update", {f"shown_{line.id}": "2", f"qty_{line.id}": "6"}
        )
        self.assertEqual(self._quantities(shared), {self.glue: 6})
        page = self._get(f"/my/lists/{shared.id}").text
        self.assertNotIn("o_agora_list_delete", page)
        response = self._post(f"/my/lists/{shared.id}/settings", {"name": "Renamed"})
        self.assertIn(
            "Only Anna Alfa, who made this list, can rename, share or delete it.", response.text
        )
        self._post(f"/my/lists/{shared.id}/delete")
        self.assertTrue(shared.exists())
        self.assertEqual(shared.name, "Ours")
        # The author makes it private: the colleague no longer reaches it.
        self._login(self.user_alfa)
        self._post(f"/my/lists/{shared.id}/settings", {"name": "Ours, private"})
        self.assertRecordValues(shared, [{"name": "Ours, private", "shared": False}])
        self._login(self.user_alfa2)
        self.assertEqual(self._get(f"/my/lists/{shared.id}").status_code, 404)
        self._login(self.user_alfa)
        self._post(f"/my/lists/{shared.id}/delete")
        self.assertFalse(shared.exists())

    def test_rpc_reaches_only_the_lists_the_user_sees_and_changes_none(self):
        private = self._list(self.user_alfa, "Mine", [(self.glue, 1.0)])
        beta_list = self._list(self.user_beta, "Beta's", [(self.paint, 1.0)], shared=True)
        self._login(self.user_alfa2)

        result, error = self._call_kw(
            "agora.requisition.list", "search_read", [[]], {"fields": ["name"]}
        )
        self.assertIsNone(error)
        self.assertEqual(result, [])
        for model, record, vals in (
            ("agora.requisition.list", private, {"shared": True}),
            ("agora.requisition.list.line", private.line_ids, {"quantity": 99}),
            ("agora.requisition.list", beta_list, {"name": "x"}),
        ):
            with self.subTest(model=model, record=record.display_name):
                __, error = self._call_kw(model, "write", [record.ids, vals])
                self.assertEqual(error, ACCESS_ERROR)
        __, error = self._call_kw(
            "agora.requisition.list.line",
            "create",
            [[{"list_id": private.id, "product_id": self.secret.id, "quantity": 1}]],
        )
        self.assertEqual(error, ACCESS_ERROR)
        self.env.invalidate_all()
        self.assertEqual(self._quantities(private), {self.glue: 1})
        self.assertFalse(private.shared)
        # Staff read every client's lists in the backend, and change none.
        Requisition = self.env["agora.requisition.list"].with_user(self.salesman)
        self.assertEqual(
            Requisition.search([("id", "in", (private | beta_list).ids)]), private | beta_list
        )
        with self.assertRaises(AccessError):
            private.with_user(self.salesman).name = "Staff's"

    def test_two_colleagues_editing_a_shared_list_at_once_lose_neither_change(self):
        shared = self._list(
            self.user_alfa, "Ours", [(self.glue, 2.0), (self.drill, 1.0)], shared=True
        )
        glue, drill = shared.line_ids.sorted(lambda l: l.product_id != self.glue)
        # Both colleagues opened the list: glue 2, drill 1. Arkady saves first: drill 4.
        self._login(self.user_alfa2)
        self._post(
            f"/my/lists/{shared.id}/update",
            {
                f"shown_{glue.id}": "2",
                f"qty_{glue.id}": "2",
                f"shown_{drill.id}": "1",
                f"qty_{drill.id}": "4",
            },
        )
        # Anna saves her page, which still shows drill 1: her glue 9, his drill 4.
        self._login(self.user_alfa)
        response = self._post(
            f"/my/lists/{shared.id}/update",
            {
                f"shown_{glue.id}": "2",
                f"qty_{glue.id}": "9",
                f"shown_{drill.id}": "1",
                f"qty_{drill.id}": "1",
            },
        )
        self.assertEqual(self._quantities(shared), {self.glue: 9, self.drill: 4})
        self.assertIn("The list was saved.", response.text)
        # Both change the drill: the first saved is kept, and the second is told.
        self._post(
            f"/my/lists/{shared.id}/update", {f"shown_{drill.id}": "4", f"qty_{drill.id}": "6"}
        )
        self._login(self.user_alfa2)
        response = self._post(
            f"/my/lists/{shared.id}/update", {f"shown_{drill.id}": "4", f"qty_{drill.id}": "8"}
        )
        self.assertEqual(self._quantities(shared), {self.glue: 9, self.drill: 6})
        self.assertIn("A colleague changed these quantities meanwhile", response.text)
        self.assertIn("Drill Power", response.text)

    def test_a_save_waits_for_a_colleagues_save_of_the_same_lines(self):
        """The changed lines are locked with a lock that waits (FOR NO KEY
        UPDATE, not Odoo's SKIP LOCKED, which would give up and lose the
        user's changes), and only those lines."""
        shared = self._list(
            self.user_alfa, "Ours", [(self.glue, 2.0), (self.drill, 1.0)], shared=True
        )
        glue = shared.line_ids.filtered(lambda l: l.product_id == self.glue)
        statements = []
        execute = self.env.cr.execute

        def spy(query, params=None, log_exceptions=True):
            statements.append(str(getattr(query, "code", query)))
            return execute(query, params, log_exceptions)

        with patch.object(self.env.cr, "execute", spy):
            shared.sudo()._agora_set_quantities({glue.id: ("2", "3")}, self.agreement_alfa)
        locks = [sql for sql in statements if "FOR NO KEY UPDATE" in sql]
        self.assertEqual(len(locks), 1, statements)
        self.assertIn("agora_requisition_list_line", locks[0])
        self.assertNotIn("SKIP LOCKED", locks[0])
        self.assertEqual(self._quantities(shared), {self.glue: 3, self.drill: 1})

    def test_a_colleagues_removal_and_change_are_kept(self):
        shared = self._list(
            self.user_alfa, "Ours", [(self.glue, 2.0), (self.drill, 1.0)], shared=True
        )
        glue, drill = shared.line_ids.sorted(lambda l: l.product_id != self.glue)
        # Anna's page shows glue 2 and drill 1. Meanwhile Arkady sets the
        # glue to 5 and removes the drill.
        glue.quantity = 5
        drill.unlink()
        self._login(self.user_alfa)
        response = self._post(
            f"/my/lists/{shared.id}/update",
            {
                f"shown_{glue.id}": "2",
                f"qty_{glue.id}": "0",
                f"shown_{drill.id}": "1",
                f"qty_{drill.id}": "3",
            },
        )
        self.assertEqual(self._quantities(shared), {self.glue: 5}, "his glue stays, not deleted")
        self.assertIn("A colleague removed some products from the list meanwhile", response.text)
        self.assertIn("A colleague changed these quantities meanwhile", response.text)

    def test_a_file_with_a_product_twice_makes_one_line(self):
        self._login(self.user_alfa)
        self._upload("/my/lists/import", [("AGP-HAM-01", "6"), ("AGP-HAM-01", "6")])
        upload = self.env["agora.cart.import"].search(
            [("user_id", "=", self.user_alfa.id)], order="id desc", limit=1
        )
        self.assertEqual(upload.line_ids.mapped("status"), ["add", "merge"])
        self._post(f"/my/cart/import/{upload.id}/confirm")
        requisition = self.env["agora.requisition.list"].search([("name", "=", "weekly")])
        self.assertEqual(self._quantities(requisition), {self.hammer: 12})

    # ------------------------------------------------------------------
    # Queries
    # ------------------------------------------------------------------

    def test_list_pages_keep_their_queries_with_the_number_of_lists_and_lines(self):
        products = self.env["product.product"].create(
            [
                {
                    "name": f"Nail {index:03d}",
                    "default_code": f"AGP-NL-{index:03d}",
                    "categ_id": self.categ_tools.id,
                    "list_price": 1.0 + index,
                    "type": "consu",
                    "is_storable": True,
                }
                for index in range(60)
            ]
        )
        small = self._list(self.user_alfa, "Small", [(p, 2.0) for p in products[:5]])
        large = self._list(self.user_alfa, "Large", [(p, 2.0) for p in products])

        def queries(url):
            self.env.flush_all()
            self.env.invalidate_all()
            with patch("random.random", lambda: 1):
                before = self.cr.sql_log_count
                response = self.url_open(url)
                count = self.cr.sql_log_count - before
            self.assertEqual(response.status_code, 200)
            return count

        self._login(self.user_alfa)
        queries(f"/my/lists/{small.id}")
        counts = {"5 lines": queries(f"/my/lists/{small.id}")}
        queries(f"/my/lists/{large.id}")
        counts["60 lines"] = queries(f"/my/lists/{large.id}")
        self.assertEqual(counts["5 lines"], counts["60 lines"], counts)
        queries("/my/lists")
        index = {"2 lists": queries("/my/lists")}
        for index_number in range(10):
            self._list(self.user_alfa, f"More {index_number}", [(products[0], 1.0)])
        queries("/my/lists")
        index["12 lists"] = queries("/my/lists")
        self.assertEqual(index["2 lists"], index["12 lists"], index)
        # The catalog and the cart do not read the lists.
        queries("/my/catalog")  # warm-up
        catalog = {"12 lists": queries("/my/catalog")}
        self._list(self.user_alfa, "Yet another", [(p, 1.0) for p in products[:30]])
        catalog["13 lists"] = queries("/my/catalog")
        self.assertEqual(catalog["12 lists"], catalog["13 lists"], catalog)

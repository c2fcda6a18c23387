import re
from unittest.mock import patch

from odoo.tests import tagged

from odoo.addons.agora_portal.tests.common import AgoraPortalHttpCase

from .common import AgoraCompanyDataMixin

FLASH_RE = r'(?s)class="o_agora_flash alert alert-[^"]*"[^>]*>(.*?)</div>'
APPROVAL_BADGE_RE = (
    r'o_agora_state badge rounded-pill bg-warning-subtle[^"]*"\s+data-state="approval"'
)
RETURNED_RE = r'(?s)class="alert alert-warning o_agora_returned"[^>]*>(.*?)</div>'


def flash_texts(html):
    """The texts of the page's messages (agora_portal's flash)."""
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", block)).strip()
        for block in re.findall(FLASH_RE, html)
    ]


@tagged("post_install", "-at_install")
class TestPortalApproval(AgoraCompanyDataMixin, AgoraPortalHttpCase):
    """A client company's approval in its portal: the buyer submits, the
    approver decides on the order card, the others are refused."""

    @classmethod
    def setUpClass(cls):
        # HttpCase's own set-up, not AgoraPortalHttpCase's: the company's data
        # below includes the portal's (set up twice, its users would clash).
        super(AgoraPortalHttpCase, cls).setUpClass()
        cls._setup_agora_company_data()

    # ------------------------------------------------------------------

    def _submit(self, user, lines):
        """``user``'s cart with ``lines``, submitted through the model."""
        cart = self._cart(user, lines)
        self._flush_tracking()
        cart.with_user(user).sudo()._agora_cart_submit()
        self._flush_tracking()
        return cart

    def _reload(self, order):
        self.env.invalidate_all()
        return order.exists()

    def _state(self, order):
        self.env.invalidate_all()
        return order.agora_state

    # ------------------------------------------------------------------

    def test_buyer_submits_approver_approves_with_changed_quantity(self):
        Mail = self.env["mail.mail"]
        polina = self.approver_alfa.partner_id
        mails_before = Mail.search([])
        # Bogdan (limit 1,000) orders 10 hammers: 1,080.
        self._login(self.limited_buyer_alfa)
        self._post("/my/cart/add", {"product_id": self.hammer.id, "quantity": "10"})
        order = self._cart_of(self.limited_buyer_alfa)
        self.assertEqual(len(order), 1)
        self.assertEqual(order.amount_total, 1080.0)
        response = self._post("/my/cart/update", {"action": "submit"})
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.url.endswith(f"/my/orders/{order.id}"), response.url)
        messages = " ".join(flash_texts(response.text))
        self.assertIn(f"Order {order.name} was sent to your company", messages)
        self.assertIn("approvers", messages)
        self.assertNotIn("We will review it and reserve the goods", messages)
        self.assertEqual(self._state(order), "approval")
        self.assertIn('id="agora_approval"', response.text)
        self.assertRegex(
            response.text, r'submitted by\s+<span class="o_agora_submitted_by">Bogdan Buyer</span>'
        )
        # The buyer has no decision to make on his own order.
        self.assertNotIn("o_agora_approval_form", response.text)
        # Polina and Anna are emailed, not the buyer.
        requests = Mail.search([("subject", "ilike", "awaits your approval")]) - mails_before
        self.assertEqual(
            sorted(requests.recipient_ids.ids),
            sorted((polina | self.admin_alfa.partner_id).ids),
        )
        # The buyer finds it in his orders, with its own badge, and under its filter.
        orders_html = self._get("/my/orders").text
        self.assertIn(order.name, orders_html)
        self.assertRegex(
            orders_html,
            r'o_agora_state badge rounded-pill bg-warning-subtle[^"]*"\s+data-state="approval"',
        )
        self.assertIn("filterby=approval", orders_html)
        self.assertIn(order.name, self._get("/my/orders?filterby=approval").text)
        self.assertNotIn(order.name, self._get("/my/orders?filterby=processing").text)

        # Polina: /my, /my/approvals, the card with the form.
        self._login(self.approver_alfa)
        self.assertIn('data-placeholder_count="agora_approval_count"', self._get("/my").text)
        counters = self._rpc("/my/counters", counters=["agora_approval_count"])
        self.assertEqual(counters["agora_approval_count"], 1)
        approvals = self._get("/my/approvals")
        self.assertEqual(approvals.status_code, 200)
        self.assertIn(f'data-order-id="{order.id}"', approvals.text)
        self.assertIn("Bogdan Buyer", approvals.text)
        card = self._get(f"/my/orders/{order.id}").text
        self.assertIn("o_agora_approval_form", card)
        line = order.order_line
        self.assertIn(f'name="qty_{line.id}"', card)
        self.assertIn(f"/my/orders/{order.id}/reject", card)
        self.assertIn('data-step="approval"', card)

        response = self._post(
            f"/my/orders/{order.id}/approve",
            {f"qty_{line.id}": "8", "comment": "Eight are enough"},
        )
        self.assertIn(f"Order {order.name} was approved", " ".join(flash_texts(response.text)))
        order = self._reload(order)
        self.assertRecordValues(
            order,
            [
                {
                    "agora_state": "processing",
                    "agora_approved_by_id": polina.id,
                    "agora_approval_comment": "Eight are enough",
                }
            ],
        )
        self.assertEqual(order.order_line.product_uom_qty, 8.0)
        events = order.agora_event_ids.filtered(lambda e: e.event_type == "approval")
        self.assertTrue(any("Approved by Polina Approver" in e.description for e in events))
        # The card now says who approved, when, and why; no more form.
        self.assertIn("o_agora_approved", response.text)
        self.assertIn("Eight are enough", response.text)
        self.assertNotIn("o_agora_approval_form", response.text)
        self.assertRegex(response.text, r'o_agora_step[^"]*bg-light[^"]*"\s+data-step="approval"')
        self.assertNotIn(f'data-order-id="{order.id}"', self._get("/my/approvals").text)

    def test_approver_changes_quantities_within_the_order_rule(self):
        unit = self.env.ref("uom.product_uom_unit")
        box = self.env["uom.uom"].create(
            {"name": "AGC Box of 5", "relative_factor": 5, "relative_uom_id": unit.id}
        )
        self.hammer.product_tmpl_id.write(
            {"uom_ids": [(6, 0, box.ids)], "agora_order_pack_id": box.id}
        )
        order = self._submit(self.limited_buyer_alfa, [(self.hammer, 10)])
        self.assertEqual(self._state(order), "approval")
        line = order.order_line
        self._login(self.approver_alfa)
        card = self._get(f"/my/orders/{order.id}").text
        self.assertIn("multiple of 5", card)
        response = self._post(f"/my/orders/{order.id}/approve", {f"qty_{line.id}": "8"})
        self.assertIn(
            "Order rule: multiple of 5. 8 does not fit; the nearest quantity that fits is 10.",
            " ".join(flash_texts(response.text)),
        )
        self.assertEqual(self._state(order), "approval")
        self.assertEqual(self._reload(order).order_line.product_uom_qty, 10.0)
        self._post(f"/my/orders/{order.id}/approve", {f"qty_{line.id}": "5"})
        self.assertEqual(self._state(order), "processing")
        self.assertEqual(self._reload(order).order_line.product_uom_qty, 5.0)

    def test_reject_needs_a_comment_and_returns_the_cart(self):
        order = self._submit(self.limited_buyer_alfa, [(self.hammer, 10)])
        self.assertEqual(order.agora_state, "approval")
        self._login(self.approver_alfa)
        response = self._post(f"/my/orders/{order.id}/reject", {"comment": "  "})
        self.assertIn("Please say why the order is returned", " ".join(flash_texts(response.text)))
        self.assertEqual(self._state(order), "approval")
        self.assertFalse(order.agora_rejected_by_id)

        response = self._post(f"/my/orders/{order.id}/reject", {"comment": "Too many hammers"})
        self.assertIn(f"Order {order.name} was returned", " ".join(flash_texts(response.text)))
        self.assertEqual(self._state(order), "new")
        self.assertEqual(order.agora_rejected_by_id, self.approver_alfa.partner_id)
        self.assertIn("o_agora_rejected", response.text)
        self.assertIn("Too many hammers", response.text)
        # Polina was told to approve it; Bogdan that it came back.
        notifications = self._get("/my/notifications").text
        self.assertIn("Awaits Your Approval", notifications)

        self._login(self.limited_buyer_alfa)
        self.assertEqual(self._cart_of(self.limited_buyer_alfa), order)
        cart = self._get("/my/cart").text
        self.assertIn("o_agora_returned", cart)
        banner = re.search(
            r'(?s)class="alert alert-warning o_agora_returned"[^>]*>(.*?)</div>', cart
        )
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", banner.group(1)))
        self.assertIn("Returned by Polina Approver on", text)
        self.assertIn("Too many hammers", text)
        self.assertIn("Change the order and submit it again.", text)
        notifications = self._get("/my/notifications").text
        self.assertIn("Returned for Changes", notifications)

    def test_others_cannot_decide(self):
        order = self._submit(self.limited_buyer_alfa, [(self.hammer, 10)])
        line = order.order_line
        for user in (
            self.buyer_alfa,
            self.viewer_alfa,
            self.limited_buyer_alfa,
            self.user_beta,
        ):
            with self.subTest(user=user.name):
                self._login(user)
                card = self._get(f"/my/orders/{order.id}").text
                self.assertNotIn("o_agora_approval_form", card)
                for action, data in (
                    ("approve", {f"qty_{line.id}": "1", "comment": "fine"}),
                    ("reject", {"comment": "no"}),
                ):
                    response = self._post(f"/my/orders/{order.id}/{action}", data)
                    if user == self.user_beta:
                        self.assertEqual(response.status_code, 404)
                        self.assertNotIn(order.name, response.text)
                    else:
                        self.assertEqual(response.status_code, 200)
                        self.assertIn("Only your company", " ".join(flash_texts(response.text)))
                    order = self._reload(order)
                    self.assertEqual(order.agora_state, "approval")
                    self.assertEqual(order.order_line.product_uom_qty, 10.0)
                    self.assertFalse(order.agora_approved_by_id)
                    self.assertFalse(order.agora_rejected_by_id)
        # Without the form's token, even the approver is refused.
        self._login(self.approver_alfa)
        response = self._post(f"/my/orders/{order.id}/approve", csrf=False)
        self.assertEqual(response.status_code, 400)
        self.assertEqual(self._state(order), "approval")

    def test_approver_limit(self):
        # 50 hammers: 5,400, above Polina's 5,000: only Anna may approve.
        order = self._submit(self.limited_buyer_alfa, [(self.hammer, 50)])
        self.assertEqual(order.amount_total, 5400.0)
        self.assertEqual(order.agora_state, "approval")
        self._login(self.approver_alfa)
        self.assertNotIn(f'data-order-id="{order.id}"', self._get("/my/approvals").text)
        self.assertNotIn("o_agora_approval_form", self._get(f"/my/orders/{order.id}").text)
        response = self._post(f"/my/orders/{order.id}/approve", {"comment": "ok"})
        self.assertIn("above your approval limit", " ".join(flash_texts(response.text)))
        self.assertEqual(self._state(order), "approval")
        self.assertFalse(order.agora_approved_by_id)
        # Lowering the quantity below the limit does not let her in either.
        response = self._post(
            f"/my/orders/{order.id}/approve", {f"qty_{order.order_line.id}": "10"}
        )
        self.assertIn("above your approval limit", " ".join(flash_texts(response.text)))
        order = self._reload(order)
        self.assertEqual(order.order_line.product_uom_qty, 50.0)
        # Anna, the administrator, may.
        self._login(self.admin_alfa)
        self.assertIn(f'data-order-id="{order.id}"', self._get("/my/approvals").text)
        self._post(f"/my/orders/{order.id}/approve", {})
        self.assertEqual(self._state(order), "processing")
        self.assertEqual(order.agora_approved_by_id, self.admin_alfa.partner_id)

    def test_approver_sees_the_order_goes_beyond_the_credit(self):
        """An order awaiting approval that goes beyond the supplier's credit
        limit says so on its card: the approver decides knowing it will wait
        for the credit check."""
        order = self._submit(self.limited_buyer_alfa, [(self.hammer, 10)])
        self.assertEqual(order.agora_state, "approval")
        self._login(self.approver_alfa)
        self.assertNotIn("o_agora_credit_ahead", self._get(f"/my/orders/{order.id}").text)
        self.company.account_use_credit_limit = True
        self.client_alfa.with_company(self.company).credit_limit = 100.0
        self._flush_tracking()
        card = self._get(f"/my/orders/{order.id}").text
        self.assertIn("o_agora_credit_ahead", card)
        self.assertIn("awaits our credit check", card)
        self.assertNotIn("o_agora_credit_check", card)
        # Approved, it reaches the supplier and awaits the credit check.
        self._post(f"/my/orders/{order.id}/approve", {"comment": "ok"})
        self.assertEqual(self._state(order), "processing")
        card = self._get(f"/my/orders/{order.id}").text
        self.assertIn("o_agora_credit_check", card)
        self.assertNotIn("o_agora_credit_ahead", card)

    def test_viewer_reads_shared_lists_and_changes_none(self):
        """A viewer, who may not order, reads the company's shared requisition
        lists, and makes and changes none."""
        Requisition = self.env["agora.requisition.list"].sudo()
        shared = Requisition._agora_create_list(
            self.buyer_alfa, "Site", shared=True, items=[(self.hammer, 3.0)]
        )
        line = shared.line_ids
        self._login(self.viewer_alfa)
        index = self._get("/my/lists").text
        self.assertIn("Site", index)
        self.assertNotIn("o_agora_list_create", index)
        page = self._get(f"/my/lists/{shared.id}").text
        self.assertNotIn("o_agora_list_save", page)
        self.assertNotIn("o_agora_list_add", page)
        self.assertIn('readonly="readonly"', page)
        refused = "does not allow changing lists"
        for url, data in (
            (f"/my/lists/{shared.id}/update", {f"shown_{line.id}": "3", f"qty_{line.id}": "9"}),
            (f"/my/lists/{shared.id}/line/{line.id}/remove", {}),
            (f"/my/lists/{shared.id}/add", {"code": "AGP-DRL-02", "quantity": "1"}),
            ("/my/lists/create", {"name": "Mine"}),
        ):
            with self.subTest(url=url):
                response = self._post(url, data)
                self.assertIn(refused, " ".join(flash_texts(response.text)))
        self.env.invalidate_all()
        self.assertEqual(shared.line_ids.quantity, 3.0)
        self.assertFalse(Requisition.search([("user_id", "=", self.viewer_alfa.id)]))

    def test_viewer_cannot_order(self):
        self._login(self.viewer_alfa)
        self.assertNotIn("o_agora_add_form", self._get("/my/catalog").text)
        cart_page = self._get("/my/cart").text
        self.assertIn("o_agora_viewer", cart_page)
        self.assertNotIn("o_agora_quick_add", cart_page)
        self.assertNotIn('data-placeholder_count="agora_approval_count"', self._get("/my").text)
        response = self._post("/my/cart/add", {"product_id": self.hammer.id, "quantity": "1"})
        self.assertIn("Viewer", " ".join(flash_texts(response.text)))
        self.assertFalse(self._cart_of(self.viewer_alfa))
        self.assertFalse(
            self.env["sale.order.line"].search(
                [("order_id.partner_id", "=", self.viewer_alfa.partner_id.id)]
            )
        )
        # A buyer has the controls.
        self._login(self.buyer_alfa)
        self.assertIn("o_agora_add_form", self._get("/my/catalog").text)
        self.assertIn("o_agora_quick_add", self._get("/my/cart").text)

    def test_buyers_see_only_their_own_orders(self):
        self.client_alfa.agora_buyers_see_company_orders = False
        order = self._submit(self.limited_buyer_alfa, [(self.hammer, 5)])
        self.assertEqual(order.agora_state, "processing")
        self._login(self.buyer_alfa)
        response = self._get(f"/my/orders/{order.id}")
        # Sale's card sends whoever may not read the order home (/my).
        self.assertNotIn(order.name, response.text)
        self.assertNotIn('id="agora_status"', response.text)
        self.assertNotIn(order.name, self._get("/my/orders").text)
        found, error = self._call_kw(
            "sale.order", "search_read", [[]], {"fields": ["name", "partner_id"]}
        )
        self.assertIsNone(error)
        self.assertNotIn(order.id, [record["id"] for record in found])
        self.assertFalse([r for r in found if r["partner_id"][0] != self.buyer_alfa.partner_id.id])
        # Anna, the administrator, sees them all.
        self._login(self.admin_alfa)
        self.assertIn(order.name, self._get(f"/my/orders/{order.id}").text)
        self.assertIn(order.name, self._get("/my/orders").text)
        found, error = self._call_kw("sale.order", "search_read", [[]], {"fields": ["name"]})
        self.assertIsNone(error)
        self.assertIn(order.id, [record["id"] for record in found])

    def test_approvals_page_queries_do_not_grow(self):
        self._login(self.approver_alfa)

        def queries():
            self._flush_tracking()
            self.env.invalidate_all()
            with patch("random.random", lambda: 1):
                before = self.cr.sql_log_count
                response = self.url_open("/my/approvals")
                count = self.cr.sql_log_count - before
            self.assertEqual(response.status_code, 200)
            return count, response.text.count("o_agora_approval_row")

        self._submit(self.limited_buyer_alfa, [(self.hammer, 10)])
        queries()  # warm-up: templates, caches
        small = queries()
        for qty in range(11, 17):
            self._submit(self.limited_buyer_alfa, [(self.hammer, qty)])
            # A cart per order: the next one is a new cart.
        large = queries()
        self.assertEqual((small[1], large[1]), (1, 7))
        self.assertEqual(small[0], large[0])

    def test_viewer_reads_invoices_and_changes_nothing(self):
        """A viewer (the client's accountant) opens the invoice of a colleague's
        reserved order; cancelling, repeating or returning it is refused."""
        order = self._reserved_order(self.buyer_alfa, [(self.hammer, 2)])
        invoice = order._agora_invoices()
        self.assertTrue(invoice)
        self._login(self.viewer_alfa)
        response = self._get(f"/my/orders/{order.id}/invoice/{invoice.id}")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers["Content-Type"], "application/pdf")
        for action in ("cancel", "repeat"):
            with self.subTest(action=action):
                response = self._post(f"/my/orders/{order.id}/{action}")
                self.assertEqual(response.status_code, 404)
        self.assertEqual(self._state(order), "reserve")
        self.assertFalse(self._cart_of(self.viewer_alfa))
        # Beta's buyer gets neither.
        self._login(self.user_beta)
        response = self._get(f"/my/orders/{order.id}/invoice/{invoice.id}")
        self.assertEqual(response.status_code, 404)

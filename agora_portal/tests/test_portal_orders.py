import re
from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .common import AgoraPortalHttpCase


def order_names(html):
    return re.findall(r'href="/my/orders/\d+[^"]*">(S\d+)</a>', html)


@tagged("post_install", "-at_install")
class TestAgoraPortalOrders(AgoraPortalHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=False))

    def test_orders_list_status_filters_search_and_dates(self):
        processing = self._submitted_order(self.user_alfa, [(self.hammer, 1)])
        processing.client_order_ref = "PO-ALFA-1"
        reserved = self._reserved_order(self.user_alfa2, [(self.glue, 2)])
        beta = self._submitted_order(self.user_beta, [(self.paint, 1)])
        cart = self._cart(self.user_alfa, [(self.drill, 1)])
        self._login(self.user_alfa)
        html = self._get("/my/orders").text
        names = order_names(html)
        self.assertCountEqual(names, [processing.name, reserved.name], "the company's, no cart")
        # The Agora menu counts the cart's lines here too, as on every Agora page.
        self.assertRegex(html, r'class="o_agora_cart_count(?![^"]*d-none)[^"]*">1<')
        self.assertNotIn(beta.name, names)
        self.assertNotIn(cart.name, names)
        self.assertRegex(html, r'data-state="processing">\s*Processing')
        self.assertRegex(html, r'data-state="reserve">\s*Reserve')
        self.assertIn("PO-ALFA-1", html)
        by_status = order_names(self._get("/my/orders", params={"filterby": "reserve"}).text)
        self.assertEqual(by_status, [reserved.name])
        by_ref = self._get("/my/orders", params={"search": "alfa-1", "search_in": "ref"}).text
        self.assertEqual(order_names(by_ref), [processing.name])
        by_number = self._get("/my/orders", params={"search": reserved.name}).text
        self.assertEqual(order_names(by_number), [reserved.name])
        reserved.date_order = "2001-06-15 10:00:00"
        dated = self._get(
            "/my/orders", params={"date_from": "2001-06-01", "date_to": "2001-06-30"}
        ).text
        self.assertEqual(order_names(dated), [reserved.name])
        self.assertEqual(
            order_names(self._get("/my/orders", params={"date_to": "2000-01-01"}).text), []
        )

    def test_order_card_status_timeline_history_quantities_invoice(self):
        order = self._reserved_order(self.user_alfa, [(self.hammer, 4), (self.drill, 1)])
        self._login(self.user_alfa)
        response = self._get(f"/my/orders/{order.id}")
        self.assertEqual(response.status_code, 200)
        html = response.text
        self.assertIn('id="agora_status"', html)
        self.assertRegex(html, r'o_agora_step[^"]*bg-primary[^"]*"\s+data-step="reserve"')
        self.assertIn("Reserved until:", html)
        self.assertRegex(html, r"\d+ d \d+ h left")
        # Quantities: 4 hammers ordered and reserved, 1 drill.
        quantities = html[html.index('id="agora_quantities"') :][:3000]
        self.assertRegex(
            quantities,
            r"(?s)Hammer Steel\s*</td>\s*<td[^>]*>4</td>\s*<td[^>]*>4</td>\s*<td[^>]*>0</td>",
        )
        # History: submitted then reserved, with who did it: the client's
        # contact by name, the supplier's staff as the supplier.
        history = html[html.index('id="agora_history"') :][:6000]
        self.assertIn("o_agora_history", history)
        self.assertIn("Status Changed", history)
        self.assertIn(self.company.name, history)
        self.assertNotIn("Sveta Sales", history)
        # The invoice, printable.
        invoice = order._agora_invoices()
        self.assertTrue(invoice)
        self.assertIn(f"/my/orders/{order.id}/invoice/{invoice.id}", html)
        self.assertIn("Not Paid", html)
        pdf = self._get(f"/my/orders/{order.id}/invoice/{invoice.id}")
        self.assertEqual(pdf.status_code, 200)
        self.assertEqual(pdf.headers["Content-Type"], "application/pdf")
        # Tests render reports as HTML (no wkhtmltopdf): the invoice's own document.
        self.assertIn(invoice.name.encode(), pdf.content)
        # A colleague of the same company sees it too.
        self._login(self.user_alfa2)
        self.assertEqual(self._get(f"/my/orders/{order.id}").status_code, 200)

    def test_history_keeps_staff_notes_and_names_from_the_client(self):
        order = self._reserved_order(self.user_alfa, [(self.hammer, 2)])
        order.with_user(self.salesman)._agora_extend_reservation(
            order.agora_reserve_deadline + timedelta(days=3), "Slow payer, call the director"
        )
        self._flush_tracking()
        self._login(self.user_alfa)
        html = self._get(f"/my/orders/{order.id}").text
        history = html[html.index('id="agora_history"') :][:6000]
        self.assertIn("Reservation Deadline Changed", history)
        self.assertNotIn("Slow payer", html)
        self.assertNotIn("Sveta Sales", history)
        # What the client did is theirs, by name.
        self.assertIn("Anna Alfa", history)
        self.assertIn(self.company.name, history)
        # Nor through Odoo's RPC.
        result = self._rpc(
            "/web/dataset/call_kw/agora.order.event/search_read",
            model="agora.order.event",
            method="search_read",
            args=[[("order_id", "=", order.id)]],
            kwargs={"fields": ["description", "new_value_display"]},
        )
        self.assertTrue(result)
        self.assertNotIn("Slow payer", str(result))

    def test_order_card_tells_a_reservation_whose_time_is_over(self):
        """No "reserved until" a past time: until the cron (or staff, should
        Odoo refuse) releases it, the card says the time is over."""
        overdue = self._reserved_order(self.user_alfa, [(self.hammer, 2)])
        overdue.agora_reserve_deadline = fields.Datetime.now() - timedelta(hours=1)
        self._login(self.user_alfa)
        card = self._get(f"/my/orders/{overdue.id}").text
        self.assertIn('data-notice="over"', card)
        self.assertIn("Reservation time over:", card)
        self.assertIn("may be released at any moment", card)
        self.assertNotIn("Reserved until:", card)
        self.assertNotIn("Pay the invoice before this time", card)

    def test_processing_order_is_not_signed_nor_paid_by_the_client(self):
        """Odoo's "Accept & Sign" would confirm the order without the reservation."""
        self.company.portal_confirmation_sign = True
        order = self._submitted_order(self.user_alfa, [(self.hammer, 1)])
        self.assertTrue(order.require_signature)
        self._login(self.user_alfa)
        html = self._get(f"/my/orders/{order.id}").text
        self.assertNotIn("Accept &amp; Sign", html)
        self.assertNotIn("Accept & Sign", html)
        result = self._rpc(f"/my/orders/{order.id}/accept", name="Anna", signature="R0lG")
        self.assertIn("error", result)
        self._post(f"/my/orders/{order.id}/decline", {"decline_message": "no"})
        self.assertEqual(order.state, "draft")
        self.assertEqual(order.agora_state, "processing")

    def test_cancel_before_reserve_only(self):
        order = self._submitted_order(self.user_alfa, [(self.hammer, 1)])
        self._login(self.user_alfa)
        html = self._get(f"/my/orders/{order.id}").text
        self.assertIn("o_agora_cancel_form", html)
        response = self._post(f"/my/orders/{order.id}/cancel", csrf=False)
        self.assertIn(response.status_code, (400, 403))
        self.assertEqual(order.agora_state, "processing")
        response = self._post(f"/my/orders/{order.id}/cancel")
        self.assertIn("was cancelled", response.text)
        self.assertEqual(order.agora_state, "closed")
        self.assertEqual(order.agora_close_reason, "cancelled")
        reserved = self._reserved_order(self.user_alfa, [(self.hammer, 1)])
        self.assertNotIn("o_agora_cancel_form", self._get(f"/my/orders/{reserved.id}").text)
        response = self._post(f"/my/orders/{reserved.id}/cancel")
        self.assertIn("You cannot cancel", response.text)
        self.assertEqual(reserved.agora_state, "reserve")

    def test_repeat_order_into_the_cart(self):
        order = self._submitted_order(self.user_alfa, [(self.hammer, 2), (self.drill, 1)])
        self.drill.sale_ok = False
        self._login(self.user_alfa2)  # a colleague repeats it into their own cart
        response = self._post(f"/my/orders/{order.id}/repeat")
        self.assertTrue(response.url.endswith("/my/cart"))
        self.assertIn("except these", response.text)
        self.assertIn(
            "AGP-DRL-02 Drill Power × 1: The product is not in your assortment.", response.text
        )
        cart = self._cart_of(self.user_alfa2)
        self.assertEqual(cart.order_line.product_id, self.hammer)
        self.assertEqual(cart.order_line.product_uom_qty, 2)
        self.assertFalse(self._cart_of(self.user_alfa))

    def test_return_request_after_shipping(self):
        order = self._shipped_order(self.user_alfa, [(self.hammer, 5)])
        self.assertEqual(order.agora_state, "shipped")
        line = order.order_line
        self._login(self.user_alfa)
        html = self._get(f"/my/orders/{order.id}").text
        self.assertIn(f"/my/orders/{order.id}/return", html)
        form = self._get(f"/my/orders/{order.id}/return").text
        self.assertIn(f'name="qty_{line.id}"', form)
        # The breadcrumbs name the order once (ours, not sale's besides).
        crumbs = re.search(r'(?s)<ol class="[^"]*o_portal_submenu.*?</ol>', form)[0]
        self.assertEqual(crumbs.count(order.name), 1, crumbs)
        # More than shipped: refused, explained, nothing created.
        response = self._post(
            f"/my/orders/{order.id}/return", {f"qty_{line.id}": "6", "reason": "Broken"}
        )
        self.assertEqual(response.status_code, 400)
        self.assertIn("at most 5", response.text)
        self.assertFalse(order.agora_return_request_ids)
        response = self._post(
            f"/my/orders/{order.id}/return", {f"qty_{line.id}": "2", "reason": ""}
        )
        self.assertEqual(response.status_code, 400)
        self.assertFalse(order.agora_return_request_ids)
        response = self._post(
            f"/my/orders/{order.id}/return", {f"qty_{line.id}": "2", "reason": "Broken handles"}
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("Return request", response.text)
        request = order.agora_return_request_ids
        self.assertEqual(request.line_ids.quantity, 2)
        self.assertEqual(request.reason, "Broken handles")
        self.assertEqual(order.agora_state, "return")
        self.assertIn("Broken handles", self._get(f"/my/orders/{order.id}").text)

    def test_return_before_shipping_is_refused(self):
        order = self._reserved_order(self.user_alfa, [(self.hammer, 1)])
        self._login(self.user_alfa)
        response = self._get(f"/my/orders/{order.id}/return")
        self.assertIn("Nothing of this order can be returned", response.text)
        response = self._post(
            f"/my/orders/{order.id}/return", {f"qty_{order.order_line.id}": "1", "reason": "x"}
        )
        self.assertEqual(response.status_code, 400)
        self.assertFalse(order.agora_return_request_ids)

    def test_notifications(self):
        order = self._reserved_order(self.user_alfa, [(self.hammer, 1)])
        Notification = self.env["agora.notification"]
        mine = Notification.search([("partner_id", "=", self.partner_alfa.id)])
        self.assertEqual(len(mine), 2, mine.mapped("agora_state"))
        self._login(self.user_alfa)
        counters = self._rpc(
            "/my/counters", counters=["agora_notification_count", "agora_cart_count"]
        )
        self.assertEqual(counters["agora_notification_count"], 2)
        self.assertEqual(counters["agora_cart_count"], 0)
        home = self._get("/my").text
        self.assertIn("/my/notifications", home)
        self.assertIn("/my/catalog", home)
        html = self._get("/my/notifications").text
        self.assertEqual(html.count('o_agora_unread"'), 2)
        self.assertIn(f"/my/orders/{order.id}", html)
        self.assertLess(html.index("Reserve"), html.index("Processing"), "newest first")
        self.assertTrue(all(mine.mapped("is_read")), "read once seen")
        self.assertEqual(
            self._rpc("/my/counters", counters=["agora_notification_count"])[
                "agora_notification_count"
            ],
            0,
        )
        # The colleague has none: notifications are per contact.
        self._login(self.user_alfa2)
        self.assertIn("You have no notifications", self._get("/my/notifications").text)

    def test_mark_all_read(self):
        self._submitted_order(self.user_alfa, [(self.hammer, 1)])
        self._login(self.user_alfa)
        response = self._post("/my/notifications/mark_all_read", csrf=False)
        self.assertIn(response.status_code, (400, 403))
        Notification = self.env["agora.notification"]
        self.assertTrue(
            Notification.search(
                [("partner_id", "=", self.partner_alfa.id), ("is_read", "=", False)]
            )
        )
        self._post("/my/notifications/mark_all_read")
        self.assertFalse(
            Notification.search(
                [("partner_id", "=", self.partner_alfa.id), ("is_read", "=", False)]
            )
        )

    def test_another_client_reaches_nothing(self):
        order = self._shipped_order(self.user_alfa, [(self.hammer, 2)])
        invoice = order._agora_invoices()
        self._login(self.user_beta)
        gets = [
            f"/my/orders/{order.id}/invoice/{invoice.id}",
            f"/my/orders/{order.id}/return",
        ]
        for url in gets:
            with self.subTest(url=url):
                response = self._get(url)
                self.assertEqual(response.status_code, 404)
                self.assertNotIn(order.name, response.text)
        posts = [
            (f"/my/orders/{order.id}/cancel", {}),
            (f"/my/orders/{order.id}/repeat", {}),
            (f"/my/orders/{order.id}/return", {f"qty_{order.order_line.id}": "1", "reason": "x"}),
        ]
        for url, data in posts:
            with self.subTest(url=url):
                response = self._post(url, data)
                self.assertEqual(response.status_code, 404)
                self.assertNotIn(order.name, response.text)
        # Sale's own card sends the intruder home, revealing nothing.
        response = self._get(f"/my/orders/{order.id}")
        self.assertNotIn(order.name, response.text)
        self.assertNotIn(order.name, self._get("/my/orders").text)
        self.assertFalse(self._cart_of(self.user_beta))
        self.assertFalse(order.agora_return_request_ids)
        self.assertEqual(order.agora_state, "shipped")
        # An invoice of another order through an order of one's own: refused too.
        beta_order = self._reserved_order(self.user_beta, [(self.paint, 1)])
        response = self._get(f"/my/orders/{beta_order.id}/invoice/{invoice.id}")
        self.assertEqual(response.status_code, 404)

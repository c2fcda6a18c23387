import re

from odoo.tests import tagged

from .common import AgoraPortalHttpCase

# What sale_stock's "Shipping Status" column says of an order.
SALE_STOCK_LABELS = ("Not Delivered", "Partially Delivered", "Delivered", "Not Available")


def order_row(html, order):
    """The list's row of ``order``."""
    for row in re.findall(r"(?s)<tr\b.*?</tr>", html):
        # A website in several languages prefixes its links (/ru/my/orders/...).
        if re.search(rf'href="(/[a-z]{{2}}(_[A-Z]{{2}})?)?/my/orders/{order.id}[?"]', row):
            return row
    raise AssertionError(f"{order.name} is not in the list")


@tagged("post_install", "-at_install")
class TestPortalOrderListStatuses(AgoraPortalHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=False))

    def test_list_shows_agora_payment_and_shipment(self):
        processing = self._submitted_order(self.user_alfa, [(self.hammer, 1)])
        reserved = self._reserved_order(self.user_alfa2, [(self.glue, 2)])
        shipped = self._shipped_order(self.user_alfa, [(self.hammer, 2)])
        self._login(self.user_alfa)
        html = self._get("/my/orders").text
        self.assertIn("Payment Status", html)
        for order, payment, shipment in (
            (processing, "Not Paid", "Not Shipped"),
            (reserved, "Not Paid", "Not Shipped"),
            (shipped, "Not Paid", "Shipped"),
        ):
            row = order_row(html, order)
            self.assertRegex(
                row, rf'data-payment-status="{order.agora_payment_status}"[^>]*>\s*{payment}\s*<'
            )
            self.assertRegex(
                row,
                rf'data-delivery-status="{order.agora_delivery_status}"[^>]*>\s*{shipment}\s*<',
            )
        self.assertNotIn('name="order_delivery"', html)
        self.assertNotIn('name="order_delivery_status"', html)
        for label in SALE_STOCK_LABELS:
            self.assertNotIn(label, html)

    def test_list_in_russian(self):
        self.env["res.lang"]._activate_lang("ru_RU")
        self.env["ir.module.module"]._load_module_terms(
            ["agora_orders", "agora_portal", "sale", "sale_stock"], ["ru_RU"]
        )
        self.user_alfa.lang = "ru_RU"
        if "website" in self.env:
            # With website_sale installed, a page speaks the website's languages.
            self.env["website"].search([]).language_ids |= self.env.ref("base.lang_ru")
        processing = self._submitted_order(self.user_alfa, [(self.hammer, 1)])
        shipped = self._shipped_order(self.user_alfa, [(self.hammer, 2)])
        self._login(self.user_alfa)
        html = self._get("/my/orders").text
        self.assertIn("Статус оплаты", html)
        self.assertIn("Статус отгрузки", html)
        self.assertNotIn("Shipping Status", html)
        self.assertNotIn("Недоступно", html)
        processing_row = order_row(html, processing)
        self.assertIn("Обработка", processing_row)
        self.assertRegex(processing_row, r">\s*Не оплачен\s*<")
        self.assertRegex(processing_row, r">\s*Не отгружен\s*<")
        self.assertRegex(order_row(html, shipped), r">\s*Отгружен\s*<")

from odoo.exceptions import ValidationError
from odoo.fields import Command
from odoo.tests import tagged

from .common import AgoraCommon

NBSP = "\N{NO-BREAK SPACE}"


@tagged("post_install", "-at_install")
class TestAgoraHistoryText(AgoraCommon):
    """Quantities and prices in an order's history follow the unit's and the
    currency's precision, and the reader's language."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.kg = cls.env.ref("uom.product_uom_kgm")
        cls.nails = cls._create_product("Nails", "NAI-005", cls.categ_tools, 2.0)
        cls.nails.uom_id = cls.kg

    def _submitted(self, lines, partner=None, user=None):
        order = self._create_order(lines=lines, partner=partner, user=user)
        order.action_agora_submit()
        self._flush_tracking()
        return order

    def _event(self, order, event_type):
        return order.agora_event_ids.filtered(lambda e: e.event_type == event_type)

    def _shown(self, event, lang="en_US"):
        event = event.with_context(lang=lang)
        return event.old_value_display, event.new_value_display

    def _currency(self, code, rounding):
        return self.env["res.currency"].create(
            {"name": code, "symbol": code, "rounding": rounding, "position": "after"}
        )

    def _priced_order(self, currency):
        """A submitted order of Beta (no agreement price list) in ``currency``,
        whose paint costs 1000, then 1234.5."""
        pricelist = self.env["product.pricelist"].create(
            {"name": f"Prices in {currency.name}", "currency_id": currency.id}
        )
        order = (
            self.env["sale.order"]
            .with_user(self.salesman_other)
            .create(
                {
                    "partner_id": self.portal_beta.partner_id.id,
                    "pricelist_id": pricelist.id,
                    "order_line": [
                        Command.create(
                            {"product_id": self.paint.id, "product_uom_qty": 1, "price_unit": 1000}
                        )
                    ],
                }
            )
        )
        self._flush_tracking()
        order.action_agora_submit()
        self._flush_tracking()
        self.assertEqual(order.currency_id, currency)
        order.order_line.price_unit = 1234.5
        return order

    def test_large_quantity_is_not_in_scientific_notation(self):
        order = self._submitted([(self.hammer, 2)])
        order.order_line.product_uom_qty = 1_000_000
        event = self._event(order, "line_qty")
        self.assertEqual(self._shown(event), ("2.00 Units", "1,000,000.00 Units"))

    def test_quantity_keeps_the_unit_precision(self):
        self.env.ref("uom.decimal_product_uom").digits = 3
        order = self._submitted([(self.nails, 1)])
        order.order_line.product_uom_qty = 1234.5678
        order.write(
            {"order_line": [Command.create({"product_id": self.drill.id, "product_uom_qty": 1})]}
        )
        self.assertEqual(self._shown(self._event(order, "line_qty")), ("1.000 kg", "1,234.568 kg"))
        self.assertEqual(self._shown(self._event(order, "line_added")), ("", "1.000 Units"))
        order.order_line.filtered(lambda l: l.product_id == self.drill).unlink()
        self.assertEqual(self._shown(self._event(order, "line_removed")), ("1.000 Units", ""))

    def test_price_follows_the_currency_without_decimals(self):
        order = self._priced_order(self._currency("XZA", 1.0))
        event = self._event(order, "line_price")
        self.assertEqual(self._shown(event), (f"1,000{NBSP}XZA", f"1,235{NBSP}XZA"))

    def test_price_follows_the_currency_with_three_decimals(self):
        order = self._priced_order(self._currency("XZB", 0.001))
        event = self._event(order, "line_price")
        self.assertEqual(self._shown(event), (f"1,000.000{NBSP}XZB", f"1,234.500{NBSP}XZB"))

    def test_the_same_event_in_russian(self):
        self._load_russian()
        order = self._submitted([(self.hammer, 2)])
        order.order_line.product_uom_qty = 1_000_000
        order.order_line.price_unit = 1234.5
        old_qty, new_qty = self._shown(self._event(order, "line_qty"), "ru_RU")
        self.assertTrue(old_qty.startswith("2,00 "), old_qty)
        self.assertTrue(new_qty.startswith(f"1{NBSP}000{NBSP}000,00 "), new_qty)
        currency = order.currency_id

        def amount(number):
            if currency.position == "before":
                return f"{currency.symbol}{NBSP}{number}"
            return f"{number}{NBSP}{currency.symbol}"

        self.assertEqual(
            self._shown(self._event(order, "line_price"), "ru_RU"),
            (amount("90,00"), amount(f"1{NBSP}234,50")),
        )
        # The same records, read in English.
        self.assertEqual(
            self._shown(self._event(order, "line_qty")), ("2.00 Units", "1,000,000.00 Units")
        )

    def test_events_stored_as_text_show_as_they_are(self):
        self._load_russian()
        order = self._submitted([(self.hammer, 2)])
        Event = self.env["agora.order.event"]
        Event._log_batch(
            [
                Event._prepare_log_values(
                    order, "line_qty", old_value="3 Units", new_value="1e+06 Units"
                ),
                Event._prepare_log_values(
                    order, "line_price", old_value="90.00 $", new_value='{"amount": "x"}'
                ),
            ]
        )
        self.assertEqual(self._shown(self._event(order, "line_qty")), ("3 Units", "1e+06 Units"))
        self.assertEqual(
            self._shown(self._event(order, "line_price"), "ru_RU"),
            ("90.00 $", '{"amount": "x"}'),
        )

    def test_return_limit_message_formats_the_quantity(self):
        bricks = self._create_product("Bricks", "BRK-006", self.categ_tools, 1.0, qty=1500)
        order = self._reserved_order(lines=[(bricks, 1500)])
        self._ship(order)
        with self.assertRaisesRegex(ValidationError, r"at most 1,500\.00 Units of"):
            order.order_line._agora_check_return_qty(2000)

from datetime import timedelta
from unittest.mock import patch

from freezegun import freeze_time

from odoo import fields
from odoo.fields import Command
from odoo.tests import TransactionCase, tagged

from .common import AgoraPortalDataMixin


@tagged("post_install", "-at_install")
class TestAgoraCatalogPriceSort(AgoraPortalDataMixin, TransactionCase):
    """Sorting the catalog by price follows the client's price list, whatever
    changes in it or in the products, though the sort keys are stored."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_agora_data()
        cls.hammer_rule = cls.pricelist_alfa.item_ids.filtered(
            lambda item: item.applied_on == "1_product"
        )

    def _sorted(self, sort="price", **kwargs):
        self.env.flush_all()
        self.env.invalidate_all()
        result = (
            self.env["agora.catalog"]
            .with_user(self.user_alfa)
            ._search_page(self.partner_alfa, sort=sort, **kwargs)
        )
        return result["products"].mapped("default_code")

    def _keys(self):
        return self.env["agora.catalog.price"].search(
            [("pricelist_id", "=", self.pricelist_alfa.id)]
        )

    def test_price_sort_uses_the_client_prices(self):
        # Alfa's prices: glue 27, hammer 90 (fixed), saw 180, drill 900.
        expected = ["AGP-GLU-05", "AGP-HAM-01", "AGP-SAW-03", "AGP-DRL-02"]
        self.assertEqual(self._sorted("price"), expected)
        self.assertEqual(self._sorted("price_desc"), list(reversed(expected)))
        self.assertEqual(self._sorted("price", page=2, limit=3), ["AGP-DRL-02"])
        self.assertEqual(self._sorted("price", search="AGP-SAW"), ["AGP-SAW-03"])
        # One key per product of the assortment, at the price list's price.
        keys = {key.product_id.default_code: key.price for key in self._keys()}
        expected_keys = {
            "AGP-GLU-05": 27.0,
            "AGP-HAM-01": 90.0,
            "AGP-SAW-03": 180.0,
            "AGP-DRL-02": 900.0,
        }
        self.assertEqual(keys, expected_keys)
        # Beta's price list has no rule: list prices, and its own keys.
        beta = self.env["agora.catalog"].with_user(self.user_beta)
        result = beta._search_page(self.partner_beta, sort="price")
        self.assertEqual(result["products"], self.paint)

    def test_price_sort_follows_rule_and_product_changes(self):
        self._sorted()
        # A rule changes: the hammer now costs 1,000, more than the drill.
        self.hammer_rule.fixed_price = 1000.0
        self.assertEqual(self._sorted(), ["AGP-GLU-05", "AGP-SAW-03", "AGP-DRL-02", "AGP-HAM-01"])
        # A product's price changes: the glue now costs 0.9 × 2,000.
        self.glue.list_price = 2000.0
        self.assertEqual(self._sorted(), ["AGP-SAW-03", "AGP-DRL-02", "AGP-HAM-01", "AGP-GLU-05"])
        # A rule goes: the hammer is back at 10 % off its 100.
        self.hammer_rule.unlink()
        self.assertEqual(self._sorted(), ["AGP-HAM-01", "AGP-SAW-03", "AGP-DRL-02", "AGP-GLU-05"])
        # A new rule: the saw at a fixed 1.
        self.pricelist_alfa.item_ids = [
            Command.create(
                {
                    "applied_on": "1_product",
                    "product_tmpl_id": self.saw.product_tmpl_id.id,
                    "compute_price": "fixed",
                    "fixed_price": 1.0,
                }
            )
        ]
        self.assertEqual(self._sorted(), ["AGP-SAW-03", "AGP-HAM-01", "AGP-DRL-02", "AGP-GLU-05"])
        # A product new in the assortment is sorted with the others.
        self._agp_product("Nail", "AGP-NAI-07", self.categ_hand, 10.0, 5)
        self.assertEqual(self._sorted()[:2], ["AGP-SAW-03", "AGP-NAI-07"])

    def test_price_sort_follows_a_price_list_based_on_another(self):
        base = self.env["product.pricelist"].create(
            {"name": "AGP Base", "currency_id": self.company.currency_id.id}
        )
        self.hammer_rule.write(
            {
                "compute_price": "percentage",
                "base": "pricelist",
                "base_pricelist_id": base.id,
                "percent_price": 0.0,
            }
        )
        self.assertEqual(self._sorted()[:2], ["AGP-GLU-05", "AGP-HAM-01"])  # hammer 100
        # A rule of the base price list changes the client's order.
        base.item_ids = [
            Command.create(
                {
                    "applied_on": "1_product",
                    "product_tmpl_id": self.hammer.product_tmpl_id.id,
                    "compute_price": "fixed",
                    "fixed_price": 5.0,
                }
            )
        ]
        self.assertEqual(self._sorted()[:2], ["AGP-HAM-01", "AGP-GLU-05"])

    def test_price_sort_follows_a_moved_category(self):
        """A rule on a category reaches the products of a category moved under it."""
        Category = self.env["product.category"]
        sale = Category.create({"name": "AGP Sale", "parent_id": self.categ_tools.id})
        power = Category.create({"name": "AGP Power tools", "parent_id": self.categ_tools.id})
        self.drill.categ_id = power
        self.pricelist_alfa.item_ids = [
            Command.create(
                {
                    "applied_on": "2_product_category",
                    "categ_id": sale.id,
                    "compute_price": "fixed",
                    "fixed_price": 1.0,
                }
            )
        ]
        self.assertEqual(self._sorted()[-1], "AGP-DRL-02")
        # "Power tools" moves under "Sale": the drill now costs 1.
        power.parent_id = sale
        self.assertEqual(self._sorted()[0], "AGP-DRL-02")

    def test_price_sort_follows_dated_rules(self):
        now = fields.Datetime.now()
        self.pricelist_alfa.item_ids = [
            Command.create(
                {
                    "applied_on": "1_product",
                    "product_tmpl_id": self.drill.product_tmpl_id.id,
                    "compute_price": "fixed",
                    "fixed_price": 5.0,
                    "date_start": now + timedelta(days=1),
                    "date_end": now + timedelta(days=3),
                }
            )
        ]
        with freeze_time(now):
            self.assertEqual(self._sorted()[-1], "AGP-DRL-02")
        with freeze_time(now + timedelta(days=2)):
            # The sale starts: the drill is the cheapest.
            self.assertEqual(self._sorted()[0], "AGP-DRL-02")
        with freeze_time(now + timedelta(days=4)):
            # And ends.
            self.assertEqual(self._sorted()[-1], "AGP-DRL-02")

    def test_price_keys_are_computed_once(self):
        self._sorted()
        computed = {key.product_id: key.computed_at for key in self._keys()}
        with freeze_time(fields.Datetime.now() + timedelta(hours=1)):
            self._sorted()
            self._sorted("price_desc")
        self.env.invalidate_all()
        self.assertEqual({key.product_id: key.computed_at for key in self._keys()}, computed)

    def _sorted_while_staff_change(self, change):
        """Sort by price, with ``change`` made while the keys are priced: as
        when staff commit a change after the client's request read its data
        but before it stored the keys it computed."""
        Price = type(self.env["agora.catalog.price"])
        compute_keys = Price._compute_keys

        def compute_keys_then_change(price_model, pricelist, products, date):
            prices = compute_keys(price_model, pricelist, products, date)
            change()
            return prices

        with patch.object(Price, "_compute_keys", compute_keys_then_change):
            return self._sorted()

    def test_keys_priced_before_a_rule_change_are_not_used(self):
        def raise_hammer_price():
            self.hammer_rule.fixed_price = 1000.0

        # The request priced the hammer at 90, before the change: its page says so.
        self.assertEqual(
            self._sorted_while_staff_change(raise_hammer_price),
            ["AGP-GLU-05", "AGP-HAM-01", "AGP-SAW-03", "AGP-DRL-02"],
        )
        # Its keys were stored after the change; the next sort does not use them.
        self.assertEqual(self._sorted(), ["AGP-GLU-05", "AGP-SAW-03", "AGP-DRL-02", "AGP-HAM-01"])
        self.assertEqual(
            self._keys().filtered(lambda key: key.product_id == self.hammer).price, 1000.0
        )

    def test_keys_priced_before_a_product_price_change_are_not_used(self):
        def raise_glue_price():
            self.glue.list_price = 2000.0

        # (The page of that request is not checked: in one test transaction it
        # already sees the product's new version, which a real request would not.)
        self._sorted_while_staff_change(raise_glue_price)
        self.assertEqual(
            self._keys().filtered(lambda key: key.product_id == self.glue).price, 27.0
        )
        # The glue now costs 0.9 × 2,000: the most expensive.
        self.assertEqual(self._sorted(), ["AGP-HAM-01", "AGP-SAW-03", "AGP-DRL-02", "AGP-GLU-05"])
        # The glue's key was priced again.
        self.assertEqual(
            self._keys().filtered(lambda key: key.product_id == self.glue).price, 1800.0
        )

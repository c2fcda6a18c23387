from odoo.exceptions import UserError, ValidationError
from odoo.fields import Command
from odoo.tests import tagged

from ..models.agora_agreement_quantity_rule import QuantityRule
from .common import AgoraCommon

HAMMER_RULE = "multiple of 12, min. 24"


@tagged("post_install", "-at_install")
class TestAgoraQuantityRule(AgoraCommon):
    """Pack sizes and minimums: a product sold by the box of 12, from 24; an
    agreement may set another rule for its client. The client orders quantities
    that fit; staff may accept others, and the history records it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        unit = cls.env.ref("uom.product_uom_unit")
        cls.box_12 = cls.env["uom.uom"].create(
            {"name": "Box of 12", "relative_factor": 12, "relative_uom_id": unit.id}
        )
        cls.box_5 = cls.env["uom.uom"].create(
            {"name": "Box of 5", "relative_factor": 5, "relative_uom_id": unit.id}
        )
        cls.hammer.product_tmpl_id.write(
            {
                "uom_ids": [Command.set((cls.box_12 | cls.box_5).ids)],
                "agora_order_pack_id": cls.box_12.id,
                "agora_order_min_qty": 24,
            }
        )

    def _rules(self, agreement, products):
        return {
            product: agreement._get_quantity_rules(product).get(product.id) for product in products
        }

    def test_the_rule_fits_and_rounds_up(self):
        rule = QuantityRule(multiple=12.0, minimum=24.0, rounding=0.01)
        fits = {24: True, 36: True, 240: True, 12: False, 30: False, 5: False, 35.99: False}
        for qty, expected in fits.items():
            with self.subTest(qty=qty):
                self.assertEqual(rule.fits(qty), expected)
        nearest = {1: 24, 12: 24, 24: 24, 25: 36, 30: 36, 36: 36, 47.5: 48}
        for qty, expected in nearest.items():
            with self.subTest(qty=qty):
                self.assertEqual(rule.nearest(qty), expected)
        # A pack of half a unit (kilograms by the 0.5 kg bag), no minimum.
        half = QuantityRule(multiple=0.5, minimum=0.0, rounding=0.01)
        self.assertTrue(half.fits(2.5))
        self.assertFalse(half.fits(2.3))
        self.assertEqual(half.nearest(2.3), 2.5)
        # A minimum alone.
        minimum = QuantityRule(multiple=0.0, minimum=10.0, rounding=0.01)
        self.assertTrue(minimum.fits(11))
        self.assertEqual(minimum.nearest(3), 10)

    def test_the_product_rule_and_the_agreement_override(self):
        rules = self._rules(self.agreement_alfa, self.hammer | self.drill)
        self.assertEqual((rules[self.hammer].multiple, rules[self.hammer].minimum), (12, 24))
        self.assertIsNone(rules[self.drill], "a product without a rule takes any quantity")
        Agreement = self.env["agora.agreement"]
        self.assertEqual(Agreement._quantity_rule_label(rules[self.hammer]), HAMMER_RULE)
        self.assertEqual(
            Agreement._quantity_rule_refusal(rules[self.hammer], 30),
            "Order rule: multiple of 12, min. 24. 30 does not fit; "
            "the nearest quantity that fits is 36.",
        )
        # Alfa buys the hammer by the box of 5, from 10; Beta keeps the product's rule.
        override = self.env["agora.agreement.quantity.rule"].create(
            {
                "agreement_id": self.agreement_alfa.id,
                "product_tmpl_id": self.hammer.product_tmpl_id.id,
                "pack_id": self.box_5.id,
                "min_qty": 10,
            }
        )
        self.assertEqual(override.rule_text, "multiple of 5, min. 10")
        alfa = self._rules(self.agreement_alfa, self.hammer)[self.hammer]
        self.assertEqual((alfa.multiple, alfa.minimum), (5, 10))
        beta = self._rules(self.agreement_beta, self.hammer)[self.hammer]
        self.assertEqual((beta.multiple, beta.minimum), (12, 24))
        # An override without pack nor minimum lets the client order any quantity.
        override.write({"pack_id": False, "min_qty": 0})
        self.assertEqual(override.rule_text, "Any quantity")
        self.assertIsNone(self._rules(self.agreement_alfa, self.hammer)[self.hammer])

    def test_a_pack_must_be_a_packaging_of_the_product(self):
        pack_of_6 = self.env.ref("uom.product_uom_pack_6")
        with self.assertRaisesRegex(ValidationError, "must be one of its packagings"):
            self.drill.product_tmpl_id.agora_order_pack_id = pack_of_6
        with self.assertRaisesRegex(ValidationError, "is not a packaging of"):
            self.env["agora.agreement.quantity.rule"].create(
                {
                    "agreement_id": self.agreement_alfa.id,
                    "product_tmpl_id": self.hammer.product_tmpl_id.id,
                    "pack_id": pack_of_6.id,
                }
            )
        with self.assertRaises(ValidationError):
            # Removing the packaging the product is ordered by.
            self.hammer.product_tmpl_id.uom_ids = [Command.unlink(self.box_12.id)]

    def test_the_client_cannot_submit_a_quantity_beyond_the_rule(self):
        order = self._create_order(lines=[(self.hammer, 30), (self.drill, 1)])
        with self.assertRaises(UserError) as refusal:
            order.with_user(self.portal_alfa).sudo().action_agora_submit()
        self.assertEqual(
            str(refusal.exception),
            "Please correct these quantities:\n"
            "[HAM-001] Hammer: Order rule: multiple of 12, min. 24. 30 does not fit; "
            "the nearest quantity that fits is 36.",
        )
        self.assertEqual(order.agora_state, "new")
        self.assertFalse(order.agora_submitted_date)
        # Two lines of the same product count together: 12 + 24 = 36 fits.
        order.order_line.filtered(lambda l: l.product_id == self.hammer).product_uom_qty = 12
        order.write(
            {"order_line": [Command.create({"product_id": self.hammer.id, "product_uom_qty": 24})]}
        )
        order.with_user(self.portal_alfa).sudo().action_agora_submit()
        self._flush_tracking()
        self.assertEqual(order.agora_state, "processing")
        self.assertFalse(order.agora_event_ids.filtered(lambda e: e.event_type == "quantity_rule"))

    def test_staff_override_is_recorded_in_the_history(self):
        order = self._create_order(lines=[(self.hammer, 30)])
        order.with_user(self.salesman).action_agora_submit()
        self._flush_tracking()
        self.assertEqual(order.agora_state, "processing")
        overrides = order.agora_event_ids.filtered(lambda e: e.event_type == "quantity_rule")
        self.assertEqual(len(overrides), 1)
        self.assertEqual(overrides.product_id, self.hammer)
        self.assertEqual(overrides.new_value_display, "30.00 Units")
        self.assertEqual(overrides.description, f"Accepted beyond the order rule ({HAMMER_RULE})")
        self.assertEqual(overrides.with_user(self.salesman).user_id, self.salesman)
        line = order.order_line
        self.assertEqual(line.agora_qty_rule, HAMMER_RULE)
        self.assertTrue(line.agora_qty_rule_broken)
        # Staff change the quantity again: a fitting one is no override, another is.
        line.with_user(self.salesman).product_uom_qty = 36
        self.assertFalse(line.agora_qty_rule_broken)
        line.with_user(self.salesman).product_uom_qty = 40
        overrides = order.agora_event_ids.filtered(lambda e: e.event_type == "quantity_rule")
        self.assertEqual(
            sorted(overrides.mapped("new_value_display")),
            ["30.00 Units", "40.00 Units"],
            "one each",
        )
        order.with_user(self.salesman).write(
            {"order_line": [Command.create({"product_id": self.drill.id, "product_uom_qty": 3})]}
        )
        self.assertEqual(
            len(order.agora_event_ids.filtered(lambda e: e.event_type == "quantity_rule")),
            2,
            "the drill has no rule",
        )

    def test_a_product_at_zero_breaks_no_minimum(self):
        """A line emptied by staff, or the line Odoo adds for goods delivered
        beyond the order, orders nothing: no override, no broken rule."""
        order = self._create_order(lines=[(self.drill, 1)])
        order.with_user(self.salesman).action_agora_submit()
        self._flush_tracking()
        order.with_user(self.salesman).write(
            {"order_line": [Command.create({"product_id": self.hammer.id, "product_uom_qty": 0})]}
        )
        line = order.order_line.filtered(lambda l: l.product_id == self.hammer)
        self.assertEqual(line.agora_qty_rule, HAMMER_RULE)
        self.assertFalse(line.agora_qty_rule_broken)
        self.assertFalse(order.agora_event_ids.filtered(lambda e: e.event_type == "quantity_rule"))

    def test_staff_changing_the_unit_is_recorded_too(self):
        order = self._create_order(lines=[(self.hammer, 24)])
        order.with_user(self.salesman).action_agora_submit()
        self._flush_tracking()
        # 24 half-units are 12 units: below the minimum of 24.
        half = self.env["uom.uom"].create(
            {
                "name": "Half",
                "relative_factor": 0.5,
                "relative_uom_id": self.env.ref("uom.product_uom_unit").id,
            }
        )
        self.hammer.product_tmpl_id.uom_ids = [Command.link(half.id)]
        order.order_line.with_user(self.salesman).product_uom_id = half
        override = order.agora_event_ids.filtered(lambda e: e.event_type == "quantity_rule")
        self.assertEqual(override.new_value_display, "12.00 Units")
        self.assertTrue(order.order_line.agora_qty_rule_broken)

    def test_the_client_reads_the_override_in_their_language(self):
        self._load_russian()
        self.portal_alfa.partner_id.lang = "ru_RU"
        order = self._create_order(lines=[(self.hammer, 30)])
        order.with_user(self.salesman).action_agora_submit()
        self._flush_tracking()
        override = order.agora_event_ids.filtered(lambda e: e.event_type == "quantity_rule")
        self.assertEqual(override.description, "Принято сверх условий заказа (кратно 12, мин. 24)")

    def test_staff_are_warned_before_saving_a_quantity_beyond_the_rule(self):
        order = self._create_order(lines=[(self.drill, 1)])
        line = (
            self.env["sale.order.line"]
            .with_user(self.salesman)
            .new({"order_id": order.id, "product_id": self.hammer.id, "product_uom_qty": 30})
        )
        self.assertEqual(line.agora_qty_rule, HAMMER_RULE)
        self.assertTrue(line.agora_qty_rule_broken)
        warning = line._onchange_agora_qty_rule()["warning"]
        self.assertIn("30 does not fit; the nearest quantity that fits is 36.", warning["message"])
        self.assertIn("overrides the client's rule", warning["message"])
        line.product_uom_qty = 36
        self.assertFalse(line.agora_qty_rule_broken)
        self.assertIsNone(line._onchange_agora_qty_rule())

    def test_the_form_counts_the_line_being_edited_once(self):
        """In the order form, the web client sends the order's lines with a
        stale copy of the line being edited (here its first 1 hammer) beside
        the line as it is now (24 hammers): 24 fit the rule, they are not 25."""
        order = self._create_order(lines=[(self.drill, 1)]).with_user(self.salesman)
        Line = self.env["sale.order.line"].with_user(self.salesman)
        form_order = order.new(origin=order)
        stale = Line.new({"product_id": self.hammer.id, "product_uom_qty": 1})
        form_order.order_line = order.order_line | stale
        edited = Line.new(
            {"order_id": form_order.id, "product_id": self.hammer.id, "product_uom_qty": 24}
        )
        self.assertEqual(edited.agora_qty_rule, HAMMER_RULE)
        self.assertFalse(edited.agora_qty_rule_broken)
        self.assertIsNone(edited._onchange_agora_qty_rule())
        edited.product_uom_qty = 30
        self.assertTrue(edited.agora_qty_rule_broken)
        self.assertIn("30 does not fit", edited._onchange_agora_qty_rule()["warning"]["message"])

    def test_reading_the_rules_takes_the_same_queries_for_2_and_20_products(self):
        products = self.hammer | self.drill | self.paint
        for index in range(17):
            products |= self._create_product(f"Nail {index}", f"NAIL-{index}", self.categ_tools, 1)
        products.product_tmpl_id.write(
            {"uom_ids": [Command.link(self.box_12.id)], "agora_order_pack_id": self.box_12.id}
        )
        self.env["agora.agreement.quantity.rule"].create(
            [
                {
                    "agreement_id": self.agreement_alfa.id,
                    "product_tmpl_id": product.product_tmpl_id.id,
                    "min_qty": 24,
                }
                for product in products[1:]
            ]
        )
        agreement = self.agreement_alfa

        def read_rules(count):
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            rules = agreement._get_quantity_rules(
                self.env["product.product"].browse(products[:count].ids)
            )
            self.assertEqual(len(rules), count)
            return self.cr.sql_log_count - before

        read_rules(2)  # warm-up
        self.assertEqual(read_rules(2), read_rules(20))

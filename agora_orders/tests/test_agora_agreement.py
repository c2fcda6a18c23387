from psycopg2 import IntegrityError

from odoo.exceptions import AccessError
from odoo.fields import Command
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import AgoraCommon


@tagged("post_install", "-at_install")
class TestAgoraAgreement(AgoraCommon):
    def test_agreement_sets_price_list_terms_and_prices(self):
        terms = self.env.ref("account.account_payment_term_30days")
        self.agreement_alfa.payment_term_id = terms
        order = self._create_order(lines=[(self.hammer, 1), (self.drill, 1)])
        self.assertEqual(order.agora_agreement_id, self.agreement_alfa)
        self.assertEqual(order.pricelist_id, self.pricelist_alfa)
        self.assertEqual(order.payment_term_id, terms)
        prices = {l.product_id: l.price_unit for l in order.order_line}
        self.assertEqual(prices, {self.hammer: 90.0, self.drill: 1000.0})
        beta = self._create_order(
            partner=self.portal_beta.partner_id, lines=[(self.hammer, 1)], user=self.salesman_other
        )
        self.assertEqual(beta.order_line.price_unit, 100.0)

    def test_assortment_by_category_and_product(self):
        Agreement = self.env["agora.agreement"]
        allowed = self.agreement_alfa._filter_orderable_products(
            self.hammer | self.drill | self.paint
        )
        self.assertEqual(allowed, self.hammer | self.drill)
        self.agreement_alfa.product_ids = [Command.set(self.paint.ids)]
        self.assertEqual(
            self.agreement_alfa._filter_orderable_products(self.hammer | self.paint),
            self.hammer | self.paint,
        )
        # No agreement, or an empty assortment: everything saleable.
        self.paint.sale_ok = False
        everything = Agreement.browse()._filter_orderable_products(self.hammer | self.paint)
        self.assertEqual(everything, self.hammer)
        self.assertEqual(
            self.agreement_beta._filter_orderable_products(self.hammer | self.drill),
            self.hammer | self.drill,
        )

    def test_assortment_follows_the_category_tree(self):
        """The assortment is cached; it still follows every change of the
        agreement's categories and of the category tree."""
        agreement = self.agreement_alfa  # Tools and its subcategories
        self.assertEqual(agreement._filter_orderable_products(self.hammer), self.hammer)
        power = self.env["product.category"].create(
            {"name": "Power tools", "parent_id": self.categ_tools.id}
        )
        grinder = self._create_product("Grinder", "GRN-005", power, 300.0)
        # A new subcategory of an allowed category is allowed.
        self.assertEqual(agreement._filter_orderable_products(grinder), grinder)
        # Moved out of it, it is not.
        power.parent_id = self.categ_paint
        self.assertFalse(agreement._filter_orderable_products(grinder))
        # The agreement's categories change.
        agreement.category_ids = [Command.set(self.categ_paint.ids)]
        self.assertEqual(
            agreement._filter_orderable_products(grinder | self.hammer | self.paint),
            grinder | self.paint,
        )

    def test_one_active_agreement_per_client(self):
        new = self.env["agora.agreement"].create(
            {"partner_id": self.client_alfa.id, "date_start": "2026-02-01"}
        )
        self.assertTrue(new.name.startswith("AGR/"))
        new.with_user(self.manager).action_activate()
        self.assertEqual(self.agreement_alfa.state, "closed")
        self.assertEqual(new.state, "active")
        self.assertEqual(
            self.env["agora.agreement"]._get_active_agreement(self.portal_alfa.partner_id), new
        )
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(IntegrityError),
            self.env.cr.savepoint(),
        ):
            self.agreement_alfa.write({"state": "active"})
            self.env.flush_all()

    def test_agreement_outside_its_dates_is_not_applied(self):
        self.agreement_alfa.date_end = "2026-06-30"
        agreement = self.env["agora.agreement"]._get_active_agreement(
            self.portal_alfa.partner_id, date=self.agreement_alfa.date_end
        )
        self.assertEqual(agreement, self.agreement_alfa)
        later = self.env["agora.agreement"]._get_active_agreement(
            self.portal_alfa.partner_id, date="2026-07-01"
        )
        self.assertFalse(later)

    def test_salesperson_cannot_edit_agreements(self):
        with self.assertRaises(AccessError):
            self.agreement_alfa.with_user(self.salesman).write({"reserve_hours": 1})

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import AgoraCommon


@tagged("post_install", "-at_install")
class TestAgoraCreditLimit(AgoraCommon):
    """Odoo's partner credit limit, checked when staff reserve an order: what
    the client owes, plus the order, may not go beyond it unless a sales
    manager decides so."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.account_use_credit_limit = True

    def _set_limit(self, client, limit):
        client.with_company(self.company).credit_limit = limit
        self._flush_tracking()

    def _submitted(self, lines, partner=None, user=None):
        order = self._create_order(partner=partner, lines=lines, user=user)
        order.with_user(user or self.salesman).action_agora_submit()
        self._flush_tracking()
        return order

    def _money(self, amount):
        return self.company.currency_id.format(amount).replace("\xa0", " ")

    def _open_balance(self, client):
        client.invalidate_recordset(["credit"])
        return client.with_company(self.company).credit

    def _credit_warning(self, order):
        """The credit check's figures on the order's form, as staff read them."""
        order.invalidate_recordset(["agora_credit_exceeded", "agora_credit_warning"])
        return (order.with_user(self.salesman).agora_credit_warning or "").replace("\xa0", " ")

    def test_reservation_within_the_limit_then_refused_until_the_client_pays(self):
        # 10 hammers: one order's worth; the limit holds one and a half.
        first = self._submitted([(self.hammer, 10)])
        total = first.amount_total
        self.assertGreater(total, 0)
        self._set_limit(self.client_alfa, total * 1.5)
        self.assertFalse(first.agora_credit_exceeded)
        first.with_user(self.salesman).action_agora_reserve()
        self.assertEqual(first.agora_state, "reserve")
        # Its invoice is what Alfa owes now.
        self.assertAlmostEqual(self._open_balance(self.client_alfa), total)

        second = self._submitted([(self.hammer, 10)])
        self.assertTrue(second.agora_credit_exceeded)
        # The form shows staff the same figures as the refusal.
        warning = self._credit_warning(second)
        for figure in (total * 1.5, total, total * 2):
            self.assertIn(self._money(figure), warning)
        self.assertFalse(self._credit_warning(first))
        with self.assertRaises(UserError) as refusal:
            second.with_user(self.salesman).action_agora_reserve()
        message = str(refusal.exception)
        self.assertIn(second.name, message)
        self.assertIn("beyond their credit limit", message)
        currency = self.company.currency_id
        for figure in (total * 1.5, total, total * 2):
            self.assertIn(
                currency.format(figure).replace("\xa0", " "), message.replace("\xa0", " ")
            )
        # Nothing of the reservation happened: no confirmation, invoice or stock.
        self.assertEqual(second.agora_state, "processing")
        self.assertEqual(second.state, "draft")
        self.assertFalse(second.invoice_ids)
        self.assertFalse(second.picking_ids)

        # Alfa pays the first invoice: room again, and the second is reserved.
        self._pay(first.invoice_ids)
        second.invalidate_recordset(["agora_credit_exceeded"])
        self.assertFalse(second.agora_credit_exceeded)
        second.with_user(self.salesman).action_agora_reserve()
        self.assertEqual(second.agora_state, "reserve")
        self.assertEqual(second.invoice_ids.state, "posted")
        self.assertEqual(second.picking_ids.move_ids.quantity, 10)

    def test_orders_reserved_one_after_the_other_count_the_earlier_ones(self):
        """Reserving issues an invoice: the next reservation, in the same
        transaction (a script, a server action), counts it."""
        first = self._submitted([(self.hammer, 10)])
        second = self._submitted([(self.hammer, 10)])
        self._set_limit(self.client_alfa, first.amount_total * 1.5)
        first.with_user(self.salesman).action_agora_reserve()
        with self.assertRaises(UserError):
            second.with_user(self.salesman).action_agora_reserve()
        self.assertEqual(second.agora_state, "processing")
        self.assertFalse(second.invoice_ids)

    def test_the_limit_is_exact(self):
        order = self._submitted([(self.hammer, 10)])
        self._set_limit(self.client_alfa, order.amount_total)
        self.assertFalse(order.agora_credit_exceeded)
        order.with_user(self.salesman).action_agora_reserve()
        self.assertEqual(order.agora_state, "reserve")

    def test_orders_reserved_together_add_up(self):
        first = self._submitted([(self.hammer, 10)])
        second = self._submitted([(self.hammer, 10)])
        self._set_limit(self.client_alfa, first.amount_total * 1.5)
        # Each fits alone, not both.
        self.assertFalse(first.agora_credit_exceeded)
        self.assertFalse(second.agora_credit_exceeded)
        # Read together (a list, the filter), each is still on its own.
        both = (first | second).with_user(self.salesman)
        both.invalidate_recordset(["agora_credit_exceeded"])
        self.assertEqual(both.mapped("agora_credit_exceeded"), [False, False])
        over = [("id", "in", both.ids), ("agora_credit_exceeded", "=", True)]
        self.assertFalse(both.search(over))
        with self.assertRaises(UserError) as refusal:
            both.action_agora_reserve()
        message = str(refusal.exception)
        self.assertIn(second.name, message)
        self.assertNotIn(first.name, message)
        self.assertIn("the other orders reserved with it", message)
        self.assertEqual((first | second).mapped("agora_state"), ["processing", "processing"])
        self.assertFalse((first | second).invoice_ids)

    def test_each_client_has_its_own_limit(self):
        beta_order = self._submitted(
            [(self.paint, 10)], partner=self.portal_beta.partner_id, user=self.salesman_other
        )
        alfa_order = self._submitted([(self.hammer, 10)])
        self._set_limit(self.client_alfa, 1.0)
        self.assertTrue(alfa_order.agora_credit_exceeded)
        self.assertFalse(beta_order.agora_credit_exceeded)
        beta_order.with_user(self.salesman_other).action_agora_reserve()
        self.assertEqual(beta_order.agora_state, "reserve")

    def test_staff_filter_the_orders_over_the_limit(self):
        over = self._submitted([(self.hammer, 10)])
        beta_order = self._submitted(
            [(self.paint, 10)], partner=self.portal_beta.partner_id, user=self.salesman_other
        )
        small = self._submitted([(self.hammer, 1)])
        self._set_limit(self.client_alfa, small.amount_total * 2)
        self._set_limit(self.client_beta, beta_order.amount_total * 2)
        SaleOrder = self.env["sale.order"].with_user(self.manager)
        mine = [("id", "in", (over | beta_order | small).ids)]
        self.assertEqual(SaleOrder.search([*mine, ("agora_credit_exceeded", "=", True)]), over)
        self.assertEqual(
            SaleOrder.search([*mine, ("agora_credit_exceeded", "=", False)]), beta_order | small
        )
        # Reserved by a manager, it waits no more; and now that Alfa owes it,
        # Alfa's small order goes beyond the limit in turn.
        over.with_user(self.manager)._agora_reserve_over_credit_limit("Paid in cash at the depot")
        self.assertEqual(SaleOrder.search([*mine, ("agora_credit_exceeded", "=", True)]), small)
        # The reserved order reads as the search finds it: nothing ahead.
        over.invalidate_recordset(["agora_credit_exceeded"])
        self.assertFalse(over.agora_credit_exceeded)
        self.assertEqual(
            SaleOrder.search([*mine, ("agora_credit_exceeded", "in", [True, False])]),
            over | beta_order | small,
        )

    def test_the_filter_costs_the_same_for_more_orders(self):
        """The filter sums each client's receivable once, whatever the number
        of its orders waiting."""
        self._set_limit(self.client_alfa, 1.0)
        self._set_limit(self.client_beta, 1.0)
        SaleOrder = self.env["sale.order"].with_user(self.manager)

        def queries():
            self._flush_tracking()
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            found = SaleOrder.search([("agora_credit_exceeded", "=", True)])
            return self.cr.sql_log_count - before, len(found)

        def orders(count):
            beta = self.portal_beta.partner_id
            for _index in range(count):
                self._submitted([(self.hammer, 1)])
                self._submitted([(self.paint, 1)], partner=beta, user=self.salesman_other)

        orders(1)
        queries()  # warm-up
        few, found = queries()
        self.assertEqual(found, 2)
        orders(5)
        queries()
        many, found = queries()
        self.assertEqual(found, 12)
        self.assertEqual(few, many)

    def test_no_limit_without_the_accounting_setting(self):
        self.company.account_use_credit_limit = False
        order = self._submitted([(self.hammer, 10)])
        self._set_limit(self.client_alfa, 1.0)
        self.assertFalse(order.agora_credit_exceeded)
        self.assertEqual(order._agora_client_credit_notice(), {})
        order.with_user(self.salesman).action_agora_reserve()
        self.assertEqual(order.agora_state, "reserve")

    def test_a_sales_manager_reserves_beyond_the_limit_with_a_reason(self):
        order = self._submitted([(self.hammer, 10)])
        self._set_limit(self.client_alfa, order.amount_total / 2)
        self.assertTrue(order.agora_credit_exceeded)

        # A salesperson may not, through the button or RPC.
        with self.assertRaises(AccessError):
            order.with_user(self.salesman).action_agora_reserve_over_credit_limit()
        with self.assertRaises(AccessError):
            order.with_user(self.salesman)._agora_reserve_over_credit_limit("trust me")
        with self.assertRaises(AccessError):
            self.env["agora.credit.override.wizard"].with_user(self.salesman).create(
                {"order_id": order.id, "reason": "trust me"}
            )
        self.assertEqual(order.agora_state, "processing")

        action = order.with_user(self.manager).action_agora_reserve_over_credit_limit()
        wizard = (
            self.env[action["res_model"]]
            .with_user(self.manager)
            .with_context(**action["context"])
            .create({"reason": "  "})
        )
        self.assertIn(
            self.company.currency_id.format(order.amount_total / 2), wizard.credit_figures
        )
        # A reason is required.
        with self.assertRaises(UserError):
            wizard.action_reserve()
        self.assertEqual(order.agora_state, "processing")

        wizard.reason = "Director guaranteed payment by Friday"
        wizard.action_reserve()
        self._flush_tracking()
        self.assertEqual(order.agora_state, "reserve")
        self.assertEqual(order.invoice_ids.state, "posted")
        self.assertEqual(order.picking_ids.move_ids.quantity, 10)
        event = order.agora_event_ids.filtered(lambda e: e.event_type == "credit")
        self.assertEqual(len(event), 1)
        self.assertEqual(event.user_id, self.manager)
        self.assertEqual(event.new_value_display, "Approved")
        self.assertIn("Director guaranteed payment by Friday", event.internal_note)
        self.assertIn("Maria Manager", event.internal_note)
        self.assertIn(
            self._money(order.amount_total / 2), event.internal_note.replace("\xa0", " ")
        )
        # The client sees the decision, never the figures nor the reason.
        self.assertFalse(event.description)

    def test_the_override_is_for_orders_beyond_the_limit_only(self):
        order = self._submitted([(self.hammer, 10)])
        self._set_limit(self.client_alfa, order.amount_total * 10)
        with self.assertRaises(UserError):
            order.with_user(self.manager)._agora_reserve_over_credit_limit("why not")
        self.assertEqual(order.agora_state, "processing")
        # Nor for an order not submitted yet.
        cart = self._create_order(lines=[(self.hammer, 10)])
        self._set_limit(self.client_alfa, 1.0)
        with self.assertRaises(UserError):
            cart.with_user(self.manager)._agora_reserve_over_credit_limit("why not")
        self.assertEqual(cart.agora_state, "new")

    def test_the_client_sees_their_open_balance_never_the_limit(self):
        reserved = self._reserved_order(lines=[(self.hammer, 10)])
        owed = reserved.amount_total
        cart = self._create_order(lines=[(self.hammer, 10)])
        self._set_limit(self.client_alfa, owed * 1.5)

        # In the cart, before submitting: a warning, with their balance.
        notice = cart._agora_client_credit_notice()
        self.assertAlmostEqual(notice["balance"], owed)
        self.assertEqual(notice["currency"], self.company.currency_id)
        self.assertFalse(notice["awaiting"])
        # Their balance, and nothing of the supplier's figures.
        self.assertEqual(set(notice), {"balance", "currency", "awaiting"})

        # Submitted: it waits for the credit check.
        cart.action_agora_submit()
        self.assertTrue(cart._agora_client_credit_notice()["awaiting"])
        self.assertTrue(cart._agora_awaits_credit_check())

        # A smaller order fits: no notice.
        small = self._create_order(lines=[(self.hammer, 1)])
        self.assertEqual(small._agora_client_credit_notice(), {})
        # Nor on the reserved order, whatever the balance.
        self.assertEqual(reserved._agora_client_credit_notice(), {})

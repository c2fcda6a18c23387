from odoo.fields import Command
from odoo.modules.module import get_manifest
from odoo.tests import TransactionCase, tagged
from odoo.tools import convert_file

from .common import AgoraCommon


@tagged("post_install", "-at_install")
class TestAgoraHistory(AgoraCommon):
    """An order's history, its client's notifications and status emails follow
    every change of its statuses, however it was made: mail tracking plays no
    part in them."""

    def _state_steps(self, order):
        events = order.agora_event_ids.filtered(lambda e: e.event_type == "state")
        return [(event.old_value, event.new_value) for event in events.sorted("id")]

    def _client_mails(self, order):
        return self._new_mails.filtered(
            lambda m: (
                m.model == "sale.order"
                and m.res_id == order.id
                and order.partner_id in m.recipient_ids
            )
        )

    def test_order_moved_in_the_transaction_that_creates_it_has_its_history(self):
        """Created, submitted and reserved in one transaction, with tracking
        disabled (an import, an API call, demo data): each step is in the
        history, and the client is notified and emailed its current status."""
        Order = (
            self.env["sale.order"]
            .with_user(self.salesman)
            .with_context(tracking_disable=True, mail_notrack=True)
        )
        with self.mock_mail_gateway():
            order = Order.create(
                {
                    "partner_id": self.portal_alfa.partner_id.id,
                    "order_line": [Command.create({"product_id": self.hammer.id})],
                }
            )
            order.action_agora_submit()
            order.action_agora_reserve()
            self._flush_tracking()
        self.assertEqual(order.agora_state, "reserve")
        self.assertEqual(
            self._state_steps(order), [("new", "processing"), ("processing", "reserve")]
        )
        self.assertEqual(order.agora_event_ids.user_id, self.salesman)
        notifications = self.env["agora.notification"].search([("order_id", "=", order.id)])
        self.assertEqual(notifications.mapped("agora_state"), ["reserve"])
        self.assertEqual(notifications.partner_id, self.portal_alfa.partner_id)
        mail = self._client_mails(order)
        self.assertEqual(len(mail), 1)
        self.assertIn("Reserve", mail.subject)
        self.assertTrue(mail.attachment_ids, "the invoice goes with the Reserve email")

    def test_payment_and_delivery_without_tracking_are_in_the_history(self):
        """A payment and a delivery recorded with tracking disabled still
        move the order, with their events, the client's notices and emails."""
        order = self._reserved_order(lines=[(self.hammer, 2)])
        quiet = {"tracking_disable": True, "mail_notrack": True}
        invoice = order.invoice_ids
        with self.mock_mail_gateway():
            self.env["account.payment.register"].with_context(
                active_model="account.move", active_ids=invoice.ids, **quiet
            ).create({})._create_payments()
            self._flush_tracking()
        self.assertEqual(order.agora_state, "paid")
        self.assertEqual(len(self._client_mails(order)), 1)
        with self.mock_mail_gateway():
            self._validate_picking(order.picking_ids.with_context(**quiet))
        self.assertEqual(order.agora_state, "closed")
        self.assertEqual(
            self._state_steps(order),
            [
                ("new", "processing"),
                ("processing", "reserve"),
                ("reserve", "paid"),
                ("paid", "closed"),
            ],
        )
        kinds = order.agora_event_ids.sorted("id").mapped(lambda e: (e.event_type, e.new_value))
        self.assertIn(("payment", "paid"), kinds)
        self.assertIn(("shipment", "shipped"), kinds)
        self.assertEqual(
            self.env["agora.notification"]
            .search([("order_id", "=", order.id)], order="id")
            .mapped("agora_state"),
            ["processing", "reserve", "paid", "closed"],
        )
        self.assertEqual(len(self._client_mails(order)), 1, "the Closed email")

    def test_each_change_names_who_made_it_within_one_transaction(self):
        """Two people moving the same order in one transaction: each step of
        the history names its own author."""
        order = self._create_order()
        order.with_user(self.salesman).action_agora_submit()
        self.assertEqual(order.agora_state, "processing")
        order.with_user(self.manager).action_agora_reserve()
        self._flush_tracking()
        events = order.agora_event_ids.filtered(lambda e: e.event_type == "state").sorted("id")
        self.assertEqual(
            [(e.new_value, e.user_id) for e in events],
            [("processing", self.salesman), ("reserve", self.manager)],
        )

    def test_orders_made_before_the_module_get_no_invented_history(self):
        """Installed on a database with orders, the module derives their
        statuses without a history step, a notification or an email for them;
        their next change is recorded as usual."""
        order = self._reserved_order(lines=[(self.hammer, 1)])
        events_before = order.agora_event_ids
        notices = self.env["agora.notification"].search([("order_id", "=", order.id)])
        # The order as the install finds it: made earlier, statuses not derived yet.
        self.env.cr.execute(
            "UPDATE sale_order SET agora_state = NULL, agora_payment_status = NULL,"
            " agora_delivery_status = NULL, create_date = create_date - interval '1 day'"
            " WHERE id = %s",
            [order.id],
        )
        self.env.invalidate_all()
        SaleOrder = self.env["sale.order"]
        for fname in ("agora_state", "agora_payment_status", "agora_delivery_status"):
            self.env.add_to_compute(SaleOrder._fields[fname], order)
        with self.mock_mail_gateway():
            self._flush_tracking()
        self.assertEqual(order.agora_state, "reserve")
        self.assertEqual(order.agora_event_ids, events_before)
        self.assertEqual(
            self.env["agora.notification"].search([("order_id", "=", order.id)]), notices
        )
        self.assertFalse(self._client_mails(order))
        self._pay(order.invoice_ids)
        self.assertEqual(self._state_steps(order)[-1], ("reserve", "paid"))

    def test_change_rolled_back_with_its_savepoint_leaves_no_history(self):
        """A change undone (its savepoint rolled back) is not in the history,
        and the client is told nothing of it."""
        order = self._create_order()
        with self.assertRaises(ValueError), self.env.cr.savepoint():
            order.action_agora_submit()
            self.assertEqual(order.agora_state, "processing")
            raise ValueError("undone")
        self._flush_tracking()
        self.env.invalidate_all()
        self.assertEqual(order.agora_state, "new")
        self.assertFalse(order.agora_event_ids)
        self.assertFalse(self.env["agora.notification"].search([("order_id", "=", order.id)]))


@tagged("post_install", "-at_install")
class TestAgoraDemoHistory(TransactionCase):
    """A new demo database shows each order's history."""

    def test_demo_orders_show_their_history_and_notifications(self):
        """Every demo order past New has its steps in its history, and its
        client a notification of its current status: the module's demo data,
        loaded here as a demo database loads it."""
        for filename in get_manifest("agora_orders")["demo"]:
            convert_file(self.env, "agora_orders", filename, {}, mode="init", noupdate=True)
        self.env.flush_all()
        self.env.cr.flush()
        demo_orders = self.env["sale.order"].browse(
            self.env["ir.model.data"]
            .search([("module", "=", "agora_orders"), ("model", "=", "sale.order")])
            .mapped("res_id")
        )
        submitted = demo_orders.filtered(lambda o: o.agora_state != "new")
        self.assertEqual(
            set(submitted.mapped("agora_state")),
            {"processing", "reserve", "paid", "shipped", "return", "closed"},
        )
        for order in submitted:
            with self.subTest(order=order.name, state=order.agora_state):
                events = order.agora_event_ids.filtered(lambda e: e.event_type == "state")
                steps = [(e.old_value, e.new_value) for e in events.sorted("id")]
                self.assertEqual(steps[0][0], "new")
                self.assertEqual(steps[-1][1], order.agora_state)
                notice = self.env["agora.notification"].search(
                    [("order_id", "=", order.id)], order="id desc", limit=1
                )
                self.assertEqual(notice.agora_state, order.agora_state)

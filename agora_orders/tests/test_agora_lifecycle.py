from odoo.fields import Command
from odoo.tests import tagged

from .common import AgoraCommon


@tagged("post_install", "-at_install")
class TestAgoraLifecycle(AgoraCommon):
    def test_full_lifecycle_with_history_notifications_and_emails(self):
        order = self._create_order(lines=[(self.hammer, 2), (self.drill, 1)])
        self.assertEqual(order.agora_state, "new")
        with self.mock_mail_gateway():
            order.action_agora_submit()
            self._flush_tracking()
        self.assertEqual(order.agora_state, "processing")
        self.assertTrue(order.agora_submitted_date)
        # Customer service is asked to review it.
        activity = order.activity_ids
        self.assertEqual(activity.user_id, self.salesman)
        self.assertIn(order.name, activity.summary)
        # The client is told, in their own email, with a link to the portal.
        client_mails = self._new_mails.filtered(
            lambda m: self.portal_alfa.partner_id in m.recipient_ids
        )
        self.assertEqual(len(client_mails), 1)
        self.assertIn("Processing", client_mails.subject)
        self.assertIn(order.get_portal_url(), client_mails.body_html)

        with self.mock_mail_gateway():
            order.action_agora_reserve()
            self._flush_tracking()
        self.assertEqual(order.agora_state, "reserve")
        self.assertEqual(order.state, "sale")
        invoice = order.invoice_ids
        self.assertRecordValues(
            invoice,
            [{"state": "posted", "move_type": "out_invoice", "amount_untaxed": 2 * 90.0 + 1000.0}],
        )
        # Reserved against ordered, per line.
        self.assertEqual(order.order_line.mapped("agora_qty_reserved"), [2.0, 1.0])
        self.assertFalse(order.activity_ids, "the review is done once reserved")
        reserve_mail = self._new_mails.filtered(lambda m: "Reserve" in (m.subject or ""))
        self.assertEqual(len(reserve_mail), 1)
        self.assertTrue(reserve_mail.attachment_ids, "the invoice goes with the Reserve email")

        self._pay(invoice)
        self.assertRecordValues(
            order,
            [{"agora_state": "paid", "agora_payment_status": "paid", "agora_amount_unpaid": 0.0}],
        )
        self._ship(order)
        self.assertRecordValues(
            order,
            [
                {
                    "agora_state": "closed",
                    "agora_close_reason": "done",
                    "agora_delivery_status": "shipped",
                }
            ],
        )

        states = order.agora_event_ids.filtered(lambda e: e.event_type == "state").sorted("id")
        # Shipping the paid order completes it at once: Paid -> Closed.
        self.assertEqual(states.mapped("new_value"), ["processing", "reserve", "paid", "closed"])
        self.assertEqual(
            states.mapped("new_value_display"), ["Processing", "Reserve", "Paid", "Closed"]
        )
        self.assertTrue(order.agora_event_ids.filtered(lambda e: e.event_type == "payment"))
        self.assertTrue(order.agora_event_ids.filtered(lambda e: e.event_type == "shipment"))
        notifications = self.env["agora.notification"].search([("order_id", "=", order.id)])
        self.assertEqual(len(notifications), 4)
        self.assertEqual(notifications.partner_id, self.portal_alfa.partner_id)
        self.assertFalse(any(notifications.mapped("is_read")))

    def test_reserve_email_carries_the_invoice_form_of_the_company(self):
        order = self._create_order()
        order.action_agora_submit()
        self._flush_tracking()
        self.company.agora_ru_invoice_form = True
        with self.mock_mail_gateway():
            order.action_agora_reserve()
            self._flush_tracking()
        mail = self._new_mails.filtered(lambda m: "Reserve" in (m.subject or ""))
        self.assertEqual(len(mail.attachment_ids), 1)
        # Test mode renders reports as HTML: the attachment is the Russian form.
        self.assertIn("Счёт на оплату", mail.attachment_ids.raw.decode())
        self.assertIn(order.invoice_ids.name, mail.attachment_ids.name)

    def test_history_reads_in_the_readers_language(self):
        self._load_russian()
        order = self._reserved_order()
        event = order.agora_event_ids.filtered(
            lambda e: e.event_type == "state" and e.new_value == "reserve"
        )
        self.assertEqual(event.old_value, "processing")
        self.assertEqual(event.with_context(lang="en_US").new_value_display, "Reserve")
        self.assertEqual(event.with_context(lang="ru_RU").new_value_display, "Резерв")
        self.assertEqual(event.with_context(lang="ru_RU").old_value_display, "Обработка")

    def test_one_email_per_status_in_client_language(self):
        self._load_russian()
        self.portal_alfa.partner_id.lang = "ru_RU"
        for state in ("processing", "reserve", "paid", "shipped", "return", "closed"):
            template = self.env.ref(f"agora_orders.mail_template_agora_state_{state}")
            self.assertEqual(template.partner_to, "{{ object.partner_id.id }}")
            self.assertEqual(template.lang, "{{ object.partner_id.lang }}")
        order = self._create_order()
        beta = self._create_order(
            partner=self.portal_beta.partner_id, lines=[(self.paint, 1)], user=self.salesman_other
        )
        with self.mock_mail_gateway():
            order.action_agora_submit()
            beta.action_agora_submit()
            self._flush_tracking()
            order.action_agora_reserve()
            self._flush_tracking()
        mails = self._new_mails.filtered(lambda m: self.portal_alfa.partner_id in m.recipient_ids)
        self.assertEqual(len(mails), 2, "one email per status change")
        self.assertEqual(
            [m.subject.rsplit("«", 1)[-1] for m in mails.sorted("id")],
            ["Обработка»", "Резерв»"],
        )
        self.assertIn("Здравствуйте", mails[0].body_html)
        english = self._new_mails.filtered(
            lambda m: self.portal_beta.partner_id in m.recipient_ids
        )
        self.assertIn("is now Processing", english.subject, "a client without Russian: English")

    def test_partial_payment_then_full(self):
        order = self._reserved_order(lines=[(self.hammer, 10)])
        invoice = order.invoice_ids
        self._pay(invoice, amount=invoice.amount_total / 2)
        self.assertRecordValues(
            order, [{"agora_state": "paid", "agora_payment_status": "partial"}]
        )
        self.assertAlmostEqual(order.agora_amount_unpaid, invoice.amount_total / 2)
        self._pay(invoice)
        self.assertRecordValues(order, [{"agora_state": "paid", "agora_payment_status": "paid"}])

    def test_partial_shipment_then_full(self):
        order = self._reserved_order(lines=[(self.hammer, 10)])
        self._pay(order.invoice_ids)
        self._ship(order, {self.hammer: 4})
        self.assertRecordValues(
            order,
            [
                {
                    "agora_state": "shipped",
                    "agora_delivery_status": "partial",
                    "agora_close_reason": False,
                }
            ],
        )
        self.assertEqual(order.order_line.agora_qty_shipped, 4.0)
        self._ship(order)
        self.assertRecordValues(
            order,
            [
                {
                    "agora_state": "closed",
                    "agora_delivery_status": "shipped",
                    "agora_close_reason": "done",
                }
            ],
        )

    def test_client_with_payment_terms_is_shipped_before_paying(self):
        terms = self.env.ref("account.account_payment_term_30days")
        self.agreement_beta.payment_term_id = terms
        order = self._create_order(
            partner=self.portal_beta.partner_id, lines=[(self.paint, 3)], user=self.salesman_other
        )
        self.assertEqual(order.payment_term_id, terms)
        order.action_agora_submit()
        order.action_agora_reserve()
        self._ship(order)
        self.assertRecordValues(
            order,
            [
                {
                    "agora_state": "shipped",
                    "agora_payment_status": "not_paid",
                    "agora_delivery_status": "shipped",
                }
            ],
        )
        self._pay(order.invoice_ids)
        self.assertRecordValues(order, [{"agora_state": "closed", "agora_close_reason": "done"}])

    def test_delivery_policy_products_are_invoiced_at_reserve(self):
        order = self._reserved_order(lines=[(self.delivery_policy_product, 2)])
        self.assertEqual(order.invoice_ids.invoice_line_ids.quantity, 2.0)
        self.assertEqual(order.order_line.qty_invoiced, 2.0)

    def test_line_changes_are_recorded_after_submission(self):
        order = self._create_order(lines=[(self.hammer, 2)])
        order.order_line.product_uom_qty = 3
        self.assertFalse(order.agora_event_ids, "a cart's own edits are not history yet")
        order.action_agora_submit()
        self._flush_tracking()
        order.order_line.product_uom_qty = 5
        order.order_line.price_unit = 80.0
        order.write(
            {"order_line": [Command.create({"product_id": self.drill.id, "product_uom_qty": 1})]}
        )
        order.order_line.filtered(lambda l: l.product_id == self.drill).unlink()
        events = order.agora_event_ids.filtered(lambda e: e.event_type != "state").sorted("id")
        # As a reader sees them: in the unit's and the currency's precision.
        currency = order.currency_id
        self.assertEqual(
            [
                (e.event_type, e.product_id, e.old_value_display, e.new_value_display)
                for e in events
            ],
            [
                ("line_qty", self.hammer, "3.00 Units", "5.00 Units"),
                ("line_price", self.hammer, currency.format(90.0), currency.format(80.0)),
                ("line_added", self.drill, "", "1.00 Units"),
                ("line_removed", self.drill, "1.00 Units", ""),
            ],
        )
        self.assertEqual(events.user_id, self.salesman, "who made the change")

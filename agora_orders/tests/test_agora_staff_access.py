from datetime import timedelta

from lxml import html

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.fields import Command
from odoo.tests import tagged

from .common import AgoraCommon


@tagged("post_install", "-at_install")
class TestAgoraStaffAccess(AgoraCommon):
    """What staff may change directly (RPC included), and what only the
    order's and the return's own actions change."""

    def _shipped_order_with_return(self, partner, user, product):
        order = self._reserved_order(lines=[(product, 4)], partner=partner, user=user)
        self._pay(order.invoice_ids)
        self._ship(order)
        line = order.order_line.filtered(lambda l: l.product_id == product)
        request = (
            self.env["agora.return.request"]
            .sudo()
            ._create_for_client(order, {line.id: 2}, "Two cans dented")
        )
        self._flush_tracking()
        return order, request.sudo(False)

    def test_return_lines_change_only_through_the_clients_request(self):
        """The lines' quantities make the credit note: no salesperson edits
        them, and none sees another salesperson's."""
        _own_order, own_request = self._shipped_order_with_return(
            self.portal_alfa.partner_id, self.salesman, self.hammer
        )
        _other_order, other_request = self._shipped_order_with_return(
            self.portal_beta.partner_id, self.salesman_other, self.paint
        )
        Line = self.env["agora.return.request.line"].with_user(self.salesman)
        self.assertEqual(
            Line.search([("request_id", "in", (own_request | other_request).ids)]),
            own_request.line_ids,
            "a salesperson sees the return lines of their own clients only",
        )
        with self.assertRaises(AccessError):
            Line.create(
                {
                    "request_id": other_request.id,
                    "sale_line_id": other_request.line_ids.sale_line_id.id,
                    "quantity": 1,
                }
            )
        with self.assertRaises(AccessError):
            own_request.line_ids.with_user(self.salesman).write({"quantity": 4})
        with self.assertRaises(AccessError):
            own_request.line_ids.with_user(self.salesman).unlink()
        with self.assertRaises(AccessError):
            other_request.line_ids.with_user(self.salesman).read(["quantity"])
        self.assertEqual(own_request.line_ids.quantity, 2.0)
        self.assertEqual(len(other_request.line_ids), 1)

        # The quantities the client asked for are what gets credited.
        own_request.with_user(self.salesman).action_approve()
        picking = own_request.picking_ids
        self._validate_picking(picking)
        self.assertEqual(own_request.state, "done")
        self.assertEqual(own_request.credit_note_id.invoice_line_ids.quantity, 2.0)

    def test_return_status_changes_only_through_its_actions(self):
        _order, request = self._shipped_order_with_return(
            self.portal_alfa.partner_id, self.salesman, self.hammer
        )
        as_salesman = request.with_user(self.salesman)
        for vals in (
            {"state": "done"},
            {"state": "rejected"},
            {"reject_reason": "Because"},
            {"credit_note_id": self.env["account.move"].search([], limit=1).id},
        ):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                as_salesman.write(vals)
        self.assertRecordValues(request, [{"state": "requested", "reject_reason": False}])
        # The reason the client gave stays the staff's to correct.
        as_salesman.write({"reason": "Two cans dented in transit"})
        # And the actions still work for the same user.
        as_salesman._agora_reject("Dents are within tolerance")
        self.assertRecordValues(
            request, [{"state": "rejected", "reject_reason": "Dents are within tolerance"}]
        )

    def test_order_status_and_deadline_change_only_through_the_actions(self):
        order = self._reserved_order(lines=[(self.hammer, 2)])
        deadline = order.agora_reserve_deadline
        as_salesman = order.with_user(self.salesman)
        later = fields.Datetime.now() + timedelta(days=30)
        for vals in (
            {"agora_reserve_deadline": later},
            {"agora_reserve_deadline": False},
            {"agora_state": "paid"},
            {"agora_payment_status": "paid"},
            {"agora_close_reason": "done"},
            {"agora_submitted_date": False},
            {"agora_expired_date": later},
            {"agora_release_refusal": "Nothing to see"},
        ):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                as_salesman.write(vals)
        self.assertRecordValues(
            order,
            [
                {
                    "agora_reserve_deadline": deadline,
                    "agora_state": "reserve",
                    "agora_payment_status": "not_paid",
                    "agora_close_reason": False,
                    "agora_release_refusal": False,
                }
            ],
        )
        # Not on a new order either.
        with self.assertRaises(AccessError):
            self.env["sale.order"].with_user(self.salesman).create(
                {"partner_id": self.portal_alfa.partner_id.id, "agora_submitted_date": later}
            )
        # The action that owns the deadline still moves it.
        as_salesman._agora_extend_reservation(deadline + timedelta(days=1), "Asked by phone")
        self.assertEqual(order.agora_reserve_deadline, deadline + timedelta(days=1))

    def test_staff_confirm_is_refused_only_reserve_confirms(self):
        """Odoo's Confirm (button or RPC) would skip the invoice and the deadline."""
        order = self._create_order()
        with self.assertRaises(UserError):
            order.with_user(self.salesman).action_confirm()
        order.action_agora_submit()
        self._flush_tracking()
        with self.assertRaises(UserError):
            order.with_user(self.salesman).action_confirm()
        self.assertRecordValues(
            order,
            [{"state": "draft", "agora_state": "processing", "agora_reserve_deadline": False}],
        )
        self.assertFalse(order.invoice_ids)
        order.with_user(self.salesman).action_agora_reserve()
        self.assertRecordValues(order, [{"state": "sale", "agora_state": "reserve"}])
        self.assertTrue(order.agora_reserve_deadline)
        self.assertEqual(order.invoice_ids.mapped("state"), ["posted"])

    def test_notifications_stay_in_their_company(self):
        other_company = self.env["res.company"].create({"name": "Agora Other Supplier"})
        other_order = (
            self.env["sale.order"]
            .with_company(other_company)
            .create(
                {
                    "partner_id": self.portal_beta.partner_id.id,
                    "company_id": other_company.id,
                    "user_id": False,
                }
            )
        )
        own_order = self._create_order()
        Notification = self.env["agora.notification"].sudo()
        notifications = Notification.create(
            [
                {
                    "partner_id": self.portal_beta.partner_id.id,
                    "order_id": other_order.id,
                    "agora_state": "new",
                },
                {
                    "partner_id": self.portal_alfa.partner_id.id,
                    "order_id": own_order.id,
                    "agora_state": "new",
                },
            ]
        )
        self.assertEqual(notifications[0].company_id, other_company)
        found = (
            self.env["agora.notification"]
            .with_user(self.manager)
            .search([("id", "in", notifications.ids)])
        )
        self.assertEqual(found, notifications[1], "the manager works in the first company only")
        self.manager.write({"company_ids": [Command.link(other_company.id)]})
        found = (
            self.env["agora.notification"]
            .with_user(self.manager)
            .with_context(allowed_company_ids=[self.company.id, other_company.id])
            .search([("id", "in", notifications.ids)])
        )
        self.assertEqual(found, notifications)

    def test_client_text_in_the_review_activity_is_escaped(self):
        """A client's contact name is the client's own text: in the staff's
        activity note it stays text, never a link or markup."""
        self.portal_alfa.partner_id.name = (
            '<a href="https://evil.example/login">Click to keep your account</a>'
        )
        order = self._create_order()
        order.action_agora_submit()
        self._flush_tracking()
        activity = order.activity_ids.filtered(
            lambda a: (
                a.activity_type_id == self.env.ref("agora_orders.mail_activity_type_agora_review")
            )
        )
        self.assertEqual(len(activity), 1)
        note = str(activity.note)
        self.assertFalse(html.fromstring(note).xpath("//a"), "no link in the note")
        self.assertIn("&lt;a href=", note, "the client's text is shown as text")
        self.assertIn(order.name, note)

    def test_reason_for_extending_stays_with_staff(self):
        order = self._reserved_order(lines=[(self.hammer, 1)])
        order.with_user(self.salesman)._agora_extend_reservation(
            order.agora_reserve_deadline + timedelta(days=2), "Client pays late, be firm"
        )
        self._flush_tracking()
        event = order.agora_event_ids.filtered(lambda e: e.event_type == "deadline")
        self.assertEqual(event.with_user(self.salesman).internal_note, "Client pays late, be firm")
        self.assertFalse(event.description)
        portal_event = event.with_user(self.portal_alfa)
        self.assertEqual(portal_event.new_value_display, event.new_value_display)
        for field_name in ("internal_note", "user_id"):
            with self.subTest(field=field_name), self.assertRaises(AccessError):
                portal_event.read([field_name])
        self.assertNotEqual(
            event.sudo().create_uid, self.salesman, "no staff name in who created the event"
        )

    def test_protected_fields_not_through_the_contexts_defaults(self):
        """Odoo applies ``default_*`` context keys after ``create``'s own values."""
        later = fields.Datetime.now() + timedelta(days=3650)
        order = (
            self.env["sale.order"]
            .with_user(self.salesman)
            .with_context(
                default_agora_submitted_date=fields.Datetime.now(),
                default_agora_reserve_deadline=later,
                default_agora_release_refusal="never expire",
            )
            .create(
                {
                    "partner_id": self.portal_alfa.partner_id.id,
                    "order_line": [
                        Command.create({"product_id": self.hammer.id, "product_uom_qty": 1})
                    ],
                }
            )
        )
        self.assertRecordValues(
            order,
            [
                {
                    "agora_submitted_date": False,
                    "agora_reserve_deadline": False,
                    "agora_release_refusal": False,
                    "agora_state": "new",
                }
            ],
        )
        with self.assertRaises(UserError):
            order.with_user(self.salesman).action_confirm()
        self.assertEqual(order.state, "draft")
        copied = (
            order.with_user(self.salesman)
            .with_context(default_agora_reserve_deadline=later)
            .copy()
        )
        self.assertFalse(copied.agora_reserve_deadline)

    def test_a_cancelled_order_set_back_to_quotation_is_reserved_again(self):
        order = self._reserved_order(lines=[(self.hammer, 2)])
        order.with_user(self.salesman).action_agora_cancel()
        self._flush_tracking()
        self.assertEqual(order.agora_state, "closed")
        order.with_user(self.salesman).action_draft()
        self._flush_tracking()
        self.assertRecordValues(
            order,
            [{"state": "draft", "agora_state": "processing", "agora_reserve_deadline": False}],
        )
        with self.assertRaises(UserError):
            order.with_user(self.salesman).action_confirm()
        self.assertFalse(order.picking_ids.filtered(lambda p: p.state == "assigned"))
        order.with_user(self.salesman).action_agora_reserve()
        self.assertRecordValues(order, [{"state": "sale", "agora_state": "reserve"}])
        self.assertTrue(order.agora_reserve_deadline)
        self.assertEqual(len(order._agora_invoices()), 1, "a new invoice for the new reservation")

    def test_wizards_only_for_what_the_user_may_change(self):
        other = self._reserved_order(
            lines=[(self.paint, 1)], partner=self.portal_beta.partner_id, user=self.salesman_other
        )
        with self.assertRaises(AccessError):
            self.env["agora.reserve.extend.wizard"].with_user(self.salesman).create(
                {"order_id": other.id}
            )
        own = self._reserved_order(lines=[(self.hammer, 1)])
        wizard = (
            self.env["agora.reserve.extend.wizard"]
            .with_user(self.salesman)
            .create({"order_id": own.id})
        )
        self.assertEqual(wizard.current_deadline, own.agora_reserve_deadline)
        _order, request = self._shipped_order_with_return(
            self.portal_beta.partner_id, self.salesman_other, self.paint
        )
        with self.assertRaises(AccessError):
            self.env["agora.return.reject.wizard"].with_user(self.salesman).create(
                {"request_id": request.id, "reason": "No"}
            )
        self.assertEqual(request.state, "requested")

    def test_an_order_follows_its_own_clients_agreement(self):
        order = self._create_order()
        self.assertEqual(order.agora_agreement_id, self.agreement_alfa)
        with self.assertRaises(ValidationError):
            order.with_user(self.salesman).write({"agora_agreement_id": self.agreement_beta.id})
        self.assertEqual(order.agora_agreement_id, self.agreement_alfa)

    def test_a_client_posting_on_its_order_does_not_mark_it_sent(self):
        """Odoo's chatter route applies the context the client sends."""
        order = self._create_order()
        order.with_user(self.portal_alfa).sudo().with_context(mark_so_as_sent=True).message_post(
            body="Any news?", message_type="comment"
        )
        self.assertEqual(order.state, "draft")
        # Staff sending the quotation still mark it sent, as in Odoo.
        order.with_user(self.salesman).with_context(mark_so_as_sent=True).message_post(
            body="Here is the quotation."
        )
        self.assertEqual(order.state, "sent")

from unittest.mock import patch

from odoo.exceptions import AccessError, LockError, UserError, ValidationError
from odoo.tests import TransactionCase, tagged

from .common import AgoraCompanyDataMixin


@tagged("post_install", "-at_install")
class TestCompanyApproval(AgoraCompanyDataMixin, TransactionCase):
    """Who submits straight to the supplier, who waits for approval, and who
    may approve or return an order: the rules of the contacts' roles."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_agora_company_data()

    def _submit(self, user, lines):
        cart = self._cart(user, lines)
        self._flush_tracking()
        cart.with_user(user).sudo()._agora_cart_submit()
        self._flush_tracking()
        return cart

    def _mails_to(self, partner):
        return self.env["mail.mail"].search([("recipient_ids", "in", partner.ids)])

    # ------------------------------------------------------------------
    # Submission
    # ------------------------------------------------------------------

    def test_order_above_buyer_limit_awaits_approval(self):
        # 10 hammers: 10 * 90 * 1.2 = 1,080 > Bogdan's 1,000.
        order = self._submit(self.limited_buyer_alfa, [(self.hammer, 10)])
        self.assertEqual(order.amount_total, 1080.0)
        self.assertRecordValues(
            order,
            [
                {
                    "agora_state": "approval",
                    "agora_submitted_date": False,
                    "agora_submitted_by_id": self.limited_buyer_alfa.partner_id.id,
                    "state": "draft",
                }
            ],
        )
        notified = self.env["agora.notification"].search(
            [("order_id", "=", order.id), ("approval_notice", "=", "requested")]
        )
        # The administrator and the approver whose limit covers it; not the
        # buyers, the viewer, nor Beta's contacts.
        self.assertEqual(
            notified.partner_id, self.admin_alfa.partner_id | self.approver_alfa.partner_id
        )
        for approver in (self.admin_alfa, self.approver_alfa):
            mail = self._mails_to(approver.partner_id)
            self.assertEqual(len(mail), 1)
            self.assertIn(f"/my/orders/{order.id}", mail.body_html)
            self.assertIn(order.name, mail.subject)
        self.assertFalse(self._mails_to(self.viewer_alfa.partner_id))
        # Staff have nothing to review yet.
        self.assertFalse(order.activity_ids)
        history = order.agora_event_ids.filtered(lambda e: e.event_type == "state")
        self.assertEqual(history.mapped("new_value"), ["approval"])

    def test_order_within_limit_goes_to_supplier(self):
        order = self._submit(self.limited_buyer_alfa, [(self.hammer, 5)])
        self.assertEqual(order.agora_state, "processing")
        self.assertEqual(order.agora_submitted_by_id, self.limited_buyer_alfa.partner_id)
        self.assertTrue(order.activity_ids, "the salesperson has the order to review")

    def test_company_threshold_applies_to_buyers_without_a_limit(self):
        self.client_alfa.agora_approval_threshold = 500.0
        order = self._submit(self.buyer_alfa, [(self.hammer, 5)])  # 540 > 500
        self.assertEqual(order.agora_state, "approval")
        small = self._submit(self.buyer_alfa, [(self.glue, 1)])
        self.assertEqual(small.agora_state, "processing")

    def test_who_approves_themselves(self):
        """An administrator never waits; an approver within their limit submits
        directly, above it waits for the administrator."""
        self.client_alfa.agora_approval_threshold = 100.0
        admin_order = self._submit(self.admin_alfa, [(self.drill, 10)])  # 10,800
        self.assertEqual(admin_order.agora_state, "processing")
        within = self._submit(self.approver_alfa, [(self.drill, 4)])  # 4,320 <= 5,000
        self.assertEqual(within.agora_state, "processing")
        above = self._submit(self.approver_alfa, [(self.drill, 5)])  # 5,400 > 5,000
        self.assertEqual(above.agora_state, "approval")
        notified = self.env["agora.notification"].search(
            [("order_id", "=", above.id), ("approval_notice", "=", "requested")]
        )
        self.assertEqual(notified.partner_id, self.admin_alfa.partner_id)

    def test_default_company_keeps_todays_behaviour(self):
        """Beta configured nothing: its contacts are buyers without a limit and
        every order goes straight to the supplier."""
        partner = self.user_beta.partner_id
        self.assertEqual(partner.agora_company_role, "buyer")
        self.assertFalse(partner.agora_order_limit)
        self.assertTrue(self.client_beta.agora_buyers_see_company_orders)
        order = self._submit(self.user_beta, [(self.paint, 100)])
        self.assertEqual(order.agora_state, "processing")
        # A contact that existed before the module was installed (an upgraded
        # database) got the same defaults.
        self.env.invalidate_all()
        existing = self.env.ref("base.main_partner")
        self.assertEqual(existing.agora_company_role, "buyer")
        self.assertTrue(existing.agora_buyers_see_company_orders)

    def test_no_colleague_may_approve_refuses_and_keeps_the_cart(self):
        # 10 drills: 10,800 > Bogdan's 1,000 and > Polina's 5,000; no admin.
        self.admin_alfa.partner_id.agora_company_role = "buyer"
        cart = self._cart(self.limited_buyer_alfa, [(self.drill, 10)])
        with self.assertRaisesRegex(UserError, "no colleague may approve"):
            cart.with_user(self.limited_buyer_alfa).sudo()._agora_cart_submit()
        self.assertEqual(cart.agora_state, "new")
        self.assertEqual(cart.order_line.product_uom_qty, 10)

    def test_staff_submitting_for_a_client_is_not_approval(self):
        """The supplier's staff submitting an order for the client (in the
        backend) hand it to the supplier: the client's approval is the
        client's own portal rule."""
        order = self.env["sale.order"].create(
            {
                "partner_id": self.limited_buyer_alfa.partner_id.id,
                "order_line": [(0, 0, {"product_id": self.drill.id, "product_uom_qty": 10})],
            }
        )
        order.with_user(self.salesman).action_agora_submit()
        self.assertEqual(order.agora_state, "processing")
        self.assertEqual(order.agora_submitted_by_id, self.salesman.partner_id)

    def test_viewer_cannot_order_on_any_path(self):
        viewer = self.viewer_alfa
        SaleOrder = self.env["sale.order"].with_user(viewer).sudo()
        with self.assertRaisesRegex(UserError, "Viewer"):
            SaleOrder._agora_get_cart(viewer.partner_id, create=True)
        # A cart made before the contact became a viewer cannot be filled nor
        # submitted, and a past order cannot be repeated.
        viewer.partner_id.agora_company_role = "buyer"
        cart = self._cart(viewer, [(self.hammer, 1)])
        past = self._submit(self.buyer_alfa, [(self.glue, 1)])
        viewer.partner_id.agora_company_role = "viewer"
        with self.assertRaisesRegex(UserError, "Viewer"):
            cart.with_user(viewer).sudo()._agora_cart_add(self.hammer, 1)
        with self.assertRaisesRegex(UserError, "Viewer"):
            cart.with_user(viewer).sudo()._agora_cart_submit()
        with self.assertRaises(AccessError):
            past.with_user(viewer).sudo()._agora_repeat_into_cart(viewer.partner_id)
        self.assertEqual(cart.agora_state, "new")
        self.assertEqual(cart.order_line.product_uom_qty, 1)

    # ------------------------------------------------------------------
    # Approval and return
    # ------------------------------------------------------------------

    def test_approver_edits_quantities_and_approves(self):
        order = self._submit(self.limited_buyer_alfa, [(self.hammer, 10), (self.glue, 2)])
        hammer_line = order.order_line.filtered(lambda l: l.product_id == self.hammer)
        glue_line = order.order_line - hammer_line
        approver = self.approver_alfa
        order.with_user(approver).sudo()._agora_approve(
            approver.partner_id, "Fewer hammers", {hammer_line.id: "8", glue_line.id: "0"}
        )
        self._flush_tracking()
        self.assertRecordValues(
            order,
            [
                {
                    "agora_state": "processing",
                    "agora_approved_by_id": approver.partner_id.id,
                    "agora_approval_comment": "Fewer hammers",
                    "agora_submitted_by_id": self.limited_buyer_alfa.partner_id.id,
                }
            ],
        )
        self.assertTrue(order.agora_submitted_date)
        self.assertEqual(order.order_line.product_id, self.hammer)
        self.assertEqual(hammer_line.product_uom_qty, 8)
        events = order.agora_event_ids
        self.assertTrue(
            events.filtered(lambda e: e.event_type == "line_qty" and e.product_id == self.hammer)
        )
        self.assertTrue(events.filtered(lambda e: e.event_type == "line_removed"))
        self.assertIn(
            "Approved by Polina Approver: Fewer hammers",
            events.filtered(lambda e: e.event_type == "approval").mapped("description"),
        )
        self.assertEqual(
            events.filtered(lambda e: e.event_type == "state").sorted("id").mapped("new_value"),
            ["approval", "processing"],
        )
        # The buyer: a notice and the approval's email, not a second status email.
        buyer = self.limited_buyer_alfa.partner_id
        notice = self.env["agora.notification"].search(
            [("order_id", "=", order.id), ("partner_id", "=", buyer.id)]
        )
        self.assertIn("approved", notice.mapped("approval_notice"))
        mails = self._mails_to(buyer)
        self.assertEqual(len(mails), 1, mails.mapped("subject"))
        self.assertIn("was approved", mails.subject)
        self.assertIn("Fewer hammers", mails.body_html)
        # Staff have it to review now.
        self.assertTrue(order.activity_ids)

    def test_return_needs_a_comment_and_makes_the_order_the_cart_again(self):
        order = self._submit(self.limited_buyer_alfa, [(self.hammer, 10)])
        buyer = self.limited_buyer_alfa
        # The buyer started another cart meanwhile.
        newer_cart = self._cart(buyer, [(self.glue, 1)])
        self.assertNotEqual(newer_cart, order)
        approver = self.approver_alfa
        as_approver = order.with_user(approver).sudo()
        with self.assertRaises(ValidationError):
            as_approver._agora_reject(approver.partner_id, "  ")
        self.assertEqual(order.agora_state, "approval")
        as_approver._agora_reject(approver.partner_id, "Too many hammers")
        self._flush_tracking()
        self.assertRecordValues(
            order,
            [
                {
                    "agora_state": "new",
                    "agora_rejected_by_id": approver.partner_id.id,
                    "agora_rejection_comment": "Too many hammers",
                }
            ],
        )
        cart = self.env["sale.order"].with_user(buyer).sudo()._agora_get_cart(buyer.partner_id)
        self.assertEqual(cart, order, "the returned order is the buyer's cart")
        mails = self._mails_to(buyer.partner_id)
        self.assertEqual(len(mails), 1)
        self.assertIn("Too many hammers", mails.body_html)
        # The buyer changes it and submits again: within the limit now.
        cart._agora_cart_set_qty(cart.order_line, "5")
        cart.with_user(buyer).sudo()._agora_cart_submit()
        self._flush_tracking()
        self.assertEqual(order.agora_state, "processing")
        self.assertFalse(order.agora_rejection_comment)
        cart = self.env["sale.order"].with_user(buyer).sudo()._agora_get_cart(buyer.partner_id)
        self.assertEqual(cart, newer_cart, "the other cart comes back")

    def test_who_may_not_decide(self):
        order = self._submit(self.limited_buyer_alfa, [(self.hammer, 10)])
        for user, error in (
            (self.buyer_alfa, AccessError),
            (self.viewer_alfa, AccessError),
            (self.limited_buyer_alfa, AccessError),
            (self.user_beta, AccessError),
        ):
            with self.subTest(user=user.name):
                as_user = order.with_user(user).sudo()
                with self.assertRaises(error):
                    as_user._agora_approve(user.partner_id, "ok")
                with self.assertRaises(error):
                    as_user._agora_reject(user.partner_id, "no")
                self.assertFalse(order._agora_may_decide(user.partner_id))
        self.assertEqual(order.agora_state, "approval")
        self.assertFalse(order.agora_approved_by_id)

    def test_approver_limit_and_own_order(self):
        # Polina's own order above her limit: she may not approve it.
        order = self._submit(self.approver_alfa, [(self.drill, 5)])  # 5,400
        with self.assertRaisesRegex(UserError, "above your approval limit"):
            order.with_user(self.approver_alfa).sudo()._agora_approve(
                self.approver_alfa.partner_id
            )
        # Nor approve a colleague's above it, not even by cutting its
        # quantities down to her limit: that order is for someone above her.
        big = self._submit(self.limited_buyer_alfa, [(self.drill, 6)])  # 6,480
        self.assertFalse(big._agora_may_decide(self.approver_alfa.partner_id))
        as_polina = big.with_user(self.approver_alfa).sudo()
        with self.assertRaisesRegex(UserError, "above your approval limit"):
            as_polina._agora_approve(self.approver_alfa.partner_id)
        with self.assertRaisesRegex(UserError, "above your approval limit"):
            as_polina._agora_approve(self.approver_alfa.partner_id, "", {big.order_line.id: "4"})
        self.assertEqual(big.agora_state, "approval")
        self.assertEqual(big.order_line.product_uom_qty, 6)
        # The administrator approves Polina's.
        order.with_user(self.admin_alfa).sudo()._agora_approve(self.admin_alfa.partner_id)
        self.assertEqual(order.agora_approved_by_id, self.admin_alfa.partner_id)

    def test_second_decision_gives_one_result(self):
        order = self._submit(self.limited_buyer_alfa, [(self.hammer, 10)])
        order.with_user(self.approver_alfa).sudo()._agora_approve(self.approver_alfa.partner_id)
        with self.assertRaisesRegex(UserError, "no longer awaits approval"):
            order.with_user(self.admin_alfa).sudo()._agora_reject(self.admin_alfa.partner_id, "No")
        self.assertEqual(order.agora_state, "processing")
        self.assertFalse(order.agora_rejected_by_id)

    def test_a_colleague_deciding_at_the_same_moment_holds_the_order(self):
        """While one approver's transaction holds the order (its row locked),
        another approver is told a colleague is deciding, and nothing of
        theirs is applied; once free, the order takes one decision."""
        order = self._submit(self.limited_buyer_alfa, [(self.hammer, 10)])
        SaleOrder = type(self.env["sale.order"])

        def locked_elsewhere(records, *args, **kwargs):
            raise LockError("could not obtain lock on row in relation sale_order")

        with patch.object(SaleOrder, "lock_for_update", locked_elsewhere):
            for decide in (
                lambda: (
                    order.with_user(self.admin_alfa)
                    .sudo()
                    ._agora_reject(self.admin_alfa.partner_id, "No")
                ),
                lambda: (
                    order.with_user(self.approver_alfa)
                    .sudo()
                    ._agora_approve(self.approver_alfa.partner_id)
                ),
            ):
                with self.assertRaisesRegex(UserError, "A colleague is deciding on order"):
                    decide()
        self.assertEqual(order.agora_state, "approval")
        self.assertFalse(order.agora_rejected_by_id | order.agora_approved_by_id)
        order.with_user(self.approver_alfa).sudo()._agora_approve(self.approver_alfa.partner_id)
        self.assertEqual(order.agora_state, "processing")
        self.assertEqual(order.agora_approved_by_id, self.approver_alfa.partner_id)

    def test_odoo_cannot_confirm_an_order_awaiting_approval(self):
        order = self._submit(self.limited_buyer_alfa, [(self.hammer, 10)])
        with self.assertRaises(UserError):
            order.with_user(self.salesman).action_confirm()
        self.assertEqual(order.state, "draft")
        self.assertFalse(order._has_to_be_paid())

    def test_approval_fields_are_not_writable(self):
        order = self._submit(self.limited_buyer_alfa, [(self.hammer, 10)])
        with self.assertRaises(AccessError):
            order.with_user(self.salesman).write(
                {"agora_approved_by_id": self.salesman.partner_id.id}
            )
        with self.assertRaises(AccessError):
            order.with_user(self.salesman).write({"agora_approval_requested_date": False})
        self.assertEqual(order.agora_state, "approval")

    def test_rpc_cannot_skip_the_approval(self):
        """A portal user reaches sale.order's public methods over RPC: none of
        them submits a cart past the approval, nor approves it."""
        buyer = self.limited_buyer_alfa
        cart = self._cart(buyer, [(self.hammer, 10)])
        for method in ("action_agora_submit", "action_confirm"):
            with self.subTest(method=method), self.assertRaises(UserError):
                getattr(cart.with_user(buyer), method)()
        self.assertEqual(cart.agora_state, "new")
        order = self._submit(buyer, [])
        self.assertEqual(order, cart)
        self.assertEqual(order.agora_state, "approval")
        with self.assertRaises(AccessError):
            order.with_user(self.admin_alfa).action_agora_submit()
        with self.assertRaises(AccessError):
            order.with_user(self.admin_alfa).write({"agora_approved_by_id": False})
        self.assertEqual(order.agora_state, "approval")

    def test_approval_while_odoo_loads_its_modules(self):
        """Demo data submits orders for approval while the modules load: the
        status email waits for its job (there is none for this status)."""
        with patch.object(self.env.registry, "ready", False):
            order = self._submit(self.limited_buyer_alfa, [(self.hammer, 10)])
        self.assertEqual(order.agora_state, "approval")
        self.assertEqual(order.agora_state_mail_pending, "approval")
        self.env["sale.order"]._cron_agora_send_state_mails()
        self.assertFalse(order.agora_state_mail_pending)

from odoo.exceptions import UserError
from odoo.fields import Command
from odoo.tests import JsonRpcException, new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.base.tests.common import DISABLED_MAIL_CONTEXT
from odoo.addons.payment.tests.http_common import PaymentHttpCommon

from .common import AgoraPortalHttpCase

# What Sale's order page shows when it offers to pay online: the "Pay Now"
# button, and the payment form of the modal it opens.
PAYMENT_MARKUP = ("o_sale_portal_paynow", "o_payment_form")


@tagged("post_install", "-at_install")
class TestPortalPayment(PaymentHttpCommon, AgoraPortalHttpCase):
    """Online payment never confirms an order outside the Agora flow.

    The supplier confirms an Agora order by reserving it (``action_agora_reserve``),
    never the client by paying a cart or a submitted order online, nor staff
    through Odoo's standard Confirm. Payment's common gives a dummy provider, so
    that no provider module (payment_demo) is needed.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Payment's common disables mail tracking; Agora's history needs it.
        cls.env = cls.env(
            context={k: v for k, v in cls.env.context.items() if k not in DISABLED_MAIL_CONTEXT}
        )
        # No prepayment required: Sale confirms a quotation on any amount paid.
        cls.company.portal_confirmation_pay = False
        cls.accountant = new_test_user(
            cls.env,
            login="agp_accountant",
            name="Alla Accountant",
            groups="account.group_account_invoice",
        )

    # ------------------------------------------------------------------

    def _done_transaction(self, order, amount=1.0, **values):
        """A transaction of ``amount`` for ``order``, paid, then post-processed as
        Odoo does once the provider confirms it."""
        tx = self._create_transaction(
            flow="redirect",
            sale_order_ids=[order.id],
            state="done",
            amount=amount,
            currency_id=order.currency_id.id,
            partner_id=order.partner_invoice_id.id,
            reference=f"AGP-TX-{order.name}",
            **values,
        )
        with mute_logger("odoo.addons.sale.models.payment_transaction"):
            tx._post_process()
        self._flush_tracking()
        return tx

    def _assert_not_confirmed(self, order, agora_state):
        self.assertRecordValues(
            order,
            [{"state": "draft", "agora_state": agora_state, "agora_reserve_deadline": False}],
        )
        self.assertFalse(order.picking_ids, "no delivery was created")
        self.assertFalse(order.invoice_ids, "no invoice was created")

    def _assert_no_payment_offered(self, html):
        for markup in PAYMENT_MARKUP:
            self.assertNotIn(markup, html)

    # ------------------------------------------------------------------
    # Paying online does not confirm
    # ------------------------------------------------------------------

    def test_paid_transaction_does_not_confirm_a_cart(self):
        cart = self._cart(self.user_alfa, [(self.hammer, 2)])
        self._flush_tracking()
        self.assertFalse(cart.require_payment)
        tx = self._done_transaction(cart)
        self.assertEqual(tx.state, "done")
        self._assert_not_confirmed(cart, "new")

    def test_paid_transaction_does_not_confirm_a_submitted_order(self):
        order = self._submitted_order(self.user_alfa, [(self.hammer, 2)])
        self.assertEqual(order.agora_state, "processing")
        self._done_transaction(order)
        self._assert_not_confirmed(order, "processing")

    def test_paid_transaction_of_the_whole_amount_does_not_confirm_either(self):
        order = self._submitted_order(self.user_alfa, [(self.hammer, 2)])
        self._done_transaction(order, amount=order.amount_total)
        self._assert_not_confirmed(order, "processing")

    def test_paid_transaction_does_not_confirm_a_quotation_without_agreement(self):
        """Every quotation is an Agora order, with or without an agreement: a
        client without one must not confirm a quotation by paying it."""
        walk_in = self.env["res.partner"].create({"name": "AGP Walk-in"})
        quotation = self.env["sale.order"].create(
            {
                "partner_id": walk_in.id,
                "order_line": [
                    Command.create({"product_id": self.paint.id, "product_uom_qty": 1})
                ],
            }
        )
        self.assertFalse(quotation.agora_agreement_id)
        self._done_transaction(quotation)
        self._assert_not_confirmed(quotation, "new")

    def test_paying_the_invoice_of_a_reserved_order_still_pays_it(self):
        order = self._reserved_order(self.user_alfa, [(self.hammer, 2)])
        invoice = order._agora_invoices()
        self.assertEqual(len(invoice), 1)
        self.assertEqual(order.agora_payment_status, "not_paid")
        wizard = (
            self.env["account.payment.register"]
            .with_user(self.accountant)
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({})
        )
        wizard._create_payments()
        self._flush_tracking()
        self.assertRecordValues(
            order,
            [{"state": "sale", "agora_payment_status": "paid", "agora_state": "paid"}],
        )
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))

    # ------------------------------------------------------------------
    # The portal offers no payment, and refuses one
    # ------------------------------------------------------------------

    def test_transaction_route_refuses_a_cart(self):
        cart = self._cart(self.user_alfa, [(self.hammer, 2)])
        self._flush_tracking()
        self._login(self.user_alfa)
        params = {
            "access_token": cart._portal_ensure_token(),
            "provider_id": self.provider.id,
            "payment_method_id": self.payment_method_id,
            "token_id": None,
            "amount": 1.0,
            "flow": "redirect",
            "tokenization_requested": False,
            "landing_route": cart.get_portal_url(),
            "is_validation": False,
            "csrf_token": self._csrf(),
        }
        result, error = None, None
        with mute_logger("odoo.http"):
            try:
                result = self._rpc(f"/my/orders/{cart.id}/transaction", **params)
            except JsonRpcException as exc:
                error = exc
        linked = (
            self.env["payment.transaction"].sudo().search([("sale_order_ids", "in", cart.ids)])
        )
        self.assertFalse(linked, "no transaction may be linked to the cart")
        self.assertTrue(
            error or (isinstance(result, dict) and "error" in result),
            f"the route should answer an error, not {result!r}",
        )
        self._assert_not_confirmed(cart, "new")

    def test_order_page_offers_no_payment_of_a_submitted_order(self):
        order = self._submitted_order(self.user_alfa, [(self.hammer, 2)])
        # The dummy provider could take this payment: what hides the form is the flow.
        providers = (
            self.env["payment.provider"]
            .sudo()
            ._get_compatible_providers(
                order.company_id.id,
                order.partner_invoice_id.id,
                order.amount_total,
                currency_id=order.currency_id.id,
                sale_order_id=order.id,
            )
        )
        self.assertIn(self.provider, providers)
        self._login(self.user_alfa)
        page = self._get(f"/my/orders/{order.id}")
        self.assertEqual(page.status_code, 200)
        self._assert_no_payment_offered(page.text)
        with mute_logger("odoo.http"):
            response = self._get(f"/my/orders/{order.id}", params={"payment_amount": "1"})
        self._assert_no_payment_offered(response.text)
        self.assertEqual(order.agora_state, "processing")

    # ------------------------------------------------------------------
    # Staff: Reserve, not Odoo's Confirm
    # ------------------------------------------------------------------

    def test_staff_standard_confirm_of_a_submitted_order_is_refused(self):
        order = self._submitted_order(self.user_alfa, [(self.hammer, 2)])
        with self.assertRaises(UserError):
            order.with_user(self.salesman).action_confirm()
        self._assert_not_confirmed(order, "processing")
        # Reserving it is the way, and still works after the refusal.
        order.with_user(self.salesman).action_agora_reserve()
        self._flush_tracking()
        self.assertEqual(order.agora_state, "reserve")

    def test_staff_reserve_confirms_a_submitted_order(self):
        order = self._submitted_order(self.user_alfa, [(self.hammer, 2)])
        order.with_user(self.salesman).action_agora_reserve()
        self._flush_tracking()
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.agora_state, "reserve")
        self.assertTrue(order.agora_reserve_deadline)
        invoice = order.invoice_ids
        self.assertEqual(len(invoice), 1)
        self.assertEqual(invoice.state, "posted")
        self.assertTrue(order.picking_ids)

    def test_staff_confirm_a_quotation_without_agreement_by_reserving_it(self):
        """A customer without an agreement is served the Agora way too: Odoo's
        Confirm is refused, Submit then Reserve confirm and invoice."""
        walk_in = self.env["res.partner"].create({"name": "AGP Walk-in"})
        quotation = (
            self.env["sale.order"]
            .with_user(self.salesman)
            .create(
                {
                    "partner_id": walk_in.id,
                    "order_line": [
                        Command.create({"product_id": self.paint.id, "product_uom_qty": 1})
                    ],
                }
            )
        )
        with self.assertRaises(UserError):
            quotation.action_confirm()
        self.assertEqual(quotation.state, "draft")
        quotation.action_agora_submit()
        quotation.action_agora_reserve()
        self.assertRecordValues(quotation, [{"state": "sale", "agora_state": "reserve"}])
        self.assertEqual(quotation._agora_invoices().state, "posted")

from odoo.tests import HttpCase, tagged

from .common import AgoraCompanyDataMixin


@tagged("post_install", "-at_install")
class TestCompanyTour(AgoraCompanyDataMixin, HttpCase):
    """In the browser: the administrator invites a buyer; the buyer submits an
    order above their limit; the approver returns it with a comment; the buyer
    changes it and submits again; the approver approves; staff see it in
    Processing with both names."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_agora_company_data()
        # start_tour logs in with the login as password.
        for user in (cls.admin_alfa, cls.approver_alfa):
            user.password = user.login

    def _dina_order(self):
        return self.env["sale.order"].search([("partner_id.email", "=", "dina@alfa.example.com")])

    def test_invite_submit_return_resubmit_approve(self):
        self.start_tour("/my/company", "agora_company_invite_tour", login=self.admin_alfa.login)
        dina = self.env["res.users"].search([("login", "=", "dina@alfa.example.com")])
        self.assertTrue(dina._is_portal())
        self.assertEqual(dina.partner_id.parent_id, self.client_alfa)
        self.assertEqual(dina.partner_id.agora_company_role, "buyer")
        self.assertEqual(dina.partner_id.agora_order_limit, 1000.0)
        dina.password = dina.login

        self.start_tour("/my/catalog", "agora_company_buyer_submit_tour", login=dina.login)
        order = self._dina_order()
        self.assertEqual(order.agora_state, "approval")
        self.assertEqual(order.amount_total, 2160.0)

        approver = self.approver_alfa.login
        self.start_tour("/my/approvals", "agora_company_reject_tour", login=approver)
        self.assertEqual(order.agora_state, "new")
        self.assertEqual(order.agora_rejection_comment, "At most 15 hammers, please.")

        self.start_tour("/my/cart", "agora_company_buyer_resubmit_tour", login=dina.login)
        self.assertEqual(order.agora_state, "approval")
        self.assertEqual(order.order_line.product_uom_qty, 15)

        self.start_tour("/my/approvals", "agora_company_approve_tour", login=approver)
        self.assertRecordValues(
            order,
            [
                {
                    "agora_state": "processing",
                    "agora_submitted_by_id": dina.partner_id.id,
                    "agora_approved_by_id": self.approver_alfa.partner_id.id,
                }
            ],
        )
        self.assertEqual(len(self._dina_order()), 1, "one order all along")

        self.start_tour(
            f"/odoo/sale.order/{order.id}", "agora_company_staff_tour", login=self.salesman.login
        )

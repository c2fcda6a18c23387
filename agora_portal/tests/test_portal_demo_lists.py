from odoo.modules.module import get_manifest
from odoo.tests import HttpCase, tagged
from odoo.tools import convert_file


@tagged("post_install", "-at_install")
class TestAgoraDemoRequisitionLists(HttpCase):
    """The demo's requisition lists, loaded as a demo database loads them: a
    private and a shared one per demo client; Гаммов's shared list still
    holds a product its agreement no longer covers."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for module in ("agora_orders", "agora_portal"):
            for filename in get_manifest(module)["demo"]:
                convert_file(cls.env, module, filename, {}, mode="init", noupdate=True)
        cls.env.flush_all()
        cls.company = cls.env.ref("agora_orders.agora_company_demo")

    def test_a_private_and_a_shared_list_per_demo_client(self):
        Requisition = self.env["agora.requisition.list"]
        for login in ("client_alfa", "client_beta", "client_gamma"):
            with self.subTest(login=login):
                user = self.env["res.users"].search([("login", "=", login)])
                lists = Requisition.search([("user_id", "=", user.id)])
                self.assertEqual(sorted(lists.mapped("shared")), [False, True])
                self.assertTrue(all(lists.mapped("line_ids")))
                self.assertEqual(lists.partner_id, user.partner_id.commercial_partner_id)

    def test_gammas_shared_list_shows_what_it_can_no_longer_order(self):
        requisition = self.env.ref("agora_portal.agora_requisition_list_gamma_shared_demo")
        outside = self.env.ref("agora_orders.product_sm_0003_demo")
        self.authenticate("client_gamma", "client_gamma")
        page = self.url_open(f"/my/lists/{requisition.id}")
        self.assertEqual(page.status_code, 200)
        self.assertEqual(page.text.count("o_agora_list_line_unavailable"), 1)
        row = page.text.split(
            f'data-line-id="{requisition.line_ids.filtered(lambda l: l.product_id == outside).id}"'
        )[1]
        self.assertIn("o_agora_list_unavailable_reason", row.split("</tr>")[0])

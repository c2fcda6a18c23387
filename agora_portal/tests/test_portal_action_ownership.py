from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import AgoraPortalHttpCase


@tagged("post_install", "-at_install")
class TestPortalActionOwnership(AgoraPortalHttpCase):
    """Cancel, repeat and return are the client's actions: they need the order
    to be of the user's own company, not only readable by the user."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=False))
        # An auditor: may read every sale order, is nobody's client.
        cls.auditor = new_test_user(
            cls.env,
            login="agp_auditor",
            name="Ivan Auditor",
            password="agp_auditor_pwd",
            groups="base.group_user,account.group_account_readonly",
        )

    def setUp(self):
        super().setUp()
        self.processing = self._submitted_order(self.user_alfa, [(self.hammer, 1)])
        self.shipped = self._shipped_order(self.user_alfa, [(self.hammer, 2)])
        self.assertEqual(self.processing.agora_state, "processing")
        self.assertEqual(self.shipped.agora_state, "shipped")

    def _orders_of(self, user):
        return self.env["sale.order"].search([("partner_id", "=", user.partner_id.id)])

    def _post_client_actions(self):
        """POST cancel, repeat and return on Alfa's orders, as the logged-in
        user, with a valid CSRF token: {url: response}."""
        line = self.shipped.order_line
        posts = [
            (f"/my/orders/{self.processing.id}/cancel", {}),
            (f"/my/orders/{self.processing.id}/repeat", {}),
            (f"/my/orders/{self.shipped.id}/return", {f"qty_{line.id}": "1", "reason": "Broken"}),
        ]
        with mute_logger("odoo.http"):
            return {url: self._post(url, data) for url, data in posts}

    def _assert_refused_and_unchanged(self, responses, user):
        for url, response in responses.items():
            with self.subTest(url=url):
                self.assertEqual(response.status_code, 404)
                self.assertNotIn(self.processing.name, response.text)
                self.assertNotIn(self.shipped.name, response.text)
        self.assertRecordValues(self.processing, [{"state": "draft", "agora_state": "processing"}])
        self.assertEqual(self.shipped.agora_state, "shipped")
        self.assertFalse(self.shipped.agora_return_request_ids, "no return request")
        self.assertFalse(self._orders_of(user), "no cart for the user")

    def test_reader_who_is_not_the_client_may_not_act(self):
        # The auditor may read the orders (what _document_check_access checks)...
        for order in (self.processing, self.shipped):
            self.assertTrue(order.with_user(self.auditor).has_access("read"))
            self.assertFalse(order.with_user(self.auditor).has_access("write"))
        self.authenticate(self.auditor.login, "agp_auditor_pwd")
        # ... and see Sale's card of the order,
        self.assertEqual(self._get(f"/my/orders/{self.processing.id}").status_code, 200)
        # but not act on it as its client.
        responses = self._post_client_actions()
        self._assert_refused_and_unchanged(responses, self.auditor)

    def test_another_client_may_not_act(self):
        self._login(self.user_beta)
        responses = self._post_client_actions()
        self._assert_refused_and_unchanged(responses, self.user_beta)

    def test_colleague_of_the_client_may_cancel(self):
        self._login(self.user_alfa2)
        response = self._post(f"/my/orders/{self.processing.id}/cancel")
        self.assertEqual(response.status_code, 200)
        self.assertIn("was cancelled", response.text)
        self.assertRecordValues(
            self.processing, [{"agora_state": "closed", "agora_close_reason": "cancelled"}]
        )

    def test_colleague_of_the_client_may_request_a_return(self):
        line = self.shipped.order_line
        self._login(self.user_alfa2)
        response = self._post(
            f"/my/orders/{self.shipped.id}/return", {f"qty_{line.id}": "1", "reason": "Broken"}
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.shipped.agora_return_request_ids.line_ids.quantity, 1)
        self.assertEqual(self.shipped.agora_state, "return")

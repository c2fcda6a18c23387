from odoo.tests import new_test_user, tagged

from .common import AgoraPortalHttpCase


@tagged("post_install", "-at_install")
class TestAgoraPortalTour(AgoraPortalHttpCase):
    def test_client_orders_in_the_browser(self):
        # start_tour logs in with the login as password.
        user = new_test_user(
            self.env,
            login="agora_tour_client",
            password="agora_tour_client",
            name="Tanya Tour",
            groups="base.group_portal",
        )
        user.partner_id.parent_id = self.client_alfa
        self.start_tour("/my/catalog", "agora_portal_tour", login=user.login)
        order = self.env["sale.order"].search(
            [("partner_id", "=", user.partner_id.id), ("agora_state", "!=", "new")]
        )
        self.assertEqual(len(order), 1)
        self.assertEqual(order.agora_state, "processing")
        self.assertEqual(order.client_order_ref, "PO-TOUR-1")
        quantities = {line.product_id: line.product_uom_qty for line in order.order_line}
        expected = {self.hammer: 3, self.drill: 1, self.glue: 4, self.saw: 2}
        self.assertEqual(quantities, expected)
        # The order kept as a list, and the list sent to a new cart.
        requisition = self.env["agora.requisition.list"].search([("user_id", "=", user.id)])
        self.assertEqual(requisition.name, f"Like order {order.name}")
        self.assertEqual(
            {line.product_id: line.quantity for line in requisition.line_ids}, expected
        )
        cart = self._cart_of(user)
        self.assertEqual(
            {line.product_id: line.product_uom_qty for line in cart.order_line}, expected
        )

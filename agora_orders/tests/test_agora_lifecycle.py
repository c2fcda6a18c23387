from odoo.tests import tagged

from .common import AgoraCommon


@tagged("post_install", "-at_install")
class TestAgoraLifecycle(AgoraCommon):
    def test_submit_reserve_pay_ship_close(self):
        order = self._create_order(lines=[(self.hammer, 2), (self.drill, 1)])
        self.assertEqual(order.agora_state, "new")
        order.action_agora_submit()
        self._flush_tracking()
        self.assertEqual(order.agora_state, "processing")
        order.action_agora_reserve()
        self._flush_tracking()
        self.assertEqual(order.agora_state, "reserve")
        invoice = order.invoice_ids
        self.assertEqual(invoice.state, "posted")
        self._pay(invoice)
        self.assertEqual(order.agora_state, "paid")
        self._ship(order)
        self.assertRecordValues(order, [{"agora_state": "closed", "agora_close_reason": "done"}])

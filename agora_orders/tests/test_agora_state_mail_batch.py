from unittest.mock import patch

from odoo.tests import tagged

from .common import AgoraCommon


@tagged("post_install", "-at_install")
class TestAgoraStateMailBatch(AgoraCommon):
    """The status emails of a batch of orders, posted by one composer."""

    def test_batch_emails_answer_the_thread_as_odoo_would(self):
        """The history of a batch's orders, read for them all at once, gives
        each email the parent and references Odoo gives it: the last
        discussion message of its order, else its last message."""
        discussed, quiet = (
            self._create_order(lines=[(self.hammer, 1)]),
            self._create_order(lines=[(self.hammer, 2)]),
        )
        orders = discussed | quiet
        orders.action_agora_submit()
        self._flush_tracking()
        question = discussed.with_user(self.salesman).message_post(
            body="Can you deliver on Monday?", message_type="comment"
        )
        # Logged after the question: the last message, but not a discussion.
        discussed._message_log(body="Checked the stock.")
        self._flush_tracking()
        self.env.invalidate_all()
        expected = {order: order._message_compute_parent_id(False) for order in orders}
        self.assertEqual(expected[discussed], question.id)
        last_before = self.env["mail.message"].search([], order="id desc", limit=1).id
        self.env.invalidate_all()
        orders._agora_post_state_mails()
        self._flush_tracking()
        for order in orders:
            email = self.env["mail.message"].search(
                [("model", "=", "sale.order"), ("res_id", "=", order.id), ("id", ">", last_before)]
            )
            self.assertEqual(email.message_type, "auto_comment")
            self.assertEqual(email.parent_id.id, expected[order])
            references = (
                self.env["mail.mail"].search([("mail_message_id", "=", email.id)]).references
            )
            self.assertIn(email.parent_id.message_id, references.split())
            self.assertEqual(references.split()[-1], email.message_id)

    def test_emails_wait_for_the_job_while_odoo_loads_its_modules(self):
        """Demo data or an upgrade reserving orders: the Reserve email's invoice
        PDF would be rendered through the server that is loading (wkhtmltopdf
        then waits for it forever, as `make run` did). The emails wait for the
        status email job, which sends them once the server runs."""
        order = self._create_order(lines=[(self.hammer, 1)])
        order.action_agora_submit()
        self._flush_tracking()

        def reserve_mails():
            return (
                self.env["mail.mail"]
                .search([("model", "=", "sale.order"), ("res_id", "=", order.id)])
                .filtered(lambda m: "Reserve" in (m.subject or ""))
            )

        with patch.object(self.env.registry, "ready", False):
            order.action_agora_reserve()
            self._flush_tracking()
        self.assertEqual(order.agora_state, "reserve")
        self.assertEqual(order.agora_state_mail_pending, "reserve")
        self.assertFalse(reserve_mails(), "no PDF rendered while the modules load")
        self.env["sale.order"]._cron_agora_send_state_mails()
        self._flush_tracking()
        self.assertFalse(order.agora_state_mail_pending)
        self.assertEqual(len(reserve_mails()), 1)
        self.assertTrue(reserve_mails().attachment_ids, "the invoice goes with it")

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

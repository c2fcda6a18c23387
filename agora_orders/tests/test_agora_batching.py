from contextlib import nullcontext

from odoo.tests import tagged

from .common import AgoraCommon


@tagged("post_install", "-at_install")
class TestAgoraBatching(AgoraCommon):
    """The helpers the batch jobs run in: tracking notes inserted together."""

    def _lock(self, orders, batched, locked=True):
        """Lock (or unlock) the orders, a tracked field: return the queries it
        took, tracking notes included, and each order's new note."""
        self._flush_tracking()
        last = self.env["mail.message"].search([], order="id desc", limit=1).id
        before = self.cr.sql_log_count
        block = (
            self.env["mail.thread"]._agora_batched_tracking_notes() if batched else nullcontext()
        )
        with block:
            orders.write({"locked": locked})
            self._flush_tracking()
        queries = self.cr.sql_log_count - before
        notes = {}
        for order in orders:
            message = self.env["mail.message"].search(
                [("model", "=", "sale.order"), ("res_id", "=", order.id), ("id", ">", last)]
            )
            self.assertEqual(len(message), 1, "one note per order")
            notes[order] = message
        return queries, notes

    def _warm_up(self):
        """Lock and unlock an order once: the first write reads what later
        ones find in cache."""
        order = self._create_order(lines=[(self.hammer, 1)])
        self._lock(order, batched=False)
        self._lock(order, batched=False, locked=False)

    def _describe(self, message):
        return {
            "type": message.message_type,
            "subtype": message.subtype_id,
            "author": message.author_id,
            "internal": message.is_internal,
            "body": message.body,
            "tracking": [
                (value.field_id.name, value.old_value_integer, value.new_value_integer)
                for value in message.tracking_value_ids
            ],
        }

    def test_tracking_notes_of_a_batch_are_odoo_notes_inserted_together(self):
        orders = self.env["sale.order"].union(
            *(self._create_order(lines=[(self.hammer, n)]) for n in (1, 2, 3, 4, 5, 6, 7, 8))
        )
        one_by_one, batched = orders[:4], orders[4:]
        self._warm_up()
        queries_one_by_one, notes_one_by_one = self._lock(one_by_one, batched=False)
        queries_batched, notes_batched = self._lock(batched, batched=True)
        # The notes Odoo logs, each on its own order, tracking the lock.
        expected = {
            "type": "notification",
            "subtype": self.env.ref("mail.mt_note"),
            "author": self.env.user.partner_id,
            "internal": True,
            "body": notes_one_by_one[one_by_one[0]].body,
            "tracking": [("locked", 0, 1)],
        }
        for order, note in (notes_one_by_one | notes_batched).items():
            with self.subTest(order=order.name):
                self.assertEqual(self._describe(note), expected)
        # Four notes, each a message and its tracking value: one insert of the
        # messages and one of their values, instead of four of each.
        self.assertEqual(queries_one_by_one - queries_batched, 6)
        # After the block, notes are logged one at a time again.
        queries_after, _notes = self._lock(batched, batched=False, locked=False)
        self.assertEqual(queries_after, queries_one_by_one)

    def test_a_lone_tracking_note_is_logged_as_odoo_does(self):
        order = self._create_order(lines=[(self.hammer, 1)])
        other = self._create_order(lines=[(self.hammer, 2)])
        self._warm_up()
        queries_alone, note = self._lock(order, batched=True)
        queries_odoo, odoo_note = self._lock(other, batched=False)
        self.assertEqual(queries_alone, queries_odoo)
        self.assertEqual(self._describe(note[order]), self._describe(odoo_note[other]))

from contextlib import nullcontext
from unittest.mock import patch

from odoo.tests import tagged

from .common import AgoraCommon


@tagged("post_install", "-at_install")
class TestAgoraBatching(AgoraCommon):
    """The two helpers the batch jobs run in: tracking notes inserted
    together, and an email body compiled once for its batch."""

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

    def test_batch_email_body_is_compiled_once_and_rendered_per_order(self):
        self._load_russian()
        self.portal_beta.partner_id.lang = "ru_RU"
        orders = self._create_order(lines=[(self.hammer, 1)]) | self._create_order(
            lines=[(self.hammer, 2)]
        )
        beta_orders = self.env["sale.order"].union(
            *(
                self._create_order(
                    partner=self.portal_beta.partner_id,
                    lines=[(self.paint, qty)],
                    user=self.salesman_other,
                )
                for qty in (1, 2)
            )
        )
        everyone = orders | beta_orders
        template = self.env.ref("agora_orders.mail_template_agora_state_closed")
        IrQweb = self.registry["ir.qweb"]
        generate_code = IrQweb._generate_code

        def render(batched):
            block = (
                self.env["ir.qweb"]._agora_reuse_inline_compilations()
                if batched
                else nullcontext()
            )
            with (
                patch.object(
                    IrQweb, "_generate_code", autospec=True, side_effect=generate_code
                ) as compiled,
                block,
            ):
                bodies = {}
                for lang, batch in (("en_US", orders), ("ru_RU", beta_orders)):
                    bodies.update(
                        template.with_context(lang=lang)._render_field("body_html", batch.ids)
                    )
            return bodies, compiled.call_count

        bodies_odoo, compiled_odoo = render(batched=False)
        bodies, compiled = render(batched=True)
        # Each order's own body, in its client's language, as Odoo renders it.
        self.assertEqual(bodies, bodies_odoo)
        for order in everyone:
            self.assertIn(order.name, bodies[order.id])
        for order in beta_orders:
            self.assertIn("Здравствуйте", bodies[order.id])
        self.assertNotIn("Здравствуйте", bodies[orders[0].id])
        # Per language, Odoo compiles the body once to check it, then once per
        # order; in the block, once to check it and once to render the batch.
        self.assertEqual(compiled_odoo, 2 * (1 + 2))
        self.assertEqual(compiled, 2 * (1 + 1))

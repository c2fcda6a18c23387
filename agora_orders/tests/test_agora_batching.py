from contextlib import nullcontext
from unittest.mock import patch

from markupsafe import Markup

from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import AgoraCommon


@tagged("post_install", "-at_install")
class TestAgoraBatching(AgoraCommon):
    """The two helpers the batch jobs run in: tracking notes inserted
    together, and an email body compiled once for its batch."""

    def _track(self, orders, values, batched):
        """Write each order its own values (tracked fields) in one
        transaction: return the queries it took, tracking notes included, and
        each order's new note."""
        self._flush_tracking()
        last = self.env["mail.message"].search([], order="id desc", limit=1).id
        before = self.cr.sql_log_count
        block = (
            self.env["mail.thread"]._agora_batched_tracking_notes() if batched else nullcontext()
        )
        with block:
            for order, vals in zip(orders, values, strict=True):
                order.write(vals)
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

    def _move_to_teams(self, orders, teams, batched=False):
        return self._track(orders, [{"team_id": team.id} for team in teams], batched)

    def _warm_up(self):
        """Track a change of an order once: the first write reads what later
        ones find in cache."""
        order = self._create_order(lines=[(self.hammer, 1)])
        self._track(order, [{"locked": True}], batched=False)

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
            *(self._create_order(lines=[(self.hammer, n)]) for n in range(1, 9))
        )
        teams = self.env["crm.team"].create([{"name": f"Team {n}"} for n in range(1, 9)])
        team_before = orders[0].team_id
        one_by_one, batched = orders[:4], orders[4:]
        self._warm_up()
        queries_one_by_one, notes_one_by_one = self._move_to_teams(one_by_one, teams[:4])
        queries_batched, notes_batched = self._move_to_teams(batched, teams[4:], batched=True)
        # The notes Odoo logs, each on its own order, with its own change.
        for order, team in zip(orders, teams, strict=True):
            with self.subTest(order=order.name):
                note = (notes_one_by_one | notes_batched)[order]
                self.assertEqual(
                    self._describe(note),
                    {
                        "type": "notification",
                        "subtype": self.env.ref("mail.mt_note"),
                        "author": self.env.user.partner_id,
                        "internal": True,
                        "body": notes_one_by_one[one_by_one[0]].body,
                        "tracking": [("team_id", team_before.id, team.id)],
                    },
                )
        # Four notes, each a message and its tracking value: one insert of the
        # messages and one of their values, instead of four of each.
        self.assertEqual(queries_one_by_one - queries_batched, 6)
        # After the block, notes are logged one at a time again.
        queries_after, _notes = self._move_to_teams(batched, teams[:4])
        self.assertEqual(queries_after, queries_one_by_one)

    def test_a_lone_tracking_note_is_logged_as_odoo_does(self):
        order = self._create_order(lines=[(self.hammer, 1)])
        other = self._create_order(lines=[(self.hammer, 2)])
        self._warm_up()
        queries_alone, note = self._track(order, [{"locked": True}], batched=True)
        queries_odoo, odoo_note = self._track(other, [{"locked": True}], batched=False)
        self.assertEqual(queries_alone, queries_odoo)
        self.assertEqual(self._describe(note[order]), self._describe(odoo_note[other]))

    def test_notes_logged_by_a_hook_meanwhile_are_created_at_once(self):
        """Only the notes ``_message_track`` logs with the values it tracked
        wait for their insert: a note a hook logs meanwhile (on another record
        or on one being tracked), or a tracking it runs on other records, is
        created at once, and the hook gets its message back."""
        orders = self._create_order(lines=[(self.hammer, 1)]) | self._create_order(
            lines=[(self.hammer, 2)]
        )
        others = self._create_order(lines=[(self.hammer, 3)]) | self._create_order(
            lines=[(self.hammer, 4)]
        )
        self._warm_up()
        Message = self.env["mail.message"]
        client_ref = orders.fields_get(["client_order_ref"])["client_order_ref"]
        SaleOrder = self.registry["sale.order"]
        track_subtype = SaleOrder._track_subtype
        create_notes = SaleOrder._agora_create_tracking_notes
        seen, inserted = [], []

        def log_from_hook(record):
            tracking = self.env["mail.tracking.value"]._create_tracking_values(
                "PO-1", "PO-2", "client_order_ref", client_ref, record
            )
            logged = record._message_log(body="Hook", tracking_value_ids=[(0, 0, tracking)])
            return logged, Message.search_count([("id", "=", logged.id)])

        def hook(record, init_values):
            if record == orders[0]:
                # Notes with tracking values: on a record not tracked here, and
                # on one being tracked.
                seen.append(log_from_hook(others[0]))
                seen.append(log_from_hook(orders[1]))
                # A tracking of other records (both were unlocked, not locked).
                others._message_track(["locked"], {other.id: {"locked": True} for other in others})
                seen.append(
                    Message.search_count(
                        [("model", "=", "sale.order"), ("res_id", "in", others.ids)]
                    )
                )
            return track_subtype(record, init_values)

        def record_insert(model, notes):
            inserted.append(len(notes))
            return create_notes(model, notes)

        notes_before = Message.search_count(
            [("model", "=", "sale.order"), ("res_id", "in", others.ids)]
        )
        self._flush_tracking()
        last = Message.search([], order="id desc", limit=1).id
        with (
            patch.object(SaleOrder, "_track_subtype", autospec=True, side_effect=hook),
            patch.object(
                SaleOrder, "_agora_create_tracking_notes", autospec=True, side_effect=record_insert
            ),
            self.env["mail.thread"]._agora_batched_tracking_notes(),
        ):
            orders.write({"locked": True})
            self._flush_tracking()
        (logged_other, exists_other), (logged_tracked, exists_tracked), notes_of_others = seen
        for logged, exists in ((logged_other, exists_other), (logged_tracked, exists_tracked)):
            self.assertEqual(logged.body, Markup("<p>Hook</p>"))
            self.assertEqual(exists, 1, "created when logged")
        self.assertEqual(
            notes_of_others, notes_before + 3, "the hook's note and two tracking notes"
        )
        # The hook's tracking of the two others inserted their notes together
        # before it returned; then the two orders' own notes were, each with
        # its change.
        self.assertEqual(inserted, [2, 2])
        for order in orders:
            lock_note = Message.search(
                [
                    ("model", "=", "sale.order"),
                    ("res_id", "=", order.id),
                    ("id", ">", last),
                    ("tracking_value_ids.field_id.name", "=", "locked"),
                ]
            )
            self.assertEqual(self._describe(lock_note)["tracking"], [("locked", 0, 1)])

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

    def test_compiled_body_is_not_reused_for_a_restricted_rendering(self):
        """A user who may not use code in templates (here a portal client) is
        refused a body compiled in the same block for one who may: the
        compiled code is reused only in the same context and for the same
        user."""
        order = self._create_order(lines=[(self.hammer, 1)])
        body = '<p t-out="object.name"/><p t-if="object.amount_total > 0">Due</p>'
        Composer = self.env["mail.compose.message"]
        with self.env["ir.qweb"]._agora_reuse_inline_compilations():
            rendered = Composer._render_template_qweb(body, "sale.order", order.ids)
            self.assertIn(order.name, rendered[order.id])
            self.assertIn("Due", rendered[order.id])
            with self.assertRaises(AccessError):
                Composer.with_user(self.portal_alfa)._render_template_qweb(
                    body, "sale.order", order.ids
                )
            # The same body with another rendering option is compiled anew.
            commented = "<!-- note --><p t-out='object.name'/><p t-if='True'>Due</p>"
            plain = Composer._render_template_qweb(commented, "sale.order", order.ids)
            self.assertNotIn("<!-- note -->", plain[order.id])
            with_comments = Composer._render_template_qweb(
                commented, "sale.order", order.ids, options={"preserve_comments": True}
            )
            self.assertIn("<!-- note -->", with_comments[order.id])

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

    def test_real_author_is_odoos_without_a_query(self):
        """Who Odoo counts as the real author of an order's message (not
        notified of it), whoever posts it and whoever signs it, now without a
        query for OdooBot's posts."""
        order = self._create_order(lines=[(self.hammer, 1)])
        odoobot = self.env.ref("base.user_root")
        archived = self.env["res.partner"].create({"name": "Former buyer", "active": False})
        authors = [
            None,
            self.salesman.partner_id.id,
            odoobot.partner_id.id,
            archived.id,
        ]
        for user in (self.salesman, odoobot):
            for author_id in authors:
                self.assertEqual(
                    order.with_user(user)._message_compute_real_author(author_id),
                    self.env["mail.thread"]
                    .with_user(user)
                    ._message_compute_real_author(author_id),
                    f"posted by {user.name}, signed by partner {author_id}",
                )
        self.assertFalse(odoobot.active)
        with self.assertQueryCount(0):
            self.assertEqual(
                order.with_user(odoobot)._message_compute_real_author(self.salesman.partner_id.id),
                self.salesman.partner_id,
            )

import contextvars
from collections import defaultdict
from contextlib import contextmanager

from odoo import api, models

# Set by ``_agora_batched_tracking_notes``: the block in which the tracking
# notes of records changed together are created together.
_BATCHING = contextvars.ContextVar("agora_batching_tracking_notes", default=False)
# While one ``_message_track`` call runs in such a block: the notes it logs,
# as (model, values) pairs, created when it ends.
_NOTES = contextvars.ContextVar("agora_tracking_notes", default=None)
# While ``_message_log_batch`` prepares one of those notes: where its
# ``_message_create`` leaves the values instead of inserting them.
_LOGGING_INTO = contextvars.ContextVar("agora_tracking_notes_logging_into", default=None)


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    @api.model
    @contextmanager
    def _agora_batched_tracking_notes(self):
        """Create the tracking notes of records changed together in this block
        (the history notes in their chatters: "Status: Reserved → Cancelled")
        in one insert per model, rather than one at a time.

        Odoo tracks the records of a model together (``_message_track``), but
        logs each one's note on its own (``_message_log``): an insert of the
        message, then one of its tracking values. When the expiry cron closes
        a batch of orders, their orders', deliveries' and invoices' notes were
        a third of its time. The notes are the same, prepared by Odoo's own
        ``_message_log_batch``; only their inserts are grouped. A note posted
        with a subtype (it notifies followers) still goes through
        ``message_post`` on its own.
        """
        token = _BATCHING.set(True)
        try:
            yield
        finally:
            _BATCHING.reset(token)

    def _message_track(self, fields_iter, initial_values_dict):
        if not _BATCHING.get() or len(self) < 2 or _NOTES.get() is not None:
            return super()._message_track(fields_iter, initial_values_dict)
        notes = []
        token = _NOTES.set(notes)
        try:
            tracking = super()._message_track(fields_iter, initial_values_dict)
        finally:
            _NOTES.reset(token)
        self._agora_create_tracking_notes(notes)
        return tracking

    def _message_log_batch(self, bodies, *args, **kwargs):
        notes = _NOTES.get()
        # Only the tracking notes ``_message_track`` logs (``_message_log``
        # passes keywords): a note some hook logs meanwhile is created at once.
        if notes is None or args or not kwargs.get("tracking_value_ids"):
            return super()._message_log_batch(bodies, *args, **kwargs)
        token = _LOGGING_INTO.set(notes)
        try:
            # Its return value (the message) is not used by ``_message_track``.
            return super()._message_log_batch(bodies, *args, **kwargs)
        finally:
            _LOGGING_INTO.reset(token)

    def _message_create(self, values_list):
        notes = _LOGGING_INTO.get()
        if notes is None:
            return super()._message_create(values_list)
        notes.extend((self, values) for values in values_list)
        return self.env["mail.message"]

    @api.model
    def _agora_create_tracking_notes(self, notes):
        """Insert the notes logged by a ``_message_track`` call, each model's
        at once, and their tracking values at once.

        ``mail.message.create`` inserts the tracking values of each message on
        its own, after the messages; they are inserted for all the messages
        here the same way: the values given, linked to their message.
        """
        threads = {}
        by_model = defaultdict(list)
        for thread, values in notes:
            threads.setdefault(thread._name, thread.browse())
            by_model[thread._name].append(values)
        tracking_values = []
        for model, values_list in by_model.items():
            created = []
            for values in values_list:
                commands = values.get("tracking_value_ids") or []
                created.append([cmd[2] for cmd in commands if len(cmd) == 3 and cmd[0] == 0])
                others = [cmd for cmd in commands if len(cmd) != 3 or cmd[0] != 0]
                values["tracking_value_ids"] = others or False
            messages = threads[model]._message_create(values_list)
            for message, tracking_values_vals in zip(messages, created, strict=True):
                tracking_values.extend(
                    dict(vals, mail_message_id=message.id) for vals in tracking_values_vals
                )
        if tracking_values:
            # sudo: as mail.message.create inserts them (tracking values are
            # written only along with their message).
            self.env["mail.tracking.value"].sudo().create(tracking_values)

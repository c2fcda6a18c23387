import contextvars
from contextlib import contextmanager
from dataclasses import dataclass, field

from odoo import api, models
from odoo.tools.misc import clean_context

# Set by ``_agora_batched_tracking_notes``: the block in which the tracking
# notes of records changed together are created together.
_BATCHING = contextvars.ContextVar("agora_batching_tracking_notes", default=False)
# While one ``_message_track`` call runs in such a block: its ``_TrackingNotes``.
_NOTES = contextvars.ContextVar("agora_tracking_notes", default=None)
# While ``_message_log_batch`` prepares one of those notes: where its
# ``_message_create`` leaves the values instead of inserting them.
_LOGGING_INTO = contextvars.ContextVar("agora_tracking_notes_logging_into", default=None)


@dataclass
class _TrackingNotes:
    """The records one ``_message_track`` call tracks, the tracking values it
    computed for them (``_mail_track``'s lists, known by identity), and the
    notes it logs with those values, as (record, values) pairs."""

    model: str
    ids: set
    tracking_lists: set = field(default_factory=set)
    notes: list = field(default_factory=list)


@contextmanager
def _context_value(variable, value):
    token = variable.set(value)
    try:
        yield
    finally:
        variable.reset(token)


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
        with _context_value(_BATCHING, True):
            yield

    def _message_track(self, fields_iter, initial_values_dict):
        if not _BATCHING.get() or len(self) < 2:
            return super()._message_track(fields_iter, initial_values_dict)
        tracked = _TrackingNotes(self._name, set(self.ids))
        with _context_value(_NOTES, tracked):
            tracking = super()._message_track(fields_iter, initial_values_dict)
        self._agora_create_tracking_notes(tracked.notes)
        return tracking

    def _mail_track(self, tracked_fields, initial_values):
        changes, tracking_value_ids = super()._mail_track(tracked_fields, initial_values)
        tracked = _NOTES.get()
        if tracked is not None and self._name == tracked.model and self.id in tracked.ids:
            tracked.tracking_lists.add(id(tracking_value_ids))
        return changes, tracking_value_ids

    def _message_log_batch(self, bodies, *args, **kwargs):
        tracked = _NOTES.get()
        # Only the notes ``_message_track`` logs with the tracking values it
        # computed (``_message_log`` passes that very list, as a keyword) are
        # left for the batch insert: ``_message_track`` does not read the
        # message it gets back. Any other note, a hook's for instance, is
        # created at once.
        if (
            tracked is None
            or args
            or id(kwargs.get("tracking_value_ids")) not in tracked.tracking_lists
        ):
            return super()._message_log_batch(bodies, *args, **kwargs)
        with _context_value(_LOGGING_INTO, tracked.notes):
            return super()._message_log_batch(bodies, *args, **kwargs)

    def _message_create(self, values_list):
        notes = _LOGGING_INTO.get()
        if notes is None:
            return super()._message_create(values_list)
        notes.extend((self, values) for values in values_list)
        return self.env["mail.message"]

    @api.model
    def _agora_create_tracking_notes(self, notes):
        """Insert the notes logged by a ``_message_track`` call at once, and
        their tracking values at once.

        ``mail.message.create`` inserts the tracking values of each message on
        its own, after the messages; they are inserted for all the messages
        here the same way: the values given, linked to their message.
        """
        if not notes:
            return
        # The environment ``_message_log_batch`` creates them in (sudo).
        thread = notes[0][0].browse()
        values_list, tracking_values_by_note = [], []
        for _record, values in notes:
            commands = values.get("tracking_value_ids") or []
            tracking_values_by_note.append(
                [cmd[2] for cmd in commands if len(cmd) == 3 and cmd[0] == 0]
            )
            others = [cmd for cmd in commands if len(cmd) != 3 or cmd[0] != 0]
            values_list.append(dict(values, tracking_value_ids=others or False))
        messages = thread._message_create(values_list)
        tracking_values = [
            dict(vals, mail_message_id=message.id)
            for message, note_tracking_values in zip(
                messages, tracking_values_by_note, strict=True
            )
            for vals in note_tracking_values
        ]
        if tracking_values:
            # sudo: as mail.message.create inserts them (tracking values are
            # written only along with their message), in a clean context.
            TrackingValue = self.env["mail.tracking.value"].with_env(
                self.env(context=clean_context(self.env.context))
            )
            TrackingValue.sudo().create(tracking_values)

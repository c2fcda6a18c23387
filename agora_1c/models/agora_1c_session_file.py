from odoo import api, fields, models

FILE_KINDS = [
    ("import", "Catalog (import)"),
    ("offers", "Offers"),
    ("prices", "Prices"),
    ("rests", "Stock"),
    ("orders", "Orders"),
    ("archive", "Archive"),
    ("image", "Image"),
    ("other", "Other"),
]
FILE_STATES = [
    ("received", "Received"),
    ("importing", "Importing"),
    ("done", "Imported"),
    ("failed", "Failed"),
]


def file_kind(filename):
    """What a file 1C sends holds, from its name: ``import0_1.xml`` is a catalog,
    ``offers0_1.xml`` offers, ``v8_2F3A_1.zip`` an archive of them."""
    name = filename.rsplit("/", 1)[-1].lower()
    if name.endswith(".zip"):
        return "archive"
    if name.endswith(".xml"):
        for kind in ("import", "offers", "prices", "rests", "orders"):
            if name.startswith(kind):
                return kind
        if name.startswith(("documents", "to", "from")):
            return "orders"
        return "other"
    if name.endswith((".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp")):
        return "image"
    return "other"


class Agora1cSessionFile(models.Model):
    """One file of an exchange session: received in chunks, then imported in steps.

    The import of a big file runs over several HTTP calls (1C is answered
    ``progress`` in between): ``phase`` and ``position`` say where the next
    call goes on, and the counters add up over the calls.
    """

    _name = "agora.1c.session.file"
    _description = "1C Exchange File"
    _order = "id"
    _rec_name = "filename"

    session_id = fields.Many2one(
        "agora.1c.session", required=True, ondelete="cascade", index=True, readonly=True
    )
    filename = fields.Char(
        required=True,
        readonly=True,
        help="The file's name as 1C sent it, sanitised: a path inside the session's work area.",
    )
    kind = fields.Selection(FILE_KINDS, compute="_compute_kind", store=True)
    size = fields.Integer(string="Size (bytes)", readonly=True)
    chunk_count = fields.Integer(string="Chunks", readonly=True)
    state = fields.Selection(FILE_STATES, default="received", required=True, readonly=True)
    phase = fields.Char(
        readonly=True, help="Technical: the step of the import the next call goes on with."
    )
    position = fields.Integer(
        readonly=True,
        help="Technical: how many items of the current phase are already imported.",
    )
    item_count = fields.Integer(string="Items", readonly=True)
    created_count = fields.Integer(string="Created", readonly=True)
    updated_count = fields.Integer(string="Updated", readonly=True)
    archived_count = fields.Integer(string="Archived", readonly=True)
    skipped_count = fields.Integer(string="Unchanged", readonly=True)
    problem_count = fields.Integer(string="Problems", readonly=True)
    problems = fields.Text(
        string="Problem Details",
        readonly=True,
        help="What could not be read or matched, one line each; the rest of the file was "
        "imported.",
    )
    message = fields.Char(readonly=True, help="Why the file failed, as 1C was answered.")
    date_start = fields.Datetime(string="Import Started", readonly=True)
    date_done = fields.Datetime(string="Import Finished", readonly=True)

    @api.depends("filename")
    def _compute_kind(self):
        for record in self:
            record.kind = file_kind(record.filename or "")

    # Problems are many on a bad file: the log keeps the first ones and counts
    # the rest, so that a 50,000-line catalog cannot grow the record without end.
    MAX_PROBLEM_LINES = 200

    def _agora_1c_add_counts(self, counts, problems=()):
        """Add one step's figures (``created``, ``updated``, ``archived``, ``skipped``,
        ``items``) and problems (short lines) to this file's."""
        self.ensure_one()
        vals = {
            f"{key}_count": self[f"{key}_count"] + value
            for key, value in counts.items()
            if key in ("created", "updated", "archived", "skipped")
        }
        if "items" in counts:
            vals["item_count"] = self.item_count + counts["items"]
        problems = list(problems)
        if problems:
            vals["problem_count"] = self.problem_count + len(problems)
            kept = (self.problems or "").splitlines()
            room = self.MAX_PROBLEM_LINES - len(kept)
            if room > 0:
                kept.extend(problems[:room])
                vals["problems"] = "\n".join(kept)
        if vals:
            self.write(vals)

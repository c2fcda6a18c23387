import hashlib
import logging
import os
import posixpath
import secrets
import shutil
import time
import zipfile
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import config, format_datetime

from .agora_1c_session_file import file_kind

_logger = logging.getLogger(__name__)

EXCHANGE_TYPES = [("catalog", "Catalog"), ("sale", "Orders")]
SESSION_STATES = [
    ("open", "In Progress"),
    ("done", "Done"),
    ("failed", "Failed"),
    ("refused", "Refused"),
]
# A session 1C opened with checkauth is good for one exchange: 1C runs them
# every few minutes, and a big catalog takes well under this.
SESSION_LIFETIME = timedelta(hours=12)
# What an archive may hold once unpacked: 1C's image folders are big, a zip
# bomb is bigger.
MAX_UNPACKED_BYTES = 4 * 1024**3
MAX_ARCHIVE_MEMBERS = 200_000
# How the import of the kinds of files goes: import.xml (groups, products)
# before the offers, prices and stock that refer to them.
CATALOG_KINDS = ("import", "offers", "prices", "rests")


def sanitize_filename(filename):
    """The relative path 1C gives a file (``import_files/ab/x.jpg``), made safe.

    Folders are kept, backslashes read as slashes; ``..``, an absolute path or a
    drive letter is refused rather than rewritten, so that a file can never be
    written outside the session's work area. Raises ``UserError``.
    """
    name = (filename or "").replace("\\", "/").strip()
    parts = [part for part in name.split("/") if part not in ("", ".")]
    if (
        not parts
        or name.startswith("/")
        or ".." in parts
        or ":" in parts[0]
        or any("\x00" in part for part in parts)
    ):
        raise UserError(_("The file name %(name)s is not allowed.", name=filename or '""'))
    return posixpath.join(*parts)


class Agora1cSession(models.Model):
    """One exchange with 1C, from ``checkauth`` to the last import: the log staff read.

    1C authenticates once with HTTP Basic; the session's token, sent back by 1C
    as a cookie on every later call, identifies it. Its files live in a work
    area of its own under Odoo's data directory, wiped by ``init``: a chunk is
    never appended to another session's file.
    """

    _name = "agora.1c.session"
    _description = "1C Exchange Session"
    _order = "date_start desc, id desc"

    name = fields.Char(compute="_compute_name")
    exchange_type = fields.Selection(EXCHANGE_TYPES, required=True, readonly=True)
    user_id = fields.Many2one(
        "res.users", string="Exchange User", readonly=True, ondelete="set null", index=True
    )
    login = fields.Char(readonly=True, help="The login 1C presented.")
    remote_addr = fields.Char(string="Address", readonly=True)
    user_agent = fields.Char(readonly=True)
    token_hash = fields.Char(readonly=True, copy=False, index=True, groups="base.group_system")
    state = fields.Selection(SESSION_STATES, default="open", required=True, readonly=True)
    source = fields.Selection(
        [("http", "1C (HTTP)"), ("manual", "Manual Import")],
        default="http",
        required=True,
        readonly=True,
    )
    date_start = fields.Datetime(
        string="Started", default=fields.Datetime.now, required=True, readonly=True
    )
    date_last = fields.Datetime(string="Last Call", readonly=True)
    call_count = fields.Integer(string="Calls", readonly=True)
    use_zip = fields.Boolean(readonly=True)
    file_limit = fields.Integer(readonly=True)
    file_ids = fields.One2many(
        "agora.1c.session.file", "session_id", string="Files", readonly=True
    )
    log = fields.Text(readonly=True, help="Every call of the session, one line each.")
    message = fields.Char(readonly=True, help="Why the session failed or was refused.")
    order_ids = fields.Many2many(
        "sale.order",
        "agora_1c_session_sale_order_rel",
        "session_id",
        "order_id",
        string="Orders Sent",
        readonly=True,
        help="The orders the last query of this session sent to 1C. They are marked as "
        "exported when 1C confirms with success, and only then.",
    )
    query_date = fields.Datetime(readonly=True)
    order_versions = fields.Json(
        readonly=True,
        help="Technical: the version (last change) of each order the last query sent, "
        "so that success marks sent only the orders unchanged since.",
    )
    orders_confirmed = fields.Boolean(readonly=True)
    created_count = fields.Integer(string="Created", compute="_compute_counts", store=True)
    updated_count = fields.Integer(string="Updated", compute="_compute_counts", store=True)
    archived_count = fields.Integer(string="Archived", compute="_compute_counts", store=True)
    skipped_count = fields.Integer(string="Unchanged", compute="_compute_counts", store=True)
    problem_count = fields.Integer(string="Problems", compute="_compute_counts", store=True)

    @api.depends("exchange_type", "date_start")
    def _compute_name(self):
        types = dict(self._fields["exchange_type"]._description_selection(self.env))
        for session in self:
            date = format_datetime(self.env, session.date_start) if session.date_start else ""
            session.name = f"{types.get(session.exchange_type, '')} {date}"

    @api.depends(
        "file_ids.created_count",
        "file_ids.updated_count",
        "file_ids.archived_count",
        "file_ids.skipped_count",
        "file_ids.problem_count",
    )
    def _compute_counts(self):
        for session in self:
            for key in ("created", "updated", "archived", "skipped", "problem"):
                session[f"{key}_count"] = sum(session.file_ids.mapped(f"{key}_count"))

    # --- Settings -------------------------------------------------------

    @api.model
    def _agora_1c_param(self, key, default=None):
        # sudo: the exchange's settings are system parameters; the exchange
        # user reads them to answer 1C, and never writes them.
        return self.env["ir.config_parameter"].sudo().get_param(f"agora_1c.{key}", default)

    @api.model
    def _agora_1c_number_param(self, key, default, cast=int):
        """A numeric setting; ``default`` when it is unset or unreadable."""
        try:
            return cast(self._agora_1c_param(key, default) or default)
        except (TypeError, ValueError):
            return default

    @api.model
    def _agora_1c_flag(self, key, default=True):
        """A yes/no setting, stored as "True"/"False" (Odoo deletes an unticked
        box's parameter, which would read as the default)."""
        value = self._agora_1c_param(key)
        if value is None:
            return default
        return str(value).strip().lower() not in ("false", "0", "")

    @api.model
    def _agora_1c_company(self):
        """The company the exchange works for (setting ``company_id``), else the
        main company: its catalog, stock and orders."""
        company_id = self._agora_1c_number_param("company_id", 0)
        # sudo: the exchange user may belong to no company's users; it only
        # learns which company it works for.
        company = (
            self.env["res.company"].sudo().browse(company_id).exists() if company_id else None
        )
        return company or self.env.ref("base.main_company")

    @api.model
    def _agora_1c_file_limit(self):
        limit = self._agora_1c_number_param("file_limit", 0)
        return limit if limit > 0 else 100 * 1024**2

    @api.model
    def _agora_1c_use_zip(self):
        return self._agora_1c_flag("use_zip")

    @api.model
    def _agora_1c_step_seconds(self):
        # 0 imports one batch per call (tests, slow proxies).
        return max(self._agora_1c_number_param("step_seconds", 15.0, cast=float), 0)

    # --- Sessions and their tokens --------------------------------------

    @api.model
    def _agora_1c_hash_token(self, token):
        return hashlib.sha256(token.encode()).hexdigest()

    @api.model
    def _agora_1c_start(self, exchange_type, user, request_info=None, source="http"):
        """Open a session for ``user`` (checked by the caller) and return it with its
        token, which only 1C knows afterwards: the database keeps its hash. A
        manual import (``source="manual"``) logs its own first line."""
        token = secrets.token_urlsafe(32)
        info = request_info or {}
        session = self.create(
            {
                "exchange_type": exchange_type if exchange_type == "sale" else "catalog",
                "user_id": user.id,
                "login": user.login,
                "remote_addr": info.get("remote_addr"),
                "user_agent": (info.get("user_agent") or "")[:250],
                "source": source,
                "date_last": fields.Datetime.now(),
            }
        )
        # sudo: the hash is kept from everyone but administrators (groups on the
        # field); the session's creator sets it once.
        session.sudo().token_hash = self._agora_1c_hash_token(token)
        if source == "http":
            session._agora_1c_log(_("checkauth: authenticated as %(login)s", login=user.login))
        return session, token

    @api.model
    def _agora_1c_refuse(self, login, reason, request_info=None):
        """Record a refused checkauth: staff see the attempts in the log, one
        session per login, address and hour with the count of attempts, so
        that a flood of attempts cannot flood the log."""
        info = request_info or {}
        login = (login or "")[:100]
        recent = self.search(
            [
                ("state", "=", "refused"),
                ("login", "=", login),
                ("remote_addr", "=", info.get("remote_addr")),
                ("date_start", ">", fields.Datetime.now() - timedelta(hours=1)),
            ],
            limit=1,
        )
        if recent:
            recent.write({"call_count": recent.call_count + 1, "date_last": fields.Datetime.now()})
            return recent
        session = self.create(
            {
                "exchange_type": "catalog",
                "state": "refused",
                "login": login,
                "remote_addr": info.get("remote_addr"),
                "user_agent": (info.get("user_agent") or "")[:250],
                "message": reason,
                "date_last": fields.Datetime.now(),
            }
        )
        session._agora_1c_log(reason)
        return session

    @api.model
    def _agora_1c_find(self, token):
        """The open session a token names, if it is still valid; else an empty
        recordset. The session is returned as superuser: the caller (the
        exchange controller, anonymous to Odoo until then) switches to the
        session's user once it has checked that user."""
        if not token:
            return self.browse()
        # sudo: the token hash is read by no one but the exchange itself, which
        # finds the session 1C's cookie names.
        return self.sudo().search(
            [
                ("token_hash", "=", self._agora_1c_hash_token(token)),
                ("state", "in", ("open", "done")),
                ("date_start", ">", fields.Datetime.now() - SESSION_LIFETIME),
            ],
            limit=1,
        )

    def _agora_1c_log(self, line):
        """Append one line to the session's log, with the time."""
        self.ensure_one()
        stamp = fields.Datetime.now().strftime("%H:%M:%S")
        self.write(
            {
                "log": f"{self.log or ''}{stamp} {line}\n",
                "date_last": fields.Datetime.now(),
                "call_count": self.call_count + 1,
            }
        )
        _logger.info("1C exchange session %s: %s", self.id, line)

    def _agora_1c_fail(self, message):
        self.ensure_one()
        self.write({"state": "failed", "message": message[:250]})
        self._agora_1c_log(_("failure: %(message)s", message=message))

    # --- The work area ---------------------------------------------------

    def _agora_1c_work_dir(self):
        """This session's folder under Odoo's data directory (created on demand)."""
        self.ensure_one()
        root = os.path.join(config["data_dir"], "agora_1c", self.env.cr.dbname)
        return os.path.join(root, f"session_{self.id}")

    def _agora_1c_work_path(self, relative):
        """The absolute path of a file of the work area; ``relative`` is sanitised."""
        base = os.path.realpath(self._agora_1c_work_dir())
        target = os.path.realpath(os.path.join(base, sanitize_filename(relative)))
        if os.path.commonpath([base, target]) != base:
            raise UserError(_("The file name %(name)s is not allowed.", name=relative))
        return target

    def _agora_1c_init(self):
        """``mode=init``: start a clean work area; answer what the exchange accepts."""
        self.ensure_one()
        # As 1C-Bitrix empties its folder at init: no work area outlives its use
        # for long, whatever the cleaning job's schedule.
        # Older sessions were cleaned by earlier calls or by the daily job.
        since = fields.Datetime.now() - 2 * SESSION_LIFETIME
        (self._agora_1c_stale_sessions(since) | self)._agora_1c_wipe_work_dir()
        self.file_ids.unlink()
        os.makedirs(self._agora_1c_work_dir(), exist_ok=True)
        self.write(
            {
                "use_zip": self._agora_1c_use_zip(),
                "file_limit": self._agora_1c_file_limit(),
                "state": "open",
                "message": False,
            }
        )
        self._agora_1c_log(
            _(
                "init: zip=%(zip)s, file_limit=%(limit)s",
                zip="yes" if self.use_zip else "no",
                limit=self.file_limit,
            )
        )
        return {"zip": self.use_zip, "file_limit": self.file_limit}

    def _agora_1c_wipe_work_dir(self):
        for session in self:
            shutil.rmtree(session._agora_1c_work_dir(), ignore_errors=True)

    def _agora_1c_receive_file(self, filename, data):
        """``mode=file``: append one chunk to a file of the work area.

        1C sends a file above ``file_limit`` as several calls under one name; each
        appends. A chunk that starts a new XML document (``<?xml``) restarts the
        file, as the WooCommerce plugin does: 1C resent it from the start.
        """
        self.ensure_one()
        name = sanitize_filename(filename)
        target = self._agora_1c_work_path(name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        record = self.file_ids.filtered(lambda f: f.filename == name)[:1]
        restart = not record or (
            record.state != "received" or data.lstrip(b"\xef\xbb\xbf").startswith(b"<?xml")
        )
        with open(target, "wb" if restart else "r+b") as handle:
            if not restart:
                # At the size the database knows: when Odoo replays a request
                # after a serialization failure, the database forgets the
                # first attempt but the file would keep its chunk twice.
                handle.seek(record.size)
                handle.truncate()
            handle.write(data)
        size = os.path.getsize(target)
        values = {
            "size": size,
            "chunk_count": 1 if restart else record.chunk_count + 1,
            "state": "received",
        }
        if record and restart:
            values.update(
                phase=False,
                position=0,
                item_count=0,
                created_count=0,
                updated_count=0,
                archived_count=0,
                skipped_count=0,
                problem_count=0,
                problems=False,
                message=False,
            )
        if record:
            record.write(values)
        else:
            record = self.env["agora.1c.session.file"].create(
                dict(values, session_id=self.id, filename=name)
            )
        self._agora_1c_log(
            _(
                "file %(name)s: %(bytes)s bytes received, %(size)s in all",
                name=name,
                bytes=len(data),
                size=size,
            )
        )
        return record

    def _agora_1c_unpack_archives(self):
        """Unpack the zip files 1C sent, once, into the work area.

        Each member's name is sanitised like a file name; the total size and
        the number of members are bounded. A damaged or truncated archive
        fails the session before anything is imported. Returns the names of
        the XML files unpacked.
        """
        self.ensure_one()
        xml_names = []
        for archive in self.file_ids.filtered(
            lambda f: f.kind == "archive" and f.state == "received"
        ):
            path = self._agora_1c_work_path(archive.filename)
            try:
                with zipfile.ZipFile(path) as bundle:
                    members = [m for m in bundle.infolist() if not m.is_dir()]
                    if len(members) > MAX_ARCHIVE_MEMBERS or (
                        sum(m.file_size for m in members) > MAX_UNPACKED_BYTES
                    ):
                        raise UserError(
                            _(
                                "The archive %(name)s is too big to unpack.",
                                name=archive.filename,
                            )
                        )
                    # Check every name before writing anything.
                    targets = [
                        (member, self._agora_1c_work_path(member.filename)) for member in members
                    ]
                    bad = bundle.testzip()
                    if bad:
                        raise zipfile.BadZipFile(f"bad CRC for {bad}")
                    unpacked = []
                    for member, target in targets:
                        os.makedirs(os.path.dirname(target), exist_ok=True)
                        with bundle.open(member) as source, open(target, "wb") as handle:
                            shutil.copyfileobj(source, handle, 1024 * 1024)
                        unpacked.append(sanitize_filename(member.filename))
            except (zipfile.BadZipFile, EOFError, OSError) as error:
                message = _(
                    "The archive %(name)s is damaged or incomplete (%(error)s). Send it again.",
                    name=archive.filename,
                    error=error,
                )
                archive.write({"state": "failed", "message": message[:250]})
                raise UserError(message) from error
            existing = set(self.file_ids.mapped("filename"))
            File = self.env["agora.1c.session.file"]
            File.create(
                [
                    {
                        "session_id": self.id,
                        "filename": name,
                        "size": os.path.getsize(self._agora_1c_work_path(name)),
                        "chunk_count": 1,
                    }
                    for name in unpacked
                    if name not in existing and file_kind(name) != "image"
                ]
            )
            xml_names += [name for name in unpacked if name.lower().endswith(".xml")]
            archive.write({"state": "done", "item_count": len(unpacked)})
            self._agora_1c_log(
                _(
                    "archive %(name)s: %(count)s files unpacked",
                    name=archive.filename,
                    count=len(unpacked),
                )
            )
        return xml_names

    def _agora_1c_file_named(self, filename):
        """The session's file 1C names in ``mode=import`` (after unpacking)."""
        self.ensure_one()
        name = sanitize_filename(filename)
        record = self.file_ids.filtered(lambda f: f.filename == name)[:1]
        if not record:
            # 1C names the file without the folder it was unpacked into.
            base = name.rsplit("/", 1)[-1]
            record = self.file_ids.filtered(lambda f: f.filename.rsplit("/", 1)[-1] == base)[:1]
        if not record:
            raise UserError(_("The file %(name)s was not received.", name=filename))
        return record

    # --- Catalog import ----------------------------------------------------

    def _agora_1c_import(self, filename):
        """``mode=import``: import (part of) one file; return ``"progress"`` or ``"success"``.

        One call works for about ``step_seconds`` and leaves the rest to the next
        call, so that no HTTP request outlives 1C's or a proxy's timeout. A
        problem with the file as a whole (malformed XML, a damaged archive)
        raises ``UserError``: the caller answers ``failure`` and rolls the
        call back.
        """
        self.ensure_one()
        if any(f.kind == "archive" and f.state == "received" for f in self.file_ids):
            self._agora_1c_unpack_archives()
            return "progress"
        record = self._agora_1c_file_named(filename)
        if record.state == "done":
            return "success"
        if record.state == "failed":
            raise UserError(record.message or _("The file %(name)s failed.", name=filename))
        deadline = time.monotonic() + self._agora_1c_step_seconds()
        if record.state == "received":
            record.write({"state": "importing", "date_start": fields.Datetime.now()})
        path = self._agora_1c_work_path(record.filename)
        if self.exchange_type == "sale" and record.filename.lower().endswith(".xml"):
            # In an order exchange every XML file is 1C's changes to orders,
            # whatever 1C's release names it (orders-<id>.xml, documents.xml).
            self.env["agora.1c.order.import"]._agora_1c_import_orders(record, path)
            done = True
        elif record.kind in ("import", "offers", "prices", "rests"):
            done = self.env["agora.1c.catalog.import"]._agora_1c_import_file(
                record, path, deadline
            )
        elif record.kind == "orders":
            self.env["agora.1c.order.import"]._agora_1c_import_orders(record, path)
            done = True
        else:
            record._agora_1c_add_counts({"skipped": 1})
            done = True
        if done:
            record.write({"state": "done", "date_done": fields.Datetime.now()})
            if all(f.state == "done" for f in self.file_ids if f.kind != "image"):
                self.state = "done"
        self._agora_1c_log(
            _(
                "import %(name)s: %(state)s (%(done)s items so far, %(problems)s problems)",
                name=record.filename,
                state="success" if done else "progress",
                done=record.item_count,
                problems=record.problem_count,
            )
        )
        return "success" if done else "progress"

    def _agora_1c_import_all(self):
        """Import every received file in 1C's order (catalog, then offers, prices and
        stock, then orders), step after step: the manual import and the tests."""
        self.ensure_one()
        order = {kind: index for index, kind in enumerate((*CATALOG_KINDS, "orders"))}
        self._agora_1c_unpack_archives()
        files = self.file_ids.filtered(lambda f: f.kind in order).sorted(
            lambda f: (order[f.kind], f.filename)
        )
        for record in files:
            while self._agora_1c_import(record.filename) == "progress":
                continue
        return files

    # --- Orders ------------------------------------------------------------

    def _agora_1c_query(self):
        """``type=sale&mode=query``: the orders to send, as one CommerceML document
        (bytes in the configured encoding). They are remembered on the session and
        marked exported only by ``_agora_1c_confirm_orders``."""
        self.ensure_one()
        # sudo: the exchange user reads no orders itself; 1C receives the orders
        # the settings name, with what 1C needs of their clients.
        orders = self.env["sale.order"].sudo()._agora_1c_orders_to_export()
        now = fields.Datetime.now()
        document = self.env["agora.1c.order.export"].sudo()._agora_1c_export_document(orders)
        self.sudo().write(
            {
                "order_ids": [fields.Command.set(orders.ids)],
                "query_date": now,
                "order_versions": {
                    str(order.id): order.write_date.isoformat() for order in orders
                },
                "orders_confirmed": False,
            }
        )
        self._agora_1c_log(_("query: %(count)s orders sent", count=len(orders)))
        return document

    def _agora_1c_confirm_orders(self):
        """``type=sale&mode=success``: 1C received the last query's orders."""
        self.ensure_one()
        # sudo: as for the query, the exchange user marks the orders it sent.
        session = self.sudo()
        orders = session.order_ids
        if session.query_date and not session.orders_confirmed:
            orders._agora_1c_mark_exported(session.order_versions or {})
            session.orders_confirmed = True
        self._agora_1c_log(_("success: %(count)s orders marked as sent", count=len(orders)))
        return orders

    # --- Retention ---------------------------------------------------------

    @api.model
    def _agora_1c_cron_clean(self):
        """Delete the sessions older than the retention setting, with their files."""
        days = self._agora_1c_number_param("log_days", 90)
        limit = fields.Datetime.now() - timedelta(days=max(days, 1))
        old = self.search([("date_start", "<", limit)])
        old._agora_1c_wipe_work_dir()
        old.unlink()
        self._agora_1c_stale_sessions()._agora_1c_wipe_work_dir()
        return True

    @api.model
    def _agora_1c_stale_sessions(self, since=None):
        """The sessions (started after ``since``) whose work area is no longer
        needed: finished an hour ago (their files are imported), or past their
        lifetime (1C cannot resume them; it starts a new session and sends its
        files again)."""
        now = fields.Datetime.now()
        return self.search(
            ([("date_start", ">", since)] if since else [])
            + [
                "|",
                ("date_start", "<", now - SESSION_LIFETIME),
                "&",
                ("state", "!=", "open"),
                ("date_last", "<", now - timedelta(hours=1)),
            ]
        )

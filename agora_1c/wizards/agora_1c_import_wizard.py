import logging

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools.misc import file_open

_logger = logging.getLogger(__name__)

# What one manual import may upload in all: Odoo's web client uploads files in
# requests of at most 128 MiB (odoo.http's DEFAULT_MAX_CONTENT_LENGTH). A big
# catalog with its pictures goes through 1C's own exchange, sent in chunks.
MAX_UPLOAD_BYTES = 128 * 1024**2
MANAGER_GROUP = "sales_team.group_sale_manager"
# The sample exchange of the demo database: files written for this project.
DEMO_FILES = ("agora_1c/demo/import.xml", "agora_1c/demo/offers.xml")


class Agora1cImportWizard(models.TransientModel):
    """Import files exported by 1C by hand (import.xml, offers.xml, or a zip).

    The files go through the very session the HTTP exchange uses, so that the
    import and its log are the same: staff find the result in the exchange log.
    """

    _name = "agora.1c.import.wizard"
    _description = "1C Manual Import"

    attachment_ids = fields.Many2many(
        "ir.attachment",
        "agora_1c_import_wizard_attachment_rel",
        "wizard_id",
        "attachment_id",
        string="Files",
        help="The files 1C exported (Выгрузка в файл): import*.xml, offers*.xml, prices*.xml, "
        "rests*.xml, orders, or one zip archive of them.",
    )

    def action_import(self):
        """Import the uploaded files in a new session and open its log."""
        self.ensure_one()
        if not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(self.env._("Only sales managers may import 1C files."))
        attachments = self.attachment_ids
        if not attachments:
            raise UserError(self.env._("Add the files exported by 1C first."))
        total = sum(attachments.mapped("file_size"))
        if total > MAX_UPLOAD_BYTES:
            raise UserError(
                self.env._(
                    "The files weigh %(size)s MB in all; a manual import takes at most "
                    "%(limit)s MB. Import them in several steps, or let 1C send them through "
                    "its exchange.",
                    size=round(total / 1024**2, 1),
                    limit=MAX_UPLOAD_BYTES // 1024**2,
                )
            )
        files = [(attachment.name, attachment.raw or b"") for attachment in attachments]
        session = self._agora_1c_run_import(files, self.env.user)
        attachments.unlink()
        action = session._get_records_action(name=self.env._("1C Exchange Log"), context={})
        if session.state == "failed":
            return {
                "type": "ir.actions.client",
                "tag": "display_notification",
                "params": {
                    "title": self.env._("The import failed"),
                    "message": session.message,
                    "type": "danger",
                    "sticky": True,
                    "next": action,
                },
            }
        return action

    @api.model
    def _agora_1c_run_import(self, files, user):
        """Import ``files`` (``[(name, bytes)]``) in a new manual session for ``user``.

        The session survives a failure: the import runs in a savepoint, rolled back
        alone on a ``UserError``, and the session is then marked failed with the
        error as its message. Returns the session (sudo).
        """
        # sudo: staff may read the exchange log but not write it (the log is the
        # exchange's own record); the import writes it on their behalf, once the
        # caller checked that they may import.
        Session = self.env["agora.1c.session"].sudo()
        session, _token = Session._agora_1c_start("catalog", user, source="manual")
        session._agora_1c_log(
            self.env._(
                "manual import of %(count)s files by %(user)s", count=len(files), user=user.name
            )
        )
        session._agora_1c_init()
        try:
            for name, data in files:
                session._agora_1c_receive_file(name, data)
            with self.env.cr.savepoint():
                imported = session._agora_1c_import_all()
            if not imported:
                raise UserError(
                    self.env._(
                        "None of the files is a 1C exchange file (import, offers, prices, "
                        "rests or orders, as XML or in a zip archive)."
                    )
                )
        except UserError as error:
            session._agora_1c_fail(str(error.args[0] if error.args else error))
        finally:
            # A manual session is never resumed: its files are imported or failed.
            session._agora_1c_wipe_work_dir()
        return session

    @api.model
    def _agora_1c_demo_import(self):
        """Demo data: import the sample catalog as the demo exchange user would."""
        user = self.env.ref("agora_1c.user_onec_exchange_demo", raise_if_not_found=False)
        files = []
        for path in DEMO_FILES:
            with file_open(path, "rb") as handle:
                files.append((path.rsplit("/", 1)[-1], handle.read()))
        session = self._agora_1c_run_import(files, user or self.env.user)
        if session.state == "failed":
            _logger.warning("1C demo import failed: %s", session.message)
        return session

"""The 1C exchange endpoint: ``/agora/1c/exchange?type=...&mode=...``.

1C:Enterprise's standard "Обмен с сайтом" calls one URL with HTTP Basic
credentials, then with the cookie ``checkauth`` answered. Answers are plain
text, first line ``success``, ``progress`` or ``failure``. This controller
only speaks the protocol: the sessions, files, imports and order documents
are ``agora.1c.session``'s methods.
"""

import base64
import binascii
import hashlib
import logging

from odoo import _, http
from odoo.exceptions import AccessDenied, UserError
from odoo.http import request

from ..models.ir_http import EXCHANGE_ROUTE

_logger = logging.getLogger(__name__)

COOKIE_NAME = "agora_1c_session"
EXCHANGE_GROUP = "agora_1c.group_agora_1c_exchange"


# What a call other than an authenticated ``mode=file`` may carry: 1C sends
# them without a body.
SMALL_BODY = 64 * 1024


def _max_content_length(_controller):
    """Only an authenticated ``mode=file`` call may bring a body as big as the
    file limit 1C was told at ``init`` (plus slack for headers): an anonymous
    caller cannot make a worker read 100 MB."""
    httprequest = request.httprequest
    if (httprequest.args.get("mode") or "").strip().lower() != "file":
        return SMALL_BODY
    # sudo: finding the session the cookie names is how the exchange
    # authenticates; the file limit is a system parameter. Both only bound the
    # request's body here; the controller checks the session's user.
    Session = request.env["agora.1c.session"].sudo()
    if not Session._agora_1c_find(httprequest.cookies.get(COOKIE_NAME)):
        return SMALL_BODY
    return Session._agora_1c_file_limit() + 1024 * 1024


def sessid_for(token):
    """The ``sessid`` 1C-Bitrix-style clients repeat in their URLs. URLs end up in
    logs, so it is derived from the session's token and is not a credential:
    only the cookie authenticates."""
    return hashlib.sha256(f"agora_1c sessid {token}".encode()).hexdigest()[:32]


class Agora1cExchange(http.Controller):
    def _text(self, *lines, status=200, headers=None):
        body = "\n".join(str(line) for line in lines)
        return request.make_response(
            body.encode("utf-8"),
            headers=[("Content-Type", "text/plain; charset=utf-8"), *(headers or [])],
            status=status,
        )

    def _failure(self, message, status=200, headers=None):
        return self._text("failure", message, status=status, headers=headers)

    def _request_info(self):
        environ = request.httprequest.environ
        return {
            "remote_addr": request.httprequest.remote_addr,
            "user_agent": environ.get("HTTP_USER_AGENT", ""),
        }

    def _basic_credentials(self):
        header = request.httprequest.headers.get("Authorization", "")
        scheme, _sep, value = header.partition(" ")
        if scheme.lower() != "basic" or not value:
            return None, None
        try:
            decoded = base64.b64decode(value.strip(), validate=True)
        except (binascii.Error, ValueError):
            return None, None
        # 1C sends the credentials in UTF-8; older releases in windows-1251.
        for encoding in ("utf-8", "cp1251"):
            try:
                text = decoded.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        login, sep, password = text.partition(":")
        return (login, password) if sep else (None, None)

    def _session(self, kwargs):
        """The open session 1C's cookie names (the cookie only: see ``sessid_for``)."""
        token = request.httprequest.cookies.get(COOKIE_NAME)
        # sudo: the caller is anonymous to Odoo (auth="none"); the token is the
        # credential, checked against its hash by _agora_1c_find.
        session = request.env["agora.1c.session"].sudo()._agora_1c_find(token)
        user = session.user_id
        if not session or not user.active or not user.has_group(EXCHANGE_GROUP):
            return None
        request.update_env(user=user.id)
        self._speak_language_of(user)
        session = request.env["agora.1c.session"].browse(session.id)
        # sudo: the session is the authenticated exchange user's own (checked
        # above); its bookkeeping (log, files, counts) is the exchange's, which
        # the user itself may only read, so that its password, kept in 1C, lets
        # nobody rewrite the log or the orders a session sent through RPC. The
        # uid stays the user's: what the exchange creates is theirs.
        return session.sudo()

    def _speak_language_of(self, user=None):
        """1C shows our answers to its user: speak the exchange user's language,
        or before authentication the database's default language (1C sends no
        Accept-Language)."""
        if user:
            lang = user.lang
        else:
            # sudo: the default language of new contacts is a setting anyone's
            # answers may follow; it is only read.
            lang = request.env["ir.default"].sudo()._get("res.partner", "lang")
        if lang and lang != request.env.lang and request.env["res.lang"]._get_code(lang):
            request.update_context(lang=lang)

    @http.route(
        EXCHANGE_ROUTE,
        type="http",
        auth="none",
        methods=["GET", "POST"],
        csrf=False,  # 1C cannot send Odoo's CSRF token: HTTP Basic, then a session cookie.
        save_session=False,
        readonly=False,  # auth="none" routes default to a read-only cursor.
        max_content_length=_max_content_length,
    )
    def agora_1c_exchange(self, type=None, mode=None, **kwargs):
        if not request.db:
            return self._failure("No database selected: add ?db=<name> to the URL.")
        self._speak_language_of()
        exchange_type = (type or "").strip().lower()
        mode = (mode or "").strip().lower()
        if exchange_type not in ("catalog", "sale", "get_catalog", "import"):
            return self._failure(_("Unknown exchange type %(type)s.", type=type))
        if exchange_type != "sale":
            exchange_type = "catalog"
        if mode == "checkauth":
            return self._checkauth(exchange_type)
        session = self._session(kwargs)
        if session is None:
            return self._failure(
                _("Not authenticated: call mode=checkauth first, then send its cookie."),
                status=401,
            )
        try:
            with request.env.cr.savepoint():
                return self._dispatch(session, exchange_type, mode, kwargs)
        except UserError as error:
            message = str(error.args[0] if error.args else error)
            session._agora_1c_fail(message)
            return self._failure(message)

    def _checkauth(self, exchange_type):
        login, password = self._basic_credentials()
        Session = request.env["agora.1c.session"].sudo()
        info = self._request_info()
        if not login:
            return self._failure(
                _("HTTP Basic authentication is required."),
                status=401,
                headers=[("WWW-Authenticate", 'Basic realm="1C exchange"')],
            )
        credential = {"type": "password", "login": login, "password": password}
        # No base_location: Odoo would take 1C's view of the host as web.base.url
        # when the login is an administrator's.
        user_agent_env = {"interactive": False}
        try:
            # Odoo's own login, with its cooldown after repeated failures.
            auth_info = request.env["res.users"].authenticate(credential, user_agent_env)
        except AccessDenied:
            # sudo: the refused attempt is logged for staff; the caller is anonymous.
            Session._agora_1c_refuse(login, _("Wrong login or password."), info)
            return self._failure(
                _("Wrong login or password."),
                status=401,
                headers=[("WWW-Authenticate", 'Basic realm="1C exchange"')],
            )
        user = request.env["res.users"].sudo().browse(auth_info["uid"])
        if not user.has_group(EXCHANGE_GROUP):
            Session._agora_1c_refuse(login, _("The user is not in the group 1C Exchange."), info)
            return self._failure(_("The user is not allowed to exchange with 1C."), status=403)
        # sudo: the session is created for the user just authenticated, who owns it.
        session, token = Session._agora_1c_start(exchange_type, user, info)
        _logger.info("1C exchange: %s authenticated, session %s", login, session.id)
        return self._text(
            "success", COOKIE_NAME, token, f"sessid={sessid_for(token)}", f"timestamp={session.id}"
        )

    def _dispatch(self, session, exchange_type, mode, kwargs):
        if mode == "init":
            answer = session._agora_1c_init()
            return self._text(
                "zip={}".format("yes" if answer["zip"] else "no"),
                "file_limit={}".format(answer["file_limit"]),
                f"sessid={kwargs.get('sessid') or ''}",
                "version=2.08",
            )
        if mode == "file":
            filename = kwargs.get("filename")
            data = request.httprequest.get_data(cache=True, parse_form_data=False)
            if not filename:
                raise UserError(_("The file name is missing (filename=)."))
            record = session._agora_1c_receive_file(filename, data)
            if exchange_type == "sale" and not kwargs.get("version"):
                # The old protocol: 1C's order changes are imported at once,
                # zipped (init answered zip=yes) or not.
                if record.kind == "archive":
                    for name in session._agora_1c_unpack_archives():
                        session._agora_1c_import(name)
                else:
                    session._agora_1c_import(record.filename)
            return self._text("success")
        if mode == "import":
            filename = kwargs.get("filename")
            if not filename:
                raise UserError(_("The file name is missing (filename=)."))
            state = session._agora_1c_import(filename)
            if state == "progress":
                return self._text("progress", _("Importing %(name)s, please wait.", name=filename))
            return self._text("success")
        if mode in ("deactivate", "complete"):
            session._agora_1c_log(mode)
            return self._text("success")
        if exchange_type == "sale" and mode == "query":
            document = session._agora_1c_query()
            encoding = session._agora_1c_param("encoding", "cp1251")
            charset = "windows-1251" if encoding == "cp1251" else "utf-8"
            return request.make_response(
                document,
                headers=[("Content-Type", f"application/xml; charset={charset}")],
            )
        if exchange_type == "sale" and mode == "success":
            session._agora_1c_confirm_orders()
            return self._text("success")
        raise UserError(_("Unknown mode %(mode)s.", mode=mode))

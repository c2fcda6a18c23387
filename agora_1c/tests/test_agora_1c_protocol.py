"""The exchange driven over HTTP, call by call, as 1C:Enterprise drives it."""

import base64
import contextlib
import io
import os
import shutil
import zipfile

from lxml import etree

from odoo.exceptions import AccessError
from odoo.fields import Command
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import config, mute_logger

from odoo.addons.agora_1c.controllers.exchange import COOKIE_NAME

# Seconds a test waits for one exchange call (the protocol's calls last up to about 30 s).
CALL_TIMEOUT = 60
URL = "/agora/1c/exchange"
NS = "urn:1C.ru:commerceml_210"


def catalog_xml(count, group_id="g-tools", prefix="p"):
    """A small 2.08 catalog: one group and ``count`` products."""
    goods = "".join(
        f"""<Товар><Ид>{prefix}-{n:04d}</Ид><Артикул>HTTP-{n:04d}</Артикул>
        <Наименование>Молоток {n}</Наименование><БазоваяЕдиница Код="796 ">шт</БазоваяЕдиница>
        <Группы><Ид>{group_id}</Ид></Группы></Товар>"""
        for n in range(count)
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<КоммерческаяИнформация xmlns="{NS}" ВерсияСхемы="2.08" ДатаФормирования="2026-12-01T10:00:00">
<Классификатор><Ид>cls</Ид><Наименование>Классификатор</Наименование>
<Группы><Группа><Ид>{group_id}</Ид><Наименование>Инструмент HTTP</Наименование></Группа></Группы>
</Классификатор>
<Каталог СодержитТолькоИзменения="true"><Ид>cat</Ид><ИдКлассификатора>cls</ИдКлассификатора>
<Наименование>Каталог</Наименование><Товары>{goods}</Товары></Каталог>
</КоммерческаяИнформация>""".encode()


@tagged("post_install", "-at_install")
class TestAgora1cProtocol(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.exchange_user = new_test_user(
            cls.env,
            login="onec_http",
            password="onec_http_pw",
            # The least rights 1C's login may have: a portal user in the group.
            groups="base.group_portal,agora_1c.group_agora_1c_exchange",
        )
        cls.salesman = new_test_user(
            cls.env,
            login="onec_not_exchange",
            password="salesman_pw",
            groups="sales_team.group_sale_salesman",
        )
        cls.env["ir.config_parameter"].sudo().set_param("agora_1c.file_limit", 4096)
        cls.env["ir.config_parameter"].sudo().set_param("agora_1c.use_zip", "True")

    def setUp(self):
        super().setUp()
        # The sessions' work areas are files, which the test's rollback leaves.
        work_root = os.path.join(config["data_dir"], "agora_1c", self.env.cr.dbname)
        self.addCleanup(shutil.rmtree, work_root, True)

    # --- 1C's side of the conversation -----------------------------------

    def _basic(self, login, password):
        token = base64.b64encode(f"{login}:{password}".encode()).decode()
        return {"Authorization": f"Basic {token}"}

    def _call(self, exchange_type, mode, token=None, data=None, headers=None, **params):
        headers = dict(headers or {})
        if data is not None:
            headers.setdefault("Content-Type", "application/octet-stream")
        response = self.url_open(
            URL,
            params={"type": exchange_type, "mode": mode, **params},
            data=data,
            headers=headers,
            cookies={COOKIE_NAME: token} if token else None,
            method="POST" if data is not None else "GET",
            # As 1C waits: an import call may last a step and its batch (about
            # 30 s on a busy server), longer than url_open's 12 s.
            timeout=CALL_TIMEOUT,
        )
        return response

    def _lines(self, response):
        return response.content.decode("utf-8").splitlines()

    def _checkauth(self, exchange_type="catalog"):
        response = self._call(
            exchange_type, "checkauth", headers=self._basic("onec_http", "onec_http_pw")
        )
        self.assertEqual(response.status_code, 200)
        lines = self._lines(response)
        self.assertEqual(lines[0], "success")
        self.assertEqual(lines[1], COOKIE_NAME)
        return lines[2]

    def _init(self, token, exchange_type="catalog"):
        lines = self._lines(self._call(exchange_type, "init", token=token))
        return dict(line.split("=", 1) for line in lines if "=" in line)

    def _send(self, token, filename, payload, exchange_type="catalog", chunk=4096):
        for start in range(0, len(payload), chunk):
            response = self._call(
                exchange_type,
                "file",
                token=token,
                data=payload[start : start + chunk],
                filename=filename,
            )
            self.assertEqual(self._lines(response)[0], "success", response.text)

    def _import(self, token, filename, max_calls=50):
        """Call import until 1C would stop: return the answers' first lines."""
        answers = []
        for _call in range(max_calls):
            lines = self._lines(self._call("catalog", "import", token=token, filename=filename))
            answers.append(lines[0])
            if lines[0] != "progress":
                return answers, lines
        self.fail(f"import of {filename} never finished: {answers}")

    def _session(self, token):
        Session = self.env["agora.1c.session"]
        return Session.search([("token_hash", "=", Session._agora_1c_hash_token(token))])

    def _products(self, prefix="p"):
        return (
            self.env["product.template"]
            .with_context(active_test=False)
            .search([("agora_1c_id", "=like", f"{prefix}-%")])
        )

    # --- Authentication ----------------------------------------------------

    def test_checkauth_answers_a_cookie_that_opens_the_session(self):
        token = self._checkauth()
        session = self._session(token)
        self.assertEqual(session.user_id, self.exchange_user)
        self.assertEqual(session.state, "open")
        answer = self._init(token)
        self.assertEqual(
            answer, {"zip": "yes", "file_limit": "4096", "sessid": "", "version": "2.08"}
        )
        # The token is a credential: only its hash is stored.
        self.assertNotIn(token, session.sudo().token_hash)
        # 1C's login reads its own log, and cannot rewrite it (e.g. through RPC).
        as_exchange_user = session.with_user(self.exchange_user)
        self.assertIn("checkauth", as_exchange_user.log)
        with self.assertRaises(AccessError):
            as_exchange_user.write({"log": "nothing happened"})
        with self.assertRaises(AccessError):
            as_exchange_user.file_ids.create({"session_id": session.id, "filename": "x.xml"})
        # ``sessid`` ends up in URLs, hence in logs: it is not the token, and
        # only the cookie authenticates.
        response = self._call(
            "catalog", "checkauth", headers=self._basic("onec_http", "onec_http_pw")
        )
        lines = self._lines(response)
        self.assertTrue(lines[3].startswith("sessid="), lines)
        self.assertNotIn(lines[2], lines[3], "the sessid is not the token")
        response = self._call("catalog", "init", sessid=token)
        self.assertEqual(response.status_code, 401)

    @mute_logger(
        "odoo.addons.base.models.res_users", "odoo.addons.agora_1c.models.agora_1c_session"
    )
    def test_wrong_password_is_refused_and_logged(self):
        Session = self.env["agora.1c.session"]
        before = Session.search_count([])
        response = self._call("catalog", "checkauth", headers=self._basic("onec_http", "wrong"))
        self.assertEqual(response.status_code, 401)
        self.assertEqual(self._lines(response)[:2], ["failure", "Wrong login or password."])
        self.assertIn("Basic", response.headers.get("WWW-Authenticate", ""))
        refused = Session.search([], limit=1)
        self.assertEqual(Session.search_count([]), before + 1)
        self.assertRecordValues(refused, [{"state": "refused", "login": "onec_http"}])
        # Attempts repeated within the hour count on the same log entry.
        self._call("catalog", "checkauth", headers=self._basic("onec_http", "wrong again"))
        self.assertEqual(Session.search_count([]), before + 1)
        self.assertEqual(refused.call_count, 2)
        # No Authorization header at all.
        response = self._call("catalog", "checkauth")
        self.assertEqual(response.status_code, 401)
        self.assertEqual(self._lines(response)[0], "failure")

    @mute_logger(
        "odoo.addons.base.models.res_users", "odoo.addons.agora_1c.models.agora_1c_session"
    )
    def test_answers_speak_the_language_of_1c_s_user(self):
        """1C shows the answers to its user: in Russian for a Russian supplier."""
        self.env["res.lang"]._activate_lang("ru_RU")
        self.env["ir.module.module"]._load_module_terms(["agora_1c"], ["ru_RU"])
        self.exchange_user.lang = "ru_RU"
        token = self._checkauth()
        self._init(token)
        response = self._call("catalog", "file", token=token, data=b"<x/>", filename="../x.xml")
        self.assertEqual(self._lines(response), ["failure", "Недопустимое имя файла ../x.xml."])
        # Before authentication, in the database's default language.
        self.env["ir.default"].set("res.partner", "lang", "ru_RU")
        response = self._call("catalog", "checkauth", headers=self._basic("onec_http", "wrong"))
        self.assertEqual(self._lines(response), ["failure", "Неверный логин или пароль."])

    @mute_logger("odoo.addons.agora_1c.models.agora_1c_session")
    def test_user_outside_the_exchange_group_is_refused(self):
        response = self._call(
            "catalog", "checkauth", headers=self._basic("onec_not_exchange", "salesman_pw")
        )
        self.assertEqual(response.status_code, 403)
        self.assertEqual(self._lines(response)[0], "failure")

    def test_calls_without_a_session_are_refused(self):
        for mode in ("init", "file", "import", "query"):
            response = self._call("catalog", mode, token="forged-token", filename="import.xml")
            self.assertEqual(response.status_code, 401, mode)
            self.assertEqual(self._lines(response)[0], "failure", mode)
        # A user removed from the group loses its open sessions at once.
        token = self._checkauth()
        self.exchange_user.group_ids -= self.env.ref("agora_1c.group_agora_1c_exchange")
        response = self._call("catalog", "init", token=token)
        self.assertEqual(response.status_code, 401)

    # --- Files ---------------------------------------------------------------

    def test_chunked_file_is_appended_within_its_session_only(self):
        payload = catalog_xml(40)
        self.assertGreater(len(payload), 3 * 4096)
        token = self._checkauth()
        self._init(token)
        self._send(token, "import.xml", payload)
        session = self._session(token)
        record = session.file_ids
        self.assertRecordValues(record, [{"filename": "import.xml", "size": len(payload)}])
        self.assertGreaterEqual(record.chunk_count, 4)
        with open(session._agora_1c_work_path("import.xml"), "rb") as handle:
            self.assertEqual(handle.read(), payload)
        # A new session starts from nothing: a chunk never lands on the old file.
        token_2 = self._checkauth()
        self._init(token_2)
        self._send(token_2, "import.xml", payload[:100], chunk=100)
        session_2 = self._session(token_2)
        self.assertEqual(session_2.file_ids.size, 100)
        self.assertEqual(record.size, len(payload))
        # init wipes the session's work area.
        self._init(token)
        self.assertFalse(session.file_ids)

    def test_body_above_the_file_limit_is_refused(self):
        """1C was told file_limit at init: a bigger body is refused before it is read."""
        token = self._checkauth()
        self._init(token)
        payload = b"x" * (4096 + 1024 * 1024 + 1)
        response = self._call("catalog", "file", token=token, data=payload, filename="import.xml")
        self.assertEqual(response.status_code, 413)
        self.assertFalse(self._session(token).file_ids)
        # Without a session, or in another mode, no body is read beyond 64 KiB.
        for mode, cookie in (("file", None), ("checkauth", None), ("import", token)):
            response = self._call("catalog", mode, token=cookie, data=b"x" * 70_000)
            self.assertEqual(response.status_code, 413, mode)

    def test_replayed_chunk_is_not_appended_twice(self):
        """Odoo replays a request after a serialization failure: the database
        forgets the first attempt, the file on disk must too."""
        session, _token = self.env["agora.1c.session"]._agora_1c_start(
            "catalog", self.exchange_user
        )
        session._agora_1c_init()
        session._agora_1c_receive_file("import.xml", b"<?xml first;")
        with contextlib.suppress(RuntimeError), self.env.cr.savepoint():
            session._agora_1c_receive_file("import.xml", b"second;")
            raise RuntimeError("serialization failure: the request is replayed")
        self.env.invalidate_all()
        session._agora_1c_receive_file("import.xml", b"second;")
        with open(session._agora_1c_work_path("import.xml"), "rb") as handle:
            self.assertEqual(handle.read(), b"<?xml first;second;")

    def test_body_labelled_as_a_form_is_kept_whole(self):
        """1C may label its raw body x-www-form-urlencoded: Odoo must not eat it."""
        token = self._checkauth()
        self._init(token)
        payload = "a=1&b=2 Молоток=%20".encode()
        self._call(
            "catalog",
            "file",
            token=token,
            data=payload,
            filename="other.txt",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        session = self._session(token)
        with open(session._agora_1c_work_path("other.txt"), "rb") as handle:
            self.assertEqual(handle.read(), payload)

    @mute_logger("odoo.addons.agora_1c.models.agora_1c_session")
    def test_path_traversal_file_name_is_refused(self):
        for name in ("../evil.xml", "import_files/../../evil.xml", "/etc/passwd", "C:/x.xml"):
            token = self._checkauth()
            self._init(token)
            session = self._session(token)
            response = self._call("catalog", "file", token=token, data=b"<x/>", filename=name)
            lines = self._lines(response)
            self.assertEqual(lines[0], "failure", name)
            self.assertIn("not allowed", lines[1])
            self.assertFalse(session.file_ids, name)
            self.assertEqual(session.state, "failed", "1C is told, and the session ends")
            work_dir = os.path.dirname(session._agora_1c_work_dir())
            self.assertFalse(os.path.exists(os.path.join(work_dir, "evil.xml")))
        # A folder inside the work area is fine.
        token = self._checkauth()
        self._init(token)
        response = self._call(
            "catalog", "file", token=token, data=b"\x89PNG", filename="import_files/ab/x.png"
        )
        self.assertEqual(self._lines(response)[0], "success")
        path = self._session(token)._agora_1c_work_path("import_files/ab/x.png")
        self.assertTrue(os.path.isfile(path))

    # --- Import ----------------------------------------------------------------

    def test_import_runs_in_progress_steps_then_succeeds(self):
        self.env["ir.config_parameter"].sudo().set_param("agora_1c.step_seconds", "0")
        payload = catalog_xml(600)
        token = self._checkauth()
        self._init(token)
        self._send(token, "import.xml", payload, chunk=64 * 1024)
        answers, _lines = self._import(token, "import.xml")
        self.assertGreaterEqual(answers.count("progress"), 2, answers)
        self.assertEqual(answers[-1], "success")
        products = self._products()
        self.assertEqual(len(products), 600, sorted(products.mapped("agora_1c_id"))[-3:])
        self.assertEqual(products.categ_id.mapped("name"), ["Инструмент HTTP"])
        session = self._session(token)
        # 600 products and their group.
        self.assertEqual(session.file_ids.created_count, 601)
        # 1C calls import again for a file already done: nothing more happens.
        answers, _lines = self._import(token, "import.xml")
        self.assertEqual(answers, ["success"])
        self.assertEqual(len(self._products()), 600)

    def test_zipped_exchange_is_unpacked_then_imported(self):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
            bundle.writestr("import.xml", catalog_xml(5, prefix="z"))
            bundle.writestr("import_files/ab/photo.png", b"\x89PNG not a real picture")
        payload = buffer.getvalue()
        token = self._checkauth()
        self._init(token)
        self._send(token, "v8_2F3A_1.zip", payload, chunk=512)
        answers, _lines = self._import(token, "import.xml")
        self.assertEqual(answers[0], "progress", "the first call unpacks")
        self.assertEqual(answers[-1], "success")
        self.assertEqual(len(self._products("z")), 5)
        session = self._session(token)
        self.assertIn("import.xml", session.file_ids.mapped("filename"))
        self.assertEqual(session.file_ids.filtered(lambda f: f.kind == "archive").state, "done")

    @mute_logger("odoo.addons.agora_1c.models.agora_1c_session")
    def test_truncated_zip_fails_clearly_and_changes_nothing(self):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
            bundle.writestr("import.xml", catalog_xml(20, prefix="t"))
        payload = buffer.getvalue()[:-40]
        token = self._checkauth()
        self._init(token)
        self._send(token, "v8_1.zip", payload)
        answers, lines = self._import(token, "import.xml")
        self.assertEqual(answers, ["failure"])
        self.assertIn("damaged or incomplete", lines[1])
        self.assertFalse(self._products("t"))
        session = self._session(token)
        self.assertEqual(session.state, "failed")
        self.assertIn("damaged or incomplete", session.message)

    @mute_logger("odoo.addons.agora_1c.models.agora_1c_session")
    def test_malformed_xml_fails_clearly_and_changes_nothing(self):
        payload = catalog_xml(10, prefix="m").replace(
            "</Товары>".encode(), "</Товар></Товары>".encode()
        )
        token = self._checkauth()
        self._init(token)
        self._send(token, "import.xml", payload, chunk=64 * 1024)
        answers, lines = self._import(token, "import.xml")
        self.assertEqual(answers, ["failure"])
        self.assertIn("import.xml", lines[1])
        self.assertFalse(self._products("m"))
        self.assertFalse(
            self.env["product.category"].search([("agora_1c_id", "=", "g-tools")]),
            "not even the groups before the error are kept",
        )
        self.assertEqual(self._session(token).state, "failed")

    def test_unknown_mode_and_type_fail_clearly(self):
        token = self._checkauth()
        self.assertEqual(self._lines(self._call("catalog", "explode", token=token))[0], "failure")
        self.assertEqual(self._lines(self._call("warehouse", "init", token=token))[0], "failure")

    # --- Orders ----------------------------------------------------------------

    def _processing_order(self):
        product = self.env["product.product"].create(
            {
                "name": "Перфоратор",
                "default_code": "PRF-1",
                "agora_1c_id": "1c-prf-1",
                "type": "consu",
                "is_storable": True,
                "list_price": 5000.0,
            }
        )
        warehouse = self.env["stock.warehouse"].search(
            [("company_id", "=", self.env.company.id)], limit=1
        )
        self.env["stock.quant"]._update_available_quantity(product, warehouse.lot_stock_id, 10)
        client = self.env["res.partner"].create(
            {
                "name": "ООО Ромашка",
                "is_company": True,
                "vat": "7707083893",
                "agora_kpp": "773601001",
            }
        )
        agreement = self.env["agora.agreement"].create(
            {"partner_id": client.id, "date_start": "2026-01-01"}
        )
        agreement.action_activate()
        order = self.env["sale.order"].create(
            {
                "partner_id": client.id,
                "order_line": [Command.create({"product_id": product.id, "product_uom_qty": 2})],
            }
        )
        order.action_agora_submit()
        self.assertEqual(order.agora_state, "processing")
        return order

    def test_orders_query_success_and_changes_from_1c(self):
        order = self._processing_order()
        token = self._checkauth("sale")
        self._init(token, "sale")
        response = self._call("sale", "query", token=token)
        self.assertEqual(response.status_code, 200)
        self.assertIn("windows-1251", response.headers["Content-Type"])
        self.assertTrue(response.content.startswith(b"<?xml"))
        self.assertIn(b"windows-1251", response.content.splitlines()[0])
        document = etree.fromstring(response.content)
        numbers = [el.text for el in document.iter() if etree.QName(el).localname == "Номер"]
        self.assertIn(order.name, numbers)
        self.assertIn(b"7707083893", response.content)
        self.assertFalse(order.agora_1c_exported_date, "sent, not yet confirmed")
        # Until 1C confirms, the next query sends the order again.
        self.assertIn(order.name.encode(), self._call("sale", "query", token=token).content)
        self.assertEqual(self._lines(self._call("sale", "success", token=token))[0], "success")
        self.assertTrue(order.agora_1c_exported_date)
        self.assertNotIn(order.name.encode(), self._call("sale", "query", token=token).content)
        # 1C sends back its number for the order (old protocol: imported at once).
        change = f"""<?xml version="1.0" encoding="windows-1251"?>
<КоммерческаяИнформация ВерсияСхемы="2.07" ДатаФормирования="2026-12-02T10:00:00">
<Документ><Ид>{order.name}</Ид><Номер>{order.name}</Номер><Дата>2026-12-02</Дата>
<ХозОперация>Заказ товара</ХозОперация><Роль>Продавец</Роль><Валюта>руб</Валюта><Курс>1</Курс>
<Сумма>{order.amount_total}</Сумма>
<ЗначенияРеквизитов><ЗначениеРеквизита><Наименование>Номер по 1С</Наименование>
<Значение>ЗК-000123</Значение></ЗначениеРеквизита></ЗначенияРеквизитов>
</Документ></КоммерческаяИнформация>""".encode("cp1251")
        response = self._call("sale", "file", token=token, data=change, filename="orders.xml")
        self.assertEqual(self._lines(response)[0], "success", response.text)
        self.assertEqual(order.agora_1c_number, "ЗК-000123")
        # Newer clients send a version, store the file under any name, then import it.
        change = change.replace("ЗК-000123".encode("cp1251"), "ЗК-000124".encode("cp1251"))
        response = self._call(
            "sale", "file", token=token, data=change, filename="1c_changes.xml", version="3.1"
        )
        self.assertEqual(self._lines(response)[0], "success", response.text)
        self.assertEqual(order.agora_1c_number, "ЗК-000123", "stored, not yet imported")
        response = self._call("sale", "import", token=token, filename="1c_changes.xml")
        self.assertEqual(self._lines(response)[0], "success", response.text)
        self.assertEqual(order.agora_1c_number, "ЗК-000124")
        # init answered zip=yes: 1C may zip its changes; the old protocol
        # imports them at once all the same.
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
            bundle.writestr(
                "orders-2.xml",
                change.replace("ЗК-000124".encode("cp1251"), "ЗК-000125".encode("cp1251")),
            )
        response = self._call(
            "sale", "file", token=token, data=buffer.getvalue(), filename="v8_orders.zip"
        )
        self.assertEqual(self._lines(response)[0], "success", response.text)
        self.assertEqual(order.agora_1c_number, "ЗК-000125")

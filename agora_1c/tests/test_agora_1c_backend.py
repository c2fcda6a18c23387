import base64
from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.modules.module import get_manifest
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import convert_file, mute_logger

from odoo.addons.agora_1c.wizards import agora_1c_import_wizard as import_wizard

IMPORT_XML = """<?xml version="1.0" encoding="UTF-8"?>
<КоммерческаяИнформация xmlns="urn:1C.ru:commerceml_2" ВерсияСхемы="2.07">
  <Классификатор>
    <Ид>test-classifier</Ид>
    <Наименование>Классификатор</Наименование>
    <Группы>
      <Группа><Ид>test-group-paints</Ид><Наименование>Краски (тест)</Наименование></Группа>
    </Группы>
  </Классификатор>
  <Каталог СодержитТолькоИзменения="true">
    <Ид>test-classifier</Ид>
    <ИдКлассификатора>test-classifier</ИдКлассификатора>
    <Наименование>Каталог</Наименование>
    <Товары>
      <Товар>
        <Ид>test-product-enamel</Ид>
        <Артикул>T-ENAMEL</Артикул>
        <Наименование>Эмаль ПФ-115 белая, 2,7 кг</Наименование>
        <БазоваяЕдиница Код="796">шт</БазоваяЕдиница>
        <Группы><Ид>test-group-paints</Ид></Группы>
      </Товар>
      <Товар>
        <Ид>test-product-primer</Ид>
        <Артикул>T-PRIMER</Артикул>
        <Наименование>Грунтовка глубокого проникновения, 10 л</Наименование>
        <БазоваяЕдиница Код="796">шт</БазоваяЕдиница>
        <Группы><Ид>test-group-paints</Ид></Группы>
      </Товар>
    </Товары>
  </Каталог>
</КоммерческаяИнформация>
"""


@tagged("post_install", "-at_install")
class TestAgora1cBackend(TransactionCase):
    """What staff do with the exchange in the backend: its settings, the manual
    import of 1C's files, the maps, and the exchange log's retention."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(
            cls.env,
            login="onec_manager",
            groups="sales_team.group_sale_manager",
            name="1C Sales Manager",
        )
        cls.salesman = new_test_user(
            cls.env,
            login="onec_salesman",
            groups="sales_team.group_sale_salesman",
            name="1C Salesman",
        )
        cls.admin = new_test_user(
            cls.env, login="onec_admin", groups="base.group_system", name="1C Admin"
        )
        cls.Session = cls.env["agora.1c.session"]

    # --- helpers ---------------------------------------------------------------

    def _run_wizard(self, files, user=None):
        """Upload ``files`` (``{name: bytes}``) in the wizard as ``user`` and import them."""
        user = user or self.manager
        Attachment = self.env["ir.attachment"].with_user(user)
        attachments = Attachment.create(
            [
                {
                    "name": name,
                    "datas": base64.b64encode(data),
                    "res_model": "agora.1c.import.wizard",
                }
                for name, data in files.items()
            ]
        )
        wizard = (
            self.env["agora.1c.import.wizard"]
            .with_user(user)
            .create({"attachment_ids": [fields.Command.set(attachments.ids)]})
        )
        return wizard.action_import()

    def _session_of(self, action):
        action = action.get("params", {}).get("next", action)
        self.assertEqual(action["res_model"], "agora.1c.session")
        return self.Session.browse(action["res_id"])

    # --- settings ----------------------------------------------------------------

    def test_settings_round_trip(self):
        """The statuses ticked are the ones the exchange reads back, and so are the
        other choices, a "no" included."""
        Settings = self.env["res.config.settings"].with_user(self.admin)
        defaults = Settings.create({})
        self.assertFalse(defaults.agora_1c_export_new)
        self.assertTrue(defaults.agora_1c_export_processing)
        self.assertTrue(defaults.agora_1c_export_closed)
        self.assertTrue(defaults.agora_1c_use_zip)
        self.assertTrue(defaults.agora_1c_exchange_url.endswith("/agora/1c/exchange"))

        warehouse = self.env["stock.warehouse"].search(
            [("company_id", "=", self.env.company.id)], limit=1
        )
        settings = Settings.create(
            {
                "agora_1c_export_new": True,
                "agora_1c_export_processing": False,
                "agora_1c_export_reserve": False,
                "agora_1c_export_paid": True,
                "agora_1c_export_shipped": False,
                "agora_1c_export_return": False,
                "agora_1c_export_closed": False,
                "agora_1c_use_zip": False,
                "agora_1c_full_export_archive": False,
                "agora_1c_file_limit_mb": 5,
                "agora_1c_step_seconds": 7,
                "agora_1c_encoding": "utf-8-sig",
                "agora_1c_log_days": 30,
                "agora_1c_default_warehouse_id": warehouse.id,
            }
        )
        settings.execute()

        param = self.Session._agora_1c_param
        self.assertEqual(param("export_states"), "new,paid")
        self.assertEqual(param("encoding"), "utf-8-sig")
        self.assertEqual(param("log_days"), "30")
        self.assertEqual(param("default_warehouse_id"), str(warehouse.id))
        self.assertEqual(param("full_export_archive"), "False")
        # What 1C is answered at init follows.
        self.assertFalse(self.Session._agora_1c_use_zip())
        self.assertEqual(self.Session._agora_1c_file_limit(), 5 * 1024 * 1024)
        self.assertEqual(self.Session._agora_1c_step_seconds(), 7)

        again = Settings.create({})
        self.assertRecordValues(
            again,
            [
                {
                    "agora_1c_export_new": True,
                    "agora_1c_export_processing": False,
                    "agora_1c_export_paid": True,
                    "agora_1c_export_closed": False,
                    "agora_1c_use_zip": False,
                    "agora_1c_full_export_archive": False,
                    "agora_1c_file_limit_mb": 5,
                    "agora_1c_encoding": "utf-8-sig",
                    "agora_1c_default_warehouse_id": warehouse.id,
                }
            ],
        )

        # No status at all would read as the default list: refused.
        again.write({"agora_1c_export_new": False, "agora_1c_export_paid": False})
        with self.assertRaisesRegex(UserError, "at least one status"):
            again.execute()

    # --- the manual import ---------------------------------------------------------

    def test_wizard_imports_files_as_manager(self):
        """A sales manager uploads import.xml: a manual session logs the file, its
        counts, and the products are there."""
        action = self._run_wizard({"import.xml": IMPORT_XML.encode()})
        session = self._session_of(action)
        self.assertRecordValues(
            session,
            [
                {
                    "source": "manual",
                    "user_id": self.manager.id,
                    "state": "done",
                    "problem_count": 0,
                }
            ],
        )
        self.assertGreaterEqual(session.created_count, 2)
        self.assertEqual(session.file_ids.mapped("filename"), ["import.xml"])
        self.assertEqual(session.file_ids.state, "done")
        products = self.env["product.template"].search(
            [("agora_1c_id", "in", ("test-product-enamel", "test-product-primer"))]
        )
        self.assertEqual(
            sorted(products.mapped("default_code")), ["T-ENAMEL", "T-PRIMER"], "both products"
        )
        self.assertEqual(products.categ_id.name, "Краски (тест)")
        # The manager reads the log the wizard opened.
        self.assertTrue(session.with_user(self.manager).log)
        # The uploads are not kept once imported.
        self.assertFalse(
            self.env["ir.attachment"].search([("res_model", "=", "agora.1c.import.wizard")])
        )

    @mute_logger("odoo.addons.agora_1c.models.agora_1c_session")
    def test_wizard_bad_file_fails_session(self):
        """A damaged archive: the manager is told why, and the log keeps a failed
        session saying so; nothing is imported."""
        action = self._run_wizard({"v8_1C_export.zip": b"PK\x03\x04 this is no zip"})
        self.assertEqual(action["type"], "ir.actions.client")
        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn("damaged", action["params"]["message"])
        session = self._session_of(action)
        self.assertRecordValues(session, [{"state": "failed", "source": "manual"}])
        self.assertIn("v8_1C_export.zip", session.message)
        self.assertIn("failure", session.log)

    def test_wizard_refuses_other_files(self):
        """A file that is not 1C's fails the session with a clear message."""
        action = self._run_wizard({"price.csv": b"a;b;c\n"})
        session = self._session_of(action)
        self.assertEqual(session.state, "failed")
        self.assertIn("1C exchange file", session.message)

    def test_wizard_size_limit(self):
        """Uploads above the manual import's limit are refused before any session."""
        sessions = self.Session.search_count([])
        with (
            patch.object(import_wizard, "MAX_UPLOAD_BYTES", 10),
            self.assertRaisesRegex(UserError, "at most"),
        ):
            self._run_wizard({"import.xml": IMPORT_XML.encode()})
        self.assertEqual(self.Session.search_count([]), sessions)

    def test_salesman_cannot_import_or_map(self):
        """A salesman sees the maps but neither imports nor changes them."""
        with self.assertRaises(AccessError):
            self.env["agora.1c.import.wizard"].with_user(self.salesman).create({})
        price_type = self.env["agora.1c.price.type"].create(
            {"name": "Оптовая", "external_id": "test-price-type"}
        )
        warehouse = self.env["agora.1c.warehouse"].create(
            {"name": "Основной", "external_id": "test-warehouse"}
        )
        self.assertEqual(price_type.with_user(self.salesman).name, "Оптовая")
        with self.assertRaises(AccessError):
            price_type.with_user(self.salesman).pricelist_id = False
        with self.assertRaises(AccessError):
            warehouse.with_user(self.salesman).warehouse_id = False
        with self.assertRaises(AccessError):
            self.Session.with_user(self.salesman).search([])
        # The manager may change them.
        pricelist = self.env["product.pricelist"].create({"name": "1C wholesale"})
        price_type.with_user(self.manager).pricelist_id = pricelist
        self.assertEqual(price_type.pricelist_id, pricelist)

    # --- retention -------------------------------------------------------------------

    def test_cron_deletes_old_sessions(self):
        """The nightly cron deletes the sessions older than the retention setting and
        keeps the recent ones."""
        self.env["ir.config_parameter"].set_param("agora_1c.log_days", "30")
        now = fields.Datetime.now()
        old = self.Session.create(
            {"exchange_type": "catalog", "date_start": now - timedelta(days=31)}
        )
        recent = self.Session.create(
            {"exchange_type": "sale", "date_start": now - timedelta(days=29)}
        )
        self.env["agora.1c.session.file"].create({"session_id": old.id, "filename": "import.xml"})
        cron = self.env.ref("agora_1c.ir_cron_agora_1c_clean")
        self.assertEqual(cron.model_id.model, "agora.1c.session")
        self.assertEqual(cron.code.strip(), "model._agora_1c_cron_clean()")
        self.Session._agora_1c_cron_clean()
        self.assertFalse(old.exists())
        self.assertTrue(recent.exists())
        self.assertFalse(
            self.env["agora.1c.session.file"].search(
                [("filename", "=", "import.xml"), ("session_id", "=", old.id)]
            )
        )


@tagged("post_install", "-at_install")
class TestAgora1cDemo(TransactionCase):
    """The demo database shows a first exchange: its log, and the sample catalog
    in a category "1C" of its own, outside the clients' agreements."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for module in ("agora_orders", "agora_1c"):
            for filename in get_manifest(module)["demo"]:
                convert_file(cls.env, module, filename, {}, mode="init", noupdate=True)
        cls.env.flush_all()

    def test_demo_exchange_log(self):
        exchange_user = self.env.ref("agora_1c.user_onec_exchange_demo")
        self.assertEqual(exchange_user.login, "1c")
        self.assertTrue(exchange_user.has_group("agora_1c.group_agora_1c_exchange"))
        session = self.env["agora.1c.session"].search([("user_id", "=", exchange_user.id)])
        self.assertEqual(len(session), 1)
        self.assertRecordValues(session, [{"state": "done", "problem_count": 0}])
        self.assertEqual(sorted(session.file_ids.mapped("filename")), ["import.xml", "offers.xml"])
        self.assertGreaterEqual(session.created_count, 4)
        products = self.env["product.template"].search([("agora_1c_id", "=like", "5b0e1c00-%")])
        self.assertEqual(len(products), 4)
        self.assertTrue(
            all(p.categ_id.parent_id.name == "1C" for p in products), products.categ_id
        )
        helmet = products.filtered(lambda p: p.agora_1c_id.endswith("1004"))
        self.assertEqual(helmet.product_variant_count, 2)
        self.assertEqual(
            sum(
                helmet.product_variant_ids.with_company(helmet.company_id).mapped("qty_available")
            ),
            55.0,
        )
        foam = products.filtered(lambda p: p.default_code == "1C-0001").product_variant_id
        wholesale = self.env.ref("agora_1c.pricelist_onec_wholesale_demo")
        self.assertEqual(wholesale._get_product_price(foam, 1.0), 520.0)
        # The clients' agreements do not offer the sample catalog.
        agreements = self.env["agora.agreement"].search([])
        self.assertFalse(agreements.category_ids & products.categ_id)

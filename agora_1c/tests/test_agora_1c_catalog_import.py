"""The catalog import: groups, products, variants, prices and stock from 1C's files."""

import base64
import io
import os
from unittest.mock import patch

from PIL import Image

from odoo.exceptions import UserError
from odoo.fields import Command
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import SQL

from odoo.addons.agora_1c.models import agora_1c_catalog_import

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
# A 1x1 PNG, as 1C puts images in import_files/.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def fixture(name):
    with open(os.path.join(FIXTURES, name), "rb") as handle:
        return handle.read()


@tagged("post_install", "-at_install")
class TestAgora1cCatalogImport(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.exchange_user = new_test_user(
            cls.env, login="onec", groups="base.group_user,agora_1c.group_agora_1c_exchange"
        )
        cls.company = cls.env.ref("base.main_company")
        # 1C prices in roubles: the company works in roubles.
        rub = cls.env.ref("base.RUB")
        rub.active = True
        cls.company.currency_id = rub
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.company.id)], limit=1
        )
        cls.Template = cls.env["product.template"].with_context(active_test=False)

    def _run(self, files, user=None):
        """One exchange session: receive ``files`` [(name, bytes)], import them all."""
        user = user or self.exchange_user
        session, _token = self.env["agora.1c.session"]._agora_1c_start("catalog", user)
        session = session.with_user(user).sudo()  # as the controller runs it
        session._agora_1c_init()
        for name, data in files:
            session._agora_1c_receive_file(name, data)
        session._agora_1c_import_all()
        return {record.filename: record for record in session.file_ids}

    def _import_204(self, picture=PNG):
        return self._run(
            [
                ("import_files/dr/drill.png", picture),
                ("import.xml", fixture("catalog_import_204.xml")),
                ("offers.xml", fixture("catalog_offers_204.xml")),
            ]
        )

    def _template(self, key):
        return self.Template.search([("agora_1c_id", "=", key)])

    def _stock_moves(self):
        return self.env["stock.move"].search_count([("is_inventory", "=", True)])

    # --- Import files --------------------------------------------------------

    def test_groups_and_products_204(self):
        files = self._import_204()
        drill = self._template("prod-drill")
        self.assertRecordValues(
            drill,
            [
                {
                    "name": "Дрель ударная",
                    "default_code": "DR-100",
                    "barcode": "4600000000017",
                    "description_sale": "Мощная дрель",
                    "type": "consu",
                    "is_storable": True,
                    "uom_id": self.env.ref("uom.product_uom_unit").id,
                }
            ],
        )
        self.assertEqual(drill.categ_id.complete_name, "Инструменты / Дрели")
        self.assertEqual(drill.categ_id.agora_1c_id, "grp-drills")
        self.assertEqual(drill.taxes_id.amount, 20)
        self.assertEqual(drill.taxes_id.type_tax_use, "sale")
        self.assertTrue(drill.image_1920, "the image is read from the session's work area")
        self.assertEqual(drill.product_variant_id.agora_1c_id, "prod-drill")

        cable = self._template("prod-cable")
        self.assertEqual(cable.uom_id, self.env.ref("uom.product_uom_meter"))
        self.assertFalse(cable.taxes_id, "«Без налога» is no tax")
        self.assertFalse(cable.barcode, "a barcode used by another product is not taken")

        repair = self._template("prod-repair")
        self.assertEqual(repair.type, "service")
        self.assertEqual(repair.uom_id, self.env.ref("uom.product_uom_unit"))
        self.assertFalse(self._template("prod-gone"), "a deleted product is not created")

        record = files["import.xml"]
        self.assertEqual(record.state, "done")
        problems = record.problems
        self.assertIn("barcode 4600000000017", problems)
        self.assertIn("unknown unit code 999", problems)
        self.assertIn("import_files/missing.png", problems)
        self.assertEqual(record.problem_count, 3)

    def test_characteristics_become_variants(self):
        self._import_204()
        shirt = self._template("prod-shirt")
        self.assertEqual(shirt.product_variant_count, 2)
        red = shirt.product_variant_ids.filtered(lambda p: p.agora_1c_id == "prod-shirt#char-red")
        self.assertEqual(red.product_template_attribute_value_ids.name, "Красный")
        self.assertEqual(red.product_template_attribute_value_ids.attribute_id.name, "Цвет")
        self.assertEqual(
            red.product_template_attribute_value_ids.attribute_id.create_variant, "always"
        )
        self.assertEqual(red.qty_available, 4)

    def test_offers_prices_and_stock(self):
        files = self._import_204()
        retail = self.env["agora.1c.price.type"].search([("external_id", "=", "pt-retail")])
        wholesale = self.env["agora.1c.price.type"].search([("external_id", "=", "pt-whole")])
        self.assertEqual(retail.name, "Розничная", "trailing spaces of the name are dropped")
        self.assertEqual(retail.pricelist_id.name, "Розничная (1C)")
        self.assertEqual(retail.pricelist_id.currency_id, self.company.currency_id)
        drill = self._template("prod-drill")
        variant = drill.product_variant_id
        self.assertEqual(retail.pricelist_id._get_product_price(variant, 1), 1500.5)
        self.assertEqual(wholesale.pricelist_id._get_product_price(variant, 1), 1200)
        blue = self.env["product.product"].search([("agora_1c_id", "=", "prod-shirt#char-blue")])
        self.assertEqual(retail.pricelist_id._get_product_price(blue, 1), 310)
        self.assertEqual(drill.qty_available, 7, "a bare Количество goes to the default warehouse")
        self.assertEqual(
            self.env["stock.quant"]
            .search([("product_id", "=", drill.product_variant_id.id), ("quantity", ">", 0)])
            .location_id,
            self.warehouse.lot_stock_id,
        )
        record = files["offers.xml"]
        self.assertIn("prod-nowhere is not known", record.problems)
        self.assertIn("price type pt-unknown is not known", record.problems)
        self.assertIn("unreadable quantity abc", record.problems)

    def test_second_run_changes_nothing(self):
        self._import_204()
        templates = self.Template.search([("agora_1c_id", "!=", False)])
        items = self.env["product.pricelist.item"].search([])
        moves = self._stock_moves()
        # Everything is created in this test's transaction, where "now" does not
        # move: date the records back to see whether the second run writes them.
        self.env.flush_all()
        for table, ids in (
            ("product_template", templates.ids),
            ("product_product", templates.product_variant_ids.ids),
            ("product_pricelist_item", items.ids),
        ):
            self.env.cr.execute(
                SQL(
                    "UPDATE %s SET write_date = '2000-01-01' WHERE id IN %s",
                    SQL.identifier(table),
                    tuple(ids),
                )
            )
        self.env.invalidate_all()
        files = self._import_204()
        for record in (files["import.xml"], files["offers.xml"]):
            self.assertEqual((record.created_count, record.updated_count), (0, 0), record.filename)
            self.assertGreater(record.skipped_count, 0)
        for records in (templates, templates.product_variant_ids, items):
            self.assertEqual(
                {str(stamp)[:4] for stamp in records.mapped("write_date")},
                {"2000"},
                f"no {records._name} was written",
            )
        self.assertEqual(self._stock_moves(), moves, "no new inventory move")
        self.assertEqual(self.env["product.pricelist.item"].search([]), items)

    def test_offers_named_like_1c_ut_become_variants(self):
        """1C:УТ 11 sends a variant as "Дрель ударная (38)" with no characteristic
        values: it becomes a variant whose value is the name's brackets."""
        self._import_204()
        offers = """<?xml version="1.0" encoding="UTF-8"?>
<КоммерческаяИнформация xmlns="urn:1C.ru:commerceml_2" ВерсияСхемы="2.07">
  <ПакетПредложений СодержитТолькоИзменения="true"><Ид>cat-1#</Ид><ИдКаталога>cat-1</ИдКаталога>
    <Предложения>
      <Предложение><Ид>prod-drill#c38</Ид><Наименование>Дрель ударная (38)</Наименование>
        <Количество>3</Количество></Предложение>
      <Предложение><Ид>prod-drill#c40</Ид><Наименование>Дрель ударная (40)</Наименование>
        <Количество>5</Количество></Предложение>
    </Предложения>
  </ПакетПредложений>
</КоммерческаяИнформация>""".encode()
        files = self._run([("offers.xml", offers)])
        self.assertFalse(files["offers.xml"].problems)
        variants = self.env["product.product"].search(
            [("agora_1c_id", "in", ("prod-drill#c38", "prod-drill#c40"))], order="agora_1c_id"
        )
        self.assertEqual(
            variants.product_template_attribute_value_ids.mapped("name"), ["38", "40"]
        )
        self.assertEqual(variants.mapped("qty_available"), [3.0, 5.0])
        self.assertEqual(variants.product_tmpl_id, self._template("prod-drill"))
        # Again: the same variants, nothing created.
        files = self._run([("offers.xml", offers)])
        self.assertEqual(files["offers.xml"].created_count, 0)
        self.assertEqual(
            self.env["product.product"].search_count([("agora_1c_id", "like", "prod-drill#")]), 2
        )

    def _picture(self, width, height, color):
        buffer = io.BytesIO()
        Image.new("RGB", (width, height), color).save(buffer, "PNG")
        return buffer.getvalue()

    def test_big_picture_is_written_once(self):
        """Odoo keeps a picture over 1920 px resized: a re-run must still see
        that 1C's picture did not change, and a new picture must replace it."""
        big = self._picture(2400, 30, "red")
        self._import_204(picture=big)
        drill = self._template("prod-drill")
        width = Image.open(io.BytesIO(base64.b64decode(drill.image_1920))).width
        self.assertEqual(width, 1920, "Odoo keeps it resized")
        self.env.flush_all()
        self.env.cr.execute(
            SQL("UPDATE product_template SET write_date = '2000-01-01' WHERE id = %s", drill.id)
        )
        self.env.invalidate_all()
        files = self._import_204(picture=big)
        self.assertEqual(files["import.xml"].updated_count, 0)
        self.assertEqual(str(drill.write_date)[:4], "2000", "the same picture is not written")
        files = self._import_204(picture=self._picture(2400, 30, "blue"))
        self.assertEqual(files["import.xml"].updated_count, 1)
        pixel = Image.open(io.BytesIO(base64.b64decode(drill.image_1920))).getpixel((0, 0))
        self.assertEqual(pixel, (0, 0, 255), "the new picture replaced the old one")

    # --- Encodings, namespaces, warehouses --------------------------------------

    def _warehouses(self):
        second = self.env["stock.warehouse"].create({"name": "Магазин", "code": "SHOP"})
        Mapping = self.env["agora.1c.warehouse"]
        Mapping.create(
            [
                {"name": "Основной", "external_id": "wh-main", "warehouse_id": self.warehouse.id},
                {"name": "Магазин", "external_id": "wh-shop", "warehouse_id": second.id},
                {
                    "name": "Пристройка",
                    "external_id": "wh-annex",
                    "warehouse_id": self.warehouse.id,
                },
            ]
        )
        return second

    def _import_208(self, offers=None):
        return self._run(
            [
                ("import.xml", fixture("catalog_import_208_cp1251.xml")),
                ("offers.xml", offers or fixture("catalog_offers_208_bom.xml")),
            ]
        )

    def _qty(self, offer_id, warehouse):
        product = self.env["product.product"].search([("agora_1c_id", "=", offer_id)])
        return product.with_context(warehouse_id=warehouse.id).qty_available

    def test_208_namespace_encodings_and_warehouses(self):
        shop = self._warehouses()
        files = self._import_208()
        jacket = self._template("prod-jacket")
        self.assertEqual(jacket.name, "Куртка зимняя", "windows-1251 is read as declared")
        self.assertEqual(jacket.categ_id.name, "Одежда")
        self.assertEqual(jacket.taxes_id.amount, 10)
        self.assertEqual(
            sorted(jacket.product_variant_ids.mapped("agora_1c_id")),
            ["prod-jacket#size-l", "prod-jacket#size-m"],
        )
        # Two 1C warehouses feed the main Odoo warehouse: they add up.
        self.assertEqual(self._qty("prod-jacket#size-m", self.warehouse), 12)
        self.assertEqual(self._qty("prod-jacket#size-m", shop), 3)
        self.assertEqual(self._qty("prod-jacket#size-l", self.warehouse), 1)
        self.assertEqual(self._qty("prod-socks", self.warehouse), 20)
        self.assertEqual(files["offers.xml"].problem_count, 0, files["offers.xml"].problems)

        moves = self._stock_moves()
        self._import_208()
        self.assertEqual(self._stock_moves(), moves, "the same stock creates no move")

        changed = fixture("catalog_offers_208_bom.xml").replace(
            'ИдСклада="wh-main" КоличествоНаСкладе="10"'.encode(),
            'ИдСклада="wh-main" КоличествоНаСкладе="6"'.encode(),
        )
        self._import_208(offers=changed)
        self.assertEqual(self._qty("prod-jacket#size-m", self.warehouse), 8)
        self.assertEqual(self._qty("prod-jacket#size-m", shop), 3)
        last = self.env["stock.move"].search(
            [("is_inventory", "=", True)], order="id desc", limit=1
        )
        self.assertEqual(self._stock_moves(), moves + 1, "one adjustment, for the difference")
        self.assertEqual(last.product_uom_qty, 4)
        self.assertEqual(last.location_id, self.warehouse.lot_stock_id)

    def _on_hand(self, offer_id, location):
        """The product's quantity in ``location`` itself, not in the locations inside it."""
        product = self.env["product.product"].search([("agora_1c_id", "=", offer_id)])
        quants = self.env["stock.quant"].search(
            [("product_id", "=", product.id), ("location_id", "=", location.id)]
        )
        return sum(quants.mapped("quantity"))

    def _socks_in_main(self, quantity):
        return fixture("catalog_offers_208_bom.xml").replace(
            'ИдСклада="wh-main" КоличествоНаСкладе="20"'.encode(),
            f'ИдСклада="wh-main" КоличествоНаСкладе="{quantity}"'.encode(),
        )

    def test_stock_on_shelves_counts_in_the_warehouse(self):
        """1C's figure is the warehouse's: stock staff put on a shelf inside it is
        part of it, never added on top, and a lower figure empties the shelf last."""
        self._warehouses()
        self._import_208()
        stock = self.warehouse.lot_stock_id
        shelf = self.env["stock.location"].create({"name": "Полка A", "location_id": stock.id})
        socks = self.env["product.product"].search([("agora_1c_id", "=", "prod-socks")])
        # A stock keeper puts 5 pairs on the shelf: a count of both locations.
        Quant = self.env["stock.quant"].with_context(inventory_mode=True)
        main_quant = Quant.search([("product_id", "=", socks.id), ("location_id", "=", stock.id)])
        main_quant.inventory_quantity = 15
        shelf_quant = Quant.create(
            {"product_id": socks.id, "location_id": shelf.id, "inventory_quantity": 5}
        )
        (main_quant | shelf_quant).action_apply_inventory()
        self.assertEqual(self._qty("prod-socks", self.warehouse), 20)

        moves = self._stock_moves()
        self._import_208()
        self.assertEqual(self._stock_moves(), moves, "1C's 20 are the warehouse's 20: no move")
        self.assertEqual(self._qty("prod-socks", self.warehouse), 20)

        self._import_208(offers=self._socks_in_main(8))
        self.assertEqual(self._qty("prod-socks", self.warehouse), 8)
        self.assertEqual(self._on_hand("prod-socks", stock), 3, "taken from the stock location")
        self.assertEqual(self._on_hand("prod-socks", shelf), 5, "the shelf is left as it is")

        self._import_208(offers=self._socks_in_main(2))
        self.assertEqual(self._qty("prod-socks", self.warehouse), 2)
        self.assertEqual(self._on_hand("prod-socks", stock), 0)
        self.assertEqual(self._on_hand("prod-socks", shelf), 2, "then from the shelf")

        self._import_208(offers=self._socks_in_main(30))
        self.assertEqual(self._qty("prod-socks", self.warehouse), 30)
        self.assertEqual(self._on_hand("prod-socks", stock), 28, "more goes to the stock location")
        self.assertEqual(self._on_hand("prod-socks", shelf), 2)

    def test_stock_reserved_for_a_delivery_is_taken_last(self):
        """A lower figure takes free stock first, wherever it lies, and leaves the
        goods reserved for a delivery where they are reserved."""
        self._warehouses()
        self._import_208()
        stock = self.warehouse.lot_stock_id
        Location = self.env["stock.location"]
        shelf_a = Location.create({"name": "Полка A", "location_id": stock.id})
        shelf_b = Location.create({"name": "Полка B", "location_id": stock.id})
        socks = self.env["product.product"].search([("agora_1c_id", "=", "prod-socks")])
        Quant = self.env["stock.quant"].with_context(inventory_mode=True)
        main_quant = Quant.search([("product_id", "=", socks.id), ("location_id", "=", stock.id)])
        main_quant.inventory_quantity = 12
        shelves = Quant.create(
            [
                {"product_id": socks.id, "location_id": shelf_a.id, "inventory_quantity": 5},
                {"product_id": socks.id, "location_id": shelf_b.id, "inventory_quantity": 3},
            ]
        )
        (main_quant | shelves).action_apply_inventory()
        delivery = self.env["stock.picking"].create(
            {
                "picking_type_id": self.warehouse.out_type_id.id,
                "location_id": shelf_a.id,
                "location_dest_id": self.env.ref("stock.stock_location_customers").id,
                "move_ids": [
                    Command.create(
                        {
                            "product_id": socks.id,
                            "product_uom_qty": 5,
                            "product_uom": socks.uom_id.id,
                            "location_id": shelf_a.id,
                            "location_dest_id": self.env.ref("stock.stock_location_customers").id,
                        }
                    )
                ],
            }
        )
        delivery.action_confirm()
        delivery.action_assign()
        self.assertEqual(delivery.state, "assigned")

        self._import_208(offers=self._socks_in_main(5))
        self.assertEqual(self._qty("prod-socks", self.warehouse), 5)
        self.assertEqual(self._on_hand("prod-socks", stock), 0, "free stock goes first")
        self.assertEqual(self._on_hand("prod-socks", shelf_b), 0, "wherever it lies")
        self.assertEqual(self._on_hand("prod-socks", shelf_a), 5)
        self.assertEqual(delivery.state, "assigned", "the delivery keeps its goods")
        self.assertEqual(delivery.move_ids.quantity, 5)

        self._import_208(offers=self._socks_in_main(2))
        self.assertEqual(self._qty("prod-socks", self.warehouse), 2)
        self.assertEqual(self._on_hand("prod-socks", shelf_a), 2, "then reserved stock")

    def test_unmapped_warehouse_is_reported(self):
        self.env["stock.warehouse"].create({"name": "Второй", "code": "WH2"})
        files = self._import_208()
        mapping = self.env["agora.1c.warehouse"].search([("external_id", "=", "wh-shop")])
        self.assertEqual(mapping.name, "Магазин")
        self.assertFalse(mapping.warehouse_id, "two Odoo warehouses: staff choose")
        self.assertIn("has no Odoo warehouse", files["offers.xml"].problems)
        self.assertEqual(self._qty("prod-socks", self.warehouse), 0)

    # --- Deletion, full and partial exports -------------------------------------

    def test_full_export_archives_only_within_its_groups(self):
        self._import_204()
        self._import_208()
        self.assertTrue(self._template("prod-socks").active)
        # A partial export without the socks archives nothing.
        partial = fixture("catalog_import_208_cp1251.xml").decode("cp1251")
        start = partial.index("<Товар>\n        <Ид>prod-socks")
        end = partial.index("</Товар>", start) + len("</Товар>")
        without_socks = partial[:start] + partial[end:]
        self._run(
            [
                (
                    "import.xml",
                    without_socks.replace('"false"', '"true"').encode("cp1251"),
                )
            ]
        )
        self.assertTrue(self._template("prod-socks").active)
        # The full export archives the socks, and nothing of the other groups,
        # even those its classifier lists (woocommerce-1c#56).
        clothes = "<Группа><Ид>grp-clothes</Ид>"
        self.assertIn(clothes, without_socks)
        full = without_socks.replace(
            clothes,
            f"<Группа><Ид>grp-drills</Ид><Наименование>Дрели</Наименование></Группа>{clothes}",
        )
        # Staff may turn archiving off: then a full export archives nothing.
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("agora_1c.full_export_archive", "False")
        self._run([("import.xml", full.encode("cp1251"))])
        self.assertTrue(self._template("prod-socks").active)
        params.set_param("agora_1c.full_export_archive", "True")
        files = self._run([("import.xml", full.encode("cp1251"))])
        self.assertFalse(self._template("prod-socks").active)
        self.assertTrue(self._template("prod-jacket").active)
        self.assertTrue(self._template("prod-drill").active)
        self.assertEqual(files["import.xml"].archived_count, 1)
        # Sent again, the product comes back.
        self._import_208()
        self.assertTrue(self._template("prod-socks").active)

    def test_deletion_markers_archive(self):
        self._import_204()
        deleted = fixture("catalog_import_204.xml").replace(
            "<Товар>\n        <Ид>prod-cable</Ид>".encode(),
            '<Товар Статус="Удален">\n        <Ид>prod-cable</Ид>'.encode(),
        )
        offers = fixture("catalog_offers_204.xml").replace(
            "<Ид>prod-shirt#char-red</Ид>".encode(),
            "<Ид>prod-shirt#char-red</Ид><ПометкаУдаления>true</ПометкаУдаления>".encode(),
        )
        files = self._run([("import.xml", deleted), ("offers.xml", offers)])
        self.assertFalse(self._template("prod-cable").active)
        red = (
            self.env["product.product"]
            .with_context(active_test=False)
            .search([("agora_1c_id", "=", "prod-shirt#char-red")])
        )
        self.assertTrue(red, "archived, never deleted")
        self.assertFalse(red.active)
        self.assertTrue(self._template("prod-shirt").active)
        self.assertEqual(files["import.xml"].archived_count, 1)
        self.assertEqual(files["offers.xml"].archived_count, 1)

    # --- Malformed files and steps ------------------------------------------------

    def test_malformed_xml_creates_nothing(self):
        broken = fixture("catalog_import_204.xml").replace(
            "</Товары>".encode(), "</Товар>".encode()
        )
        categories = self.env["product.category"].search_count([])
        with self.assertRaisesRegex(UserError, r"import\.xml.*line \d+"):
            self._run([("import.xml", broken)])
        self.assertFalse(self._template("prod-drill"))
        self.assertEqual(self.env["product.category"].search_count([]), categories)

    def test_import_in_steps(self):
        session, _token = self.env["agora.1c.session"]._agora_1c_start(
            "catalog", self.exchange_user
        )
        session = session.with_user(self.exchange_user).sudo()
        session._agora_1c_init()
        session._agora_1c_receive_file("import.xml", fixture("catalog_import_204.xml"))
        answers = []
        # Every call's time is up after its first batch.
        with (
            patch.object(agora_1c_catalog_import, "BATCH_SIZE", 2),
            patch.object(
                self.registry["agora.1c.session"], "_agora_1c_step_seconds", lambda self: -1.0
            ),
        ):
            for _call in range(20):
                answers.append(session._agora_1c_import("import.xml"))
                if answers[-1] == "success":
                    break
        self.assertEqual(answers[-1], "success")
        # check, groups, three batches of products, archive
        self.assertGreaterEqual(answers.count("progress"), 4)
        record = session.file_ids
        self.assertEqual(record.created_count, 9)
        self.assertEqual(record.item_count, 9)
        self.assertEqual(self._template("prod-shirt").product_variant_count, 2)


@tagged("post_install", "-at_install")
class TestAgora1cCatalogImportQueries(TransactionCase):
    """A batch of products, and a batch of offers, cost the same number of
    queries for each product whatever the batch's size: 50,000 products are
    imported in batches whose cost must not grow with the catalog."""

    PRICE_TYPES = ("pt-q-retail", "pt-q-whole")
    WAREHOUSES = ("wh-q-1", "wh-q-2", "wh-q-3")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.exchange_user = new_test_user(
            cls.env, login="onec_q", groups="base.group_user,agora_1c.group_agora_1c_exchange"
        )
        company = cls.env.ref("base.main_company")
        rub = cls.env.ref("base.RUB")
        rub.active = True
        company.currency_id = rub
        warehouses = cls.env["stock.warehouse"].create(
            [{"name": f"Склад {code}", "code": f"Q{i}"} for i, code in enumerate(cls.WAREHOUSES)]
        )
        cls.env["agora.1c.warehouse"].create(
            [
                {"name": code, "external_id": code, "warehouse_id": warehouse.id}
                for code, warehouse in zip(cls.WAREHOUSES, warehouses, strict=True)
            ]
        )

    def _files(self, prefix, count):
        """An import and an offers file of ``count`` products, in two groups,
        each with a barcode, 2 prices and stock in 3 warehouses."""
        keys = [f"{prefix}-{index}" for index in range(count)]
        products = "".join(
            f"<Товар><Ид>{key}</Ид><Артикул>A-{key}</Артикул>"
            f"<Штрихкод>{4600000000000 + count * 1000 + index}</Штрихкод>"
            f"<Наименование>Товар {key}</Наименование>"
            '<БазоваяЕдиница Код="796">шт</БазоваяЕдиница>'
            f"<Группы><Ид>grp-q-{index % 2}</Ид></Группы></Товар>"
            for index, key in enumerate(keys)
        )
        import_xml = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<КоммерческаяИнформация ВерсияСхемы="2.05"><Классификатор><Ид>cls-q</Ид>'
            "<Группы><Группа><Ид>grp-q-0</Ид><Наименование>Первая</Наименование></Группа>"
            "<Группа><Ид>grp-q-1</Ид><Наименование>Вторая</Наименование></Группа></Группы>"
            '</Классификатор><Каталог СодержитТолькоИзменения="true"><Ид>cat-q</Ид>'
            f"<Товары>{products}</Товары></Каталог></КоммерческаяИнформация>"
        )
        price_types = "".join(
            f"<ТипЦены><Ид>{code}</Ид><Наименование>{code}</Наименование>"
            "<Валюта>RUB</Валюта></ТипЦены>"
            for code in self.PRICE_TYPES
        )
        offers = "".join(
            f"<Предложение><Ид>{key}</Ид><Цены>"
            + "".join(
                f"<Цена><ИдТипаЦены>{code}</ИдТипаЦены>"
                f"<ЦенаЗаЕдиницу>{100 + index}</ЦенаЗаЕдиницу></Цена>"
                for code in self.PRICE_TYPES
            )
            + "</Цены>"
            + "".join(
                f'<Склад ИдСклада="{code}" КоличествоНаСкладе="{index + position + 1}"/>'
                for position, code in enumerate(self.WAREHOUSES)
            )
            + "</Предложение>"
            for index, key in enumerate(keys)
        )
        offers_xml = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<КоммерческаяИнформация ВерсияСхемы="2.05">'
            '<ПакетПредложений СодержитТолькоИзменения="true"><Ид>cat-q#</Ид>'
            f"<ТипыЦен>{price_types}</ТипыЦен><Предложения>{offers}</Предложения>"
            "</ПакетПредложений></КоммерческаяИнформация>"
        )
        return import_xml.encode(), offers_xml.encode()

    def _measure(self, prefix, count):
        """Queries of importing ``count`` new products, then their offers."""
        session, _token = self.env["agora.1c.session"]._agora_1c_start(
            "catalog", self.exchange_user
        )
        session = session.with_user(self.exchange_user).sudo()
        session._agora_1c_init()
        import_xml, offers_xml = self._files(prefix, count)
        session._agora_1c_receive_file("import.xml", import_xml)
        session._agora_1c_receive_file("offers.xml", offers_xml)
        counts = {}
        for name in ("import.xml", "offers.xml"):
            self.env.flush_all()
            self.env.cr.flush()
            before = self.cr.sql_log_count
            for _call in range(10):
                if session._agora_1c_import(name) == "success":
                    break
            self.env.flush_all()
            self.env.cr.flush()
            counts[name] = self.cr.sql_log_count - before
        records = {record.filename: record for record in session.file_ids}
        self.assertEqual(
            self.env["product.template"].search_count([("agora_1c_id", "=like", f"{prefix}-%")]),
            count,
        )
        self.assertEqual(records["offers.xml"].updated_count, count)
        self.assertFalse(records["offers.xml"].problems)
        return counts

    def test_products_and_offers_cost_the_same_per_product(self):
        self._measure("warm", 2)  # price types, groups, caches
        counts = {count: self._measure(f"q{count}", count) for count in (10, 30, 50)}
        product = self.env["product.product"].search([("agora_1c_id", "=", "q50-49")])
        self.assertEqual(product.qty_available, 49 + 1 + 49 + 2 + 49 + 3, "stock applied")
        self.assertEqual(product.barcode and len(product.barcode), 13)
        for name, at_most_per_product in (("import.xml", 16), ("offers.xml", 16)):
            first = counts[30][name] - counts[10][name]
            second = counts[50][name] - counts[30][name]
            # A few queries come and go with caches outside the products (the
            # prefetch of a batch, Odoo's caches): one query more per product
            # shows as twenty.
            self.assertAlmostEqual(first, second, delta=8, msg=f"{name} not flat: {counts}")
            # About 11 queries a product each (Odoo's own: its variant, its
            # valuation record; a quant and an inventory move per warehouse): a
            # bound with margin against a regression, not a figure to meet.
            self.assertLessEqual(max(first, second), 20 * at_most_per_product, counts)

"""Orders out to 1C (``mode=query``/``success``), 1C's changes back (``mode=file``)."""

import datetime
from pathlib import Path
from string import Template
from unittest.mock import patch

from lxml import etree

from odoo.tests import new_test_user, tagged

from odoo.addons.agora_orders.tests.common import AgoraCommon

FIXTURES = Path(__file__).parent / "fixtures"


def local(element):
    return etree.QName(element).localname


def find(element, *names):
    """The first descendant path of ``names`` (local names), or None."""
    for name in names:
        element = next((c for c in element if local(c) == name), None)
        if element is None:
            return None
    return element


def find_all(element, name):
    return [c for c in element if local(c) == name]


def requisites(element):
    container = find(element, "ЗначенияРеквизитов")
    return {
        find(item, "Наименование").text: find(item, "Значение").text or ""
        for item in find_all(container, "ЗначениеРеквизита")
    }


@tagged("post_install", "-at_install")
class TestAgora1cOrders(AgoraCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.exchange_user = new_test_user(
            cls.env,
            login="onec_orders",
            groups="base.group_user,agora_1c.group_agora_1c_exchange",
        )
        cls.client_alfa.write(
            {"vat": "7707083893", "agora_kpp": "773601001", "agora_1c_id": "cp-alfa-1c"}
        )
        cls.hammer.agora_1c_id = "0a1b2c3d-hammer"
        cls.drill.agora_1c_id = "0a1b2c3d-drill#f00d-char"
        cls.env["ir.config_parameter"].sudo().set_param("agora_1c.company_id", cls.company.id)

    # --- helpers -------------------------------------------------------------

    def _session(self):
        # The controller opens the session for the authenticated exchange user.
        session, _token = (
            self.env["agora.1c.session"].sudo()._agora_1c_start("sale", self.exchange_user)
        )
        session = session.with_user(self.exchange_user).sudo()
        session._agora_1c_init()
        return session

    def _query(self, session=None):
        session = session or self._session()
        data = session._agora_1c_query()
        root = etree.fromstring(data)
        return session, data, root

    def _documents(self, root):
        return {find(doc, "Номер").text: doc for doc in find_all(root, "Документ")}

    def _send(self, fixture, filename, **values):
        raw = (FIXTURES / fixture).read_bytes()
        encoding = "cp1251" if "cp1251" in fixture else "utf-8-sig"
        text = Template(raw.decode(encoding)).substitute(values)
        data = (b"\xef\xbb\xbf" if encoding == "utf-8-sig" else b"") + text.encode(
            encoding.replace("-sig", "")
        )
        session = self._session()
        session._agora_1c_receive_file(filename, data)
        self.assertEqual(session._agora_1c_import(filename), "success")
        self._flush_tracking()
        return session.file_ids.filtered(lambda f: f.filename == filename)

    def _onec_events(self, order):
        return order.agora_event_ids.filtered(lambda e: e.event_type == "onec")

    # --- export --------------------------------------------------------------

    def test_export_selects_configured_statuses(self):
        cart = self._create_order()
        submitted = self._create_order(lines=[(self.drill, 1)])
        submitted.action_agora_submit()
        reserved = self._reserved_order()
        self._flush_tracking()
        __, __, root = self._query()
        sent = set(self._documents(root))
        self.assertIn(submitted.name, sent)
        self.assertIn(reserved.name, sent)
        self.assertNotIn(cart.name, sent, "A cart (New) is not sent to 1C.")

        self.env["ir.config_parameter"].sudo().set_param("agora_1c.export_states", "reserve")
        __, __, root = self._query()
        self.assertEqual(set(self._documents(root)), {reserved.name})

    def test_export_document_content(self):
        order = self._reserved_order(
            lines=[(self.hammer, 2), (self.drill, 1), (self.delivery_policy_product, 3)]
        )
        session, __, root = self._query()
        self.assertEqual(local(root), "КоммерческаяИнформация")
        self.assertEqual(root.get("ВерсияСхемы"), "2.08")
        self.assertTrue(root.get("ДатаФормирования"))
        doc = self._documents(root)[order.name]
        self.assertEqual(find(doc, "Ид").text, order.name)
        self.assertEqual(find(doc, "ХозОперация").text, "Заказ товара")
        self.assertEqual(find(doc, "Роль").text, "Продавец")
        currency = order.currency_id.name
        self.assertEqual(find(doc, "Валюта").text, "руб" if currency == "RUB" else currency)
        self.assertAlmostEqual(float(find(doc, "Сумма").text), order.amount_total)
        self.assertAlmostEqual(float(find(doc, "Налоги", "Налог", "Сумма").text), order.amount_tax)

        partner = find(doc, "Контрагенты", "Контрагент")
        self.assertEqual(find(partner, "Ид").text, "cp-alfa-1c")
        self.assertEqual(find(partner, "Наименование").text, "Alfa Stroy LLC")
        self.assertEqual(find(partner, "Роль").text, "Покупатель")
        self.assertEqual(find(partner, "ИНН").text, "7707083893")
        self.assertEqual(find(partner, "КПП").text, "773601001")
        self.assertEqual(
            find(partner, "Представители", "Представитель", "Контрагент", "Наименование").text,
            "Alexei Alfa",
        )

        goods = {find(g, "Ид").text: g for g in find_all(find(doc, "Товары"), "Товар")}
        saw_id = f"odoo-product-{self.delivery_policy_product.id}"
        self.assertEqual(set(goods), {"0a1b2c3d-hammer", "0a1b2c3d-drill#f00d-char", saw_id})
        hammer_line = order.order_line.filtered(lambda l: l.product_id == self.hammer)
        hammer = goods["0a1b2c3d-hammer"]
        self.assertEqual(float(find(hammer, "Количество").text), 2)
        # Prices and sums include the VAT, as 1C-Bitrix sends them: 2 x 90 + 20 %.
        self.assertAlmostEqual(float(find(hammer, "Сумма").text), 216.0)
        self.assertAlmostEqual(float(find(hammer, "ЦенаЗаЕдиницу").text), 108.0)
        self.assertAlmostEqual(float(find(hammer, "Сумма").text), hammer_line.price_total)
        self.assertEqual(find(hammer, "БазоваяЕдиница").get("Код"), "796")
        self.assertEqual(find(hammer, "СтавкиНалогов", "СтавкаНалога", "Ставка").text, "20")
        self.assertAlmostEqual(float(find(hammer, "Налоги", "Налог", "Сумма").text), 36.0)
        self.assertEqual(requisites(hammer)["ТипНоменклатуры"], "Товар")
        self.assertEqual(find(goods[saw_id], "Артикул").text, "SAW-004")
        self.assertAlmostEqual(
            sum(float(find(g, "Сумма").text) for g in goods.values()), order.amount_total
        )

        values = requisites(doc)
        self.assertEqual(values["Статус заказа"], "[reserve] Резерв")
        self.assertEqual(values["Статуса заказа ИД"], "reserve")
        self.assertEqual(values["Заказ оплачен"], "false")
        self.assertEqual(values["Доставка разрешена"], "true")
        self.assertEqual(values["Отменен"], "false")
        self.assertEqual(values["Финальный статус"], "false")
        self.assertTrue(values["Дата изменения статуса"])
        self.assertIn(order, session.sudo().order_ids)

    def test_export_encodings(self):
        # A name windows-1251 cannot write: sent as character references.
        self.hammer.name = "Молоток ™ 锤子"
        order = self._reserved_order()
        __, data, root = self._query()
        self.assertTrue(data.startswith(b'<?xml version="1.0" encoding="windows-1251"?>'))
        self.assertIn("Заказ товара".encode("cp1251"), data)
        self.assertIn(b"&#38180;&#23376;", data)
        doc = self._documents(root)[order.name]
        goods = find_all(find(doc, "Товары"), "Товар")
        self.assertEqual(find(goods[0], "Наименование").text, "Молоток ™ 锤子")

        self.env["ir.config_parameter"].sudo().set_param("agora_1c.encoding", "utf-8-sig")
        __, data, root = self._query()
        self.assertTrue(data.startswith(b'\xef\xbb\xbf<?xml version="1.0" encoding="UTF-8"?>'))
        self.assertIn("Молоток ™ 锤子".encode(), data)
        self.assertIn(order.name, self._documents(root))

    def test_mark_exported_only_on_confirm(self):
        order = self._reserved_order()
        session, __, root = self._query()
        self.assertIn(order.name, self._documents(root))
        self.assertFalse(order.agora_1c_exported_date)
        # 1C did not confirm: the next query sends the order again.
        session, __, root = self._query()
        self.assertIn(order.name, self._documents(root))
        session._agora_1c_confirm_orders()
        self.assertTrue(order.agora_1c_exported_date)
        __, __, root = self._query()
        self.assertNotIn(order.name, self._documents(root))

        # A later change (a later transaction) sends it again.
        later = datetime.datetime.now() + datetime.timedelta(minutes=5)
        with patch.object(type(self.env.cr), "now", return_value=later):
            order.with_user(self.salesman).client_order_ref = "PO-77"
            self._flush_tracking()
        __, __, root = self._query()
        self.assertIn(order.name, self._documents(root))

    def test_change_committed_during_the_query_is_sent_again(self):
        """A change the query could not see (committed by a transaction that
        started before it) is not marked as sent by 1C's success."""
        order = self._reserved_order()
        session, __, root = self._query()
        self.assertIn(order.name, self._documents(root))
        earlier = order.write_date - datetime.timedelta(seconds=1)
        with patch.object(type(self.env.cr), "now", return_value=earlier):
            order.with_user(self.salesman).client_order_ref = "PO-88"
            self._flush_tracking()
        session._agora_1c_confirm_orders()
        self.assertFalse(order.agora_1c_exported_date)
        __, __, root = self._query()
        self.assertIn(order.name, self._documents(root), "the change goes to 1C")

    def test_control_characters_do_not_stop_the_export(self):
        order = self._reserved_order()
        (
            self.client_alfa | order.partner_id.sudo(False).with_env(self.env)
        ).street = "ул. Ленина,\x0b д. 1"
        __, data, root = self._query()
        self.assertIn(order.name, self._documents(root))
        self.assertIn("ул. Ленина, д. 1".encode("cp1251"), data)

    # --- changes from 1C -----------------------------------------------------

    def test_import_payment_shipment_and_unknown(self):
        paid = self._reserved_order()
        shipped = self._reserved_order(lines=[(self.hammer, 5)])
        hammer_before = self.hammer.qty_available
        record = self._send(
            "orders_changes_cp1251.xml",
            "orders-1.xml",
            paid_order=paid.name,
            shipped_order=shipped.name,
        )
        self.assertRecordValues(
            record,
            [{"item_count": 3, "updated_count": 2, "skipped_count": 1, "problem_count": 1}],
        )
        self.assertIn("S99999", record.problems)

        self.assertRecordValues(
            paid,
            [
                {
                    "agora_1c_number": "УТ-000123",
                    "agora_1c_payment_number": "15",
                    "agora_state": "paid",
                    "agora_payment_status": "paid",
                    "agora_amount_unpaid": 0.0,
                }
            ],
        )
        invoice = paid._agora_invoices()
        self.assertTrue(invoice.currency_id.is_zero(invoice.amount_residual))
        payments = invoice._get_reconciled_payments()
        self.assertEqual(len(payments), 1)
        self.assertEqual(payments.date, datetime.date(2026, 12, 2))
        self.assertIn(
            "1C: payment No. 15 of 02.12.2026 registered",
            self._onec_events(paid).mapped("description"),
        )
        # Staff read which payment it made, on which invoice.
        note = self._onec_events(paid).filtered("internal_note").internal_note
        self.assertIn(payments.name, note)
        self.assertIn(invoice.name, note)

        self.assertRecordValues(
            shipped,
            [
                {
                    "agora_1c_number": "УТ-000124",
                    "agora_1c_shipment_number": "РТУ-77",
                    "agora_state": "shipped",
                    "agora_delivery_status": "shipped",
                    "agora_payment_status": "not_paid",
                }
            ],
        )
        self.assertEqual(set(shipped.picking_ids.mapped("state")), {"done"})
        self.assertEqual(
            self.hammer.with_context(warehouse_id=self.warehouse.id).qty_available,
            hammer_before - 5,
        )
        self.assertEqual(len(self._onec_events(shipped)), 2)
        self.assertIn(
            "1C: shipment No. РТУ-77 of 02.12.2026 registered",
            self._onec_events(shipped).mapped("description"),
        )

        # The same file again (1C resends what it did not see confirmed):
        # nothing more happens.
        record = self._send(
            "orders_changes_cp1251.xml",
            "orders-2.xml",
            paid_order=paid.name,
            shipped_order=shipped.name,
        )
        self.assertRecordValues(record, [{"updated_count": 0, "skipped_count": 3}])
        self.assertEqual(len(invoice._get_reconciled_payments()), 1)
        self.assertEqual(len(self._onec_events(paid)), 2)
        self.assertEqual(len(shipped.picking_ids), 1)

    def test_import_payment_then_shipment_closes(self):
        order = self._reserved_order()
        self._send(
            "orders_changes_cp1251.xml", "orders-1.xml", paid_order=order.name, shipped_order="X"
        )
        self.assertEqual(order.agora_state, "paid")
        self._send(
            "orders_changes_cp1251.xml", "orders-2.xml", paid_order="X", shipped_order=order.name
        )
        self.assertRecordValues(
            order,
            [
                {
                    "agora_state": "closed",
                    "agora_close_reason": "done",
                    "agora_1c_number": "УТ-000124",
                }
            ],
        )

    def test_import_mismatch_is_flagged(self):
        order = self._reserved_order()
        self.assertEqual(order.amount_total, 216.0)
        activities_before = len(order.activity_ids)
        record = self._send(
            "orders_conflict_utf8.xml",
            "documents-1.xml",
            order=order.name,
            product="0a1b2c3d-hammer",
            code="HAM-001",
            qty="3",
            amount="324.00",
            cancelled="true",
        )
        self.assertRecordValues(record, [{"updated_count": 1, "problem_count": 0}])
        self.assertTrue(order.agora_1c_conflict)
        self.assertIn("cancelled in 1C", order.agora_1c_conflict_note)
        self.assertIn("Hammer", order.agora_1c_conflict_note)
        self.assertIn("Total", order.agora_1c_conflict_note)
        # Nothing 1C sent was applied to the order itself.
        self.assertRecordValues(
            order.order_line,
            [{"product_id": self.hammer.id, "product_uom_qty": 2.0}],
        )
        self.assertRecordValues(
            order,
            [{"state": "sale", "agora_state": "reserve", "agora_payment_status": "not_paid"}],
        )
        new_activities = order.activity_ids[activities_before:]
        self.assertEqual(len(order.activity_ids), activities_before + 1)
        self.assertEqual(new_activities.user_id, self.salesman)
        self.assertIn(order, self.env["sale.order"].search([("agora_1c_conflict", "=", True)]))

        # The same file again: flagged once.
        self._send(
            "orders_conflict_utf8.xml",
            "documents-2.xml",
            order=order.name,
            product="0a1b2c3d-hammer",
            code="HAM-001",
            qty="3",
            amount="324.00",
            cancelled="true",
        )
        self.assertEqual(len(order.activity_ids), activities_before + 1)

        # Staff settle it; a matching version from 1C then pays the order.
        order.with_user(self.salesman).action_agora_1c_resolve_conflict()
        self.assertFalse(order.agora_1c_conflict)
        self._send(
            "orders_conflict_utf8.xml",
            "documents-3.xml",
            order=order.name,
            product="0a1b2c3d-hammer",
            code="HAM-001",
            qty="2",
            amount="216.00",
            cancelled="false",
        )
        self.assertFalse(order.agora_1c_conflict)
        self.assertRecordValues(order, [{"agora_state": "paid", "agora_1c_payment_number": "16"}])

    def test_import_recognises_article_of_product_without_1c_id(self):
        """A product sent as ``odoo-product-N`` comes back under 1C's own id."""
        chisel = self._create_product("Chisel", "CHS-005", self.categ_tools, 40.0, qty=10)
        order = self._reserved_order(lines=[(chisel, 3)])
        amount = f"{order.amount_total:.2f}"
        record = self._send(
            "orders_conflict_utf8.xml",
            "documents-1.xml",
            order=order.name,
            product="5d41402a-1c-own-saw-id",
            code="CHS-005",
            qty="3,000",
            amount=amount,
            cancelled="false",
        )
        self.assertRecordValues(record, [{"updated_count": 1, "problem_count": 0}])
        self.assertRecordValues(
            order,
            [{"agora_1c_conflict": False, "agora_1c_number": "УТ-000125", "agora_state": "paid"}],
        )

    def test_query_costs_the_same_per_order(self):
        """1C's query reads the orders it sends with a bounded number of queries
        per order, whatever their number: the export prefetches."""

        def measure(count):
            for _index in range(count):
                self._reserved_order(lines=[(self.hammer, 1), (self.drill, 1)])
            session = self._session()
            self.env.flush_all()
            before = self.cr.sql_log_count
            __, __, root = self._query(session)
            self.env.flush_all()
            queries = self.cr.sql_log_count - before
            self.assertEqual(len(find_all(root, "Документ")), count)
            session._agora_1c_confirm_orders()
            return queries

        measure(1)  # caches, the first document's units and taxes
        counts = {count: measure(count) for count in (2, 5, 8)}
        first, second = counts[5] - counts[2], counts[8] - counts[5]
        self.assertAlmostEqual(first, second, delta=3, msg=f"not flat: {counts}")
        # Three more orders, with their client and lines: a bound with margin
        # against a query per line or per product, not a figure to meet.
        self.assertLessEqual(max(first, second), 3 * 6, counts)

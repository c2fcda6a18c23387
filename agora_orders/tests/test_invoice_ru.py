from datetime import datetime

from lxml import html

from odoo.exceptions import ValidationError
from odoo.fields import Command
from odoo.tests import new_test_user, tagged

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

RU_REPORT = "agora_orders.action_report_agora_invoice_ru"


@tagged("post_install", "-at_install")
class TestAgoraInvoiceRu(AccountTestInvoicingCommon):
    """The «Счёт на оплату»: requisites, their validation, the amount in words, the report."""

    country_code = "RU"
    chart_template = "generic_coa"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        cls.ru = cls.env.ref("base.ru")
        cls.company.write(
            {
                "name": "ООО Поставщик",
                "street": "ул. Вавилова, д. 19",
                "city": "Москва",
                "zip": "117312",
                "vat": "7707083893",
                "agora_kpp": "773601001",
                "agora_ogrn": "1027700132195",
                "agora_director_name": "Иванов И. И.",
                "agora_accountant_name": "Петрова А. А.",
            }
        )
        cls.bank = cls.env["res.bank"].create(
            {
                "name": "ПАО Сбербанк",
                "bic": "044525225",
                "agora_corr_account": "30101810400000000225",
                "country": cls.ru.id,
            }
        )
        cls.bank_account = cls.env["res.partner.bank"].create(
            {
                "acc_number": "40702810938000012345",
                "partner_id": cls.company.partner_id.id,
                "bank_id": cls.bank.id,
            }
        )
        cls.buyer = cls.env["res.partner"].create(
            {
                "name": "ООО Альфа Строй",
                "is_company": True,
                "country_id": cls.ru.id,
                "vat": "7736050003",
                "agora_kpp": "772801001",
                "agora_legal_address": "119991, г. Москва,\nул. Ленина, д. 1",
                "tz": "Europe/Moscow",
            }
        )
        tax_vals = {
            "amount_type": "percent",
            "type_tax_use": "sale",
            "price_include_override": "tax_included",
            "company_id": cls.company.id,
        }
        cls.tax_20 = cls.env["account.tax"].create(
            {**tax_vals, "name": "НДС 20% (test)", "amount": 20.0}
        )
        cls.tax_10 = cls.env["account.tax"].create(
            {**tax_vals, "name": "НДС 10% (test)", "amount": 10.0}
        )
        cls.tax_20_excluded = cls.env["account.tax"].create(
            {
                **tax_vals,
                "name": "НДС 20% сверху (test)",
                "amount": 20.0,
                "price_include_override": "tax_excluded",
            }
        )

    @classmethod
    def get_default_groups(cls):
        # The test user also sells: one test creates the invoice from a sale order.
        return super().get_default_groups() | cls.env.ref("sales_team.group_sale_manager")

    # --- helpers ---------------------------------------------------------------

    def _invoice(self, lines):
        return self._create_invoice(
            partner_id=self.buyer,
            invoice_date="2026-11-26",
            invoice_line_ids=[
                self._prepare_invoice_line(
                    name=name, price_unit=price, quantity=qty, tax_ids=taxes
                )
                for name, price, qty, taxes in lines
            ],
            post=True,
        )

    def _render_text(self, invoice, user=None):
        Report = self.env["ir.actions.report"].with_user(user or self.env.user)
        content, report_type = Report._render_qweb_html(RU_REPORT, invoice.ids)
        self.assertEqual(report_type, "html")
        tree = html.fromstring(content)
        for style in tree.iter("style"):
            style.drop_tree()
        # Cells become words separated by one space; non-breaking spaces too.
        return " ".join(" ".join(tree.itertext()).split())

    # --- amount in words ------------------------------------------------------------

    def test_amount_in_words(self):
        move = self.env["account.move"]
        expected = {
            0.01: "Ноль рублей 01 копейка",
            1: "Один рубль 00 копеек",
            2: "Два рубля 00 копеек",
            5: "Пять рублей 00 копеек",
            11: "Одиннадцать рублей 00 копеек",
            21: "Двадцать один рубль 00 копеек",
            22.22: "Двадцать два рубля 22 копейки",
            101: "Сто один рубль 00 копеек",
            1000: "Одна тысяча рублей 00 копеек",
            2000: "Две тысячи рублей 00 копеек",
            5000: "Пять тысяч рублей 00 копеек",
            1000000: "Один миллион рублей 00 копеек",
            1234.56: "Одна тысяча двести тридцать четыре рубля 56 копеек",
            1234567.89: "Один миллион двести тридцать четыре тысячи пятьсот шестьдесят семь "
            "рублей 89 копеек",
        }
        for amount, text in expected.items():
            with self.subTest(amount=amount):
                self.assertEqual(move._agora_amount_in_words_ru(amount), text)
        # An int is roubles, not kopecks; a float is rounded to kopecks first.
        self.assertEqual(move._agora_amount_in_words_ru(100), "Сто рублей 00 копеек")
        self.assertEqual(move._agora_amount_in_words_ru(0.285), "Ноль рублей 29 копеек")

    # --- requisites and their validation --------------------------------------------

    def test_inn_validation(self):
        Partner = self.env["res.partner"]
        for inn in ("7707083893", "500100732259"):
            partner = Partner.create({"name": "Valid", "country_id": self.ru.id, "vat": inn})
            self.assertEqual(partner.vat, inn)
        for inn in ("7707083894", "500100732250", "770708389", "RU7707083893", "77070838931"):
            with self.subTest(inn=inn), self.assertRaises(ValidationError):
                Partner.create({"name": "Invalid", "country_id": self.ru.id, "vat": inn})
        # Outside Russia the Tax ID is not an INN.
        Partner.create(
            {"name": "Belgian", "country_id": self.env.ref("base.be").id, "vat": "BE0477472701"}
        )
        # Moving a partner to Russia checks its Tax ID too.
        foreign = Partner.create({"name": "Foreign", "vat": "12345"})
        with self.assertRaises(ValidationError):
            foreign.country_id = self.ru
        # The company's INN is its partner's.
        with self.assertRaises(ValidationError):
            self.company.vat = "7707083890"

    def test_kpp_validation(self):
        self.buyer.agora_kpp = "7736AB001"
        self.company.agora_kpp = "773601002"
        self.assertEqual(self.company.partner_id.agora_kpp, "773601002")
        for kpp in ("77360100", "7736010011", "7736ab001", "77360100A", "7736 0100"):
            with self.subTest(kpp=kpp), self.assertRaises(ValidationError):
                self.buyer.agora_kpp = kpp

    def test_ogrn_validation(self):
        for ogrn in ("1027700132195", "304500116000157"):
            self.buyer.agora_ogrn = ogrn
            self.assertEqual(self.buyer.agora_ogrn, ogrn)
        for ogrn in ("1027700132194", "304500116000158", "102770013219", "10277001321955"):
            with self.subTest(ogrn=ogrn), self.assertRaises(ValidationError):
                self.buyer.agora_ogrn = ogrn

    def test_bik_and_corr_account_validation(self):
        Bank = self.env["res.bank"]
        Bank.create({"name": "Valid", "bic": "044525593", "country": self.ru.id})
        # A SWIFT code of a foreign bank (or a bank without country) is not a BIK.
        Bank.create({"name": "Foreign", "bic": "DEUTDEFF"})
        for bic in ("04452522", "0445252250", "SABRRUMM"):
            with self.subTest(bic=bic), self.assertRaises(ValidationError):
                Bank.create({"name": "Invalid", "bic": bic, "country": self.ru.id})
        # All digits: meant as a BIK even without a country.
        with self.assertRaises(ValidationError):
            Bank.create({"name": "Invalid", "bic": "04452522"})
        with self.assertRaises(ValidationError):
            self.bank.agora_corr_account = "3010181040000000022"
        with self.assertRaises(ValidationError):
            self.bank_account.bank_bic = "12345"

    # --- the report ------------------------------------------------------------------

    def test_report_two_vat_rates(self):
        invoice = self._invoice(
            [
                ("Молоток", 1200.0, 2, self.tax_20),
                ("Краска белая", 123.45, 1, self.tax_10),
            ]
        )
        self.assertAlmostEqual(invoice.amount_total, 2523.45)
        text = self._render_text(invoice)
        for expected in (
            f"Счёт на оплату № {invoice.name} от 26 ноября 2026 г.",
            # the payee's bank block
            "ПАО Сбербанк Банк получателя БИК 044525225 Сч. № 30101810400000000225",
            "ИНН 7707083893 КПП 773601001 Сч. № 40702810938000012345",
            "ООО Поставщик Получатель",
            # the parties
            "ООО Поставщик, ИНН 7707083893, КПП 773601001, ул. Вавилова, д. 19",
            "ООО Альфа Строй, ИНН 7736050003, КПП 772801001, 119991, г. Москва, ул. Ленина, д. 1",
            # the lines
            "1 Молоток 2 1 200,00 2 400,00",
            "2 Краска белая 1 123,45 123,45",
            # the totals
            "Итого: 2 523,45",
            "В том числе НДС 20%: 400,00",
            "В том числе НДС 10%: 11,22",
            "Всего к оплате: 2 523,45",
            "Всего наименований 2, на сумму 2 523,45 руб.",
            "Две тысячи пятьсот двадцать три рубля 45 копеек",
            "Руководитель Иванов И. И.",
            "Главный бухгалтер Петрова А. А.",
        ):
            self.assertIn(expected, text)
        self.assertNotIn("Без НДС", text)
        self.assertNotIn("Товар зарезервирован", text)
        self.assertLess(text.index("НДС 20%"), text.index("НДС 10%"))

    def test_report_without_vat(self):
        invoice = self._invoice([("Доставка", 1000.0, 1, self.env["account.tax"])])
        text = self._render_text(invoice)
        self.assertIn("Итого: 1 000,00 Без НДС - Всего к оплате: 1 000,00", text)
        self.assertIn("Всего наименований 1, на сумму 1 000,00 руб.", text)
        self.assertIn("Одна тысяча рублей 00 копеек", text)
        self.assertNotIn("НДС 20%", text)

    def test_report_vat_on_top_of_prices(self):
        """Prices without VAT: «Итого» is without VAT, the VAT row is not «в том числе»."""
        invoice = self._invoice([("Молоток", 500.0, 2, self.tax_20_excluded)])
        text = self._render_text(invoice)
        self.assertIn("1 Молоток 2 500,00 1 000,00", text)
        self.assertIn("Итого: 1 000,00 НДС 20%: 200,00 Всего к оплате: 1 200,00", text)
        self.assertIn("Одна тысяча двести рублей 00 копеек", text)
        self.assertNotIn("В том числе", text)

    def test_report_legal_address_fallback(self):
        self.buyer.agora_legal_address = False
        self.buyer.write({"street": "пр. Мира, д. 5", "city": "Казань"})
        invoice = self._invoice([("Молоток", 100.0, 1, self.tax_20)])
        text = self._render_text(invoice)
        self.assertIn("ООО Альфа Строй, ИНН 7736050003, КПП 772801001, пр. Мира, д. 5", text)
        self.assertIn("Казань", text)

    def test_report_reservation_note(self):
        product = self.env["product.product"].create(
            {"name": "Перфоратор", "type": "service", "invoice_policy": "order"}
        )
        order = self.env["sale.order"].create(
            {
                "partner_id": self.buyer.id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": product.id,
                            "product_uom_qty": 3,
                            "price_unit": 1000.0,
                            "tax_ids": [Command.set(self.tax_20.ids)],
                        }
                    )
                ],
            }
        )
        # Confirmed the Agora way (the only one): the reservation issues the invoice.
        order.action_agora_submit()
        order.action_agora_reserve()
        invoice = order.invoice_ids
        self.assertEqual(invoice.line_ids.sale_line_ids.order_id, order)
        # Without a deadline (as once its reservation no longer runs), no note.
        order.sudo().agora_reserve_deadline = False
        self.assertNotIn("Товар зарезервирован", self._render_text(invoice))
        # 15:00 UTC is 18:00 in Moscow, the client's time zone.
        order.sudo().agora_reserve_deadline = datetime(2026, 11, 28, 15, 0)
        # Printed by a billing user, with the lowest rights that may print invoices.
        billing = new_test_user(
            self.env,
            login="agora_ru_billing",
            groups="account.group_account_invoice",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        text = self._render_text(invoice, user=billing)
        self.assertIn(
            "Товар зарезервирован до 28.11.2026 18:00; счёт действителен до 28 ноября 2026 г.",
            text,
        )
        self.assertIn("Всего наименований 1, на сумму 3 000,00 руб.", text)

    # --- which report prints the invoice ------------------------------------------------

    def test_invoice_report_ref(self):
        invoice = self._invoice([("Молоток", 100.0, 1, self.tax_20)])
        self.assertEqual(invoice._agora_get_invoice_report_ref(), RU_REPORT)
        self.env.ref(invoice._agora_get_invoice_report_ref())  # a real report

        self.company.country_id = self.env.ref("base.us")
        self.assertFalse(self.company.agora_ru_invoice_form)
        self.assertEqual(invoice._agora_get_invoice_report_ref(), "account.account_invoices")
        self.env.ref(invoice._agora_get_invoice_report_ref())

        self.company.agora_ru_invoice_form = True
        self.assertEqual(invoice._agora_get_invoice_report_ref(), RU_REPORT)

        # Credit notes are never printed as an invoice for payment.
        self.company.country_id = self.ru
        refund = invoice._reverse_moves()
        self.assertEqual(refund._agora_get_invoice_report_ref(), "account.account_invoices")

    def test_report_in_print_menu(self):
        report = self.env.ref(RU_REPORT)
        self.assertEqual(report.binding_model_id.model, "account.move")
        self.assertEqual(report.binding_type, "report")

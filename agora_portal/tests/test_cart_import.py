import io

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import TransactionCase, tagged

from .common import AgoraPortalDataMixin


def xlsx_bytes(rows):
    import openpyxl  # noqa: PLC0415

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


@tagged("post_install", "-at_install")
class TestAgoraCartImport(AgoraPortalDataMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_agora_data()
        # Two products with the same barcode: a barcode that is ambiguous.
        cls.hammer_big = cls._agp_product("Hammer Big", "AGP-HAM-BIG", cls.categ_hand, 150.0, 5)
        cls.hammer_small = cls._agp_product("Hammer Small", "AGP-HAM-SML", cls.categ_hand, 80.0, 5)

    def _upload(self, content, name="order.csv", user=None):
        user = user or self.user_alfa
        cart = self._cart(user).sudo(False).with_user(user)
        # As the upload route does: portal users may only read uploads.
        Import = self.env["agora.cart.import"].with_user(user).sudo()
        return Import._agora_create_from_file(cart, name, content)

    def _fates(self, upload):
        return [(line.row, line.status) for line in upload.line_ids]

    def test_csv_formats(self):
        cases = {
            "utf8 semicolon header ru": (
                "Артикул;Количество\nAGP-HAM-01;2\nagp-drl-02;1,5\n".encode()
            ),
            "utf8 bom comma header en": "\ufeffSKU,Qty\nAGP-HAM-01,2\nAGP-DRL-02,1.5\n".encode(),
            "cp1251 tab": "Артикул\tКол-во\nAGP-HAM-01\t2\nAGP-DRL-02\t1,5\n".encode("cp1251"),
            "no header semicolon": b"AGP-HAM-01;2\nAGP-DRL-02;1,5\n",
            "no header comma quoted": b'AGP-HAM-01,2\nAGP-DRL-02,"1,5"\n',
            "crlf": b"SKU;Quantity\r\nAGP-HAM-01;2\r\nAGP-DRL-02;1,5\r\n",
        }
        for label, content in cases.items():
            with self.subTest(label):
                upload = self._upload(content)
                lines = upload.line_ids
                self.assertEqual(lines.mapped("status"), ["add", "add"], label)
                self.assertEqual(lines.product_id, self.hammer | self.drill)
                self.assertEqual(lines.mapped("quantity"), [2.0, 1.5])

    def test_xlsx_with_header_barcode_and_without_header(self):
        content = xlsx_bytes([["Штрихкод", "Количество"], [4600000000011, 3]])
        upload = self._upload(content, "order.xlsx")
        self.assertEqual(upload.line_ids.product_id, self.hammer)
        self.assertEqual(upload.line_ids.quantity, 3)
        content = xlsx_bytes([["AGP-HAM-01", 4], ["AGP-GLU-05", "2,5"]])
        upload = self._upload(content, "order.xlsx")
        self.assertEqual(self._fates(upload), [(1, "add"), (2, "add")])
        self.assertEqual(upload.line_ids.product_id, self.hammer | self.glue)

    def test_every_fate(self):
        self.hammer_big.barcode = "4600000000099"
        # Two products share a barcode: ambiguous. (Barcodes are unique per
        # company in Odoo, so the duplicate lives in the database directly.)
        self.env.cr.execute(
            "UPDATE product_product SET barcode = %s WHERE id = %s",
            ("4600000000099", self.hammer_small.id),
        )
        self.env.invalidate_all()
        cart = self._cart(self.user_alfa, [(self.drill, 1)])
        content = "\n".join(
            [
                "SKU;Barcode;Quantity",
                "AGP-HAM-01;;2",  # 2 add
                "AGP-DRL-02;;1",  # 3 merge with the cart
                "AGP-HAM-01;;1",  # 4 merge with row 2
                "NOPE-404;;1",  # 5 unknown
                ";4600000000099;1",  # 6 ambiguous
                "AGP-PNT-04;;1",  # 7 outside the agreement (Beta's paint)
                "AGP-GLU-05;;abc",  # 8 invalid quantity
                "AGP-GLU-05;;-2",  # 9 invalid quantity
                "AGP-GLU-05;;0",  # 10 invalid quantity
                '=HYPERLINK("http://evil");;1',  # 11 unknown, kept as text
                ";4600000000011;1",  # 12 barcode of the hammer: merge with row 2
            ]
        ).encode()
        upload = self._upload(content)
        self.assertEqual(
            self._fates(upload),
            [
                (2, "add"),
                (3, "merge"),
                (4, "merge"),
                (5, "unknown"),
                (6, "ambiguous"),
                (7, "outside"),
                (8, "invalid_qty"),
                (9, "invalid_qty"),
                (10, "invalid_qty"),
                (11, "unknown"),
                (12, "merge"),
            ],
        )
        self.assertEqual(
            upload.line_ids.filtered(lambda l: l.row == 11).code, '=HYPERLINK("http://evil")'
        )
        self.assertEqual((upload.count_ok, upload.count_error), (4, 7))
        # Nothing reached the cart before confirmation.
        self.assertEqual(cart.order_line.product_id, self.drill)
        self.assertEqual(cart.order_line.product_uom_qty, 1)
        result = upload._agora_apply()
        self.assertEqual(result["added"], 4)
        quantities = {line.product_id: line.product_uom_qty for line in cart.order_line}
        self.assertEqual(quantities, {self.drill: 2, self.hammer: 4})
        with self.assertRaises(UserError):
            upload._agora_apply()

    def test_confirming_checks_each_quantity_again(self):
        """What reaches the cart never depends on what the preview stored."""
        cart = self._cart(self.user_alfa, [(self.drill, 1)])
        for bad_qty in (-5.0, 0.0, 10_000_000.0):
            with self.subTest(quantity=bad_qty):
                upload = self._upload(b"SKU;Qty\nAGP-HAM-01;2\nAGP-GLU-05;3\n")
                # As if the stored row had been changed behind the preview's back.
                upload.line_ids.filtered(
                    lambda l: l.code == "AGP-GLU-05"
                ).sudo().quantity = bad_qty
                with self.assertRaises(ValidationError), self.env.cr.savepoint():
                    upload._agora_apply()
                self.assertEqual(upload.state, "preview")
                self.assertEqual(
                    {l.product_id: l.product_uom_qty for l in cart.order_line}, {self.drill: 1}
                )

    def test_bad_files_leave_the_cart_untouched(self):
        cart = self._cart(self.user_alfa, [(self.hammer, 1)])
        bad_files = {
            "empty": b"",
            "too big": b"AGP-HAM-01;1\n" * 200_000,
            "too many rows": b"AGP-HAM-01;1\n" * 5001,
            "binary": b"\x00\x01\x02\xff\xfe" * 100,
            "broken xlsx": b"PK\x03\x04not really a zip",
            "header without quantity": "Артикул;Цена\nAGP-HAM-01;1\n".encode(),
            "old xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100,
        }
        for label, content in bad_files.items():
            with self.subTest(label), self.assertRaises(UserError):
                self._upload(content, "order.xls" if label == "old xls" else "order.csv")
        self.assertEqual(cart.order_line.product_uom_qty, 1)
        self.assertFalse(self.env["agora.cart.import"].sudo().search([]))

    def _queries(self, func):
        self.env.flush_all()
        before = self.cr.sql_log_count
        result = func()
        self.env.flush_all()
        return self.cr.sql_log_count - before, result

    def test_5000_rows_are_matched_in_a_bounded_number_of_queries(self):
        def rows(count):
            return "\n".join(f"AGP-HAM-01;{i % 7 + 1}" for i in range(count)).encode()

        self._upload(b"AGP-DRL-02;1\n")  # warm up the caches
        small, _upload = self._queries(lambda: self._upload(rows(100)))
        big, upload = self._queries(lambda: self._upload(rows(5000)))
        self.assertEqual(len(upload.line_ids), 5000)
        self.assertEqual(upload.count_ok, 5000)
        # Reading and matching are batched: only the ORM's INSERTs of the preview
        # rows (100 rows per INSERT) grow with the file.
        inserts = (5000 - 100) // 100
        self.assertLessEqual(
            big - small, inserts + 2, f"{small} queries for 100 rows, {big} for 5000"
        )

    def test_an_upload_belongs_to_its_user(self):
        upload = self._upload(b"AGP-HAM-01;1\n")
        Import = self.env["agora.cart.import"]
        self.assertFalse(Import.with_user(self.user_alfa2).search([("id", "=", upload.id)]))
        with self.assertRaises(AccessError):
            upload.with_user(self.user_alfa2)._agora_apply()
        with self.assertRaises(AccessError):
            upload.with_user(self.user_beta).line_ids.read(["code"])

    def test_template_is_a_readable_workbook(self):
        import openpyxl  # noqa: PLC0415

        content = self.env["agora.cart.import"]._agora_template_xlsx()
        sheet = openpyxl.load_workbook(io.BytesIO(content)).active
        self.assertEqual(
            [c.value for c in next(sheet.iter_rows(max_row=1))][:2], ["SKU", "Quantity"]
        )

    # ------------------------------------------------------------------
    # Title rows above the header, totals below the data (1C, Excel)
    # ------------------------------------------------------------------

    def _csv(self, rows):
        return "\n".join(";".join(row) for row in rows).encode()

    def test_row_numbers_are_the_files_own_with_blank_rows(self):
        """The preview names each row by its number in the file, blank rows
        (under a title, between blocks) counted."""
        csv_content = b"Order 15\n\nSKU;Qty\nAGP-HAM-01;2\n\nunknown-sku;1\n"
        self.assertEqual(self._fates(self._upload(csv_content)), [(4, "add"), (6, "unknown")])
        xlsx_content = xlsx_bytes([["Order 15"], [], ["SKU", "Qty"], ["AGP-HAM-01", 2]])
        self.assertEqual(self._fates(self._upload(xlsx_content, "order.xlsx")), [(4, "add")])
        with self.assertRaises(UserError):
            self._upload(b"\n;\n\n")

    def test_title_rows_before_the_header_and_totals_after_the_data(self):
        """A 1C-like sheet: only the data rows are previewed, with the file's
        own row numbers; the titles, the header and the totals are not."""
        header = ["№", "Артикул", "Номенклатура", "Количество", "Ед.", "Цена", "Сумма"]
        csv_rows = [
            # Padded with separators, as a spreadsheet saves a CSV.
            ["Заказ покупателя № 15 от 01.12.2026", "", "", "", "", "", ""],
            ["Организация: ООО Альфа", "", "", "", "", "", ""],
            ["Покупатель: ООО Ромашка, ИНН 7700000000", "", "", "", "", "", ""],
            header,
            ["1", "AGP-HAM-01", "Молоток", "2", "шт", "90,00", "180,00"],
            ["2", "AGP-GLU-05", "Клей", "3", "шт", "27,00", "81,00"],
            ["Итого", "", "", "5", "", "", "261,00"],
            ["Всего наименований 2, на сумму 261,00 руб.", "", "", "", "", "", ""],
        ]
        xlsx_rows = [
            ["Заказ покупателя № 15 от 01.12.2026"],
            ["Организация: ООО Альфа"],
            ["Покупатель: ООО Ромашка, ИНН 7700000000"],
            header,
            [1, "AGP-HAM-01", "Молоток", 2, "шт", 90, 180],
            [2, "AGP-GLU-05", "Клей", 3, "шт", 27, 81],
            [None, None, None, None, None, "Итого:", 261],
            # The form's footer, below the totals.
            [None, None, None, None, None, "В том числе НДС:", 43.5],
            ["Руководитель", None, "__________", None, "Бухгалтер", None, "__________"],
        ]
        english_rows = [
            ["Order 15 of 01.12.2026"],
            ["SKU", "Qty"],
            ["AGP-HAM-01", 2],
            ["AGP-GLU-05", 3],
            ["Total:", 5],
        ]
        cases = {
            "csv": (self._csv(csv_rows), "order.csv", [(5, "add"), (6, "add")]),
            "xlsx": (xlsx_bytes(xlsx_rows), "order.xlsx", [(5, "add"), (6, "add")]),
            "xlsx english": (xlsx_bytes(english_rows), "order.xlsx", [(3, "add"), (4, "add")]),
        }
        for label, (content, name, fates) in cases.items():
            with self.subTest(label):
                upload = self._upload(content, name)
                self.assertEqual(self._fates(upload), fates)
                self.assertEqual(upload.line_ids.product_id, self.hammer | self.glue)
                self.assertEqual(upload.line_ids.mapped("quantity"), [2.0, 3.0])
                self.assertEqual((upload.count_ok, upload.count_error), (2, 0))

    def test_quantity_in_a_title_sentence_does_not_make_a_header(self):
        rows = [
            ["Внимание: количество указано в штуках", ""],
            ["Количество позиций: 2", ""],
            ["Артикул и количество сверьте с каталогом", ""],
            ["Кол-во", "Артикул"],
            ["2", "AGP-HAM-01"],
            ["1,5", "AGP-DRL-02"],
        ]
        upload = self._upload(self._csv(rows))
        self.assertEqual(self._fates(upload), [(5, "add"), (6, "add")])
        self.assertEqual(upload.line_ids.product_id, self.hammer | self.drill)
        self.assertEqual(upload.line_ids.mapped("quantity"), [2.0, 1.5])

    def test_header_is_looked_for_in_the_first_20_rows(self):
        titles = [[f"Строка заголовка {i}", ""] for i in range(1, 20)]
        header = [["Артикул", "Количество"]]
        data = [["AGP-HAM-01", "2"]]
        upload = self._upload(self._csv(titles + header + data))
        self.assertEqual(self._fates(upload), [(21, "add")])
        # One more title row: the header is too far down; the rows are read
        # by position, as in a file without a header.
        upload = self._upload(self._csv([["Ещё строка", ""], *titles, *header, *data]))
        self.assertEqual(upload.line_ids[-1].row, 22)
        self.assertEqual(upload.line_ids[-1].status, "add")
        self.assertEqual(len(upload.line_ids), 22)

    def test_header_without_quantity_after_title_rows_is_refused(self):
        cases = {
            "no quantity": (
                [["Заказ № 15 от 01.12.2026", ""], ["Артикул", "Цена"], ["AGP-HAM-01", "1"]],
                "no quantity column",
            ),
            "no SKU": (
                [["Заказ № 15 от 01.12.2026", ""], ["Товар", "Количество"], ["Молоток", "1"]],
                "no SKU column",
            ),
        }
        for label, (rows, message) in cases.items():
            with self.subTest(label), self.assertRaisesRegex(UserError, message):
                self._upload(self._csv(rows))

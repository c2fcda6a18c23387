import io

import openpyxl

from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged

from odoo.addons.agora_portal.models.agora_cart_import import MAX_ROWS

from .common import AgoraPortalDataMixin

# The last column of a sheet, XFD (openpyxl counts from 1), far beyond the
# columns that are read.
LAST_COLUMN = 16384
REAL_ROWS = [["SKU", "Quantity"], ["AGP-HAM-01", 2], ["AGP-GLU-05", 3]]


def xlsx_bytes(rows, far_rows=0):
    """A workbook with ``rows`` at the top, then ``far_rows`` rows each holding
    a value in the sheet's last column only.

    Written with openpyxl, not xlsxwriter: xlsxwriter walks every column of the
    used width for each row it writes, some 8 s for such a sheet.
    """
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    for row_number in range(len(rows) + 1, len(rows) + far_rows + 1):
        sheet.cell(row=row_number, column=LAST_COLUMN, value="x")
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


@tagged("post_install", "-at_install")
class TestAgoraCartImportLimits(AgoraPortalDataMixin, TransactionCase):
    """The row limit of an upload counts every row of the file, empty-looking
    or not: a sheet of rows with data only far to the right is refused."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_agora_data()

    def _upload(self, content, name="order.xlsx", user=None):
        user = user or self.user_alfa
        cart = self._cart(user).sudo(False).with_user(user)
        # As the upload route does: portal users may only read uploads.
        Import = self.env["agora.cart.import"].with_user(user).sudo()
        return Import._agora_create_from_file(cart, name, content)

    def _assert_too_many_rows(self, error):
        message = str(error.exception)
        self.assertIn(str(MAX_ROWS), message, "the message tells the limit")

    def test_rows_with_data_only_far_right_count_towards_the_limit(self):
        content = xlsx_bytes(REAL_ROWS, far_rows=MAX_ROWS + 10)
        Import = self.env["agora.cart.import"].with_user(self.user_alfa).sudo()
        with self.assertRaises(UserError) as error:
            Import._agora_read_rows("order.xlsx", content)
        self._assert_too_many_rows(error)
        cart = self._cart(self.user_alfa, [(self.drill, 1)])
        with self.assertRaises(UserError) as error:
            self._upload(content)
        self._assert_too_many_rows(error)
        self.assertFalse(
            self.env["agora.cart.import"].search([("order_id", "=", cart.id)]), "no preview"
        )
        self.assertEqual(cart.order_line.product_id, self.drill, "the cart is untouched")

    def test_file_just_under_the_limit_with_far_right_rows_is_read(self):
        """Positive control: the same kind of sheet within the limit is read,
        its far-right rows ignored."""
        content = xlsx_bytes(REAL_ROWS, far_rows=MAX_ROWS - len(REAL_ROWS))
        upload = self._upload(content)
        self.assertEqual(upload.line_ids.mapped("status"), ["add", "add"])
        self.assertEqual(upload.line_ids.product_id, self.hammer | self.glue)

    def test_small_file_is_accepted(self):
        content = xlsx_bytes([["AGP-HAM-01", 2], ["AGP-GLU-05", 3], ["AGP-DRL-02", 1]])
        upload = self._upload(content)
        self.assertEqual(upload.line_ids.mapped("status"), ["add", "add", "add"])
        self.assertEqual(upload.line_ids.mapped("quantity"), [2.0, 3.0, 1.0])
        self.assertEqual(upload.line_ids.product_id, self.hammer | self.glue | self.drill)

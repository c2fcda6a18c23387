import csv
import io
import zipfile

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

MAX_FILE_SIZE = 2 * 1024 * 1024
MAX_ROWS = 5000
# Columns read from each row: the SKU, barcode and quantity are among the first.
MAX_COLUMNS = 20
# An XLSX is a zip: refuse one that unpacks to far more than any order list.
MAX_XLSX_UNPACKED = 15 * 1024 * 1024
XLSX_MAGIC = b"PK\x03\x04"
DELIMITERS = ("\t", ";", ",")

CODE_HEADERS = {
    "артикул",
    "арт",
    "артикул товара",
    "код",
    "код товара",
    "sku",
    "code",
    "product code",
    "item code",
    "reference",
    "internal reference",
    "default code",
    "ref",
}
BARCODE_HEADERS = {
    "штрихкод",
    "штрих-код",
    "штрих код",
    "barcode",
    "bar code",
    "ean",
    "ean13",
    "ean-13",
    "gtin",
    "upc",
}
QTY_HEADERS = {
    "количество",
    "кол-во",
    "колво",
    "кол",
    "кол-во шт",
    "заказ",
    "qty",
    "quantity",
    "quantities",
    "count",
    "pcs",
}

# The header is looked for among the first non-empty rows: 1C and spreadsheet
# exports put a title, the organisation or the client above it.
HEADER_SEARCH_ROWS = 20
# The first cell of a totals row under the data: "Итого:", "Всего наименований
# 2, на сумму ...", "Total".
TOTAL_LABELS = ("итого", "всего", "total", "totals", "subtotal", "grand total")

LINE_STATUSES = [
    ("add", "Will be added"),
    ("merge", "Merged with an existing line"),
    ("unknown", "Unknown SKU"),
    ("ambiguous", "Ambiguous"),
    ("outside", "Outside the agreement"),
    ("invalid_qty", "Invalid quantity"),
    ("adjust", "Quantity to confirm"),
]
OK_STATUSES = ("add", "merge")
# Rows whose quantity was rounded up to the product's order rule: added only
# when the client confirms the proposed quantity.
ADJUST_STATUS = "adjust"


def _normalize_header(value):
    text = str(value or "").strip().lower().replace("ё", "е")
    for char in ".:*\"'()[]№#":
        text = text.replace(char, " ")
    return " ".join(text.split())


def _cell_text(value):
    """A cell as text; whole floats of a spreadsheet (a barcode) without ".0"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return str(value).strip()


def _find_columns(header):
    """The code, barcode and quantity columns of a row read as a header;
    each is None when the row has no cell of that name."""
    names = [_normalize_header(cell) for cell in header]

    def find(known):
        return next((i for i, name in enumerate(names) if name in known), None)

    return find(CODE_HEADERS), find(BARCODE_HEADERS), find(QTY_HEADERS)


def _is_number(text):
    """Whether the cell holds a number ("1 234,5" too)."""
    try:
        float(text.replace("\xa0", "").replace(" ", "").replace(",", "."))
    except ValueError:
        return False
    return True


def _is_total_row(row, code_cols):
    """Whether the row is a totals row: its first non-empty cell starts with
    "Итого", "Всего" or "Total", and it has no SKU or barcode of its own."""
    first = next((i for i, cell in enumerate(row) if cell.strip()), None)
    if first is None:
        return False
    label = _normalize_header(row[first])
    if not any(label == word or label.startswith(word + " ") for word in TOTAL_LABELS):
        return False
    return all(col == first or col >= len(row) or not row[col].strip() for col in code_cols)


def _data_rows(numbered, code_cols):
    """The numbered rows under the header, without the totals rows and, below
    a totals row, the rows with no SKU or barcode (the form's footer)."""
    data = []
    below_totals = False
    for number, row in numbered:
        if _is_total_row(row, code_cols):
            below_totals = True
            continue
        if below_totals and not any(col < len(row) and row[col].strip() for col in code_cols):
            continue
        data.append((number, row))
    return data


class AgoraCartImport(models.TransientModel):
    """A file of order lines, read and checked before anything reaches the cart.

    The client uploads a CSV or XLSX; every row is matched to a product of
    the client's assortment and given its fate (added, merged, unknown SKU,
    ambiguous, outside the agreement, invalid quantity). Only when the client
    confirms are the good rows added to the cart, checked again.
    A preview belongs to the user who uploaded it (record rule and explicit
    checks), and to that user's cart.
    """

    _name = "agora.cart.import"
    _description = "Cart Upload"
    _transient_max_hours = 4.0

    user_id = fields.Many2one(
        "res.users", required=True, readonly=True, default=lambda self: self.env.user
    )
    target = fields.Selection(
        [("cart", "Cart"), ("list", "New Requisition List")],
        default="cart",
        required=True,
        help="Where the rows go: the user's cart, or a new requisition list.",
    )
    order_id = fields.Many2one("sale.order", string="Cart", ondelete="cascade")
    requisition_list_id = fields.Many2one(
        "agora.requisition.list",
        ondelete="set null",
        help="The list made from the file, once confirmed.",
    )
    file_name = fields.Char(readonly=True)
    state = fields.Selection(
        [("preview", "Preview"), ("done", "Added to Cart")], default="preview", required=True
    )
    line_ids = fields.One2many("agora.cart.import.line", "import_id", string="Rows")
    count_ok = fields.Integer(compute="_compute_counts", string="Rows to Add")
    count_adjust = fields.Integer(compute="_compute_counts", string="Rows to Confirm")
    count_error = fields.Integer(compute="_compute_counts", string="Rows Refused")

    @api.depends("line_ids.status")
    def _compute_counts(self):
        for upload in self:
            ok = sum(1 for line in upload.line_ids if line.status in OK_STATUSES)
            adjust = sum(1 for line in upload.line_ids if line.status == ADJUST_STATUS)
            upload.count_ok = ok
            upload.count_adjust = adjust
            upload.count_error = len(upload.line_ids) - ok - adjust

    # ------------------------------------------------------------------
    # Reading the file
    # ------------------------------------------------------------------

    @api.model
    def _agora_limits(self):
        return {"max_size_mb": MAX_FILE_SIZE // (1024 * 1024), "max_rows": MAX_ROWS}

    @api.model
    def _agora_too_many_rows_error(self):
        return UserError(
            self.env._("The file has too many rows: at most %(max)s lines per file.", max=MAX_ROWS)
        )

    @api.model
    def _agora_read_rows(self, file_name, content):
        """The rows of the file, as lists of texts (empty rows included).

        :raise UserError: with a message for the client when the file cannot be used.
        """
        if not content:
            raise UserError(self.env._("The file is empty."))
        if len(content) > MAX_FILE_SIZE:
            raise UserError(
                self.env._(
                    "The file is too large: at most %(size)s MB are accepted.",
                    size=MAX_FILE_SIZE // (1024 * 1024),
                )
            )
        name = (file_name or "").lower()
        if content.startswith(XLSX_MAGIC):
            rows = self._agora_read_xlsx(content)
        elif name.endswith((".xlsx", ".xls", ".ods")) or content.startswith(b"\xd0\xcf\x11\xe0"):
            raise UserError(
                self.env._(
                    "Please upload an .xlsx workbook or a .csv file (old .xls is not read)."
                )
            )
        else:
            rows = self._agora_read_csv(content)
        # Empty rows are kept: the preview shows each row's number in the file.
        if not any(any(cell for cell in row) for row in rows):
            raise UserError(self.env._("The file has no rows."))
        return rows

    @api.model
    def _agora_read_xlsx(self, content):
        import openpyxl  # noqa: PLC0415 (external dependency, only needed here)

        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                unpacked = sum(info.file_size for info in archive.infolist())
            if unpacked > MAX_XLSX_UNPACKED:
                raise UserError(self.env._("The workbook is too large once unpacked."))
            # read_only streams the sheet; data_only: a formula gives the value
            # the spreadsheet saved, it is never evaluated here.
            workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except UserError:
            raise
        except Exception as exc:
            raise UserError(self.env._("The file could not be read as an XLSX workbook.")) from exc
        try:
            sheet = workbook.worksheets[0] if workbook.worksheets else None
            if sheet is None:
                raise UserError(self.env._("The workbook has no sheet."))
            rows = []
            # Every row read counts towards the limit, empty or not, and only
            # the first columns are read: a sheet of empty-looking rows with a
            # value far to the right is refused at once, not parsed for seconds.
            for read, values in enumerate(
                sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), start=1
            ):
                if read > MAX_ROWS + 1:
                    raise self._agora_too_many_rows_error()
                rows.append([_cell_text(value) for value in values])
            return rows
        finally:
            workbook.close()

    @api.model
    def _agora_decode(self, content):
        """UTF-8 (with or without BOM), else Windows-1251."""
        for encoding in ("utf-8-sig", "cp1251"):
            try:
                return content.decode(encoding)
            except UnicodeDecodeError:
                continue
        raise UserError(self.env._("The file's text encoding is not UTF-8 or Windows-1251."))

    @api.model
    def _agora_guess_delimiter(self, lines):
        """The delimiter used on every line the same number of times, preferring
        tab and semicolon (a comma may be a decimal comma); else the most used."""
        sample = [line for line in lines if line.strip()][:50]
        if not sample:
            return ","
        for delimiter in DELIMITERS:
            counts = {line.count(delimiter) for line in sample}
            if len(counts) == 1 and counts.pop() > 0:
                return delimiter
        totals = {d: sum(line.count(d) for line in sample) for d in DELIMITERS}
        best = max(DELIMITERS, key=lambda d: (totals[d], -DELIMITERS.index(d)))
        return best if totals[best] else ","

    @api.model
    def _agora_read_csv(self, content):
        text = self._agora_decode(content)
        if "\x00" in text:
            raise UserError(self.env._("The file is not a text (CSV) file."))
        lines = text.splitlines()
        delimiter = self._agora_guess_delimiter(lines)
        rows = []
        try:
            for read, row in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), 1):
                if read > MAX_ROWS + 1:
                    raise self._agora_too_many_rows_error()
                rows.append([cell.strip() for cell in row[:MAX_COLUMNS]])
        except csv.Error as exc:
            raise UserError(self.env._("The CSV file could not be read: %s", exc)) from exc
        return rows

    @api.model
    def _agora_columns(self, rows):
        """Find the header and its columns, or take the columns by position.

        The header is the first of the first ``HEADER_SEARCH_ROWS`` non-empty
        rows that names a quantity column and an SKU or barcode column; the
        rows above it are titles and are skipped. Totals rows ("Итого") are
        skipped too, and so is, below a totals row, any row with no SKU and no
        barcode (the form's footer: VAT, amount in words, signatures).
        Without a header, the SKU or barcode is in the first column and the
        quantity in the second.

        :param rows: the file's rows, in order (empty rows are skipped, and
            still counted in the row numbers)
        :return: (data rows with their row numbers, code column, barcode column,
            quantity column); a column is None when absent; when there is no
            header the code column holds an SKU or a barcode (``barcode`` == ``code``).
        :raise UserError: when a header-like row (known column names, no
            numbers) is found but it lacks the quantity or the SKU column.
        """
        numbered = [
            (number, row) for number, row in enumerate(rows, start=1) if any(cell for cell in row)
        ]
        header_index = code_col = barcode_col = qty_col = None
        header_like = None
        for index, (_number, row) in enumerate(numbered[:HEADER_SEARCH_ROWS]):
            code, barcode, qty = _find_columns(row)
            if qty is not None and (code is not None or barcode is not None):
                header_index, code_col, barcode_col, qty_col = index, code, barcode, qty
                break
            # A title like "Код:" next to a number is not a header.
            if header_like is None and (code, barcode, qty) != (None, None, None):
                if not any(_is_number(cell) for cell in row if cell):
                    header_like = (code, barcode, qty)
        if header_index is None and header_like is None:
            return _data_rows(numbered, (0,)), 0, 0, 1
        if header_index is None:
            _code, _barcode, qty = header_like
            if qty is None:
                raise UserError(
                    self.env._(
                        "The header has no quantity column. Name it “Quantity” (or "
                        "“Количество”, “Кол-во”, “Qty”)."
                    )
                )
            raise UserError(
                self.env._(
                    "The header has no SKU column. Name it “SKU” (or “Артикул”, “Код”) or "
                    "“Barcode” (“Штрихкод”)."
                )
            )
        data = _data_rows(
            numbered[header_index + 1 :],
            tuple(col for col in (code_col, barcode_col) if col is not None),
        )
        return data, code_col, barcode_col, qty_col

    # ------------------------------------------------------------------
    # Matching the rows
    # ------------------------------------------------------------------

    @api.model
    def _agora_create_from_file(self, cart, file_name, content):
        """Read, match and check the file's rows against ``cart``'s client; nothing
        is added to the cart yet.

        :return: the new preview (agora.cart.import)
        :raise UserError: when the file cannot be used (the cart is untouched)
        """
        if cart.partner_id != self.env.user.partner_id:
            raise AccessError(self.env._("You can only upload a file into your own cart."))
        cart._agora_check_cart()
        # sudo: the agreement and the cart's products are not readable by portal
        # users; ``cart`` is the user's own cart (checked above).
        vals_list = self._agora_match(
            cart.sudo().agora_agreement_id,
            self._agora_entries(file_name, content),
            cart.sudo()._agora_cart_quantities(),
        )
        return self.create(
            {
                "order_id": cart.id,
                "file_name": (file_name or "")[:200],
                "line_ids": [fields.Command.create(vals) for vals in vals_list],
            }
        )

    @api.model
    def _agora_create_list_preview(self, file_name, content):
        """Read, match and check the file's rows for a new requisition list of
        the user's company: the same reading and checks as a cart's file, the
        rows checked one by one (a list holds no cart quantity).

        :return: the new preview (agora.cart.import)
        """
        agreement = self.env["agora.catalog"]._get_agreement(self.env.user.partner_id)
        vals_list = self._agora_match(agreement, self._agora_entries(file_name, content), {})
        return self.create(
            {
                "target": "list",
                "file_name": (file_name or "")[:200],
                "line_ids": [fields.Command.create(vals) for vals in vals_list],
            }
        )

    @api.model
    def _agora_entries(self, file_name, content):
        """The file's rows: [{"row", "code", "barcode", "qty_text"}].

        :raise UserError: when the file cannot be used
        """
        rows = self._agora_read_rows(file_name, content)
        numbered, code_col, barcode_col, qty_col = self._agora_columns(rows)
        if not numbered:
            raise UserError(self.env._("The file has a header but no rows."))
        if len(numbered) > MAX_ROWS:
            raise self._agora_too_many_rows_error()

        def cell(row, col):
            return row[col].strip() if col is not None and col < len(row) else ""

        entries = []
        for row_number, row in numbered:
            code = cell(row, code_col)
            barcode = cell(row, barcode_col) if barcode_col != code_col else code
            entries.append(
                {
                    "row": row_number,
                    "code": code,
                    "barcode": barcode,
                    "qty_text": cell(row, qty_col),
                }
            )
        return entries

    @api.model
    def _agora_match(self, agreement, entries, in_cart):
        """The line values of each entry: its product, quantity and fate.

        The code of a row is resolved as "add a line" resolves it
        (``agora.catalog._resolve_codes``), and its quantity checked as every
        quantity put into a cart is (``sale.order._agora_validate_qty``, then
        the order rules, ``_agora_propose_rule_quantities``).

        :param agreement: the client's agreement (sudo)
        :param in_cart: {product: quantity} the rows add to (the cart's)
        """
        catalog = self.env["agora.catalog"]
        SaleOrder = self.env["sale.order"]
        resolved = catalog._resolve_codes(agreement, [(e["code"], e["barcode"]) for e in entries])
        seen = {}
        vals_list = []
        for entry, match in zip(entries, resolved, strict=True):
            vals = {
                "row": entry["row"],
                "code": (entry["code"] or entry["barcode"])[:100],
                "qty_text": entry["qty_text"][:50],
            }
            status = match["status"]
            if status == "empty":
                vals.update(status="unknown", message=self.env._("No SKU in this row."))
            elif status == "unknown":
                vals.update(
                    status="unknown",
                    message=self.env._("No product has this SKU, barcode or name."),
                )
            elif status == "ambiguous":
                vals.update(
                    status="ambiguous",
                    message=self.env._(
                        "%s products match this code; please use the SKU.", match["count"]
                    ),
                )
            elif status == "outside":
                vals.update(
                    status="outside",
                    message=self.env._("This product is not in your agreement's assortment."),
                )
            else:
                product = match["product"]
                vals.update(
                    product_id=product.id,
                    product_code=product.default_code or "",
                    product_name=product.name,
                    uom_name=product.uom_id.name,
                )
                number, error = SaleOrder._agora_validate_qty(entry["qty_text"], product.uom_id)
                if error:
                    vals.update(status="invalid_qty", message=error)
                elif product.id in seen:
                    vals.update(
                        quantity=number,
                        status="merge",
                        message=self.env._(
                            "Same product as row %s: the quantities are summed.", seen[product.id]
                        ),
                    )
                elif product in in_cart:
                    vals.update(
                        quantity=number,
                        status="merge",
                        message=self.env._(
                            "Already in the cart (%(qty)s): the quantity will be increased.",
                            qty=catalog._qty_display(in_cart[product]),
                        ),
                    )
                else:
                    vals.update(quantity=number, status="add")
                if vals["status"] in OK_STATUSES:
                    seen.setdefault(product.id, entry["row"])
            vals_list.append(vals)
        self._agora_propose_rule_quantities(agreement, vals_list, in_cart)
        return vals_list

    @api.model
    def _agora_propose_rule_quantities(self, agreement, vals_list, in_cart):
        """Round up to its order rule (``sale.order._agora_validate_order_qty``)
        what the file adds of each product: the product's last good row gets
        the missing quantity, and waits for the client to confirm or drop it.

        The rule holds for what the cart's line will hold: the cart's quantity
        and every row of the product together.
        """
        rows_by_product = {}
        for vals in vals_list:
            if vals["status"] in OK_STATUSES:
                rows_by_product.setdefault(vals["product_id"], []).append(vals)
        if not rows_by_product:
            return
        products = self.env["product.product"].browse(list(rows_by_product))
        rules = agreement._get_quantity_rules(products)
        Agreement = self.env["agora.agreement"]
        for product in products:
            rule = rules.get(product.id)
            if not rule:
                continue
            rows = rows_by_product[product.id]
            total = in_cart.get(product, 0.0) + sum(vals["quantity"] for vals in rows)
            if rule.fits(total):
                continue
            last = rows[-1]
            last.update(
                status=ADJUST_STATUS,
                quantity=last["quantity"] + rule.nearest(total) - total,
                message=Agreement._quantity_rule_refusal(rule, total),
            )

    # ------------------------------------------------------------------
    # Confirming
    # ------------------------------------------------------------------

    def _agora_check_owner(self):
        self.ensure_one()
        if self.user_id != self.env.user or (
            self.target == "cart" and self.order_id.partner_id != self.env.user.partner_id
        ):
            raise AccessError(self.env._("This upload is not yours."))

    def _agora_apply(self, decisions=None):
        """Add the good rows to the cart, checking products and cart again.

        :param decisions: {row line id: True to add its proposed quantity,
            False to drop it} for the rows whose quantity was rounded up to the
            product's order rule; every such row needs one, or nothing is added
        :return: dict with ``added`` (number of rows added), ``dropped``
            (number of rows of the products whose rounded row the client
            dropped) and ``refused`` (list of
            product names that are no longer orderable)
        """
        self._agora_check_owner()
        if self.state != "preview":
            if self.target == "list":
                raise UserError(self.env._("A list was already made from this file."))
            raise UserError(self.env._("This file was already added to your cart."))
        decisions = decisions or {}
        # sudo: the upload is the user's own (checked above).
        to_confirm = self.sudo().line_ids.filtered(lambda l: l.status == ADJUST_STATUS)
        undecided = to_confirm.filtered(lambda l: l.id not in decisions)
        if undecided:
            raise UserError(
                self.env._(
                    "Please confirm the rounded quantity, or drop the row, for rows: %s.",
                    ", ".join(str(row) for row in undecided.mapped("row")),
                )
            )
        accepted = to_confirm.filtered(lambda l: decisions[l.id])
        # Dropping a rounded row drops its product: the product's other rows
        # alone do not fit its order rule either.
        dropped_products = (to_confirm - accepted).product_id
        # sudo: the upload is the user's own (checked above).
        dropped = len(
            self.sudo().line_ids.filtered(
                lambda l: (
                    l.product_id in dropped_products
                    and (l.status in OK_STATUSES or l.status == ADJUST_STATUS)
                )
            )
        )
        if self.target == "list":
            return self._agora_apply_to_new_list(accepted, dropped, dropped_products)
        # sudo: the cart is the user's own (checked just above); the portal rule
        # on orders is read-only, so the cart is written through these methods.
        cart = self.order_id.sudo()
        cart._agora_check_cart()
        # sudo: the upload is the user's own (checked above); portal users may
        # only read uploads, which are written by these methods alone.
        upload = self.sudo()
        ok_lines = (
            upload.line_ids.filtered(
                lambda l: l.status in OK_STATUSES and l.product_id not in dropped_products
            )
            | accepted
        )
        products = ok_lines.product_id
        orderable = cart.agora_agreement_id._filter_orderable_products(products, cart.company_id)
        orderable_ids = set(orderable.ids)
        # Each quantity is checked again, as the quick add checks it: what
        # reaches the cart never depends on what was stored in the preview
        # (and ``_agora_cart_add_many`` refuses totals beyond the order rules).
        items = [
            (line.product_id, cart._agora_parse_qty(line.quantity, line.product_id.uom_id))
            for line in ok_lines
            if line.product_id.id in orderable_ids
        ]
        refused = (products - orderable).mapped("display_name")
        if items:
            cart._agora_cart_add_many(items)
        upload.state = "done"
        return {"added": len(items), "dropped": dropped, "refused": refused}

    def _agora_apply_to_new_list(self, accepted, dropped, dropped_products):
        """Make the user's new requisition list of the good rows (and of the
        rounded ones the user accepted), checked again; named after the file."""
        # sudo: the upload is the user's own (checked by the caller).
        upload = self.sudo()
        ok_lines = (
            upload.line_ids.filtered(
                lambda l: l.status in OK_STATUSES and l.product_id not in dropped_products
            )
            | accepted
        )
        agreement = self.env["agora.catalog"]._get_agreement(self.env.user.partner_id)
        Requisition = self.env["agora.requisition.list"].sudo()
        items, refusals = Requisition._agora_validated_items(
            [(line.product_id, line.quantity) for line in ok_lines], agreement
        )
        if not items:
            raise UserError(self.env._("No row of this file can go into a list."))
        name = (self.file_name or "").rsplit(".", 1)[0].strip() or self.env._("From a file")
        requisition = Requisition._agora_create_list(self.env.user, name, items=items)
        upload.write({"state": "done", "requisition_list_id": requisition.id})
        return {
            "added": len(items),
            "dropped": dropped,
            "refused": [f"{product.display_name}: {reason}" for product, reason in refusals],
            "list": requisition,
        }

    # ------------------------------------------------------------------
    # The template file
    # ------------------------------------------------------------------

    @api.model
    def _agora_template_xlsx(self):
        """An empty order list to fill in: SKU and quantity columns."""
        return self._agora_workbook([], sheet_name=self.env._("Order"))

    @api.model
    def _agora_workbook(self, rows, sheet_name):
        """A workbook this upload reads back: SKU and quantity columns, and a
        third one it does not read (a comment, the product's name).

        :param rows: [(sku, quantity, comment)]
        """
        import xlsxwriter  # noqa: PLC0415 (external dependency, only needed here)

        output = io.BytesIO()
        workbook = xlsxwriter.Workbook(output, {"in_memory": True, "strings_to_formulas": False})
        # A sheet's name: at most 31 characters, none of []:*?/\
        name = "".join(c for c in sheet_name if c not in "[]:*?/\\")[:31].strip(" '") or "Sheet1"
        sheet = workbook.add_worksheet(name)
        bold = workbook.add_format({"bold": True})
        sheet.write_string(0, 0, self.env._("SKU"), bold)
        sheet.write_string(0, 1, self.env._("Quantity"), bold)
        sheet.write_string(0, 2, self.env._("Comment (not read)"), bold)
        for index, (code, qty, comment) in enumerate(rows, start=1):
            sheet.write_string(index, 0, code or "")
            sheet.write_number(index, 1, qty)
            sheet.write_string(index, 2, comment or "")
        sheet.set_column(0, 0, 20)
        sheet.set_column(1, 1, 12)
        sheet.set_column(2, 2, 40)
        workbook.close()
        return output.getvalue()

"""The catalog side of the exchange: 1C's groups, products, offers, prices and stock in.

A file is imported in steps (``phase`` and ``position`` of its
``agora.1c.session.file``): a first streaming pass checks that the XML is
well-formed before anything is written, then the groups, the products in
batches and, for a full export, the archiving of what the file no longer
holds; for offers, prices and stock files, the offers in batches. Every step
reads the file with ``iterparse`` and keeps one item in memory at a time.

1C's top groups become top-level categories (Odoo 19 has no "All" category),
their subgroups below them: 1C's tree is the tree staff see. A product without
a group keeps the category it has (none when created).

Cost (issue #20). Products are created, and stock applied, a batch at a time
(``BATCH_SIZE``): one ``create`` for the batch's templates, one inventory
adjustment (``action_apply_inventory``) for the batch's quants, price list
items created in one call, everything compared first read in one query per
batch, so that a re-run writes nothing. What remains per product is Odoo's
own: stock_account values each new product (a ``product.value``), stock
creates each quant and validates each inventory move. The categories created
for 1C's groups keep the company's costing method: FIFO there would spare the
valuation at creation (about 40% of the products phase) but move a larger
cost to every stock change (``_update_standard_price`` after each incoming
FIFO move): measured on 1,000 products, the two first phases together gained
under 10% and every later offers file lost more, so it is not done.
"""

import base64
import hashlib
import logging
import os
import re
import time
from collections import defaultdict

from lxml import etree

from odoo import api, models
from odoo.exceptions import UserError, ValidationError
from odoo.fields import Command
from odoo.tools import float_compare

from ..tools.commerceml import (
    SUPPORTED_VERSIONS,
    child,
    children,
    clean_code,
    is_deleted,
    is_rub,
    localname,
    number,
    only_changes,
    path,
    requisites,
    split_offer_id,
    text,
)

_logger = logging.getLogger(__name__)

BATCH_SIZE = 1000
ROOT_NAME = "КоммерческаяИнформация"
# ОКЕИ codes (as 1C writes them in ``БазоваяЕдиница Код``) → Odoo 19's units.
UOM_BY_OKEI = {
    "796": "uom.product_uom_unit",
    "166": "uom.product_uom_kgm",
    "163": "uom.product_uom_gram",
    "168": "uom.product_uom_ton",
    "112": "uom.product_uom_litre",
    "111": "uom.product_uom_milliliter",
    "003": "uom.product_uom_millimeter",
    "004": "uom.product_uom_cm",
    "006": "uom.product_uom_meter",
    "008": "uom.product_uom_km",
    "055": "uom.product_uom_square_meter",
    "113": "uom.product_uom_cubic_meter",
    "356": "uom.product_uom_hour",
    "359": "uom.product_uom_day",
    "715": "uom.product_uom_unit",  # пара: counted in units
}
NO_TAX_WORDS = ("без", "не облага", "без ндс", "без налога")
# Where an import or an offers file's items sit: Каталог/Товары/Товар,
# ПакетПредложений/Предложения/Предложение.
ITEM_PARENTS = {"Товар": "Товары", "Предложение": "Предложения"}
HEADER_PARENTS = ("ПакетПредложений", "Классификатор")


def _drop(element):
    """Free a streamed element and its earlier siblings."""
    element.clear(keep_tail=False)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


def _grandchildren(element, container, name):
    """``element/container/name`` elements, in any namespace; [] when the container is absent."""
    found = child(element, container)
    return children(found, name) if found is not None else []


def _stream(file_path, item_name, start=0, stop_at_items=False):
    """Yield ``("classifier" | "header" | "item", element)`` in document order.

    Items (``Товар`` or ``Предложение``) before ``start`` are skipped; headers
    (``ТипыЦен``, ``Склады``) and the ``Классификатор`` always come, so that a
    step resumed in the middle of a file knows them. ``stop_at_items`` ends
    the stream at the first item (the groups step).
    """
    index = 0
    context = etree.iterparse(
        file_path, events=("end",), huge_tree=True, remove_comments=True, resolve_entities=False
    )
    for _event, element in context:
        name = localname(element)
        parent = element.getparent()
        parent_name = localname(parent) if parent is not None else ""
        if name == item_name and parent_name == ITEM_PARENTS[item_name]:
            if stop_at_items:
                return
            if index >= start:
                yield "item", element
            index += 1
            _drop(element)
        elif name in ("ТипыЦен", "Склады") and parent_name in HEADER_PARENTS:
            yield "header", element
        elif name == "Классификатор":
            yield "classifier", element
            element.clear(keep_tail=False)


class Agora1cCatalogImport(models.AbstractModel):
    """Import 1C's catalog files (``import*.xml``, ``offers*.xml``, ``prices*.xml``,
    ``rests*.xml``) into categories, products, variants, price lists and stock."""

    _name = "agora.1c.catalog.import"
    _description = "1C Catalog Import"

    # --- Entry point -------------------------------------------------------

    @api.model
    def _agora_1c_import_file(self, file_record, file_path, deadline):
        """Import (part of) one catalog file; True when it is done, False when more remains."""
        company = self.env["agora.1c.session"]._agora_1c_company()
        # sudo: the exchange user has no rights on products, prices or stock; it
        # only hands 1C's files over, and this importer decides what they change.
        # Products, prices and stock from 1C carry no chatter of their own: the
        # session's file is their log, and tracking 50,000 creations costs more
        # than importing them.
        importer = (
            self.sudo()
            .with_company(company)
            .with_context(
                active_test=False,
                tracking_disable=True,
                mail_create_nolog=True,
                mail_create_nosubscribe=True,
                mail_notrack=True,
            )
        )
        file_record = file_record.sudo()
        job = {
            "file": file_record,
            "path": file_path,
            "name": file_record.filename,
            "kind": file_record.kind,
            "company": company,
            "deadline": deadline,
            "counts": defaultdict(int),
            "problems": [],
        }
        phases = (
            ("check", "groups", "products", "archive")
            if job["kind"] == "import"
            else ("check", "offers")
        )
        try:
            while True:
                phase = file_record.phase or "check"
                finished = getattr(importer, f"_agora_1c_phase_{phase}")(job)
                if finished:
                    following = phases[phases.index(phase) + 1 :]
                    if not following:
                        return True
                    file_record.write({"phase": following[0], "position": 0})
                if time.monotonic() > deadline:
                    return False
        finally:
            if job["counts"] or job["problems"]:
                file_record._agora_1c_add_counts(dict(job["counts"]), problems=job["problems"])

    def _agora_1c_problem(self, job, element, message):
        line = element.sourceline if element is not None else 0
        job["problems"].append(f"{job['name']}:{line or '?'}: {message}")

    # --- Check ---------------------------------------------------------------

    def _agora_1c_phase_check(self, job):
        """Read the whole file once, writing nothing: a malformed file fails here."""
        root_name = version = None
        try:
            context = etree.iterparse(
                job["path"],
                events=("start", "end"),
                huge_tree=True,
                remove_comments=True,
                resolve_entities=False,
            )
            for event, element in context:
                if root_name is None and event == "start":
                    root_name = localname(element)
                    version = (element.get("ВерсияСхемы") or "").strip()
                    if root_name != ROOT_NAME:
                        raise UserError(
                            self.env._(
                                "The file %(name)s is not a CommerceML file (its root is "
                                "%(root)s).",
                                name=job["name"],
                                root=root_name,
                            )
                        )
                elif event == "end" and localname(element) in ("Товар", "Предложение"):
                    _drop(element)
        except etree.XMLSyntaxError as error:
            line = error.position[0] if error.position else error.lineno
            raise UserError(
                self.env._(
                    "The file %(name)s is not well-formed XML (line %(line)s): %(error)s",
                    name=job["name"],
                    line=line,
                    error=error.msg,
                )
            ) from error
        except OSError as error:
            raise UserError(
                self.env._(
                    "The file %(name)s cannot be read: %(error)s", name=job["name"], error=error
                )
            ) from error
        if root_name is None:
            raise UserError(self.env._("The file %(name)s is empty.", name=job["name"]))
        if version and version not in SUPPORTED_VERSIONS:
            self._agora_1c_problem(
                job,
                None,
                self.env._(
                    "schema version %(version)s is not known; read as 2.x", version=version
                ),
            )
        return True

    # --- Groups ----------------------------------------------------------------

    def _agora_1c_phase_groups(self, job):
        """The classifier's groups (nested) as categories, and the price types and
        warehouses a 2.09+ classifier holds. Groups are few: one step."""
        for kind, element in _stream(job["path"], "Товар", stop_at_items=True):
            if kind == "header":
                self._agora_1c_read_header(job, element)
            elif kind == "classifier":
                self._agora_1c_import_groups(job, element)
        return True

    def _agora_1c_group_rows(self, container, parent_id, rows):
        for group in children(container, "Группа"):
            group_id = clean_code(text(group, "Ид"))
            if group_id:
                rows.append(
                    {
                        "id": group_id,
                        "name": text(group, "Наименование") or group_id,
                        "parent": parent_id,
                        "deleted": is_deleted(group),
                        "element": group,
                    }
                )
            sub = child(group, "Группы")
            if sub is not None:
                self._agora_1c_group_rows(sub, group_id or parent_id, rows)
        return rows

    def _agora_1c_import_groups(self, job, classifier):
        container = child(classifier, "Группы")
        if container is None:
            return
        rows = self._agora_1c_group_rows(container, False, [])
        Category = self.env["product.category"]
        existing = {
            category.agora_1c_id: category
            for category in Category.search([("agora_1c_id", "in", [row["id"] for row in rows])])
        }
        root = Category.browse()
        # Rows come parents first: a parent is known (or created) before its children.
        for row in rows:
            parent = existing.get(row["parent"]) if row["parent"] else root
            category = existing.get(row["id"])
            job["counts"]["items"] += 1
            if category is None:
                if row["deleted"]:
                    job["counts"]["skipped"] += 1
                    continue
                existing[row["id"]] = Category.create(
                    {"name": row["name"], "parent_id": parent.id, "agora_1c_id": row["id"]}
                )
                job["counts"]["created"] += 1
                continue
            # product.category has no active field: a deleted group stays, its
            # products are archived with them.
            vals = {}
            if category.name != row["name"]:
                vals["name"] = row["name"]
            if category.parent_id != parent and parent != category:
                vals["parent_id"] = parent.id
            if vals and not row["deleted"]:
                try:
                    with self.env.cr.savepoint():
                        category.write(vals)
                    job["counts"]["updated"] += 1
                except (UserError, ValidationError) as error:
                    self._agora_1c_problem(job, row["element"], str(error))
            else:
                job["counts"]["skipped"] += 1

    # --- Products ----------------------------------------------------------------

    def _agora_1c_phase_products(self, job):
        return self._agora_1c_run_batches(
            job, "Товар", self._agora_1c_read_product, self._agora_1c_import_products
        )

    def _agora_1c_run_batches(self, job, item_name, read, apply, read_header=None):
        """Stream the file's ``item_name`` elements from the file's position, read
        each with ``read``, and ``apply`` them a batch at a time; stop after the
        batch during which the deadline passes. True when the file is done."""
        file_record = job["file"]
        position = file_record.position
        batch = []
        for kind, element in _stream(job["path"], item_name, start=position):
            if kind == "header" and read_header:
                read_header(job, element)
            if kind != "item":
                continue
            batch.append(read(job, element))
            if len(batch) >= BATCH_SIZE:
                apply(job, batch)
                # A step may go through tens of batches: the records a batch
                # read or wrote leave the cache with it (written first), so
                # that a worker's memory follows the batch, not the catalog.
                self.env.invalidate_all()
                position += len(batch)
                batch = []
                if time.monotonic() > job["deadline"]:
                    file_record.write({"position": position})
                    return False
        if batch:
            apply(job, batch)
        return True

    def _agora_1c_read_product(self, job, element):
        raw_id = text(element, "Ид")
        key, characteristic = split_offer_id(raw_id)
        reqs = requisites(element)
        kind_text = (
            text(element, "ТипНоменклатуры")
            or text(element, "ВидНоменклатуры")
            or reqs.get("ТипНоменклатуры", "")
            or reqs.get("ВидНоменклатуры", "")
        ).lower()
        unit = child(element, "БазоваяЕдиница")
        unit_code = None
        if unit is not None:
            unit_code = clean_code(unit.get("Код") or "") or clean_code(text(unit))
        description = child(element, "Описание")
        groups = child(element, "Группы")
        taxes = []
        for rate in _grandchildren(element, "СтавкиНалогов", "СтавкаНалога"):
            taxes.append((text(rate, "Наименование") or "НДС", text(rate, "Ставка")))
        return {
            "key": key,
            "characteristic": characteristic,
            "offer_id": clean_code(raw_id),
            "line": element.sourceline,
            "name": text(element, "Наименование"),
            "default_code": text(element, "Артикул"),
            "barcode": clean_code(text(element, "Штрихкод", "ШтрихКод")),
            "description": (description.text or "").strip() if description is not None else "",
            "unit_code": unit_code,
            "group": clean_code(text(groups, "Ид")) if groups is not None else "",
            "service": "услуг" in kind_text,
            "taxes": taxes if path(element, "СтавкиНалогов") is not None else None,
            "image": text(element, "Картинка"),
            "characteristics": self._agora_1c_read_characteristics(element),
            "deleted": is_deleted(element),
        }

    def _agora_1c_read_characteristics(self, element):
        values = []
        for item in _grandchildren(element, "ХарактеристикиТовара", "ХарактеристикаТовара"):
            name, value = text(item, "Наименование"), text(item, "Значение")
            if name and value:
                values.append((name, value))
        return values

    def _agora_1c_line_problem(self, job, row, message):
        job["problems"].append(f"{job['name']}:{row['line'] or '?'}: {message}")

    def _agora_1c_uom(self, job, row):
        code = row["unit_code"]
        if code is None:
            return None
        if code.isdigit():
            code = code.zfill(3)
        cache = job.setdefault("uoms", {})
        if code not in cache:
            xmlid = UOM_BY_OKEI.get(code)
            uom = self.env.ref(xmlid, raise_if_not_found=False) if xmlid else None
            cache[code] = uom
        uom = cache[code]
        if not uom:
            self._agora_1c_line_problem(
                job, row, self.env._("unknown unit code %(code)s: Units used", code=code or '""')
            )
            uom = self.env.ref("uom.product_uom_unit")
        return uom

    def _agora_1c_taxes(self, job, row):
        """The sale taxes a product's ``СтавкиНалогов`` name, found or created in the company."""
        if row["taxes"] is None:
            return None
        company = job["company"]
        cache = job.setdefault("taxes", {})
        taxes = self.env["account.tax"]
        for tax_name, rate_text in row["taxes"]:
            lowered = rate_text.lower()
            if not rate_text or any(word in lowered for word in NO_TAX_WORDS):
                continue
            rate = number(rate_text.replace("%", ""))
            if rate is None:
                self._agora_1c_line_problem(
                    job, row, self.env._("unreadable tax rate %(rate)s", rate=rate_text)
                )
                continue
            if rate not in cache:
                Tax = self.env["account.tax"]
                tax = Tax.search(
                    [
                        ("company_id", "=", company.id),
                        ("type_tax_use", "=", "sale"),
                        ("amount_type", "=", "percent"),
                        ("amount", "=", rate),
                        ("active", "=", True),
                    ],
                    limit=1,
                )
                if not tax:
                    tax = Tax.create(
                        {
                            "name": f"{tax_name} {rate:g}%",
                            "amount": rate,
                            "amount_type": "percent",
                            "type_tax_use": "sale",
                            "company_id": company.id,
                        }
                    )
                cache[rate] = tax
            taxes |= cache[rate]
        return taxes

    def _agora_1c_image(self, job, row):
        if not row["image"]:
            return None
        session = job["file"].session_id
        try:
            image_path = session._agora_1c_work_path(row["image"])
        except UserError:
            image_path = None
        if not image_path or not os.path.isfile(image_path):
            self._agora_1c_line_problem(
                job, row, self.env._("image %(image)s was not received", image=row["image"])
            )
            return None
        with open(image_path, "rb") as handle:
            data = handle.read()
        return base64.b64encode(data), hashlib.sha1(data).hexdigest()

    def _agora_1c_template_vals(self, job, row, categories):
        """What 1C says of a product, as product.template values (None: not said)."""
        vals = {"name": row["name"] or row["key"]}
        if row["default_code"]:
            vals["default_code"] = row["default_code"]
        if row["description"]:
            vals["description_sale"] = row["description"]
        uom = self._agora_1c_uom(job, row)
        if uom:
            vals["uom_id"] = uom.id
        if row["group"]:
            category = categories.get(row["group"])
            if category:
                vals["categ_id"] = category.id
            else:
                self._agora_1c_line_problem(
                    job, row, self.env._("group %(group)s is not known", group=row["group"])
                )
        vals["type"] = "service" if row["service"] else "consu"
        vals["is_storable"] = not row["service"]
        taxes = self._agora_1c_taxes(job, row)
        if taxes is not None:
            vals["taxes_id"] = taxes.ids
        image = self._agora_1c_image(job, row)
        if image:
            vals["image_1920"], vals["agora_1c_image_checksum"] = image
        return vals

    @api.model
    def _agora_1c_diff(self, record, vals):
        """The values of ``vals`` that differ from ``record``'s."""
        changed = {}
        if "agora_1c_image_checksum" in vals:
            # Odoo keeps pictures resized: 1C's picture is compared with the
            # last one by the checksum of 1C's file, and the picture not read.
            vals = dict(vals)
            image = vals.pop("image_1920")
            checksum = vals.pop("agora_1c_image_checksum")
            if checksum != record.agora_1c_image_checksum:
                changed.update(image_1920=image, agora_1c_image_checksum=checksum)
        for name, value in vals.items():
            field = record._fields[name]
            current = record[name]
            if field.type == "many2one":
                current = current.id
            elif field.type in ("many2many", "one2many"):
                if set(current.ids) != set(value):
                    changed[name] = [Command.set(value)]
                continue
            elif field.type == "binary":
                current = current or False
            elif field.type == "text" or field.type == "char":
                current = current or ""
            if current != value:
                changed[name] = value
        return changed

    def _agora_1c_import_products(self, job, rows):
        counts = job["counts"]
        Template = self.env["product.template"]
        for row in rows:
            if not row["key"]:
                self._agora_1c_line_problem(
                    job, row, self.env._("a product without Ид is skipped")
                )
        rows = [row for row in rows if row["key"]]
        counts["items"] += len(rows)
        keys = {row["key"] for row in rows}
        templates = {}
        for template in Template.search([("agora_1c_id", "in", list(keys))], order="id"):
            templates.setdefault(template.agora_1c_id, template)
        group_ids = {row["group"] for row in rows if row["group"]}
        categories = {
            category.agora_1c_id: category
            for category in self.env["product.category"].search(
                [("agora_1c_id", "in", list(group_ids))]
            )
        }
        barcodes = {row["barcode"] for row in rows if row["barcode"]}
        barcode_owner = {}
        if barcodes:
            for product in (
                self.env["product.product"]
                .with_context(active_test=True)
                .search([("barcode", "in", list(barcodes))])
            ):
                barcode_owner[product.barcode] = product.product_tmpl_id.agora_1c_id or product.id
        to_create = {}
        variant_requests = []
        for row in rows:
            template = templates.get(row["key"])
            if row["deleted"]:
                target = template
                if template and row["characteristic"]:
                    target = template.product_variant_ids.filtered(
                        lambda p, offer=row["offer_id"]: p.agora_1c_id == offer
                    )
                if target and target.active:
                    target.active = False
                    counts["archived"] += 1
                else:
                    counts["skipped"] += 1
                continue
            vals = self._agora_1c_template_vals(job, row, categories)
            barcode = row["barcode"]
            if barcode:
                owner = barcode_owner.get(barcode)
                if owner and owner != row["key"]:
                    self._agora_1c_line_problem(
                        job,
                        row,
                        self.env._(
                            "barcode %(barcode)s is already used by another product",
                            barcode=barcode,
                        ),
                    )
                elif not row["characteristic"]:
                    vals["barcode"] = barcode
                    barcode_owner[barcode] = row["key"]
            if row["characteristic"]:
                variant_requests.append(row)
                if template or row["key"] in to_create:
                    continue
                vals.pop("barcode", None)
            if template is None:
                if row["key"] in to_create:
                    to_create[row["key"]][0].update(vals)
                    continue
                vals["agora_1c_id"] = row["key"]
                to_create[row["key"]] = (vals, row)
                continue
            changed = self._agora_1c_diff(template, vals)
            if not template.active:
                changed["active"] = True
            if "uom_id" in changed and template.uom_id.id == changed["uom_id"]:
                del changed["uom_id"]
            if changed:
                try:
                    with self.env.cr.savepoint():
                        template.write(changed)
                    counts["updated"] += 1
                except (UserError, ValidationError) as error:
                    self._agora_1c_line_problem(job, row, str(error))
            else:
                counts["skipped"] += 1
        if to_create:
            created = self._agora_1c_create(
                job,
                Template,
                [vals for vals, _row in to_create.values()],
                [row for _vals, row in to_create.values()],
            )
            with_characteristics = {row["key"] for row in rows if row["characteristic"]}
            for template in created:
                templates[template.agora_1c_id] = template
                if (
                    template.product_variant_count == 1
                    and template.agora_1c_id not in with_characteristics
                ):
                    template.product_variant_id.agora_1c_id = template.agora_1c_id
            counts["created"] += len(created)
        if variant_requests:
            self._agora_1c_ensure_variants(job, variant_requests, templates)

    def _agora_1c_create(self, job, Model, vals_list, rows):
        """Create in one go; if that fails, one by one, each failure a problem line."""
        try:
            with self.env.cr.savepoint():
                return Model.create(vals_list)
        except (UserError, ValidationError) as batch_error:
            _logger.info("1C import: batch create failed (%s), retrying one by one", batch_error)
        records = Model.browse()
        for vals, row in zip(vals_list, rows, strict=True):
            try:
                with self.env.cr.savepoint():
                    records |= Model.create(vals)
            except (UserError, ValidationError) as error:
                self._agora_1c_line_problem(job, row, str(error))
        return records

    # --- Variants --------------------------------------------------------------

    def _agora_1c_ensure_variants(self, job, rows, templates):
        """The variants ``product#characteristic`` of ``rows`` (each with ``offer_id``,
        ``key`` and ``characteristics``), created from their characteristics when new.
        Returns {offer_id: product.product}."""
        Product = self.env["product.product"]
        found = {
            product.agora_1c_id: product
            for product in Product.search(
                [("agora_1c_id", "in", [row["offer_id"] for row in rows])]
            )
        }
        missing = []
        for row in rows:
            if row["offer_id"] in found:
                continue
            if not templates.get(row["key"]):
                self._agora_1c_line_problem(
                    job, row, self.env._("product %(product)s is not known", product=row["key"])
                )
            else:
                if not row["characteristics"]:
                    row["characteristics"] = self._agora_1c_characteristic_from_name(
                        row, templates[row["key"]]
                    )
                missing.append(row)
        if not missing:
            return found
        values = self._agora_1c_attribute_values(
            {pair for row in missing for pair in row["characteristics"]}
        )
        by_template = defaultdict(list)
        for row in missing:
            by_template[templates[row["key"]]].append(row)
        for template, template_rows in by_template.items():
            wanted = defaultdict(set)
            for row in template_rows:
                for pair in row["characteristics"]:
                    value = values[pair]
                    wanted[value.attribute_id].add(value.id)
            commands = []
            lines = {line.attribute_id: line for line in template.attribute_line_ids}
            for attribute, value_ids in wanted.items():
                line = lines.get(attribute)
                if line is None:
                    commands.append(
                        Command.create(
                            {"attribute_id": attribute.id, "value_ids": [Command.set(value_ids)]}
                        )
                    )
                elif value_ids - set(line.value_ids.ids):
                    commands.append(
                        Command.update(
                            line.id, {"value_ids": [Command.link(v) for v in value_ids]}
                        )
                    )
            try:
                with self.env.cr.savepoint():
                    if commands:
                        template.write({"attribute_line_ids": commands})
            except (UserError, ValidationError) as error:
                for row in template_rows:
                    self._agora_1c_line_problem(job, row, str(error))
                continue
            variants = template.with_context(active_test=False).product_variant_ids
            for row in template_rows:
                required = {values[pair].id for pair in row["characteristics"]}
                match = variants.filtered(
                    lambda p, required=required: (
                        required
                        <= set(
                            p.product_template_attribute_value_ids.product_attribute_value_id.ids
                        )
                        and not p.agora_1c_id
                    )
                )[:1]
                if not match:
                    self._agora_1c_line_problem(
                        job,
                        row,
                        self.env._("no variant matches %(offer)s", offer=row["offer_id"]),
                    )
                    continue
                match.write({"agora_1c_id": row["offer_id"], "active": True})
                found[row["offer_id"]] = match
                job["counts"]["created"] += 1
                job.setdefault("new_offers", set()).add(row["offer_id"])
        return found

    def _agora_1c_characteristic_from_name(self, row, template):
        """The characteristic of an offer that names none: 1C:УТ 11 often sends a
        variant as "Ботфорты (38)" without ``ХарактеристикиТовара``, as 1C-Bitrix
        reads it. The variant's value is the name's last brackets, else its name
        when it is not the product's, else 1C's id of the characteristic."""
        name = row.get("name") or ""
        match = re.search(r"\(([^()]+)\)\s*$", name)
        if match:
            value = match.group(1).strip()
        elif name and name != template.name:
            value = name
        else:
            value = row["characteristic"]
        return [(self.env._("Characteristic"), value)]

    def _agora_1c_attribute_values(self, pairs):
        """{(attribute name, value name): product.attribute.value}, created when new."""
        Attribute = self.env["product.attribute"]
        Value = self.env["product.attribute.value"]
        names = {name for name, _value in pairs}
        attributes = {}
        for attribute in Attribute.search([("name", "in", list(names))], order="id"):
            if attribute.name not in attributes or attribute.create_variant == "always":
                attributes.setdefault(attribute.name, attribute)
        new_names = sorted(names - set(attributes))
        if new_names:
            for attribute in Attribute.create(
                [{"name": name, "create_variant": "always"} for name in new_names]
            ):
                attributes[attribute.name] = attribute
        result = {}
        existing = {
            (value.attribute_id.id, value.name): value
            for value in Value.search(
                [
                    ("attribute_id", "in", [a.id for a in attributes.values()]),
                    ("name", "in", [value for _name, value in pairs]),
                ]
            )
        }
        for name, value_name in sorted(pairs):
            attribute = attributes[name]
            value = existing.get((attribute.id, value_name))
            if value is None:
                value = Value.create({"attribute_id": attribute.id, "name": value_name})
                existing[(attribute.id, value_name)] = value
            result[(name, value_name)] = value
        return result

    # --- Full export -------------------------------------------------------------

    def _agora_1c_phase_archive(self, job):
        """A full export archives the products it does not hold, within the groups of
        the products it holds."""
        seen = set()
        groups = set()
        without_group = False
        full = None
        context = etree.iterparse(
            job["path"],
            events=("end",),
            huge_tree=True,
            remove_comments=True,
            resolve_entities=False,
        )
        for _event, element in context:
            name = localname(element)
            parent = element.getparent()
            parent_name = localname(parent) if parent is not None else ""
            if name == "Товар" and parent_name == "Товары":
                key = split_offer_id(text(element, "Ид"))[0]
                if key:
                    seen.add(key)
                group = clean_code(text(path(element, "Группы"), "Ид"))
                if group:
                    groups.add(group)
                else:
                    without_group = True
                _drop(element)
            elif name == "Каталог":
                full = only_changes(element) is False
        if not full or not self.env["agora.1c.session"]._agora_1c_flag("full_export_archive"):
            return True
        Template = self.env["product.template"]
        scope = []
        categories = self.env["product.category"].search([("agora_1c_id", "in", list(groups))])
        if categories:
            # The groups of the products the file holds, not every group of its
            # classifier, nor their subgroups: exporting one group from 1C must
            # not archive the others (woocommerce-1c#56).
            scope.append([("categ_id", "in", categories.ids)])
        if without_group:
            scope.append([("categ_id", "=", False)])
        if not scope:
            return True
        domain = [("agora_1c_id", "!=", False), ("active", "=", True)]
        if seen:
            domain.append(("agora_1c_id", "not in", list(seen)))
        domain += ["|"] * (len(scope) - 1) + [term for part in scope for term in part]
        stale = Template.with_context(active_test=True).search(domain)
        if stale:
            stale.write({"active": False})
            job["counts"]["archived"] += len(stale)
        return True

    # --- Offers, prices and stock ---------------------------------------------

    def _agora_1c_read_header(self, job, element):
        name = localname(element)
        if name == "ТипыЦен":
            self._agora_1c_ensure_price_types(job, element)
        elif name == "Склады":
            self._agora_1c_ensure_warehouses(job, element)

    def _agora_1c_price_types(self, job):
        if "price_types" not in job:
            job["price_types"] = {
                price_type.external_id: price_type
                for price_type in self.env["agora.1c.price.type"].search(
                    [("company_id", "=", job["company"].id)]
                )
            }
        return job["price_types"]

    def _agora_1c_ensure_price_types(self, job, element):
        known = self._agora_1c_price_types(job)
        company = job["company"]
        for item in children(element, "ТипЦены"):
            external_id = clean_code(text(item, "Ид"))
            if not external_id:
                continue
            name = text(item, "Наименование") or external_id
            currency = text(item, "Валюта")
            price_type = known.get(external_id)
            if price_type is None:
                pricelist = self.env["product.pricelist"].create(
                    {
                        "name": self.env._("%(name)s (1C)", name=name),
                        "currency_id": company.currency_id.id,
                        "company_id": company.id,
                    }
                )
                known[external_id] = self.env["agora.1c.price.type"].create(
                    {
                        "name": name,
                        "external_id": external_id,
                        "pricelist_id": pricelist.id,
                        "currency_name": currency,
                        "company_id": company.id,
                    }
                )
                continue
            vals = self._agora_1c_diff(price_type, {"name": name, "currency_name": currency})
            if vals:
                price_type.write(vals)

    def _agora_1c_warehouses(self, job):
        if "warehouses" not in job:
            job["warehouses"] = {
                warehouse.external_id: warehouse
                for warehouse in self.env["agora.1c.warehouse"].search(
                    [("company_id", "=", job["company"].id)]
                )
            }
        return job["warehouses"]

    def _agora_1c_ensure_warehouse(self, job, external_id, name=""):
        known = self._agora_1c_warehouses(job)
        warehouse = known.get(external_id)
        if warehouse is None:
            company_warehouses = self.env["stock.warehouse"].search(
                [("company_id", "=", job["company"].id)], limit=2
            )
            warehouse = known[external_id] = self.env["agora.1c.warehouse"].create(
                {
                    "name": name or external_id,
                    "external_id": external_id,
                    "company_id": job["company"].id,
                    "warehouse_id": company_warehouses.id
                    if len(company_warehouses) == 1
                    else False,
                }
            )
        elif name and warehouse.name != name:
            warehouse.name = name
        return warehouse

    def _agora_1c_ensure_warehouses(self, job, element):
        for item in children(element, "Склад"):
            external_id = clean_code(text(item, "Ид"))
            if external_id:
                self._agora_1c_ensure_warehouse(job, external_id, text(item, "Наименование"))

    def _agora_1c_default_location(self, job):
        if "default_location" not in job:
            Warehouse = self.env["stock.warehouse"]
            Session = self.env["agora.1c.session"]
            warehouse_id = Session._agora_1c_number_param("default_warehouse_id", 0)
            warehouse = Warehouse.browse(warehouse_id).exists() if warehouse_id else Warehouse
            if not warehouse:
                warehouse = Warehouse.search([("company_id", "=", job["company"].id)], limit=1)
            job["default_location"] = warehouse.lot_stock_id
        return job["default_location"]

    def _agora_1c_phase_offers(self, job):
        return self._agora_1c_run_batches(
            job,
            "Предложение",
            self._agora_1c_read_offer,
            self._agora_1c_import_offers,
            read_header=self._agora_1c_read_header,
        )

    def _agora_1c_read_offer(self, job, element):
        raw_id = text(element, "Ид")
        key, characteristic = split_offer_id(raw_id)
        row = {
            "key": key,
            "characteristic": characteristic,
            "offer_id": clean_code(raw_id),
            "name": text(element, "Наименование"),
            "line": element.sourceline,
            "deleted": is_deleted(element),
            "characteristics": self._agora_1c_read_characteristics(element),
            "prices": [],
            "stock": [],
            "quantity": None,
        }
        for price in _grandchildren(element, "Цены", "Цена"):
            row["prices"].append(
                {
                    "type": clean_code(text(price, "ИдТипаЦены")),
                    "price": text(price, "ЦенаЗаЕдиницу"),
                    "factor": text(price, "Коэффициент"),
                    "currency": text(price, "Валюта"),
                }
            )
        for store in children(element, "Склад"):
            if store.get("ИдСклада") is not None:
                row["stock"].append(
                    (clean_code(store.get("ИдСклада")), store.get("КоличествоНаСкладе"))
                )
        for rest in _grandchildren(element, "Остатки", "Остаток"):
            store = child(rest, "Склад")
            if store is not None:
                row["stock"].append((clean_code(text(store, "Ид")), text(store, "Количество")))
            elif child(rest, "Количество") is not None:
                row["quantity"] = text(rest, "Количество")
        if child(element, "Количество") is not None and not row["stock"]:
            row["quantity"] = text(element, "Количество")
        return row

    def _agora_1c_import_offers(self, job, rows):
        counts = job["counts"]
        rows = [row for row in rows if row["key"]]
        counts["items"] += len(rows)
        Template = self.env["product.template"]
        templates = {}
        for template in Template.search(
            [("agora_1c_id", "in", list({row["key"] for row in rows}))], order="id"
        ):
            templates.setdefault(template.agora_1c_id, template)
        variant_rows = [row for row in rows if row["characteristic"] and not row["deleted"]]
        variants = (
            self._agora_1c_ensure_variants(job, variant_rows, templates) if variant_rows else {}
        )
        new_offers = job.setdefault("new_offers", set())
        changed = set()
        targets = []  # (row, product or None, template)
        for row in rows:
            template = templates.get(row["key"])
            product = None
            if row["characteristic"]:
                if row["deleted"]:
                    product = self.env["product.product"].search(
                        [("agora_1c_id", "=", row["offer_id"])], limit=1
                    )
                else:
                    product = variants.get(row["offer_id"])
                    if not product:
                        continue  # reported by _agora_1c_ensure_variants
            elif template:
                if template.product_variant_count == 1:
                    product = template.product_variant_id
            if not template and not product:
                if not row["deleted"]:
                    self._agora_1c_line_problem(
                        job,
                        row,
                        self.env._(
                            "product %(product)s is not known: offer skipped", product=row["key"]
                        ),
                    )
                counts["skipped"] += 1
                continue
            if row["deleted"]:
                target = product if row["characteristic"] else template
                if target.active:
                    target.active = False
                    counts["archived"] += 1
                else:
                    counts["skipped"] += 1
                continue
            targets.append((row, product, template))
        if job["kind"] in ("offers", "prices"):
            changed |= self._agora_1c_apply_prices(job, targets)
        if job["kind"] in ("offers", "rests"):
            changed |= self._agora_1c_apply_stock(job, targets)
        for row, _product, _template in targets:
            if row["offer_id"] in new_offers:
                continue
            counts["updated" if row["offer_id"] in changed else "skipped"] += 1

    def _agora_1c_apply_prices(self, job, targets):
        """Fixed prices in the price types' price lists; returns the offers changed."""
        price_types = self._agora_1c_price_types(job)
        precision = self.env["decimal.precision"].precision_get("Product Price")
        wanted = {}  # (pricelist, applied_on, id) -> (price, row)
        for row, product, template in targets:
            for price in row["prices"]:
                price_type = price_types.get(price["type"])
                if price_type is None:
                    self._agora_1c_line_problem(
                        job,
                        row,
                        self.env._("price type %(type)s is not known", type=price["type"]),
                    )
                    continue
                pricelist = price_type.pricelist_id
                if not pricelist:
                    self._agora_1c_line_problem(
                        job,
                        row,
                        self.env._(
                            "price type %(type)s has no price list: price skipped",
                            type=price_type.name,
                        ),
                    )
                    continue
                value = number(price["price"])
                if value is None:
                    self._agora_1c_line_problem(
                        job, row, self.env._("unreadable price %(price)s", price=price["price"])
                    )
                    continue
                factor = number(price["factor"]) if price["factor"] else 1.0
                value *= factor or 1.0
                currency = price["currency"]
                if (
                    currency
                    and not (is_rub(currency) and pricelist.currency_id.name == "RUB")
                    and currency.upper() != pricelist.currency_id.name
                ):
                    self._agora_1c_line_problem(
                        job,
                        row,
                        self.env._(
                            "price in %(currency)s for the price list %(pricelist)s in "
                            "%(own)s: skipped",
                            currency=currency,
                            pricelist=pricelist.name,
                            own=pricelist.currency_id.name,
                        ),
                    )
                    continue
                if row["characteristic"]:
                    wanted[(pricelist.id, "0_product_variant", product.id)] = (value, row)
                else:
                    wanted[(pricelist.id, "1_product", template.id)] = (value, row)
        if not wanted:
            return set()
        Item = self.env["product.pricelist.item"]
        items = Item.search(
            [
                ("pricelist_id", "in", list({key[0] for key in wanted})),
                ("compute_price", "=", "fixed"),
                ("min_quantity", "<=", 1),
                ("date_start", "=", False),
                ("date_end", "=", False),
                "|",
                "&",
                ("applied_on", "=", "0_product_variant"),
                ("product_id", "in", [key[2] for key in wanted if key[1] == "0_product_variant"]),
                "&",
                ("applied_on", "=", "1_product"),
                ("product_tmpl_id", "in", [key[2] for key in wanted if key[1] == "1_product"]),
            ],
            order="id",
        )
        existing = {}
        for item in items:
            target = (
                item.product_id.id
                if item.applied_on == "0_product_variant"
                else item.product_tmpl_id.id
            )
            existing.setdefault((item.pricelist_id.id, item.applied_on, target), item)
        changed = set()
        to_create = []
        for key, (value, row) in wanted.items():
            item = existing.get(key)
            if item is None:
                vals = {
                    "pricelist_id": key[0],
                    "applied_on": key[1],
                    "compute_price": "fixed",
                    "fixed_price": value,
                }
                vals["product_id" if key[1] == "0_product_variant" else "product_tmpl_id"] = key[2]
                to_create.append(vals)
                changed.add(row["offer_id"])
            elif float_compare(item.fixed_price, value, precision_digits=precision):
                item.fixed_price = value
                changed.add(row["offer_id"])
        if to_create:
            Item.create(to_create)
        return changed

    def _agora_1c_apply_stock(self, job, targets):
        """Stock per Odoo warehouse through an inventory adjustment; returns the offers changed."""
        wanted = defaultdict(float)  # (product id, location id) -> quantity
        rows_by_key = {}
        for row, product, _template in targets:
            if not row["stock"] and row["quantity"] is None:
                continue
            if not product:
                self._agora_1c_line_problem(
                    job,
                    row,
                    self.env._(
                        "product %(product)s has variants: its stock is skipped",
                        product=row["key"],
                    ),
                )
                continue
            if not product.is_storable:
                continue
            lines = []
            if row["stock"]:
                for external_id, quantity in row["stock"]:
                    warehouse = self._agora_1c_ensure_warehouse(job, external_id)
                    if not warehouse.warehouse_id:
                        self._agora_1c_line_problem(
                            job,
                            row,
                            self.env._(
                                "1C warehouse %(warehouse)s has no Odoo warehouse: stock skipped",
                                warehouse=warehouse.name,
                            ),
                        )
                        continue
                    lines.append((warehouse.warehouse_id.lot_stock_id, quantity))
            else:
                location = self._agora_1c_default_location(job)
                if not location:
                    self._agora_1c_line_problem(
                        job, row, self.env._("no warehouse: stock skipped")
                    )
                    continue
                lines.append((location, row["quantity"]))
            for location, quantity_text in lines:
                quantity = number(quantity_text)
                if quantity is None:
                    self._agora_1c_line_problem(
                        job,
                        row,
                        self.env._("unreadable quantity %(qty)s", qty=quantity_text or '""'),
                    )
                    continue
                wanted[(product.id, location.id)] += quantity
                rows_by_key[(product.id, location.id)] = row
        if not wanted:
            return set()
        Quant = self.env["stock.quant"]
        Location = self.env["stock.location"]
        roots = Location.browse({key[1] for key in wanted})
        # 1C's figure is the warehouse's stock: its stock location and the internal
        # locations inside it (shelves, bins). Goods in a multi-step warehouse's
        # input or output locations are not part of it.
        quants = Quant.search(
            [
                ("product_id", "in", list({key[0] for key in wanted})),
                ("location_id", "child_of", roots.ids),
                ("location_id.usage", "=", "internal"),
            ],
            order="id",
        )
        root_of = {}
        for location in quants.location_id:
            # The deepest stock location holding it, should one warehouse's stock
            # location lie inside another's.
            root_of[location.id] = max(
                (root for root in roots if location.parent_path.startswith(root.parent_path)),
                key=lambda root: len(root.parent_path),
            ).id
        on_hand = defaultdict(float)
        plain = defaultdict(list)  # quants without lot, package or owner: what 1C's count adjusts
        for quant in quants:
            key = (quant.product_id.id, root_of[quant.location_id.id])
            on_hand[key] += quant.quantity
            if not (quant.lot_id or quant.package_id or quant.owner_id):
                plain[key].append(quant)
        to_apply = Quant.browse()
        to_create = []
        changed = set()
        for key, quantity in wanted.items():
            product = self.env["product.product"].browse(key[0])
            difference = quantity - on_hand[key]
            if product.uom_id.compare(difference, 0) == 0:
                continue
            changed.add(rows_by_key[key]["offer_id"])
            counted, new = self._agora_1c_count_difference(
                plain[key], Location.browse(key[1]), difference, product.uom_id
            )
            for quant, counted_quantity in counted:
                quant.inventory_quantity = counted_quantity
                to_apply |= quant
            if new:
                to_create.append(
                    {"product_id": key[0], "location_id": key[1], "inventory_quantity": new}
                )
        if to_create:
            to_apply |= Quant.create(to_create)
        if to_apply:
            action = to_apply.action_apply_inventory()
            if isinstance(action, dict):
                # Odoo asks what to do with quants changed since they were
                # counted (they were just read: rare). 1C's count wins, as the
                # conflict wizard's "Keep counted quantity" button does.
                Conflict = self.env[action["res_model"]].with_context(**action["context"])
                Conflict.create({}).action_keep_counted_quantity()
        return changed

    @api.model
    def _agora_1c_count_difference(self, quants, location, difference, uom):
        """How 1C's count changes one product's stock in one warehouse.

        ``quants``: the product's quants without lot, package or owner in the
        warehouse (its stock ``location`` and the locations inside it);
        ``difference``: what the warehouse must hold more (or less, negative).
        Returns ``(counted, new)``: [(quant, counted quantity)] for existing
        quants, and the quantity of a new quant in ``location`` (0: none).

        More goes to the stock location. Less is taken from free stock first,
        the stock location's, then the others', most free first, so that the
        goods reserved for deliveries stay where they are reserved; then from
        reserved stock in the same order. What they do not hold leaves the
        stock location below zero, as a count in Odoo would.
        """
        main = next((quant for quant in quants if quant.location_id == location), None)
        if difference > 0:
            return ([(main, main.quantity + difference)], 0) if main else ([], difference)
        others = sorted(
            (quant for quant in quants if quant != main),
            key=lambda quant: (-(quant.quantity - quant.reserved_quantity), quant.id),
        )
        ordered = ([main] if main else []) + others
        counted = {quant: quant.quantity for quant in ordered}
        remaining = -difference
        for reserved_too in (False, True):
            for quant in ordered:
                held = counted[quant]
                if not reserved_too:
                    held -= quant.reserved_quantity
                taken = min(max(held, 0), remaining)
                if taken <= 0:
                    continue
                counted[quant] -= taken
                remaining -= taken
                if uom.compare(remaining, 0) <= 0:
                    remaining = 0
                    break
            if not remaining:
                break
        changed = [
            (quant, quantity)
            for quant, quantity in counted.items()
            if uom.compare(quantity, quant.quantity) != 0
        ]
        if not remaining:
            return changed, 0
        if not main:
            return changed, -remaining
        changed = [(quant, quantity) for quant, quantity in changed if quant != main]
        changed.append((main, counted[main] - remaining))
        return changed, 0

import logging
from collections import defaultdict

from lxml import etree

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import float_compare, format_date

from ..tools import commerceml as cml

_logger = logging.getLogger(__name__)

# The names 1C writes its answers under: 1C:УТ/КА/ERP's site exchange, and
# the older and module spellings.
NUMBER_1C_KEYS = ("Номер по 1С", "Номер1С", "НомерПо1С")
PAID_KEYS = ("Заказ оплачен", "Оплачен")
PAYMENT_NUMBER_KEYS = ("Номер оплаты по 1С", "Номер платежного документа")
PAYMENT_DATE_KEYS = ("Дата оплаты по 1С", "Дата оплаты")
SHIPPED_KEYS = ("Отгружен",)
SHIPMENT_NUMBER_KEYS = ("Номер отгрузки по 1С",)
SHIPMENT_DATE_KEYS = ("Дата отгрузки по 1С",)


def first(values, keys):
    """The first non-empty value of ``keys`` in ``values``; ``""`` if none."""
    for key in keys:
        if values.get(key):
            return values[key]
    return ""


class Agora1cOrderImport(models.AbstractModel):
    """1C's changes to the orders it received (``type=sale&mode=file``): its
    number, the payment and the shipment it registered are reflected on the
    order by Odoo's own documents (a payment, a validated delivery), so that
    the Agora status derives as usual. What the exchange must not decide (a
    cancellation, other lines or another total) is flagged for staff."""

    _name = "agora.1c.order.import"
    _description = "1C Order Changes Import"

    @api.model
    def _agora_1c_import_orders(self, file_record, path):
        """Apply the ``Документ`` elements of the file at ``path`` and count
        them on ``file_record`` (an ``agora.1c.session.file``)."""
        # sudo: the exchange user has no rights on sales, invoices or stock; it
        # applies what 1C registered, on the exchange company's orders only.
        importer = self.sudo()
        company = importer.env["agora.1c.session"]._agora_1c_company()
        importer = importer.with_company(company)
        counts = {"updated": 0, "skipped": 0, "items": 0}
        problems = []
        try:
            for document in cml.iter_elements(path, {"Документ"}):
                counts["items"] += 1
                reference = cml.text(document, "Номер") or cml.text(document, "Ид")
                data = importer._agora_1c_read_document(document)
                try:
                    with self.env.cr.savepoint():
                        changed, issues = importer._agora_1c_apply_document(data, company)
                except (UserError, ValidationError) as error:
                    changed, issues = False, [str(error.args[0] if error.args else error)]
                problems.extend(
                    self.env._("Order %(ref)s: %(issue)s", ref=reference, issue=issue)
                    for issue in issues
                )
                counts["updated" if changed else "skipped"] += 1
        except etree.XMLSyntaxError as error:
            raise UserError(
                self.env._("The orders file is not valid XML: %(error)s", error=error)
            ) from error
        file_record._agora_1c_add_counts(counts, problems=problems)
        return counts

    @api.model
    def _agora_1c_read_document(self, document):
        """What the exchange reads of one ``Документ``, as plain values (the
        streaming parser clears the element afterwards)."""
        values = cml.requisites(document)
        lines = defaultdict(float)
        codes = {}
        goods = cml.child(document, "Товары")
        for item in cml.children(goods, "Товар") if goods is not None else ():
            quantity = cml.number(cml.text(item, "Количество"))
            key = cml.clean_code(cml.text(item, "Ид"))
            lines[key] += quantity or 0.0
            if cml.text(item, "Артикул"):
                codes[key] = cml.text(item, "Артикул")

        def flag(*keys):
            value = first(values, keys) or cml.text(document, *keys)
            return cml.boolean(value) is True

        return {
            "id": cml.clean_code(cml.text(document, "Ид")),
            "number": cml.text(document, "Номер"),
            "number_1c": first(values, NUMBER_1C_KEYS) or cml.text(document, *NUMBER_1C_KEYS),
            "amount": cml.number(cml.text(document, "Сумма")),
            "lines": dict(lines) if goods is not None else None,
            "codes": codes,
            "paid": flag(*PAID_KEYS),
            "payment_number": first(values, PAYMENT_NUMBER_KEYS),
            "payment_date": cml.date(first(values, PAYMENT_DATE_KEYS)),
            "shipped": flag(*SHIPPED_KEYS),
            "shipment_number": first(values, SHIPMENT_NUMBER_KEYS),
            "shipment_date": cml.datetime_value(first(values, SHIPMENT_DATE_KEYS)),
            "cancelled": flag("Отменен"),
            "deleted": flag("ПометкаУдаления") or cml.is_deleted(document),
        }

    @api.model
    def _agora_1c_find_order(self, data, company):
        keys = [key for key in (data["id"], data["number"]) if key]
        if not keys:
            return self.env["sale.order"]
        return self.env["sale.order"].search(
            [("name", "in", keys), ("company_id", "=", company.id)], limit=1
        )

    @api.model
    def _agora_1c_apply_document(self, data, company):
        """Apply one document's changes; return (whether the order changed, problems)."""
        order = self._agora_1c_find_order(data, company)
        if not order:
            return False, [self.env._("no such order in Odoo, skipped.")]
        changed = False
        problems = []
        if data["number_1c"] and data["number_1c"] != order.agora_1c_number:
            order.agora_1c_number = data["number_1c"]
            order._agora_log_event(
                "onec",
                description=self.env._("1C: order registered as No. %s", data["number_1c"]),
            )
            changed = True
        differences = self._agora_1c_differences(order, data)
        if differences:
            changed |= order._agora_1c_flag_conflict("\n".join(differences))
            # Lines or a total that differ: nothing 1C registered against
            # them is applied before staff settle the difference.
            return changed, problems
        if data["paid"] or (data["payment_number"] and data["payment_date"]):
            paid, issue = self._agora_1c_register_payment(order, data)
            changed |= paid
            if issue:
                problems.append(issue)
        if data["shipped"] or data["shipment_number"]:
            changed |= self._agora_1c_ship(order, data)
        return changed, problems

    @api.model
    def _agora_1c_differences(self, order, data):
        """What 1C's version of the order has that Odoo's has not: a
        cancellation or deletion, other lines or quantities, another total."""
        differences = []
        if data["cancelled"] and order.state != "cancel":
            differences.append(self.env._("The order is cancelled in 1C."))
        if data["deleted"]:
            differences.append(self.env._("The order is marked for deletion in 1C."))
        if data["lines"]:
            export = self.env["agora.1c.order.export"]
            ours = defaultdict(float)
            names = {}
            by_code = {}
            for line in order.order_line.filtered(lambda l: not l.display_type and l.product_id):
                key = export._agora_1c_product_id(line.product_id)
                ours[key] += line.product_uom_qty
                names[key] = line.product_id.display_name
                if line.product_id.default_code:
                    by_code[line.product_id.default_code] = key
            # A product sent without a 1C id comes back under the id 1C gave
            # it: it is recognised by its article.
            lines = defaultdict(float)
            for key, quantity in data["lines"].items():
                if key not in ours and data["codes"].get(key) in by_code:
                    key = by_code[data["codes"][key]]
                lines[key] += quantity
            for key in sorted(set(ours) | set(lines)):
                theirs = lines.get(key, 0.0)
                if float_compare(ours.get(key, 0.0), theirs, precision_digits=3):
                    differences.append(
                        self.env._(
                            "%(product)s: %(ours)s in Odoo, %(theirs)s in 1C.",
                            product=names.get(key, key),
                            ours=ours.get(key, 0.0),
                            theirs=theirs,
                        )
                    )
        if data["amount"] is not None and order.currency_id.compare_amounts(
            data["amount"], order.amount_total
        ):
            differences.append(
                self.env._(
                    "Total: %(ours)s in Odoo, %(theirs)s in 1C.",
                    ours=order.currency_id.format(order.amount_total),
                    theirs=order.currency_id.format(data["amount"]),
                )
            )
        return differences

    @api.model
    def _agora_1c_register_payment(self, order, data):
        """Register the payment 1C reports on the order's posted invoices, for
        what is left to pay; once. Return (registered, problem or None)."""
        number = data["payment_number"]
        if number and number == order.agora_1c_payment_number:
            return False, None
        invoices = order._agora_invoices().filtered(
            lambda m: (
                not m.currency_id.is_zero(m.amount_residual)
                and m.payment_state not in ("paid", "in_payment", "reversed")
            )
        )
        if not invoices:
            if order.agora_payment_status == "paid":
                return False, None
            return False, self.env._("1C reports a payment, but the order has no invoice to pay.")
        payment_date = data["payment_date"] or fields.Date.context_today(self)
        wizard = (
            self.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoices.ids)
            .create(
                {
                    "payment_date": payment_date,
                    "communication": number or order.name,
                    "group_payment": True,
                }
            )
        )
        amount = wizard.amount
        paid_before = invoices.matched_payment_ids
        # The wizard's own button; what it returns is a screen for staff.
        wizard.action_create_payments()
        payments = invoices.matched_payment_ids - paid_before
        order.agora_1c_payment_number = number or False
        self._agora_1c_log_registered(
            order,
            self.env._("1C: payment No. %(number)s of %(date)s registered"),
            self.env._("1C: payment of %(date)s registered"),
            number,
            payment_date,
            self.env._(
                "%(amount)s registered as %(payments)s on %(invoices)s.",
                amount=order.currency_id.format(amount),
                payments=", ".join(payments.mapped("name")),
                invoices=", ".join(invoices.mapped("name")),
            ),
        )
        return True, None

    @api.model
    def _agora_1c_log_registered(self, order, with_number, without_number, number, day, note):
        """The history event of a document 1C registered (a payment, a shipment):
        ``with_number``/``without_number`` are the translated texts, with
        ``%(number)s`` and ``%(date)s``."""
        date_text = format_date(self.env, day, date_format="dd.MM.yyyy")
        description = (with_number if number else without_number) % {
            "number": number,
            "date": date_text,
        }
        order._agora_log_event("onec", description=description, internal_note=note)

    @api.model
    def _agora_1c_ship(self, order, data):
        """Validate the order's open deliveries in full, as 1C shipped it; once."""
        pickings = order.picking_ids.filtered(
            lambda p: p.picking_type_code == "outgoing" and p.state not in ("done", "cancel")
        )
        if not pickings:
            return False
        for move in pickings.move_ids.filtered(lambda m: m.state not in ("done", "cancel")):
            move.quantity = move.product_uom_qty
            move.picked = True
        # Every move is done in full: Odoo has no backorder to propose, and
        # what it may return (a report to print) is for a screen, not for 1C.
        pickings.button_validate()
        if any(picking.state != "done" for picking in pickings):
            raise UserError(
                self.env._(
                    "The delivery %(pickings)s could not be validated.",
                    pickings=", ".join(pickings.mapped("name")),
                )
            )
        if data["shipment_date"]:
            pickings.filtered(lambda p: p.state == "done").date_done = data["shipment_date"]
        number = data["shipment_number"]
        order.agora_1c_shipment_number = number or False
        self._agora_1c_log_registered(
            order,
            self.env._("1C: shipment No. %(number)s of %(date)s registered"),
            self.env._("1C: shipment of %(date)s registered"),
            number,
            data["shipment_date"] or fields.Date.context_today(self),
            self.env._("Deliveries validated: %s", ", ".join(pickings.mapped("name"))),
        )
        return True

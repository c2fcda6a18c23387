"""Values of the «Счёт на оплату» (Russian invoice for payment) QWeb report.

The template (agora_invoice_ru_report.xml) only prints what is prepared here: every
amount and date is formatted the Russian way whatever the user's language, since the
form is a Russian document. Taxes come from the invoice's own tax lines.
"""

import pytz
from babel.dates import format_date as babel_format_date
from babel.numbers import format_decimal

from odoo import api, fields, models

RUB_LABEL = "руб."


def ru_amount(value):
    """1234567.5 -> '1 234 567,50' (non-breaking spaces)."""
    return format_decimal(value or 0.0, format="#,##0.00", locale="ru")


def ru_number(value):
    """Quantities and rates: 2.0 -> '2', 1.5 -> '1,5'."""
    return format_decimal(value or 0.0, format="#,##0.###", locale="ru")


def ru_long_date(value):
    """date(2026, 11, 26) -> '26 ноября 2026 г.'"""
    return f"{babel_format_date(value, format='d MMMM y', locale='ru')} г."


class ReportAgoraInvoiceRu(models.AbstractModel):
    _name = "report.agora_orders.report_invoice_ru"
    _description = "Invoice for Payment (Russian Form)"

    @api.model
    def _get_report_values(self, docids, data=None):
        docs = self.env["account.move"].browse(docids)
        return {
            "doc_ids": docids,
            "doc_model": "account.move",
            "docs": docs,
            "data": data,
            "agora_values": {move.id: self._agora_invoice_values(move) for move in docs},
        }

    @api.model
    def _agora_partner_values(self, partner):
        partner = partner.commercial_partner_id
        return {
            "name": partner.name or "",
            "inn": partner.vat or "",
            "kpp": partner.agora_kpp or "",
            "address": partner._agora_legal_address_display(),
            "phone": partner.phone or "",
        }

    @api.model
    def _agora_partner_line(self, values):
        """'ООО «Ромашка», ИНН 7707083893, КПП 773601001, 117997, г. Москва, ...'"""
        parts = [values["name"]]
        if values["inn"]:
            parts.append(f"ИНН {values['inn']}")
        if values["kpp"]:
            parts.append(f"КПП {values['kpp']}")
        if values["address"]:
            parts.append(values["address"])
        if values["phone"]:
            parts.append(f"тел.: {values['phone']}")
        return ", ".join(parts)

    @api.model
    def _agora_bank_account(self, move):
        company_partner = move.company_id.partner_id
        return (
            move.partner_bank_id
            or company_partner.bank_ids.filtered(
                lambda bank: not bank.company_id or bank.company_id == move.company_id
            )[:1]
        )

    @api.model
    def _agora_tax_values(self, move, tax_included):
        """One row per VAT rate, summing the invoice's own tax lines (no tax math here).

        Percentage taxes are grouped by rate ("НДС 20%"), other taxes by name; rates
        of the invoice's taxes without a tax line (0.00 of tax) are listed with 0,00.
        """
        totals = {}
        for tax in move.invoice_line_ids.tax_ids.flatten_taxes_hierarchy():
            if tax.amount_type in ("percent", "division") and tax.amount:
                totals.setdefault((tax.amount, ""), 0.0)
        for line in move.line_ids.filtered(lambda ml: ml.display_type == "tax"):
            tax = line.tax_line_id
            is_rate = tax.amount_type in ("percent", "division")
            key = (tax.amount, "") if is_rate else (0.0, tax.name)
            totals[key] = totals.get(key, 0.0) + line.amount_currency * move.direction_sign
        prefix = "В том числе НДС" if tax_included else "НДС"
        rows = []
        for (rate, name), amount in sorted(totals.items(), key=lambda kv: (-kv[0][0], kv[0][1])):
            if not rate and not name:
                continue
            label = name or f"{prefix} {ru_number(rate)}%"
            rows.append({"label": f"{label}:", "amount": ru_amount(amount)})
        return rows

    @api.model
    def _agora_line_values(self, move, tax_included):
        """Prices and amounts with VAT when prices include it, without VAT otherwise."""
        lines = []
        product_lines = move.invoice_line_ids.filtered(lambda ml: ml.display_type == "product")
        for number, line in enumerate(product_lines, start=1):
            price = line.price_unit * (1.0 - (line.discount or 0.0) / 100.0)
            amount = line.price_total if tax_included else line.price_subtotal
            mixed = not tax_included and any(tax.price_include for tax in line.tax_ids)
            if mixed and line.quantity:
                # This line's unit price includes a tax that the form shows apart.
                price = amount / line.quantity
            lines.append(
                {
                    "number": number,
                    "name": line.name or line.product_id.display_name or "",
                    "quantity": ru_number(line.quantity),
                    "uom": line.product_uom_id.name or "",
                    "price": ru_amount(price),
                    "amount": ru_amount(amount),
                }
            )
        return lines

    @api.model
    def _agora_reserve_note(self, move):
        """«Товар зарезервирован до …; счёт действителен до …» from the invoice's orders.

        The earliest reservation deadline of the invoice's sale orders, in the client's
        time zone; empty when no order has a deadline.
        """
        # sudo: an accountant printing the invoice may not read sale orders; only
        # the reservation deadline of the invoice's own orders is read.
        orders = move.sudo().line_ids.sale_line_ids.order_id
        deadlines = [(order.agora_reserve_deadline, order) for order in orders]
        deadlines = [(deadline, order) for deadline, order in deadlines if deadline]
        if not deadlines:
            return ""
        deadline, order = min(deadlines, key=lambda item: item[0])
        tz_name = order.partner_id.tz or self.env.user.tz or "UTC"
        local = pytz.utc.localize(deadline).astimezone(pytz.timezone(tz_name))
        return (
            f"Товар зарезервирован до {local.strftime('%d.%m.%Y %H:%M')}; "
            f"счёт действителен до {ru_long_date(local.date())}"
        )

    @api.model
    def _agora_invoice_values(self, move):
        move = move.with_context(lang=move.partner_id.lang or self.env.lang)
        company = move.company_id
        supplier = self._agora_partner_values(company.partner_id)
        buyer = self._agora_partner_values(move.partner_id)
        bank_account = self._agora_bank_account(move)
        product_taxes = move.invoice_line_ids.tax_ids
        has_taxes = bool(product_taxes)
        tax_included = not has_taxes or all(tax.price_include for tax in product_taxes)
        taxes = self._agora_tax_values(move, tax_included) if has_taxes else []
        lines = self._agora_line_values(move, tax_included)
        is_rub = move.currency_id.name == "RUB"
        currency_label = RUB_LABEL if is_rub else move.currency_id.name
        name = move.name if move.name and move.name != "/" else ""
        date = ru_long_date(move.invoice_date or fields.Date.context_today(move))
        total = ru_amount(move.amount_total)
        return {
            "title": f"Счёт на оплату № {name} от {date}",
            "supplier": supplier,
            "supplier_line": self._agora_partner_line(supplier),
            "buyer_line": self._agora_partner_line(buyer),
            "bank_name": bank_account.bank_id.name or "",
            "bank_bic": bank_account.bank_id.bic or "",
            "bank_corr_account": bank_account.bank_id.agora_corr_account or "",
            "bank_acc_number": bank_account.acc_number or "",
            "lines": lines,
            "currency_label": currency_label,
            "subtotal": ru_amount(move.amount_total if tax_included else move.amount_untaxed),
            "taxes": taxes,
            "no_tax_label": "Без НДС" if not taxes else "",
            "total": total,
            "summary": f"Всего наименований {len(lines)}, на сумму {total} {currency_label}",
            "amount_in_words": move._agora_amount_in_words_ru(
                move.amount_total, currency=move.currency_id
            ),
            "reserve_note": self._agora_reserve_note(move),
            "director": company.partner_id.agora_director_name or "",
            "accountant": company.partner_id.agora_accountant_name or "",
        }

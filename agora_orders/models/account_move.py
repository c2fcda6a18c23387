from decimal import Decimal

from num2words import num2words

from odoo import api, models
from odoo.tools import float_repr, float_round

RU_INVOICE_REPORT = "agora_orders.action_report_agora_invoice_ru"
STANDARD_INVOICE_REPORT = "account.account_invoices"


class AccountMove(models.Model):
    _inherit = "account.move"

    def _agora_get_invoice_report_ref(self):
        """Return the xml id of the ir.actions.report to print this invoice with.

        Customer invoices of a company in Russia, or of a company with the setting
        "Print Invoices as «Счёт на оплату»" (``res.company.agora_ru_invoice_form``),
        are printed on the Russian form ``agora_orders.action_report_agora_invoice_ru``;
        everything else (other companies, credit notes, bills) on Odoo's standard
        invoice report ``account.account_invoices``.

        Used wherever Agora prints or attaches an invoice (portal, "reserve" email), e.g.
        ``self.env["ir.actions.report"]._render_qweb_pdf(move._agora_get_invoice_report_ref(),
        move.ids)``.
        """
        self.ensure_one()
        company = self.company_id
        if self.move_type == "out_invoice" and (
            company.country_id.code == "RU" or company.agora_ru_invoice_form
        ):
            return RU_INVOICE_REPORT
        return STANDARD_INVOICE_REPORT

    @api.model
    def _agora_amount_in_words_ru(self, amount, currency=None):
        """Spell ``amount`` in Russian as printed on the «Счёт на оплату».

        The whole units in words, the hundredths as two digits, first letter
        capitalised: ``1234.56`` gives "Одна тысяча двести тридцать четыре рубля 56
        копеек". ``currency`` (a res.currency, roubles by default) names the units;
        a currency that num2words cannot name in Russian falls back to Odoo's
        ``res.currency.amount_to_text``.
        """
        code = currency.name if currency else "RUB"
        rounded = float_round(amount or 0.0, precision_digits=2)
        try:
            # A Decimal, not an int: num2words reads an int as an amount of kopecks.
            text = num2words(
                Decimal(float_repr(rounded, 2)),
                lang="ru",
                to="currency",
                currency=code,
                cents=False,
                separator="",
            )
        except NotImplementedError:
            text = currency.with_context(lang="ru_RU").amount_to_text(rounded)
        text = " ".join(text.split())
        return text[:1].upper() + text[1:]

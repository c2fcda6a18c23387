"""Russian bank requisites: БИК (Odoo's ``res.bank.bic``) and the correspondent account.

The «Счёт на оплату» prints the payee's bank account (``res.partner.bank``) with its
bank's БИК and correspondent account (к/с). Both live on ``res.bank``, so this file
also extends ``res.bank`` (the bank is shared by all accounts opened in it).
"""

import re

from odoo import api, fields, models
from odoo.exceptions import ValidationError

BIK_RE = re.compile(r"^\d{9}$")
CORR_ACCOUNT_RE = re.compile(r"^\d{20}$")


class ResBank(models.Model):
    _inherit = "res.bank"

    agora_corr_account = fields.Char(
        string="Correspondent Account",
        help="The bank's correspondent account with the Bank of Russia (20 digits, "
        "e.g. 30101810400000000225), printed on invoices next to the BIC.",
    )

    @api.constrains("bic", "country")
    def _check_agora_ru_bik(self):
        """A Russian bank's BIC is its БИК: 9 digits.

        Checked for banks in Russia and for any all-digit BIC (a SWIFT code has
        letters, so an all-digit code can only be meant as a БИК).
        """
        for bank in self:
            bic = bank.bic
            if not bic or not (bank.country.code == "RU" or bic.isdigit()):
                continue
            if not BIK_RE.match(bic):
                raise ValidationError(
                    self.env._(
                        "The BIC %(bic)s of the bank %(bank)s is not valid: a Russian "
                        "bank identification code (BIK) has exactly 9 digits "
                        "(e.g. 044525225).",
                        bic=bic,
                        bank=bank.name,
                    )
                )

    @api.constrains("agora_corr_account")
    def _check_agora_corr_account(self):
        for bank in self:
            if bank.agora_corr_account and not CORR_ACCOUNT_RE.match(bank.agora_corr_account):
                raise ValidationError(
                    self.env._(
                        "The correspondent account %(account)s of the bank %(bank)s is not "
                        "valid: it has exactly 20 digits.",
                        account=bank.agora_corr_account,
                        bank=bank.name,
                    )
                )


class ResPartnerBank(models.Model):
    _inherit = "res.partner.bank"

    agora_corr_account = fields.Char(
        related="bank_id.agora_corr_account", string="Correspondent Account", readonly=False
    )

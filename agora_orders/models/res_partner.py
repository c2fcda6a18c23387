"""Russian requisites of client companies and of the supplier's own company.

ИНН reuses Odoo's ``vat`` field (validated here for Russian partners, since
``base_vat`` is not a dependency); КПП, ОГРН, the legal address and the names of
the signatories are added. They are printed on the «Счёт на оплату» report.
"""

import re

from stdnum.ru import inn as stdnum_inn

from odoo import api, fields, models
from odoo.exceptions import ValidationError

KPP_RE = re.compile(r"^\d{4}[\dA-Z]{2}\d{3}$")
OGRN_RE = re.compile(r"^(\d{13}|\d{15})$")
INN_RE = re.compile(r"^(\d{10}|\d{12})$")


def is_valid_ru_inn(value):
    """ИНН: 10 digits (organisation) or 12 (individual) with valid check digits."""
    return bool(value and INN_RE.match(value) and stdnum_inn.is_valid(value))


def is_valid_ru_kpp(value):
    """КПП: 4 digits, 2 digits or capital latin letters, 3 digits."""
    return bool(value and KPP_RE.match(value))


def is_valid_ru_ogrn(value):
    """ОГРН (13 digits) or ОГРНИП (15 digits) with a valid check digit."""
    if not value or not OGRN_RE.match(value):
        return False
    modulus = 11 if len(value) == 13 else 13
    return int(value[:-1]) % modulus % 10 == int(value[-1])


class ResPartner(models.Model):
    _inherit = "res.partner"

    agora_kpp = fields.Char(
        string="KPP",
        help="Russian tax registration reason code (KPP) of the organisation: 9 "
        "characters, e.g. 773601001. Printed on the invoice for payment.",
    )
    agora_ogrn = fields.Char(
        string="OGRN",
        help="Russian primary state registration number: 13 digits (OGRN) for an "
        "organisation, 15 digits (OGRNIP) for an individual entrepreneur.",
    )
    agora_legal_address = fields.Text(
        string="Legal Address",
        help="The registered (legal) address printed on invoices. When empty, the "
        "partner's address is printed.",
    )
    agora_director_name = fields.Char(
        string="Director",
        help="Name of the head of the organisation who signs invoices, e.g. Ivanov I. I.",
    )
    agora_accountant_name = fields.Char(
        string="Chief Accountant",
        help="Name of the chief accountant who signs invoices.",
    )

    @api.constrains("vat", "country_id")
    def _check_agora_ru_inn(self):
        """The Tax ID of a Russian partner is an ИНН: 10 or 12 digits, valid check digits."""
        for partner in self:
            if partner.country_id.code != "RU" or not partner.vat:
                continue
            if not is_valid_ru_inn(partner.vat):
                raise ValidationError(
                    self.env._(
                        "The Tax ID (INN) %(inn)s of %(partner)s is not valid: a Russian INN "
                        "has 10 digits for an organisation or 12 digits for an individual, "
                        "with valid check digits.",
                        inn=partner.vat,
                        partner=partner.display_name,
                    )
                )

    @api.constrains("agora_kpp")
    def _check_agora_kpp(self):
        for partner in self:
            if partner.agora_kpp and not is_valid_ru_kpp(partner.agora_kpp):
                raise ValidationError(
                    self.env._(
                        "The KPP %(kpp)s of %(partner)s is not valid: it has 9 characters, "
                        "4 digits, then 2 digits or capital Latin letters, then 3 digits "
                        "(e.g. 773601001).",
                        kpp=partner.agora_kpp,
                        partner=partner.display_name,
                    )
                )

    @api.constrains("agora_ogrn")
    def _check_agora_ogrn(self):
        for partner in self:
            if partner.agora_ogrn and not is_valid_ru_ogrn(partner.agora_ogrn):
                raise ValidationError(
                    self.env._(
                        "The OGRN %(ogrn)s of %(partner)s is not valid: it has 13 digits "
                        "(15 for an individual entrepreneur's OGRNIP) and a valid check digit.",
                        ogrn=partner.agora_ogrn,
                        partner=partner.display_name,
                    )
                )

    def _agora_legal_address_display(self):
        """The address to print on Russian documents, on one line."""
        self.ensure_one()
        address = self.agora_legal_address or self._display_address(without_company=True)
        parts = (part.strip(" ,") for part in (address or "").splitlines())
        return ", ".join(part for part in parts if part)

import re

import pytz
from lxml import etree

from odoo import api, fields, models
from odoo.tools import float_repr

from ..tools.commerceml import is_rub

SCHEMA_VERSION = "2.08"
# The Agora statuses as 1C's users read them: 1C is Russian whatever the
# language of the exchange user.
STATE_NAMES_RU = {
    "new": "Новый",
    "approval": "На согласовании",
    "processing": "Обработка",
    "reserve": "Резерв",
    "paid": "Оплачен",
    "shipped": "Отгружен",
    "return": "Возврат",
    "closed": "Закрыт",
}
# Units of measure as 1C names them: the ОКЕИ code, the short and the full
# name and the international abbreviation.
OKEI_UNITS = {
    "uom.product_uom_unit": ("796", "шт", "Штука", "PCE"),
    "uom.product_uom_dozen": ("730", "дюжина", "Дюжина", "DZN"),
    "uom.product_uom_kgm": ("166", "кг", "Килограмм", "KGM"),
    "uom.product_uom_gram": ("163", "г", "Грамм", "GRM"),
    "uom.product_uom_ton": ("168", "т", "Тонна", "TNE"),
    "uom.product_uom_litre": ("112", "л", "Литр", "LTR"),
    "uom.product_uom_milliliter": ("111", "мл", "Миллилитр", "MLT"),
    "uom.product_uom_meter": ("006", "м", "Метр", "MTR"),
    "uom.product_uom_cm": ("004", "см", "Сантиметр", "CMT"),
    "uom.product_uom_millimeter": ("003", "мм", "Миллиметр", "MMT"),
    "uom.product_uom_km": ("008", "км", "Километр", "KMT"),
    "uom.product_uom_square_meter": ("055", "м2", "Квадратный метр", "MTK"),
    "uom.product_uom_cubic_meter": ("113", "м3", "Кубический метр", "MTQ"),
    "uom.product_uom_hour": ("356", "ч", "Час", "HUR"),
    "uom.product_uom_day": ("359", "дн", "Сутки", "DAY"),
}
ENCODINGS = {
    "cp1251": ("windows-1251", b""),
    "utf-8-sig": ("UTF-8", b"\xef\xbb\xbf"),
}


# Characters XML 1.0 cannot hold (lxml refuses them): a control character
# pasted into a client's address must not stop every order going to 1C.
XML_FORBIDDEN_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(value):
    """``value`` as text XML can hold."""
    return XML_FORBIDDEN_RE.sub("", str(value))


class Agora1cOrderExport(models.AbstractModel):
    """The orders sent to 1C (``type=sale&mode=query``), as 1C-Bitrix sends
    them: one CommerceML 2.08 document, with one ``Документ`` per order."""

    _name = "agora.1c.order.export"
    _description = "1C Order Export"

    @api.model
    def _agora_1c_export_document(self, orders):
        """The bytes of one ``КоммерческаяИнформация`` with ``orders``, in the
        encoding of the setting ``encoding`` (windows-1251 by default, where
        characters it lacks become character references; or UTF-8 with BOM)."""
        tz = self._agora_1c_tz()
        now = fields.Datetime.now()
        root = etree.Element("КоммерческаяИнформация")
        root.set("ВерсияСхемы", SCHEMA_VERSION)
        root.set("ДатаФормирования", self._agora_1c_local(now, tz).strftime("%Y-%m-%dT%H:%M:%S"))
        units = self._agora_1c_units()
        for order in orders:
            self._agora_1c_order_element(root, order, tz, units)
        return self._agora_1c_serialize(root)

    @api.model
    def _agora_1c_serialize(self, root):
        setting = self.env["agora.1c.session"]._agora_1c_param("encoding", "cp1251")
        encoding, bom = ENCODINGS.get((setting or "").strip().lower(), ENCODINGS["cp1251"])
        body = etree.tostring(root, encoding=encoding, xml_declaration=False, pretty_print=True)
        declaration = f'<?xml version="1.0" encoding="{encoding}"?>\n'.encode("ascii")
        return bom + declaration + body

    # --- Helpers -------------------------------------------------------------

    @api.model
    def _agora_1c_tz(self):
        name = self.env.user.tz or self.env.company.partner_id.tz or "Europe/Moscow"
        try:
            return pytz.timezone(name)
        except pytz.UnknownTimeZoneError:
            return pytz.timezone("Europe/Moscow")

    @api.model
    def _agora_1c_local(self, value, tz):
        return pytz.utc.localize(value).astimezone(tz).replace(tzinfo=None)

    @api.model
    def _agora_1c_units(self):
        """{uom id: (code, short name, full name, abbreviation)} of the known units."""
        units = {}
        for xmlid, values in OKEI_UNITS.items():
            uom = self.env.ref(xmlid, raise_if_not_found=False)
            if uom:
                units[uom.id] = values
        return units

    @api.model
    def _agora_1c_add(self, parent, tag, value=None, **attributes):
        element = etree.SubElement(parent, tag)
        for key, attr_value in attributes.items():
            element.set(key, xml_text(attr_value))
        if value is not None and value is not False:
            element.text = xml_text(value)
        return element

    @api.model
    def _agora_1c_amount(self, value, digits=2):
        return float_repr(value or 0.0, digits)

    @api.model
    def _agora_1c_bool(self, value):
        return "true" if value else "false"

    @api.model
    def _agora_1c_requisites(self, parent, values):
        container = self._agora_1c_add(parent, "ЗначенияРеквизитов")
        for name, value in values:
            item = self._agora_1c_add(container, "ЗначениеРеквизита")
            self._agora_1c_add(item, "Наименование", name)
            self._agora_1c_add(item, "Значение", value if value is not None else "")
        return container

    @api.model
    def _agora_1c_product_id(self, product):
        """The Ид of a product for 1C: its 1C id (``product#characteristic``
        included), else a stable id of the Odoo product."""
        return product.agora_1c_id or f"odoo-product-{product.id}"

    # --- The document ----------------------------------------------------------

    @api.model
    def _agora_1c_order_element(self, root, order, tz, units):
        add = self._agora_1c_add
        amount = self._agora_1c_amount
        document = add(root, "Документ")
        date_order = self._agora_1c_local(order.date_order, tz)
        add(document, "Ид", order.name)
        add(document, "Номер", order.name)
        add(document, "Дата", date_order.strftime("%Y-%m-%d"))
        add(document, "ХозОперация", "Заказ товара")
        add(document, "Роль", "Продавец")
        currency = order.currency_id
        add(document, "Валюта", "руб" if is_rub(currency.name) else currency.name)
        add(document, "Курс", "1")
        add(document, "Сумма", amount(order.amount_total))
        self._agora_1c_partner_element(document, order)
        add(document, "Время", date_order.strftime("%H:%M:%S"))
        comment = order.agora_client_comment or order.client_order_ref
        add(document, "Комментарий", comment or "")
        self._agora_1c_taxes_element(document, order.amount_tax, order.order_line)
        goods = add(document, "Товары")
        for line in order.order_line.filtered(lambda l: not l.display_type and l.product_id):
            self._agora_1c_line_element(goods, line, units)
        self._agora_1c_requisites(document, self._agora_1c_order_requisites(order, tz))
        return document

    @api.model
    def _agora_1c_partner_element(self, document, order):
        add = self._agora_1c_add
        client = order.partner_id.commercial_partner_id
        partners = add(document, "Контрагенты")
        element = add(partners, "Контрагент")
        add(element, "Ид", client._agora_1c_counterparty_id())
        add(element, "Наименование", client.name or "")
        add(element, "Роль", "Покупатель")
        add(element, "ПолноеНаименование", client.name or "")
        if client.is_company:
            add(element, "ОфициальноеНаименование", client.name or "")
        if client.vat:
            add(element, "ИНН", client.vat)
        if client.agora_kpp:
            add(element, "КПП", client.agora_kpp)
        address = client.agora_legal_address or client.contact_address
        address = " ".join((address or "").split())
        if address:
            tag = "ЮридическийАдрес" if client.is_company else "АдресРегистрации"
            add(add(element, tag), "Представление", address)
        contacts = [
            ("Электронная почта", order.partner_id.email or client.email),
            ("Телефон рабочий", order.partner_id.phone or client.phone),
        ]
        contacts = [(kind, value) for kind, value in contacts if value]
        if contacts:
            container = add(element, "Контакты")
            for kind, value in contacts:
                contact = add(container, "Контакт")
                add(contact, "Тип", kind)
                add(contact, "Значение", value)
        if order.partner_id != client:
            representative = add(add(element, "Представители"), "Представитель")
            person = add(representative, "Контрагент")
            add(person, "Отношение", "Контактное лицо")
            add(person, "Ид", order.partner_id._agora_1c_counterparty_id())
            add(person, "Наименование", order.partner_id.name or "")
        return element

    @api.model
    def _agora_1c_taxes_element(self, parent, tax_amount, lines):
        """``Налоги``: the VAT, included in the amounts sent (as 1C-Bitrix sends it)."""
        taxes = lines.tax_ids
        if not taxes:
            return None
        container = self._agora_1c_add(parent, "Налоги")
        tax = self._agora_1c_add(container, "Налог")
        self._agora_1c_add(tax, "Наименование", "НДС")
        self._agora_1c_add(tax, "УчтеноВСумме", "true")
        self._agora_1c_add(tax, "Сумма", self._agora_1c_amount(tax_amount))
        return container

    @api.model
    def _agora_1c_line_element(self, goods, line, units):
        add = self._agora_1c_add
        amount = self._agora_1c_amount
        product = line.product_id
        element = add(goods, "Товар")
        add(element, "Ид", self._agora_1c_product_id(product))
        if product.default_code:
            add(element, "Артикул", product.default_code)
        add(element, "Наименование", product.name or line.name or "")
        code, short, full, international = units.get(
            line.product_uom_id.id, ("796", "шт", "Штука", "PCE")
        )
        if line.product_uom_id.id not in units and line.product_uom_id:
            short = full = line.product_uom_id.name
        add(
            element,
            "БазоваяЕдиница",
            short,
            Код=code,
            НаименованиеПолное=full,
            МеждународноеСокращение=international,
        )
        rates = add(element, "СтавкиНалогов")
        vat = line.tax_ids.filtered(lambda t: t.amount_type == "percent")[:1]
        rate = add(rates, "СтавкаНалога")
        add(rate, "Наименование", "НДС")
        add(rate, "Ставка", f"{vat.amount:g}" if vat else "Без НДС")
        # A delivery line (``delivery``'s ``is_delivery``, when installed) is a service.
        is_delivery = "is_delivery" in line._fields and line.is_delivery
        kind = "Услуга" if product.type == "service" or is_delivery else "Товар"
        self._agora_1c_requisites(element, [("ВидНоменклатуры", kind), ("ТипНоменклатуры", kind)])
        quantity = line.product_uom_qty or 0.0
        price = line.price_total / quantity if quantity else line.price_unit
        add(element, "ЦенаЗаЕдиницу", amount(price))
        add(element, "Количество", float_repr(quantity, 3).rstrip("0").rstrip("."))
        add(element, "Сумма", amount(line.price_total))
        if line.tax_ids:
            taxes = add(element, "Налоги")
            tax = add(taxes, "Налог")
            add(tax, "Наименование", "НДС")
            add(tax, "УчтеноВСумме", "true")
            add(tax, "Сумма", amount(line.price_tax))
            if vat:
                add(tax, "Ставка", f"{vat.amount:g}")
        return element

    @api.model
    def _agora_1c_order_requisites(self, order, tz):
        state_date = max(
            order.agora_event_ids.filtered(lambda e: e.event_type == "state").mapped("date")
            or [order.write_date or order.date_order]
        )
        payment_method = order.payment_term_id.name or "Безналичный расчет"
        return [
            ("Метод оплаты", payment_method),
            ("Заказ оплачен", self._agora_1c_bool(order.agora_payment_status == "paid")),
            ("Доставка разрешена", self._agora_1c_bool(order.state == "sale")),
            ("Отменен", self._agora_1c_bool(order.state == "cancel")),
            ("Финальный статус", self._agora_1c_bool(order.agora_state == "closed")),
            (
                "Статус заказа",
                f"[{order.agora_state}] {STATE_NAMES_RU.get(order.agora_state, '')}",
            ),
            ("Статуса заказа ИД", order.agora_state or ""),
            (
                "Дата изменения статуса",
                self._agora_1c_local(state_date, tz).strftime("%Y-%m-%d %H:%M:%S"),
            ),
            ("Номер по 1С", order.agora_1c_number or ""),
        ]

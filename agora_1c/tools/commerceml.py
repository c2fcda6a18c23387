"""CommerceML 2 reading helpers shared by the catalog and the order exchange.

1C and the engines that imitate it write CommerceML loosely: with or without a
namespace (none up to 2.05, ``urn:1C.ru:commerceml_2`` in 2.07,
``urn:1C.ru:commerceml_210`` from 2.08), with padded codes, decimal commas,
non-breaking spaces, odd dates and several spellings of one tag. Everything
here reads leniently and returns ``None`` for what it cannot read: the caller
counts it as a problem and goes on.
"""

import datetime
import re
from decimal import Decimal, InvalidOperation

from lxml import etree

SUPPORTED_VERSIONS = ("2.03", "2.04", "2.05", "2.06", "2.07", "2.08", "2.09", "2.10")
# Characters 1C puts in numbers and names that mean nothing: non-breaking and
# thin spaces, and ordinary ones.
_SPACES_RE = re.compile(r"[\s\u00a0\u2007\u202f]+")
_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d.%m.%y", "%Y%m%d")
_TIME_RE = re.compile(r"^(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?")
TRUE_WORDS = {"true", "1", "да", "yes", "истина"}
FALSE_WORDS = {"false", "0", "нет", "no", "ложь"}
RUB_CODES = {"руб", "руб.", "rub", "rur", "643", "₽", "рубль", "российский рубль"}


def localname(element):
    """The tag without its namespace, whatever the schema version."""
    tag = element.tag
    if not isinstance(tag, str):  # comments, processing instructions
        return ""
    return tag.rsplit("}", 1)[-1]


def children(element, name):
    """The direct children called ``name``, in any namespace."""
    return [child for child in element if localname(child) == name]


def child(element, *names):
    """The first direct child called one of ``names`` (``Штрихкод``, ``ШтрихКод``)."""
    if element is None:
        return None
    for candidate in element:
        if localname(candidate) in names:
            return candidate
    return None


def path(element, *steps):
    """Walk down by local names: ``path(offer, "Цены", "Цена")``; ``None`` when absent."""
    for step in steps:
        element = child(element, step)
        if element is None:
            return None
    return element


def text(element, *names):
    """The stripped text of a child (or of ``element`` itself without names); ``""`` if absent."""
    if names:
        element = child(element, *names)
    if element is None or element.text is None:
        return ""
    return _SPACES_RE.sub(" ", element.text).strip()


def clean_code(value):
    """A code or an id as 1C pads it: ``'796 '`` → ``'796'``."""
    return _SPACES_RE.sub("", value or "")


def number(value):
    """A number written by 1C: ``'1 234,50'`` → ``1234.5``; ``None`` if unreadable."""
    if value is None:
        return None
    value = _SPACES_RE.sub("", str(value)).replace(",", ".")
    if not value:
        return None
    try:
        result = Decimal(value)
    except InvalidOperation:
        return None
    if not result.is_finite():
        return None
    return float(result)


def boolean(value):
    """``true``/``false`` and their Russian spellings; ``None`` if neither."""
    value = (value or "").strip().lower()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    return None


def date(value):
    """A date as ``2014-06-01``, ``01.06.2014`` or ``2014-06-01T0:36:33``; ``None`` if
    unreadable."""
    value = (value or "").strip()
    if not value:
        return None
    value = value.split("T", 1)[0].split(" ", 1)[0]
    for fmt in _DATE_FORMATS:
        try:
            return datetime.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    return None


def datetime_value(date_text, time_text=""):
    """A date and a time (``Дата``/``Время``, or ``2014-06-01T0:36:33``) as a naive datetime."""
    day = date(date_text)
    if day is None:
        return None
    time_text = (time_text or "").strip()
    if not time_text and "T" in (date_text or ""):
        time_text = date_text.split("T", 1)[1]
    match = _TIME_RE.match(time_text)
    hour = minute = second = 0
    if match:
        hour, minute = int(match.group(1)), int(match.group(2))
        second = int(match.group(3) or 0)
    try:
        return datetime.datetime.combine(day, datetime.time(hour, minute, second))
    except ValueError:
        return datetime.datetime.combine(day, datetime.time())


def is_rub(currency):
    """Whether a currency as 1C writes it (``руб``, ``руб.``, ``RUB``, ``643``) is the rouble."""
    return (currency or "").strip().lower() in RUB_CODES


def split_offer_id(offer_id):
    """``'product#characteristic'`` → (product, characteristic or ``''``), split on the
    first ``#``."""
    offer_id = clean_code(offer_id)
    product, _sep, characteristic = offer_id.partition("#")
    return product, characteristic


def is_deleted(element):
    """Deletion as 1C and Bitrix mark it: ``Статус="Удален"`` attribute, a ``<Статус>Удален``
    child, or ``<ПометкаУдаления>true``."""
    if (element.get("Статус") or "").strip().lower() == "удален":
        return True
    if text(element, "Статус").lower() == "удален":
        return True
    return boolean(text(element, "ПометкаУдаления")) is True


def only_changes(element):
    """``СодержитТолькоИзменения`` of a catalog or an offers package: an attribute, or a child
    element in 2.03. A missing flag means a partial export (nothing is archived)."""
    value = element.get("СодержитТолькоИзменения")
    if value is None:
        value = text(element, "СодержитТолькоИзменения") or None
    flag = boolean(value)
    return True if flag is None else flag


def requisites(element):
    """``ЗначенияРеквизитов/ЗначениеРеквизита`` as a dict name → value (names stripped)."""
    values = {}
    container = child(element, "ЗначенияРеквизитов")
    if container is None:
        return values
    for item in children(container, "ЗначениеРеквизита"):
        name = text(item, "Наименование")
        if name:
            values[name] = text(item, "Значение")
    return values


def iter_elements(source, names, depth=None):
    """Stream the elements called one of ``names`` from a file, in document order.

    The element is cleared once the caller has moved on, and its earlier
    siblings dropped, so memory stays bounded whatever the file's size. The
    caller must read what it needs before asking for the next element.
    Raises ``etree.XMLSyntaxError`` on a malformed file.
    """
    names = set(names)
    context = etree.iterparse(
        source, events=("end",), huge_tree=True, remove_comments=True, resolve_entities=False
    )
    for _event, element in context:
        if localname(element) not in names:
            continue
        yield element
        element.clear(keep_tail=False)
        parent = element.getparent()
        if parent is not None:
            while element.getprevious() is not None:
                del parent[0]


def root_info(source):
    """The root's local name, its ``ВерсияСхемы`` and whether it declares a namespace,
    read from the start of the file without parsing it all."""
    for _event, element in etree.iterparse(
        source, events=("start",), huge_tree=True, resolve_entities=False
    ):
        return {
            "root": localname(element),
            "version": (element.get("ВерсияСхемы") or "").strip(),
            "namespace": element.tag.startswith("{"),
        }
    return {"root": "", "version": "", "namespace": False}

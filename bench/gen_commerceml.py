#!/usr/bin/env python3
"""Write a large, reproducible 1C catalog: ``import.xml`` and ``offers.xml``.

    python3 bench/gen_commerceml.py --out DIR [--seed 42] [--scale 1.0]

CommerceML 2.08 (``urn:1C.ru:commerceml_210``), UTF-8 with a BOM as 1C writes
it, a full export (``СодержитТолькоИзменения="false"``). At scale 1.0:

* ``import.xml``: a tree of 200 groups (20 roots of 9 groups each) and 50,000
  ``Товар`` with a GUID ``Ид``, ``Артикул``, an EAN-13 ``Штрихкод``,
  ``БазоваяЕдиница Код="796"`` (pieces), the ``Ид`` of their group and
  ``СтавкиНалогов`` НДС 20;
* ``offers.xml``: 2 price types (``ТипыЦен``), 3 warehouses (``Склады``) and
  one ``Предложение`` per product with 2 prices, the total ``Количество`` and
  3 ``<Склад ИдСклада=… КоличествоНаСкладе=…/>`` (about 1 in 7 of them 0).

``--scale`` multiplies the products and the groups (0.02: 1,000 products in
12 groups). The same seed and scale give the same bytes: the GUIDs, names,
prices and quantities come from ``random.Random(seed)``, the document date is
fixed. The files are written as a stream, one product at a time: the memory
used does not grow with the catalog. The price types and the warehouses depend
on the seed only, so that a bench maps them before it has the files.
"""

import argparse
import hashlib
import json
import random
import time
import uuid
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

NAMESPACE = "urn:1C.ru:commerceml_210"
SCHEMA_VERSION = "2.08"
# Fixed, so that the same seed gives the same bytes.
DOCUMENT_DATE = "2026-01-15T09:00:00"
FORMAT_VERSION = 1  # bump when the files' shape changes

PRICE_TYPES = ("Оптовая", "Розничная")
WAREHOUSES = ("Основной склад", "Склад Север", "Склад Юг")
# Share of a warehouse line with nothing in stock.
EMPTY_STOCK = 1 / 7

NOUNS = (
    "Болт",
    "Гайка",
    "Шайба",
    "Винт",
    "Саморез",
    "Дюбель",
    "Анкер",
    "Хомут",
    "Кабель",
    "Розетка",
    "Выключатель",
    "Лампа",
    "Труба",
    "Фитинг",
    "Кран",
    "Смеситель",
    "Краска",
    "Грунтовка",
    "Клей",
    "Герметик",
    "Перчатки",
    "Лента",
    "Щётка",
    "Валик",
)
ADJECTIVES = (
    "оцинкованный",
    "нержавеющий",
    "усиленный",
    "универсальный",
    "белый",
    "чёрный",
    "серый",
    "строительный",
    "монтажный",
    "профессиональный",
)
GROUP_ROOTS = (
    "Крепёж",
    "Электрика",
    "Сантехника",
    "Лакокрасочные материалы",
    "Инструмент",
    "Спецодежда",
    "Отделка",
    "Хозтовары",
    "Освещение",
    "Вентиляция",
)


def sizes(scale):
    """The counts at ``scale``: products, groups (roots and groups per root)."""
    products = max(50, round(50000 * scale))
    groups = max(12, round(200 * scale))
    roots = max(2, groups // 10)
    return {"products": products, "roots": roots, "children": groups // roots - 1}


def guid(rng):
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def ean13(twelve_digits):
    digits = f"{twelve_digits:012d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits))
    return digits + str((10 - total % 10) % 10)


def catalog_meta(seed):
    """The parts of the catalog that depend on the seed only: the ids of the
    classifier, the catalog, the price types and the warehouses."""
    rng = random.Random(f"agora-1c-meta-{seed}")
    return {
        "classifier_id": guid(rng),
        "catalog_id": guid(rng),
        "price_types": [{"id": guid(rng), "name": name} for name in PRICE_TYPES],
        "warehouses": [{"id": guid(rng), "name": name} for name in WAREHOUSES],
    }


class _Writer:
    """A text file written line by line with tab indentation."""

    def __init__(self, path):
        self.handle = open(path, "w", encoding="utf-8", newline="\n", buffering=1024 * 1024)

    def __call__(self, depth, text):
        self.handle.write("\t" * depth + text + "\n")

    def element(self, depth, tag, value):
        self(depth, f"<{tag}>{escape(str(value))}</{tag}>")

    def close(self):
        self.handle.close()


def _head(out):
    out.handle.write("\ufeff")  # 1C writes UTF-8 with a BOM
    out(0, '<?xml version="1.0" encoding="UTF-8"?>')
    out(
        0,
        f'<КоммерческаяИнформация xmlns="{NAMESPACE}" '
        'xmlns:xs="http://www.w3.org/2001/XMLSchema" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        f'ВерсияСхемы="{SCHEMA_VERSION}" ДатаФормирования="{DOCUMENT_DATE}">',
    )


def _groups(rng, n):
    """[(root id, root name, [(group id, group name)])]."""
    tree = []
    for r in range(n["roots"]):
        root_name = GROUP_ROOTS[r % len(GROUP_ROOTS)]
        if r >= len(GROUP_ROOTS):
            root_name += f" {r // len(GROUP_ROOTS) + 1}"
        children = [(guid(rng), f"{root_name}: группа {c + 1}") for c in range(n["children"])]
        tree.append((guid(rng), root_name, children))
    return tree


def write_import(path, seed, n, meta, rng):
    """import.xml; returns the products' ids, in order (for the offers)."""
    out = _Writer(path)
    _head(out)
    out(1, "<Классификатор>")
    out.element(2, "Ид", meta["classifier_id"])
    out.element(2, "Наименование", "Классификатор (Основной каталог товаров)")
    out(2, "<Группы>")
    tree = _groups(rng, n)
    leaves = []
    for root_id, root_name, children in tree:
        out(3, "<Группа>")
        out.element(4, "Ид", root_id)
        out.element(4, "Наименование", root_name)
        out(4, "<Группы>")
        for child_id, child_name in children:
            out(5, "<Группа>")
            out.element(6, "Ид", child_id)
            out.element(6, "Наименование", child_name)
            out(5, "</Группа>")
            leaves.append(child_id)
        out(4, "</Группы>")
        out(3, "</Группа>")
    out(2, "</Группы>")
    out(1, "</Классификатор>")
    out(1, '<Каталог СодержитТолькоИзменения="false">')
    out.element(2, "Ид", meta["catalog_id"])
    out.element(2, "ИдКлассификатора", meta["classifier_id"])
    out.element(2, "Наименование", "Основной каталог товаров")
    out(2, "<Товары>")
    ids = []
    for i in range(n["products"]):
        product_id = guid(rng)
        ids.append(product_id)
        name = f"{rng.choice(NOUNS)} {rng.choice(ADJECTIVES)} {i + 1:05d}"
        out(3, "<Товар>")
        out.element(4, "Ид", product_id)
        out.element(4, "Штрихкод", ean13(4600000000000 // 10 + (seed % 100) * 10**8 + i))
        out.element(4, "Артикул", f"1C-{i + 1:06d}")
        out.element(4, "Наименование", name)
        out(
            4,
            '<БазоваяЕдиница Код="796" НаименованиеПолное="Штука" '
            'МеждународноеСокращение="PCE">шт</БазоваяЕдиница>',
        )
        out(4, "<Группы>")
        out.element(5, "Ид", leaves[rng.randrange(len(leaves))])
        out(4, "</Группы>")
        out.element(4, "Описание", f"{name}: описание из 1С.")
        out(4, "<СтавкиНалогов>")
        out(5, "<СтавкаНалога>")
        out.element(6, "Наименование", "НДС")
        out.element(6, "Ставка", "20")
        out(5, "</СтавкаНалога>")
        out(4, "</СтавкиНалогов>")
        out(4, "<ЗначенияРеквизитов>")
        for requisite, value in (
            ("ВидНоменклатуры", "Товар"),
            ("ТипНоменклатуры", "Товар"),
            ("Полное наименование", name),
        ):
            out(5, "<ЗначениеРеквизита>")
            out.element(6, "Наименование", requisite)
            out.element(6, "Значение", value)
            out(5, "</ЗначениеРеквизита>")
        out(4, "</ЗначенияРеквизитов>")
        out(3, "</Товар>")
    out(2, "</Товары>")
    out(1, "</Каталог>")
    out(0, "</КоммерческаяИнформация>")
    out.close()
    return ids


def write_offers(path, ids, meta, rng):
    """offers.xml; returns what it holds in total (to check an import against)."""
    out = _Writer(path)
    _head(out)
    out(1, '<ПакетПредложений СодержитТолькоИзменения="false">')
    out.element(2, "Ид", meta["catalog_id"] + "#")
    out.element(2, "Наименование", "Пакет предложений (Основной каталог товаров)")
    out.element(2, "ИдКаталога", meta["catalog_id"])
    out.element(2, "ИдКлассификатора", meta["classifier_id"])
    out(2, "<ТипыЦен>")
    for price_type in meta["price_types"]:
        out(3, "<ТипЦены>")
        out.element(4, "Ид", price_type["id"])
        out.element(4, "Наименование", price_type["name"])
        out.element(4, "Валюта", "руб")
        out(4, "<Налог>")
        out.element(5, "Наименование", "НДС")
        out.element(5, "УчтеноВСумме", "true")
        out(4, "</Налог>")
        out(3, "</ТипЦены>")
    out(2, "</ТипыЦен>")
    out(2, "<Склады>")
    for warehouse in meta["warehouses"]:
        out(3, "<Склад>")
        out.element(4, "Ид", warehouse["id"])
        out.element(4, "Наименование", warehouse["name"])
        out(3, "</Склад>")
    out(2, "</Склады>")
    out(2, "<Предложения>")
    stock = {w["id"]: 0 for w in meta["warehouses"]}
    price_totals = {p["id"]: 0 for p in meta["price_types"]}
    for i, product_id in enumerate(ids):
        wholesale = rng.randint(1000, 1000000)  # kopecks
        prices = (wholesale, round(wholesale * 1.25))
        quantities = [
            0 if rng.random() < EMPTY_STOCK else rng.randint(1, 500) for _w in meta["warehouses"]
        ]
        out(3, "<Предложение>")
        out.element(4, "Ид", product_id)
        out.element(4, "Наименование", f"Предложение {i + 1:05d}")
        out(
            4,
            '<БазоваяЕдиница Код="796" НаименованиеПолное="Штука" '
            'МеждународноеСокращение="PCE">шт</БазоваяЕдиница>',
        )
        out(4, "<Цены>")
        for price_type, kopecks in zip(meta["price_types"], prices, strict=True):
            price = f"{kopecks // 100}.{kopecks % 100:02d}"
            price_totals[price_type["id"]] += kopecks
            out(5, "<Цена>")
            out.element(6, "Представление", f"{price} руб. за шт")
            out.element(6, "ИдТипаЦены", price_type["id"])
            out.element(6, "ЦенаЗаЕдиницу", price)
            out.element(6, "Валюта", "руб")
            out.element(6, "Единица", "шт")
            out.element(6, "Коэффициент", "1")
            out(5, "</Цена>")
        out(4, "</Цены>")
        out.element(4, "Количество", sum(quantities))
        for warehouse, quantity in zip(meta["warehouses"], quantities, strict=True):
            stock[warehouse["id"]] += quantity
            out(
                4,
                f'<Склад ИдСклада={quoteattr(warehouse["id"])} КоличествоНаСкладе="{quantity}"/>',
            )
        out(3, "</Предложение>")
    out(2, "</Предложения>")
    out(1, "</ПакетПредложений>")
    out(0, "</КоммерческаяИнформация>")
    out.close()
    return {
        "stock_by_warehouse": stock,
        "price_total_by_type": {k: v / 100 for k, v in price_totals.items()},
    }


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def generate(out_dir, seed=42, scale=1.0, force=False):
    """Write import.xml, offers.xml and meta.json into ``out_dir`` unless they are
    there already for this seed, scale and format; return the meta data."""
    out_dir = Path(out_dir)
    meta_path = out_dir / "meta.json"
    wanted = {"seed": seed, "scale": scale, "format": FORMAT_VERSION}
    if not force and meta_path.is_file():
        meta = json.loads(meta_path.read_text())
        files_ok = all(
            (out_dir / name).is_file() and sha256(out_dir / name) == digest
            for name, digest in meta.get("sha256", {}).items()
        )
        if files_ok and all(meta.get(k) == v for k, v in wanted.items()):
            return meta
    out_dir.mkdir(parents=True, exist_ok=True)
    meta_path.unlink(missing_ok=True)
    t0 = time.perf_counter()
    n = sizes(scale)
    meta = {**wanted, **catalog_meta(seed), "sizes": n}
    rng = random.Random(seed)
    ids = write_import(out_dir / "import.xml", seed, n, meta, rng)
    meta["totals"] = write_offers(out_dir / "offers.xml", ids, meta, rng)
    meta["groups"] = n["roots"] * (n["children"] + 1)
    meta["sha256"] = {name: sha256(out_dir / name) for name in ("import.xml", "offers.xml")}
    meta["bytes"] = {
        name: (out_dir / name).stat().st_size for name in ("import.xml", "offers.xml")
    }
    meta["generated_s"] = round(time.perf_counter() - t0, 1)
    meta_path.write_text(json.dumps(meta, indent=2, ensure_ascii=False))
    return meta


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="the folder to write the files into")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--force", action="store_true", help="write even if they are there")
    args = parser.parse_args()
    meta = generate(args.out, args.seed, args.scale, force=args.force)
    print(
        f"{meta['sizes']['products']:,} products in {meta['groups']} groups: "
        + ", ".join(f"{name} {size / 1024**2:.1f} MB" for name, size in meta["bytes"].items())
        + f" in {args.out} ({meta['generated_s']} s)"
    )


if __name__ == "__main__":
    main()

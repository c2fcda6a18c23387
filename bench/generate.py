#!/usr/bin/env python3
"""Fill a dedicated database with a large, reproducible Agora dataset.

    python3 bench/generate.py --db agora_bench --seed 42 [--scale 1.0] [--force]

At scale 1.0: 20,000 products in ~200 categories (SKU, EAN-13 barcode, stock on
hand), 300 client companies each with a portal login, a price list of ~500 rules
and an active agreement covering ~half of the catalog, and 50,000 orders over
every Agora status. ``--scale`` multiplies every count (0.02 for a quick run).

Everything is created with batch ``create([...])`` calls, except the historical
orders (see HISTORICAL below), which are bulk-inserted in SQL with their final
status: creating 40,000 orders through the sale flow would take hours. The
orders the benchmarks act on come from the real flow: the orders in Reserve
(confirmed, stock reserved on their pickings, invoice posted), 10,000 of them
already past their deadline for the expiry-cron benchmark, and the orders in
Processing staff reserve during the load test. A tenth of the orders in
Reserve are submitted and reserved by the module's own actions
(``action_agora_submit``, ``action_agora_reserve``); each of those is then
copied nine times in SQL with its picking, moves, reserved stock, posted
invoice and history (``clone_orders``): a client re-ordering the same basket.

The database is created with agora_orders, agora_portal and website_sale
(website_sale only for the side-by-side ``/shop`` comparison). The parameters
and a hash of the add-ons' code are stored in ``ir.config_parameter``
(``agora_bench.*``) so that ``run.py`` can reuse a database that matches.
"""

import argparse
import hashlib
import json
import random
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))

import clone_orders
import odoo_cmd
import odoo_env

ROOT = odoo_env.ROOT
MODULES = "agora_orders,agora_portal,website_sale"
PASSWORD = "bench"  # every bench login (portal clients, staff, admin)
FORMAT_VERSION = 6  # bump when the dataset's shape changes
# Each order reserved through the real flow is copied this many times in SQL.
RESERVE_COPIES = 9

# Share of the historical (SQL-loaded) orders per final status.
HISTORICAL = [
    # (agora_state, close_reason, share)
    ("new", None, 0.02),
    ("processing", None, 0.03),
    ("paid", None, 0.05),
    ("shipped", None, 0.08),
    ("return", None, 0.01),
    ("closed", "done", 0.69),
    ("closed", "cancelled", 0.07),
    ("closed", "expired", 0.05),
]


def log(msg):
    print(f"[generate {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def code_hash():
    """Hash of the add-ons' source, to tell whether a bench database is stale."""
    digest = hashlib.sha256()
    for module in ("agora_orders", "agora_portal"):
        for path in sorted((ROOT / module).rglob("*")):
            if path.is_file() and path.suffix in (".py", ".xml", ".csv", ".js", ".scss"):
                digest.update(str(path.relative_to(ROOT)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def sizes(scale):
    def n(base, minimum):
        return max(minimum, round(base * scale))

    return {
        "products": n(20000, 300),
        "categories": n(200, 12),
        "clients": n(300, 12),
        "rules_per_pricelist": min(500, max(20, round(20000 * scale) // 4)),
        "orders": n(50000, 600),
        "due_reservations": n(10000, 100),
        "load_reservations": n(1000, 50),
        "processing_real": n(200, 20),
    }


def ean13(number):
    digits = f"{number:012d}"[:12]
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits))
    return digits + str((10 - total % 10) % 10)


def read_params(dbname):
    """The agora_bench.* parameters of an existing database, or {}."""
    if not odoo_cmd.db_exists(dbname):
        return {}
    out = odoo_cmd.psql(
        "SELECT key, value FROM ir_config_parameter WHERE key LIKE 'agora_bench.%'", db=dbname
    )
    params = {}
    for line in out.splitlines():
        key, _sep, value = line.partition("|")
        params[key.removeprefix("agora_bench.")] = value
    return params


def install(dbname):
    """A fresh database with the modules, cloned from a cached install when the
    add-ons' code has not changed since (an install takes minutes)."""
    base = f"{dbname}_base"
    digest = code_hash()
    if read_params(base).get("base_hash") != digest:
        odoo_cmd.drop_db(base)
        log(f"installing {MODULES} into {base}")
        odoo_env.run_odoo(base, "-i", MODULES)
        odoo_cmd.psql(
            "INSERT INTO ir_config_parameter (key, value) "
            f"VALUES ('agora_bench.base_hash', '{digest}')",
            db=base,
        )
    log(f"cloning {base} into {dbname}")
    odoo_env.clone_db(base, dbname)


class Generator:
    def __init__(self, env, seed, scale):
        self.env = env
        self.cr = env.cr
        self.rng = random.Random(seed)
        self.seed = seed
        self.scale = scale
        self.n = sizes(scale)
        self.timings = {}
        self.company = env.company
        self.now = datetime.now().replace(microsecond=0)

    def step(self, name, func):
        t0 = time.perf_counter()
        log(f"{name} ...")
        func()
        self.env.flush_all()
        self.cr.commit()
        self.env.invalidate_all()
        self.timings[name] = round(time.perf_counter() - t0, 1)
        log(f"{name} done in {self.timings[name]} s")

    def run(self):
        self.step("settings and staff", self.make_settings)
        self.step("categories", self.make_categories)
        self.step("products", self.make_products)
        self.step("stock", self.make_stock)
        self.step("clients", self.make_clients)
        self.step("price lists", self.make_pricelists)
        self.step("agreements", self.make_agreements)
        self.step("historical orders (SQL)", self.make_historical_orders)
        self.step("real orders (reserve, processing)", self.make_real_orders)
        self.step("analyze", self.analyze)
        return self.timings

    # ------------------------------------------------------------------
    def make_settings(self):
        env = self.env
        self.company.write(
            {"agora_reserve_hours": 72, "agora_reminder_hours": 24, "agora_hold_threshold": 0.0}
        )
        self.warehouse = env["stock.warehouse"].search(
            [("company_id", "=", self.company.id)], limit=1
        )
        self.tax = env["account.tax"].search(
            [
                ("type_tax_use", "=", "sale"),
                ("amount", ">", 0),
                ("company_id", "=", self.company.id),
            ],
            limit=1,
        )
        # No outgoing mail leaves the machine: mails stay queued (cron threads are off).
        env["ir.config_parameter"].set_param("mail.catchall.domain", "bench.example")
        env["ir.config_parameter"].set_param("agora_bench.complete", "0")
        group_ids = [
            env.ref("sales_team.group_sale_manager").id,
            env.ref("stock.group_stock_user").id,
            env.ref("account.group_account_invoice").id,
        ]
        self.staff = (
            env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                [
                    {
                        "name": f"Bench Staff {i}",
                        "login": f"bench_staff{i}",
                        "email": f"staff{i}@supplier.example",
                        "group_ids": [(6, 0, group_ids)],
                    }
                    for i in range(1, 4)
                ]
            )
        )
        env.ref("base.user_admin").write({"email": "admin@supplier.example"})
        # Price lists on: /shop then prices with the client's own price list.
        env["res.config.settings"].create({"group_product_pricelist": True}).execute()
        self.website = env["website"].search([], limit=1)
        self.website.write({"shop_ppg": 20})

    def make_categories(self):
        env = self.env
        total = self.n["categories"]
        roots_n = max(2, round(total / 10))
        children_n = total - roots_n
        words = (
            "Tools Paint Fasteners Plumbing Electrical Garden Lumber Safety Adhesives Lighting "
            "Hardware Flooring Heating Roofing Doors Windows Kitchen Bath Storage Cleaning"
        ).split()
        Categ = env["product.category"]
        Public = env["product.public.category"]
        root_vals = [
            {"name": f"{words[i % len(words)]} {i // len(words) + 1}"} for i in range(roots_n)
        ]
        # FIFO costing: with standard costing, stock_account records a cost
        # history row per new product, which triples the creation time.
        roots = Categ.create([{**v, "property_cost_method": "fifo"} for v in root_vals])
        proots = Public.create(root_vals)
        child_vals, pchild_vals = [], []
        for i in range(children_n):
            r = i % roots_n
            name = f"{roots[r].name} / Group {i // roots_n + 1}"
            child_vals.append(
                {"name": name, "parent_id": roots[r].id, "property_cost_method": "fifo"}
            )
            pchild_vals.append({"name": name, "parent_id": proots[r].id})
        children = Categ.create(child_vals)
        pchildren = Public.create(pchild_vals)
        self.roots = roots
        self.leaves = children
        # The public (website) category mirroring each internal one.
        self.public_of = dict(zip((roots | children).ids, (proots | pchildren).ids))

    def make_products(self):
        env = self.env
        rng = self.rng
        leaves = self.leaves.ids
        adjectives = ["Pro", "Basic", "Heavy", "Light", "Compact", "Extra", "Mini", "Max"]
        nouns = ["Hammer", "Drill", "Brush", "Screw", "Valve", "Cable", "Lamp", "Board",
                 "Glue", "Hinge", "Pipe", "Switch", "Nail", "Tile", "Saw", "Bolt"]  # fmt: skip
        Template = env["product.template"].with_context(
            tracking_disable=True, mail_create_nolog=True, mail_notrack=True
        )
        total = self.n["products"]
        batch = 1000
        self.products = env["product.product"]
        tax_ids = self.tax.ids
        for start in range(0, total, batch):
            vals = []
            for i in range(start, min(total, start + batch)):
                categ = leaves[i % len(leaves)] if rng.random() < 0.97 else rng.choice(leaves)
                price = round(rng.lognormvariate(4.0, 1.0), 2) + 1.0
                vals.append(
                    {
                        "name": f"{rng.choice(nouns)} {rng.choice(adjectives)} {i + 1:05d}",
                        "categ_id": categ,
                        "public_categ_ids": [(6, 0, [self.public_of[categ]])],
                        "list_price": price,
                        "type": "consu",
                        "is_storable": True,
                        "invoice_policy": "order",
                        "sale_ok": True,
                        "is_published": True,
                        "taxes_id": [(6, 0, tax_ids)],
                        "weight": round(rng.uniform(0.1, 20), 2),
                    }
                )
            templates = Template.create(vals)
            env.flush_all()
            variant_of = {p.product_tmpl_id.id: p.id for p in templates.product_variant_ids}
            variants = env["product.product"].browse([variant_of[t] for t in templates.ids])
            # SKU and barcode are plain columns of the variant; written by the
            # template they cost two more writes per product.
            self.cr.execute(
                "UPDATE product_product p SET default_code = v.code, barcode = v.barcode "
                "FROM (SELECT unnest(%s::int[]) AS id, unnest(%s::text[]) AS code, "
                "unnest(%s::text[]) AS barcode) v WHERE p.id = v.id",
                [
                    variants.ids,
                    [f"AG-{i:05d}" for i in range(start, start + len(variants))],
                    [ean13(460_000_000_000 + i) for i in range(start, start + len(variants))],
                ],
            )
            # The template stores its single variant's SKU too (/shop searches it).
            self.cr.execute(
                "UPDATE product_template t SET default_code = p.default_code "
                "FROM product_product p WHERE p.product_tmpl_id = t.id AND t.id IN %s",
                [tuple(templates.ids)],
            )
            self.products |= variants
            self.cr.commit()
            env.invalidate_all()
            log(f"  products {min(total, start + batch)}/{total}")
        self.product_ids = self.products.ids

    def make_stock(self):
        """Stock on hand as quants, created in batches (no inventory moves)."""
        env = self.env
        rng = self.rng
        location = self.warehouse.lot_stock_id
        Quant = env["stock.quant"].sudo()
        self.onhand = {}
        vals = []
        for pid in self.product_ids:
            qty = 0 if rng.random() < 0.08 else rng.randint(20, 2000)
            self.onhand[pid] = qty
            if qty:
                vals.append({"product_id": pid, "location_id": location.id, "quantity": qty})
        for start in range(0, len(vals), 5000):
            Quant.create(vals[start : start + 5000])
            env.flush_all()
            env.invalidate_all()

    def make_clients(self):
        env = self.env
        total = self.n["clients"]
        Partner = env["res.partner"].with_context(tracking_disable=True)
        self.clients = Partner.create(
            [
                {
                    "name": f"Client {i:03d} LLC",
                    "is_company": True,
                    "email": f"office@client{i:03d}.example",
                    "user_id": self.staff[i % len(self.staff)].id,
                    "vat": f"77{i:08d}",
                }
                for i in range(1, total + 1)
            ]
        )
        portal = env.ref("base.group_portal").id
        Users = env["res.users"].with_context(no_reset_password=True, tracking_disable=True)
        users = Users.create(
            [
                {
                    "name": f"Buyer {i:03d}",
                    "login": f"client{i:03d}",
                    "email": f"buyer@client{i:03d}.example",
                    "group_ids": [(6, 0, [portal])],
                }
                for i in range(1, total + 1)
            ]
        )
        for user, client in zip(users, self.clients):
            user.partner_id.parent_id = client
        # A second contact per client, without a login, holds the historical orders.
        self.contacts2 = Partner.create(
            [
                {"name": f"Accounting {c.name}", "parent_id": c.id, "type": "contact"}
                for c in self.clients
            ]
        )
        self.users = users
        self._set_passwords(users | self.staff | env.ref("base.user_admin"))

    def _set_passwords(self, users):
        # Hash once: hashing 300 passwords one by one takes minutes.
        users.flush_recordset()
        hashed = users[0]._crypt_context().hash(PASSWORD)
        self.cr.execute(
            "UPDATE res_users SET password=%s WHERE id IN %s", [hashed, tuple(users.ids)]
        )

    def make_pricelists(self):
        env = self.env
        rng = self.rng
        Pricelist = env["product.pricelist"].with_context(tracking_disable=True)
        currency = self.company.currency_id.id
        self.pricelists = Pricelist.create(
            [
                {
                    "name": f"Prices {c.name}",
                    "currency_id": currency,
                    "company_id": self.company.id,
                    # A code makes the list usable on /shop without listing it for everyone.
                    "code": f"AGR{i:04d}",
                    "selectable": False,
                }
                for i, c in enumerate(self.clients, start=1)
            ]
        )
        templates = self.products.product_tmpl_id.ids
        per = self.n["rules_per_pricelist"]
        Item = env["product.pricelist.item"].with_context(tracking_disable=True)
        vals = []
        categ_ids = (self.roots | self.leaves).ids
        for pricelist in self.pricelists:
            n_categ = max(2, per // 20)
            for categ in rng.sample(categ_ids, min(n_categ, len(categ_ids))):
                vals.append(
                    {
                        "pricelist_id": pricelist.id,
                        "applied_on": "2_product_category",
                        "categ_id": categ,
                        "compute_price": "percentage",
                        "percent_price": rng.choice([3, 5, 7, 10, 12, 15]),
                    }
                )
            for tmpl in rng.sample(templates, per - n_categ):
                tier = rng.random() < 0.2
                vals.append(
                    {
                        "pricelist_id": pricelist.id,
                        "applied_on": "1_product",
                        "product_tmpl_id": tmpl,
                        "compute_price": "percentage",
                        "percent_price": rng.choice([5, 8, 10, 15, 20, 25]),
                        "min_quantity": rng.choice([10, 50, 100]) if tier else 0,
                    }
                )
            if len(vals) >= 20000:
                Item.create(vals)
                vals = []
                env.flush_all()
                env.invalidate_all()
        if vals:
            Item.create(vals)

    def make_agreements(self):
        env = self.env
        rng = self.rng
        Agreement = env["agora.agreement"].with_context(tracking_disable=True)
        term = env.ref("account.account_payment_term_30days", raise_if_not_found=False)
        leaves = self.leaves.ids
        start = (self.now - timedelta(days=800)).date()
        vals = []
        for i, (client, pricelist) in enumerate(zip(self.clients, self.pricelists)):
            assortment = rng.sample(leaves, max(1, len(leaves) // 2))
            vals.append(
                {
                    "partner_id": client.id,
                    "pricelist_id": pricelist.id,
                    "category_ids": [(6, 0, assortment)],
                    "product_ids": [(6, 0, rng.sample(self.product_ids, 20))],
                    "payment_term_id": term.id if term and i % 3 == 0 else False,
                    "reserve_hours": rng.choice([0, 48, 72, 96]),
                    "date_start": start,
                }
            )
        self.agreements = Agreement.create(vals)
        self.agreements.action_activate()
        # The client's own price list too, so that /shop shows the same prices.
        for client, pricelist in zip(self.clients, self.pricelists):
            client.property_product_pricelist = pricelist
        # What each client may order, and what of it has stock (for orders and carts).
        Product = env["product.product"]
        self.assortment = {}
        for agreement in self.agreements:
            ids = Product.search(agreement._get_assortment_domain()).ids
            self.assortment[agreement.partner_id.id] = [p for p in ids if self.onhand.get(p)]

    # ------------------------------------------------------------------
    def make_historical_orders(self):
        """Bulk-insert the past orders in SQL, each with its final status.

        Order and line rows carry consistent amounts and statuses; they have no
        pickings, invoices or history events (see the module docstring).
        """
        env = self.env
        cr = self.cr
        rng = self.rng
        real = self.n["due_reservations"] + self.n["load_reservations"] + self.n["processing_real"]
        total = max(0, self.n["orders"] - real)
        self.historical_total = total
        prices = {
            p.id: (p.lst_price, p.uom_id.id, p.display_name)
            for p in env["product.product"].browse(self.product_ids)
        }
        tax_rate = (self.tax.amount or 0.0) / 100.0
        team = env["crm.team"].search([], limit=1).id
        cr.execute("SELECT nextval('sale_order_id_seq')")
        counts = {}
        order_rows = []
        line_rows = []
        return_rows = []
        weights = [h[2] for h in HISTORICAL]
        pick = rng.choices(range(len(HISTORICAL)), weights=weights, k=total)
        cr.execute("SELECT COALESCE(MAX(id), 0) FROM sale_order")
        order_id = cr.fetchone()[0] + 1000
        cr.execute("SELECT COALESCE(MAX(id), 0) FROM sale_order_line")
        line_id = cr.fetchone()[0] + 1000
        clients = list(zip(self.clients, self.contacts2, self.agreements, self.pricelists))
        currency = self.company.currency_id.id
        uid = env.ref("base.user_admin").id
        for k in range(total):
            client, contact, agreement, pricelist = clients[k % len(clients)]
            agora_state, close_reason, _share = HISTORICAL[pick[k]]
            counts[f"{agora_state}/{close_reason or ''}"] = (
                counts.get(f"{agora_state}/{close_reason or ''}", 0) + 1
            )
            age = rng.uniform(1, 720) if agora_state == "closed" else rng.uniform(0.1, 30)
            date_order = self.now - timedelta(days=age)
            state = {"new": "draft", "processing": "draft"}.get(agora_state, "sale")
            if close_reason in ("cancelled", "expired"):
                state = "cancel"
            shipped = agora_state in ("shipped", "return") or close_reason == "done"
            paid = (
                agora_state in ("paid", "return")
                or close_reason == "done"
                or (agora_state == "shipped" and rng.random() < 0.6)
            )
            pool = self.assortment[client.id] or self.product_ids
            n_lines = min(len(pool), rng.choice([1, 2, 3, 3, 4, 5, 6, 8, 10]))
            untaxed = 0.0
            for seq, pid in enumerate(rng.sample(pool, n_lines), start=1):
                price, uom, name = prices[pid]
                price = round(price * rng.choice([0.8, 0.9, 0.95, 1.0]), 2)
                qty = rng.randint(1, 20)
                subtotal = round(price * qty, 2)
                tax = round(subtotal * tax_rate, 2)
                untaxed += subtotal
                done_qty = qty if shipped else 0
                inv_qty = qty if state == "sale" else 0
                line_rows.append(
                    (
                        line_id,
                        order_id,
                        seq * 10,
                        self.company.id,
                        currency,
                        contact.id,
                        client.user_id.id,
                        pid,
                        uom,
                        state,
                        name,
                        qty,
                        price,
                        0.0,
                        subtotal,
                        subtotal + tax,
                        price,
                        round(price * (1 + tax_rate), 2),
                        tax,
                        done_qty,
                        inv_qty,
                        0.0,
                        "invoiced" if inv_qty else "no",
                        "stock_move",
                        0.0,
                        done_qty,
                        0.0,
                        price,
                        date_order,
                        date_order,
                        uid,
                        uid,
                    )
                )
                line_id += 1
            untaxed = round(untaxed, 2)
            tax_total = round(untaxed * tax_rate, 2)
            total_amount = untaxed + tax_total
            submitted = (
                date_order + timedelta(minutes=rng.randint(5, 600))
                if agora_state != "new"
                else None
            )
            payment = "paid" if paid else "not_paid"
            amount_paid = total_amount if paid else 0.0
            order_rows.append(
                (
                    order_id,
                    f"SH{order_id:07d}",
                    self.company.id,
                    contact.id,
                    contact.id,
                    contact.id,
                    pricelist.id,
                    currency,
                    client.user_id.id,
                    team,
                    state,
                    date_order,
                    "direct",
                    untaxed,
                    tax_total,
                    total_amount,
                    1.0,
                    state == "sale" and close_reason == "done",
                    self.warehouse.id,
                    agreement.id,
                    agora_state,
                    payment,
                    "shipped" if shipped else "not_shipped",
                    close_reason,
                    amount_paid,
                    total_amount - amount_paid,
                    paid,
                    submitted,
                    date_order + timedelta(hours=80) if close_reason == "expired" else None,
                    "invoiced" if state == "sale" else "no",
                    "full" if shipped else None,
                    date_order,
                    date_order,
                    uid,
                    uid,
                    None,
                )
            )
            if agora_state == "return":
                return_rows.append((order_id, client.user_id.id, contact.id))
            order_id += 1
        self._insert_orders(order_rows, line_rows, return_rows)
        self.historical_counts = counts

    def _insert_orders(self, order_rows, line_rows, return_rows):
        from psycopg2.extras import execute_values  # noqa: PLC0415

        cr = self.cr
        order_cols = (
            "id, name, company_id, partner_id, partner_invoice_id, partner_shipping_id, "
            "pricelist_id, currency_id, user_id, team_id, state, date_order, picking_policy, "
            "amount_untaxed, amount_tax, amount_total, currency_rate, locked, warehouse_id, "
            "agora_agreement_id, agora_state, agora_payment_status, agora_delivery_status, "
            "agora_close_reason, agora_amount_paid, agora_amount_unpaid, agora_payment_hold, "
            "agora_submitted_date, agora_expired_date, invoice_status, delivery_status, "
            "create_date, write_date, create_uid, write_uid, website_id"
        )
        line_cols = (
            "id, order_id, sequence, company_id, currency_id, order_partner_id, salesman_id, "
            "product_id, product_uom_id, state, name, product_uom_qty, price_unit, discount, "
            "price_subtotal, price_total, price_reduce_taxexcl, price_reduce_taxinc, price_tax, "
            "qty_delivered, qty_invoiced, qty_to_invoice, invoice_status, qty_delivered_method, "
            "customer_lead, agora_qty_shipped, agora_qty_returned, technical_price_unit, "
            "create_date, write_date, create_uid, write_uid"
        )
        raw = cr._obj
        for chunk in range(0, len(order_rows), 5000):
            execute_values(
                raw,
                f"INSERT INTO sale_order ({order_cols}) VALUES %s",
                order_rows[chunk : chunk + 5000],
                page_size=1000,
            )
        for chunk in range(0, len(line_rows), 20000):
            execute_values(
                raw,
                f"INSERT INTO sale_order_line ({line_cols}) VALUES %s",
                line_rows[chunk : chunk + 20000],
                page_size=2000,
            )
        cr.execute("SELECT setval('sale_order_id_seq', (SELECT MAX(id) FROM sale_order))")
        cr.execute(
            "SELECT setval('sale_order_line_id_seq', (SELECT MAX(id) FROM sale_order_line))"
        )
        company = self.company.id
        rows = [
            (f"RH{i:06d}", oid, contact, company, user, "Damaged in transit", "requested")
            for i, (oid, user, contact) in enumerate(return_rows, start=1)
        ]
        if rows:
            execute_values(
                raw,
                "INSERT INTO agora_return_request (name, order_id, partner_id, company_id, "
                "user_id, reason, state, create_date, write_date) VALUES %s",
                [(*r, self.now, self.now) for r in rows],
            )
        log(f"  inserted {len(order_rows)} orders, {len(line_rows)} lines, {len(rows)} returns")

    # ------------------------------------------------------------------
    def _new_orders(self, count, stock_share=20):
        """Create ``count`` orders through the ORM, in batches, for the portal users.

        :param stock_share: each line takes at most 1/stock_share of the
            product's stock on hand, and above 20 only products with at least
            stock_share units on hand are ordered (the copied reservations)
        """
        env = self.env
        rng = self.rng
        Order = env["sale.order"].with_context(
            tracking_disable=True, mail_create_nolog=True, mail_notrack=True
        )
        orders = env["sale.order"]
        batch = 100
        users = self.users
        for start in range(0, count, batch):
            vals = []
            for k in range(start, min(count, start + batch)):
                user = users[(k * 7 + 3) % len(users)]
                pool = self.assortment[user.partner_id.parent_id.id]
                if stock_share > 20:
                    pool = [pid for pid in pool if self.onhand[pid] >= stock_share]
                n_lines = min(len(pool), rng.choice([1, 2, 3, 3, 4, 5]))
                lines = []
                for pid in rng.sample(pool, n_lines):
                    # Keep what all reservations take well under the stock on hand.
                    qty = max(1, min(rng.randint(1, 5), self.onhand[pid] // stock_share))
                    lines.append((0, 0, {"product_id": pid, "product_uom_qty": qty}))
                vals.append({"partner_id": user.partner_id.id, "order_line": lines})
            orders |= Order.create(vals)
        return orders

    def make_real_orders(self):
        """The orders in Reserve: reserved through the real flow, a tenth of them,
        then each of those copied nine times in SQL (``clone_orders``), as a
        client re-ordering the same basket would have it; and the orders in
        Processing, really submitted."""
        from odoo.addons.agora_orders.models.sale_order_history import (  # noqa: PLC0415
            agora_deferring_state_mails,
        )

        env = self.env
        ctx = {"tracking_disable": True, "mail_notrack": True, "mail_create_nolog": True}
        n_due = self.n["due_reservations"]
        n_load = self.n["load_reservations"]
        n_proc = self.n["processing_real"]
        todo = n_due + n_load
        n_templates = todo // (1 + RESERVE_COPIES)
        # The templates' baskets are reserved 1 + RESERVE_COPIES times over.
        stock_share = 20 * (1 + RESERVE_COPIES)
        real = todo - n_templates * RESERVE_COPIES
        reserved = []
        batch = 100
        t0 = time.perf_counter()
        done = 0
        while done < real:
            count = min(batch, real - done)
            orders = self._new_orders(count, stock_share=stock_share).with_context(**ctx)
            # The orders' history and notifications are recorded; their emails
            # (a Reserve email renders its invoice's PDF) are left pending, then
            # dropped below: they went to the clients long before the bench.
            with agora_deferring_state_mails():
                orders.action_agora_submit()
                orders.action_agora_reserve()
                env.flush_all()
                self.cr.flush()
            self._drop_pending_state_mails(orders)
            self.cr.commit()
            reserved += orders.ids
            done += count
            env.invalidate_all()
            if done % 1000 == 0 or done == real:
                rate = (time.perf_counter() - t0) / done
                log(f"  reserved {done}/{real} ({rate * 1000:.0f} ms per order)")
        self.reserve_ms_per_order = round((time.perf_counter() - t0) * 1000 / max(1, real), 1)
        t1 = time.perf_counter()
        reserved += clone_orders.clone_reserved_orders(env, reserved[:n_templates], RESERVE_COPIES)
        self.cr.commit()
        log(
            f"  copied {n_templates} reserved orders {RESERVE_COPIES} times each in"
            f" {time.perf_counter() - t1:.1f} s"
        )
        self.rng.shuffle(reserved)
        due = reserved[:n_due]
        load = reserved[n_due:]
        # The clock moves on: these reservations are past their deadline.
        past = self.now - timedelta(hours=1)
        self.cr.execute(
            "UPDATE sale_order SET agora_reserve_deadline = %s WHERE id IN %s",
            [past, tuple(due)],
        )
        # These fall due during the load test (run.py moves their deadline).
        self.cr.execute(
            "UPDATE sale_order SET agora_reserve_deadline = %s WHERE id IN %s",
            [self.now + timedelta(days=30), tuple(load)],
        )
        env["ir.config_parameter"].set_param("agora_bench.load_due_ids", json.dumps(sorted(load)))
        processing = self._new_orders(n_proc).with_context(**ctx)
        # The real submission here: these are the orders staff review first.
        with agora_deferring_state_mails():
            processing.action_agora_submit()
            env.flush_all()
            self.cr.flush()
        self._drop_pending_state_mails(processing)

    def _drop_pending_state_mails(self, orders):
        """Forget the status emails the generated orders left to the email job."""
        self.cr.execute(
            "UPDATE sale_order SET agora_state_mail_pending = NULL WHERE id IN %s",
            [tuple(orders.ids)],
        )
        orders.invalidate_recordset(["agora_state_mail_pending"])

    def analyze(self):
        self.cr.execute("ANALYZE")


def generate(dbname, seed, scale, force=False):
    params = read_params(dbname)
    wanted = {"seed": str(seed), "scale": str(scale), "format": str(FORMAT_VERSION)}
    if (
        not force
        and params.get("complete") == "1"
        and all(params.get(k) == v for k, v in wanted.items())
    ):
        log(f"{dbname} already holds seed={seed} scale={scale}; nothing to do (--force to redo)")
        return json.loads(params.get("timings", "{}"))
    t0 = time.perf_counter()
    install(dbname)
    t_install = time.perf_counter() - t0
    with odoo_env.environment(dbname) as env:
        gen = Generator(env, seed, scale)
        timings = {"install": round(t_install, 1), **gen.run()}
        timings["total"] = round(time.perf_counter() - t0, 1)
        timings["reserve_ms_per_order"] = gen.reserve_ms_per_order
        icp = env["ir.config_parameter"]
        for key, value in {
            **wanted,
            "code_hash": code_hash(),
            "sizes": json.dumps(gen.n),
            "historical": json.dumps(gen.historical_counts),
            "timings": json.dumps(timings),
            "generated_at": gen.now.isoformat(),
            "complete": "1",
        }.items():
            icp.set_param(f"agora_bench.{key}", value)
        env.cr.commit()
    log(f"done in {timings['total']} s: {json.dumps(timings)}")
    return timings


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="agora_bench")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--force", action="store_true", help="regenerate even if it matches")
    args = parser.parse_args()
    odoo_cmd.check_odoo()
    generate(args.db, args.seed, args.scale, force=args.force)


if __name__ == "__main__":
    main()

"""What the benchmarks need to know about the generated data (read once, in-process)."""

import random

from generate import PASSWORD


def _assortment(env, partner, limit=None, in_stock=True):
    Catalog = env["agora.catalog"]
    agreement = Catalog._get_agreement(partner)
    products = (
        env["product.product"]
        .sudo()
        .search(Catalog._assortment_domain(agreement), order="id", limit=limit)
    )
    if in_stock:
        products = products.filtered(lambda p: p.qty_available > 0)
    return agreement, products


def load_fixtures(env, n_load_clients=50, seed=7):
    rng = random.Random(seed)
    Users = env["res.users"].with_context(active_test=False)
    clients = Users.search([("login", "=like", "client%")], order="login")
    if len(clients) < 6:
        raise RuntimeError("the bench database has too few clients")
    fx = {"password": PASSWORD}

    # 1. Catalog: client001.
    cat_user = clients[0]
    agreement, products = _assortment(env, cat_user.partner_id, in_stock=False)
    fx["catalog_login"] = cat_user.login
    fx["assortment_size"] = len(products)
    leaf = agreement.category_ids.sorted("id")[len(agreement.category_ids) // 2]
    public = env["product.public.category"].search([("name", "=", leaf.name)], limit=1)
    fx["category_id"] = leaf.id
    fx["category_size"] = len(products.filtered(lambda p: p.categ_id == leaf))
    fx["public_category_slug"] = env["ir.http"]._slug(public)
    sample = products[len(products) // 3]
    fx["exact_sku"] = sample.default_code
    fx["sku_prefix"] = sample.default_code[:6]
    fx["sku_prefix_size"] = len(
        products.filtered(lambda p: (p.default_code or "").startswith(fx["sku_prefix"]))
    )
    pricelist = agreement.pricelist_id
    rule = env["product.pricelist.item"].search(
        [
            ("pricelist_id", "=", pricelist.id),
            ("applied_on", "=", "1_product"),
            ("min_quantity", "=", 0),
            ("product_tmpl_id", "in", products.product_tmpl_id.ids),
        ],
        limit=1,
    )
    checked = rule.product_tmpl_id.product_variant_id
    price = pricelist._get_product_price(checked, 1.0)
    fx["price_check"] = {
        "sku": checked.default_code,
        "list_price": checked.list_price,
        "price": price,
        "price_text": f"{price:,.2f}",
    }

    # 2. Cart: client002.
    _agr, products = _assortment(env, clients[1].partner_id, limit=400)
    fx["cart_login"] = clients[1].login
    fx["cart_products"] = products.ids[:60]

    # 3. Upload: client003 (XLSX) and client004 (CSV), SKUs of each one's assortment.
    fx["upload_logins"] = [clients[2].login, clients[3].login]
    _agr, products = _assortment(env, clients[2].partner_id, in_stock=False)
    codes = [p.default_code for p in products]
    rng.shuffle(codes)
    fx["upload_codes"] = codes[:5000]

    # Idempotence: client005.
    _agr, products = _assortment(env, clients[4].partner_id, limit=50)
    fx["idempotence_login"] = clients[4].login
    fx["idempotence_products"] = products.ids[:5]

    # Load: one client company each (two sessions of one contact would share a cart);
    # fewer than n_load_clients on a small dataset.
    fx["load_clients"] = []
    for user in clients[5 : 5 + n_load_clients]:
        agreement, products = _assortment(env, user.partner_id, limit=300)
        ids = products.ids
        rng.shuffle(ids)
        fx["load_clients"].append(
            {
                "login": user.login,
                "products": ids[:40],
                "search": [p.default_code[:6] for p in products.browse(ids[:5])],
                "categories": agreement.category_ids.ids[:10],
            }
        )
    staff = Users.search([("login", "=like", "bench_staff%")], order="login")
    fx["staff_logins"] = staff.mapped("login")
    return fx

"""Benchmarks 1-3: the catalog beside /shop, the cart, the file upload.

Every request is a real HTTP request on loopback to an Odoo started with
workers, as a logged-in portal client. Server time and SQL queries come from
the server's request log (see ``server.py``); client time is the wall time
seen by the client.
"""

import csv
import io
import re
import time

from client import Client, next_marker
from odoo_env import rss_kb, rss_peak_reset
from server import worker_pids
from stats import summarize

PAGE_SIZE = 20  # /my/catalog?ppg=20, and the website's shop_ppg (set by the generator)


def timed(tail, client, method, path, samples=None, **kwargs):
    """One marked request; returns (response, sample dict)."""
    marker = next_marker()
    if method == "GET":
        resp = client.get(path, marker=marker, **kwargs)
    elif method == "POST":
        resp = client.post(path, marker=marker, **kwargs)
    else:
        resp = client.jsonrpc(path, kwargs.pop("params"), marker=marker)
    line = tail.find(marker) or {}
    sample = {
        "client_s": resp.elapsed_s,
        "server_s": line.get("server_s"),
        "queries": line.get("queries"),
        "pid": line.get("pid"),
        "status": resp.status_code,
    }
    if samples is not None:
        samples.append(sample)
    return resp, sample


def check_ok(resp, what):
    if resp.status_code >= 400:
        raise RuntimeError(f"{what}: HTTP {resp.status_code} {resp.text[:500]}")


# ----------------------------------------------------------------------
# 1. The catalog beside /shop
# ----------------------------------------------------------------------


def catalog_scenarios(fx):
    """(name, agora path, /shop path) for the same client and price list."""
    return [
        ("first page", f"/my/catalog?ppg={PAGE_SIZE}", "/shop"),
        (
            "category page",
            f"/my/catalog?ppg={PAGE_SIZE}&category={fx['category_id']}",
            f"/shop/category/{fx['public_category_slug']}",
        ),
        (
            "search SKU prefix",
            f"/my/catalog?ppg={PAGE_SIZE}&search={fx['sku_prefix']}",
            f"/shop?search={fx['sku_prefix']}",
        ),
        (
            "sort by price",
            f"/my/catalog?ppg={PAGE_SIZE}&sortby=price",
            "/shop?order=list_price+asc",
        ),
    ]


def bench_catalog(server, tail, fx, rounds=20, warmup=4, budget_s=90, log=print):
    """Each page ``rounds`` times beside /shop, or fewer (at least 3) when a page
    is so slow that the pair exceeds ``budget_s`` seconds."""
    client = Client(server.url, fx["catalog_login"], fx["password"]).login()
    # Both pages show the same client price for a product with a price rule.
    check_same_price(client, fx)
    results = []
    for name, agora_path, shop_path in catalog_scenarios(fx):
        t0 = time.perf_counter()
        for _ in range(warmup):  # each worker renders each page once or more
            check_ok(client.get(agora_path), agora_path)
            check_ok(client.get(shop_path), shop_path)
            if time.perf_counter() - t0 > budget_s / 3:
                break
        agora, shop = [], []
        t0 = time.perf_counter()
        for i in range(rounds):  # side by side: one of each, in turn
            if i >= 3 and time.perf_counter() - t0 > budget_s:
                break
            resp, _s = timed(tail, client, "GET", agora_path, agora)
            check_ok(resp, agora_path)
            resp, _s = timed(tail, client, "GET", shop_path, shop)
            check_ok(resp, shop_path)
        a, s = summarize(agora), summarize(shop)
        ratio = (
            round(a["server_median_ms"] / s["server_median_ms"], 2)
            if a["server_median_ms"] and s["server_median_ms"]
            else None
        )
        results.append(
            {
                "scenario": name,
                "agora_path": agora_path,
                "shop_path": shop_path,
                "agora": a,
                "shop": s,
                "ratio": ratio,
            }
        )
        log(
            f"  catalog {name}: agora {a['server_median_ms']} ms / {a['queries_median']} q, "
            f"/shop {s['server_median_ms']} ms / {s['queries_median']} q, ratio {ratio}"
        )
    # Queries per page against the number of products matched (1 ... whole assortment).
    sizes = []
    for label, path in [
        ("1 product (exact SKU)", f"/my/catalog?ppg={PAGE_SIZE}&search={fx['exact_sku']}"),
        ("SKU prefix", f"/my/catalog?ppg={PAGE_SIZE}&search={fx['sku_prefix']}"),
        ("one category", f"/my/catalog?ppg={PAGE_SIZE}&category={fx['category_id']}"),
        ("whole assortment", f"/my/catalog?ppg={PAGE_SIZE}"),
        ("whole assortment, last page", f"/my/catalog/page/100000?ppg={PAGE_SIZE}"),
        ("whole assortment, 120 a page", "/my/catalog?ppg=120"),
    ]:
        client.get(path)
        samples = []
        for _ in range(3):
            timed(tail, client, "GET", path, samples)
        sizes.append({"page": label, "path": path, **summarize(samples)})
    return {"scenarios": results, "queries_by_result_size": sizes}


def check_same_price(client, fx):
    """The agreement price of a product with a rule is on both pages."""
    expected = fx["price_check"]["price_text"]
    agora = client.get(f"/my/catalog?search={fx['price_check']['sku']}").text
    shop = client.get(f"/shop?search={fx['price_check']['sku']}").text
    fx["price_check"]["on_agora"] = expected in agora
    fx["price_check"]["on_shop"] = expected in shop


# ----------------------------------------------------------------------
# 2. Add to cart, the cart page, submit
# ----------------------------------------------------------------------

ORDER_URL = re.compile(r"/my/orders/(\d+)")


def submit_cart(client, marker=None):
    """POST the cart form with action=submit; return (response, order id or None)."""
    resp = client.post("/my/cart/update", {"action": "submit"}, marker=marker)
    match = ORDER_URL.search(resp.headers.get("Location", ""))
    return resp, int(match.group(1)) if match else None


def bench_cart(server, tail, fx, orders=15, lines=5, log=print):
    client = Client(server.url, fx["cart_login"], fx["password"]).login()
    products = fx["cart_products"]
    add, page, submit = [], [], []
    submitted = []
    k = 0
    for i in range(orders + 1):
        measure = i > 0  # the first order warms the workers up
        for _ in range(lines):
            pid = products[k % len(products)]
            k += 1
            resp, _s = timed(
                tail,
                client,
                "JSON",
                "/my/cart/add_json",
                add if measure else None,
                params={"product_id": pid, "quantity": 2},
            )
            if not resp.result.get("success"):
                raise RuntimeError(f"add to cart refused: {resp.result}")
        resp, _s = timed(tail, client, "GET", "/my/cart", page if measure else None)
        check_ok(resp, "/my/cart")
        marker = next_marker()
        resp, order_id = submit_cart(client, marker)
        line = tail.find(marker) or {}
        if not order_id:
            raise RuntimeError(f"submit failed: {resp.status_code} {resp.headers}")
        submitted.append(order_id)
        if measure:
            submit.append(
                {
                    "client_s": resp.elapsed_s,
                    "server_s": line.get("server_s"),
                    "queries": line.get("queries"),
                }
            )
    result = {
        "add_to_cart": summarize(add),
        "cart_page": summarize(page),
        "submit": summarize(submit),
        "lines_per_cart": lines,
        "submitted_order_ids": submitted,
    }
    for key in ("add_to_cart", "cart_page", "submit"):
        log(
            f"  {key}: {result[key]['server_median_ms']} ms median, "
            f"{result[key]['queries_median']} queries"
        )
    return result


# ----------------------------------------------------------------------
# 3. Upload a 5,000-line XLSX and CSV
# ----------------------------------------------------------------------


def make_xlsx(rows):
    import xlsxwriter  # noqa: PLC0415

    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    sheet = book.add_worksheet("Order")
    sheet.write_row(0, 0, ["SKU", "Quantity"])
    for i, (code, qty) in enumerate(rows, start=1):
        sheet.write_string(i, 0, code)
        sheet.write_number(i, 1, qty)
    book.close()
    return buf.getvalue()


def make_csv(rows):
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";")
    writer.writerow(["SKU", "Quantity"])
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def bench_upload(server, tail, fx, n_lines=5000, log=print):
    results = {}
    codes = fx["upload_codes"]
    rows = [(codes[i % len(codes)], 1 + i % 7) for i in range(n_lines)]
    files = {
        "xlsx": ("order.xlsx", make_xlsx(rows)),
        "csv": ("order.csv", make_csv(rows)),
    }
    for kind, login in (("xlsx", fx["upload_logins"][0]), ("csv", fx["upload_logins"][1])):
        name, content = files[kind]
        client = Client(server.url, login, fx["password"]).login()
        client.get("/my/cart/import")  # the form, and its CSRF token
        pids = worker_pids(server)
        baseline = {pid: rss_kb(pid)[0] for pid in pids}
        for pid in pids:
            rss_peak_reset(pid)
        t0 = time.perf_counter()
        marker = next_marker()
        resp = client.post("/my/cart/import", files={"file": (name, content)}, marker=marker)
        upload_line = tail.find(marker, timeout=30) or {}
        location = resp.headers.get("Location", "")
        if resp.status_code not in (302, 303) or "/my/cart/import/" not in location:
            raise RuntimeError(f"{kind} upload failed: HTTP {resp.status_code} {resp.text[:800]}")
        preview, preview_s = timed(tail, client, "GET", location.replace(server.url, ""))
        check_ok(preview, "upload preview")
        wall = time.perf_counter() - t0
        pid = upload_line.get("pid")
        peak = rss_kb(pid)[1] if pid else None
        # Then add the lines to the cart (not part of "upload to result page").
        confirm_path = location.replace(server.url, "") + "/confirm"
        confirm, confirm_s = timed(tail, client, "POST", confirm_path)
        results[kind] = {
            "lines": n_lines,
            "file_kb": round(len(content) / 1024, 1),
            "upload_to_result_s": round(wall, 2),
            "upload_server_s": upload_line.get("server_s"),
            "upload_queries": upload_line.get("queries"),
            "result_page_server_s": preview_s.get("server_s"),
            "result_page_queries": preview_s.get("queries"),
            "worker_peak_rss_mb": round(peak / 1024, 1) if peak else None,
            "worker_rss_before_mb": round(baseline.get(pid, 0) / 1024, 1) if pid else None,
            "confirm_server_s": confirm_s.get("server_s"),
            "confirm_queries": confirm_s.get("queries"),
            "confirm_status": confirm.status_code,
        }
        log(
            f"  upload {kind}: {results[kind]['upload_to_result_s']} s to the result page, "
            f"worker peak {results[kind]['worker_peak_rss_mb']} MB "
            f"(before {results[kind]['worker_rss_before_mb']} MB)"
        )
    return results

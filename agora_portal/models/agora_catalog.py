from odoo import api, models
from odoo.fields import Domain
from odoo.tools import SQL, Query, float_compare, float_round, ormcache

STOCK_IN = "in"
STOCK_LOW = "low"
STOCK_OUT = "out"
STOCK_UNTRACKED = "untracked"
# Order of the availability sort: best first.
STOCK_RANK = {STOCK_IN: 0, STOCK_UNTRACKED: 1, STOCK_LOW: 2, STOCK_OUT: 3}


class AgoraCatalog(models.AbstractModel):
    """The client's catalog: what a portal contact may see and order, at which price.

    ONE place decides which products a client reaches: every method here starts
    from the assortment of the client's active agreement
    (``agora.agreement._get_assortment_domain``), so no listing, search, card,
    autocomplete or file line can ever reach another product.

    Portal users have no read access to products; the methods read them with
    ``sudo()`` *after* restricting the domain to the client's assortment, and
    return sudo records that controllers only present.
    """

    _name = "agora.catalog"
    _description = "Client Catalog"

    # ------------------------------------------------------------------
    # The client's terms
    # ------------------------------------------------------------------

    @api.model
    def _get_agreement(self, partner):
        # sudo: portal users cannot read agreements; this only finds the
        # active agreement of the user's own company.
        return self.env["agora.agreement"].sudo()._get_active_agreement(partner, self.env.company)

    @api.model
    def _get_pricelist(self, partner, agreement):
        return agreement._get_pricelist(partner.sudo())

    @api.model
    def _assortment_domain(self, agreement):
        """What the client may see and order: the agreement's assortment, always
        bounded to the current company (the portal user's)."""
        return agreement._get_assortment_domain(self.env.company) & Domain("active", "=", True)

    @api.model
    def _products(self):
        # sudo: see the class docstring; every search below is bounded by the assortment.
        return self.env["product.product"].sudo().with_context(active_test=True)

    # ------------------------------------------------------------------
    # Searching
    # ------------------------------------------------------------------

    @api.model
    def _search_words_domain(self, search):
        """Each word of ``search`` must be in the name, the SKU or the barcode."""
        domain = Domain.TRUE
        for word in (search or "").split()[:10]:
            domain &= (
                Domain("name", "ilike", word)
                | Domain("default_code", "ilike", word)
                | Domain("barcode", "ilike", word)
            )
        return domain

    @api.model
    def _orders_scope_partner(self, partner):
        """Whose orders the catalog of ``partner`` draws on ("ordered before",
        a product's last orders): the client company's, as the portal's rule
        on orders lets its contacts read them."""
        return partner.commercial_partner_id

    @api.model
    def _ordered_before_domain(self, partner):
        """Products the client's company has already ordered (orders still New excluded: carts,
        and quotations the client never submitted)."""
        # sudo: the search is restricted to the client's own company's orders just
        # below; it only yields product ids for the client's own catalog filter.
        lines = (
            self.env["sale.order.line"]
            .sudo()
            ._search(
                [
                    ("order_id.partner_id", "child_of", self._orders_scope_partner(partner).id),
                    ("order_id.company_id", "=", self.env.company.id),
                    ("order_id.agora_state", "!=", "new"),
                    ("product_id", "!=", False),
                ]
            )
        )
        return Domain("id", "any!", lines.subselect("product_id"))

    @api.model
    def _in_stock_domain(self, base_domain):
        """Products with stock free to order, or whose stock is not tracked."""
        storable = self._products()._search(base_domain & Domain("is_storable", "=", True))
        free = self._free_qty(storable)
        in_stock = [pid for pid, qty in free.items() if qty > 0]
        return Domain("is_storable", "=", False) | Domain("id", "in", in_stock)

    @api.model
    def _catalog_domain(
        self, partner, agreement, search=None, category=None, in_stock=False, ordered=False
    ):
        domain = self._assortment_domain(agreement) & self._search_words_domain(search)
        if category:
            domain &= Domain("categ_id", "child_of", category.id)
        if ordered:
            domain &= self._ordered_before_domain(partner)
        if in_stock:
            domain &= self._in_stock_domain(domain)
        return domain

    @api.model
    def _sortings(self):
        return {
            "name": {"label": self.env._("Name"), "order": "name, default_code, id"},
            "code": {"label": self.env._("SKU"), "order": "default_code, name, id"},
            "price": {"label": self.env._("Price: low to high"), "order": None},
            "price_desc": {"label": self.env._("Price: high to low"), "order": None},
            "stock": {"label": self.env._("Availability"), "order": None},
        }

    @api.model
    def _search_page(
        self,
        partner,
        search=None,
        category=None,
        in_stock=False,
        ordered=False,
        sort="name",
        page=1,
        limit=40,
        total=None,
        base_domain=None,
        agreement=None,
    ):
        """One page of the client's catalog.

        Sorting by name or SKU is done by the database. The client's price is
        not a column (it comes from the price list's rules): the database sorts
        on the price list's stored sort keys (``agora.catalog.price``, computed
        by the price list itself once, then kept until a rule or a product
        price changes). Sorting by ``list_price`` would be wrong as soon as a
        rule is a fixed price. The availability is not a column either (the
        free quantity comes from the quants): the ids matching the filters are
        read once, their stock summed in one query, sorted in Python and sliced.
        Either way the number of queries does not depend on the page size.

        :param page: the page wanted (1-based); past the last page, the last one
        :param total: the number of products matching, when the caller already
            counted them (``_count_by_category`` of the same filters)
        :param base_domain: ``_catalog_domain`` of the same search and filters but
            without the category, when the caller already built it
        :param agreement: ``_get_agreement(partner)``, when the caller already has it
        :return: dict with ``products`` (sudo recordset of the page), ``total``, ``page``,
            ``prices`` {id: price}, ``stock`` {id: info}, ``agreement``,
            ``pricelist``, ``currency``, ``domain``
        """
        if agreement is None:
            agreement = self._get_agreement(partner)
        pricelist = self._get_pricelist(partner, agreement)
        if base_domain is None:
            domain = self._catalog_domain(partner, agreement, search, category, in_stock, ordered)
        elif category:
            domain = base_domain & Domain("categ_id", "child_of", category.id)
        else:
            domain = base_domain
        Product = self._products()
        sortings = self._sortings()
        sort = sort if sort in sortings else "name"
        order = sortings[sort]["order"]
        if order:
            if total is None:
                total = Product.search_count(domain)
            page, offset = self._page_offset(page, limit, total)
            products = Product.search(domain, order=order, offset=offset, limit=limit)
        elif sort in ("price", "price_desc") and pricelist:
            if total is None:
                total = Product.search_count(domain)
            page, offset = self._page_offset(page, limit, total)
            # Flushed: the price keys are read in SQL.
            self.env.flush_all()
            ids = self.env["agora.catalog.price"]._sorted_page(
                pricelist,
                Product._search(domain),
                descending=sort == "price_desc",
                offset=offset,
                limit=limit,
            )
            products = Product.browse(ids)
        else:
            ids = list(Product._search(domain, order="id"))
            total = len(ids)
            page, offset = self._page_offset(page, limit, total)
            if sort == "stock":
                keys = self._stock_info(Product.browse(ids))
                ranked = sorted(
                    ids, key=lambda pid: (STOCK_RANK[keys[pid]["level"]], -keys[pid]["qty"], pid)
                )
            else:
                prices = self._prices(Product.browse(ids), pricelist)
                ranked = sorted(
                    ids, key=lambda pid: (prices[pid], pid), reverse=sort == "price_desc"
                )
            # A new browse: the page's prefetch is the page, not the whole assortment.
            products = Product.browse(ranked[offset : offset + limit])
        return {
            "products": products,
            "total": total,
            "page": page,
            "prices": self._prices(products, pricelist),
            "stock": self._stock_info(products),
            "agreement": agreement,
            "pricelist": pricelist,
            "currency": pricelist.currency_id or self.env.company.currency_id,
            "domain": domain,
            "sort": sort,
        }

    @api.model
    def _page_offset(self, page, limit, total):
        last = max(1, -(-total // limit))
        try:
            page = int(page)
        except (TypeError, ValueError):
            page = 1
        page = min(max(page, 1), last)
        return page, (page - 1) * limit

    @api.model
    def _count_by_category(self, domain):
        """The products of ``domain`` counted per category, in one query.

        :return: ({category: count}, the number of products of ``domain``)
        """
        groups = self._products()._read_group(domain, ["categ_id"], ["__count"])
        return {categ: count for categ, count in groups if categ}, sum(n for _c, n in groups)

    @api.model
    def _count_catalog(self, partner, agreement, search=None, in_stock=False, ordered=False):
        """The catalog's domain for a search and filters (all categories), and
        its products counted per category.

        Without a search or a filter that is the agreement's whole assortment,
        whose counts are kept in the registry cache (``_count_assortment``).

        :return: (domain, {category: count}, the number of products of ``domain``)
        """
        domain = self._catalog_domain(partner, agreement, search, None, in_stock, ordered)
        if (search or "").split() or in_stock or ordered:
            return domain, *self._count_by_category(domain)
        groups = self._count_assortment(agreement.id)
        # sudo: portal users cannot read categories; these are the client's own
        # assortment's, read for their names and paths in the category tree.
        categorized = [(categ_id, count) for categ_id, count in groups if categ_id]
        categories = self.env["product.category"].sudo().browse([c for c, _n in categorized])
        counts = dict(zip(categories, (count for _c, count in categorized), strict=True))
        return domain, counts, sum(count for _categ_id, count in groups)

    @api.model
    @ormcache("agreement_id")
    def _count_assortment(self, agreement_id):
        """((category id or False, number of products), ...) of an agreement's
        whole assortment, or of every saleable product without agreement.

        Every catalog page without a search or a filter shows these counts, and
        counting 10,000 products is the page's costliest query: they are kept
        until an agreement, a category, or whether a product is in an
        assortment changes (each of those clears the registry cache, see
        ``_clear_assortment_counts``).
        """
        # sudo: the assortment is the same whoever asks; callers check access.
        agreement = self.env["agora.agreement"].sudo().browse(agreement_id)
        groups = self._products()._read_group(
            self._assortment_domain(agreement), ["categ_id"], ["__count"]
        )
        return tuple((categ.id, count) for categ, count in groups)

    @api.model
    def _assortment_values(self, records, fnames):
        """The values of ``fnames`` per record (templates), to tell whether a
        write changed what the cached category counts depend on."""
        fnames = sorted(fnames)
        return [tuple(record[fname] for fname in fnames) for record in records]

    @api.model
    def _clear_assortment_counts(self, records, fnames=(), before=None):
        """Drop the cached category counts (``_count_assortment``) when
        ``records`` (templates) changed what decides whether their variants are
        in an assortment and where they are counted.

        The registry cache is cleared in every worker (the ORM signals it at
        commit), with Odoo's other cached values: done only on a real change.

        :param fnames: the fields written; with ``before``, their values before
            the write (``_assortment_values``), to skip writes that change nothing
        """
        if before is not None and self._assortment_values(records, fnames) == before:
            return
        self.env.registry.clear_cache()

    @api.model
    def _category_tree(self, partner, domain, counts=None):
        """The categories holding products of ``domain``, with their counts
        (subcategories included), as a flat list in tree order.

        :param counts: ``_count_by_category(domain)[0]``, when the caller has it
        :return: list of {"category", "count", "depth"}
        """
        if counts is None:
            counts = self._count_by_category(domain)[0]
        if not counts:
            return []
        # sudo: portal users cannot read categories; only the names and paths of the
        # categories of the client's own assortment are shown.
        leaves = self.env["product.category"].sudo().browse([c.id for c in counts])
        ancestor_ids = {int(cid) for c in leaves for cid in c.parent_path.split("/") if cid}
        categories = self.env["product.category"].sudo().browse(sorted(ancestor_ids))
        totals = dict.fromkeys(categories.ids, 0)
        for categ, count in counts.items():
            for cid in categ.parent_path.split("/"):
                if cid:
                    totals[int(cid)] += count
        children = {}
        for categ in categories:
            children.setdefault(categ.parent_id.id, []).append(categ)
        tree = []

        def walk(parent_id, depth):
            for categ in sorted(children.get(parent_id, []), key=lambda c: (c.name or "", c.id)):
                tree.append({"category": categ, "count": totals[categ.id], "depth": depth})
                walk(categ.id, depth + 1)

        walk(False, 0)
        return tree

    @api.model
    def _fold_category_tree(self, tree, current=None):
        """The nodes of ``tree`` shown to the client: the top-level categories,
        and the subcategories of the selected category and of its parents. A
        lone top-level category (and a lone subcategory under it) is unfolded.

        :param current: the selected category, or None
        :return: the visible nodes, in tree order, each with ``open`` (its
            subcategories are shown) and ``has_children``
        """
        children = {}
        for node in tree:
            children.setdefault(node["category"].parent_id.id, []).append(node["category"].id)
        open_ids = set()
        if current:
            open_ids.update(int(cid) for cid in current.parent_path.split("/") if cid)
        level = children.get(False, [])
        while len(level) == 1:
            open_ids.add(level[0])
            level = children.get(level[0], [])
        return [
            dict(
                node,
                open=node["category"].id in open_ids,
                has_children=node["category"].id in children,
            )
            for node in tree
            if not node["category"].parent_id or node["category"].parent_id.id in open_ids
        ]

    # ------------------------------------------------------------------
    # Prices and stock
    # ------------------------------------------------------------------

    @api.model
    def _prices(self, products, pricelist):
        """{product id: the client's unit price for one unit}, in one batch."""
        if not products:
            return {}
        if pricelist:
            return pricelist._get_products_price(products, quantity=1.0)
        return {product.id: product.lst_price for product in products}

    @api.model
    def _free_qty(self, product_ids):
        """{product id: on hand minus reserved} in the company's warehouses; one query.

        ``product_ids``: a list of ids or a Query (then used as a subquery).
        """
        operator = "any!" if isinstance(product_ids, Query) else "in"
        Product = self._products().with_company(self.env.company)
        location_domain = Domain(Product._get_domain_locations()[0])
        # sudo: portal users cannot read quants; only per-product totals of products
        # already restricted to the client's assortment are returned.
        groups = (
            self.env["stock.quant"]
            .sudo()
            .with_context(active_test=False)
            ._read_group(
                location_domain & Domain("product_id", operator, product_ids),
                ["product_id"],
                ["quantity:sum", "reserved_quantity:sum"],
            )
        )
        return {product.id: quantity - reserved for product, quantity, reserved in groups}

    @api.model
    def _stock_info(self, products):
        """{product id: {"level": in/low/out/untracked, "qty": free quantity}}."""
        if not products:
            return {}
        company = self.env.company
        storable = products.filtered("is_storable")
        free = self._free_qty(storable.ids) if storable else {}
        threshold = company.agora_low_stock_threshold
        info = {}
        for product in products:
            if not product.is_storable:
                info[product.id] = {"level": STOCK_UNTRACKED, "qty": 0.0}
                continue
            qty = free.get(product.id, 0.0)
            rounding = product.uom_id.rounding
            if float_compare(qty, 0.0, precision_rounding=rounding) <= 0:
                level = STOCK_OUT
            elif float_compare(qty, threshold, precision_rounding=rounding) <= 0:
                level = STOCK_LOW
            else:
                level = STOCK_IN
            info[product.id] = {"level": level, "qty": max(qty, 0.0)}
        return info

    @api.model
    def _qty_display(self, qty):
        """A quantity as people write it: "50", "1 234", "2.5" (in the user's language)."""
        return self.env["agora.agreement"]._quantity_text(qty)

    # ------------------------------------------------------------------
    # One product
    # ------------------------------------------------------------------

    @api.model
    def _get_product(self, partner, product_id, agreement=None):
        """The product ``product_id`` if the client may order it, else an empty recordset."""
        if agreement is None:
            agreement = self._get_agreement(partner)
        try:
            product_id = int(product_id)
        except (TypeError, ValueError):
            return self._products()
        if product_id <= 0:
            return self._products()
        return self._products().search(
            self._assortment_domain(agreement) & Domain("id", "=", product_id), limit=1
        )

    @api.model
    def _last_order_lines(self, partner, product, limit=5):
        """The client company's latest order lines of ``product`` (orders still New
        excluded, as in ``_ordered_before_domain``)."""
        # sudo: bounded to the client's own company orders, as the portal rule does.
        return (
            self.env["sale.order.line"]
            .sudo()
            .search(
                [
                    ("order_id.partner_id", "child_of", self._orders_scope_partner(partner).id),
                    ("order_id.company_id", "=", self.env.company.id),
                    ("order_id.agora_state", "!=", "new"),
                    ("product_id", "=", product.id),
                    ("display_type", "=", False),
                ],
                order="id desc",
                limit=limit,
            )
        )

    # ------------------------------------------------------------------
    # Autocomplete and codes (add a line, file upload)
    # ------------------------------------------------------------------

    @api.model
    def _quantity_hints(self, agreement, products, in_cart=None):
        """What the catalog shows of the products' order rules, next to their
        quantity: {product id: {"label": "multiple of 12, min. 24", "qty": the
        quantity "add" proposes}} for the products with a rule. The proposed
        quantity is the least one that, with what the cart already holds,
        fits the rule.

        :param in_cart: {product id: quantity in the cart}
        """
        rules = agreement._get_quantity_rules(products)
        Agreement = self.env["agora.agreement"]
        hints = {}
        for product_id, rule in rules.items():
            held = (in_cart or {}).get(product_id, 0.0)
            if held > 0 and rule.fits(held) and not rule.multiple:
                qty = 1.0
            else:
                # The next quantity that fits, less what the cart holds: one
                # more pack once the cart fits (0.84 dozen after 0.83, for a
                # pack of 10 units sold by the dozen, as rounding goes).
                qty = rule.nearest(max(held, 0.0) + rule.rounding) - held
            hints[product_id] = {
                "label": Agreement._quantity_rule_label(rule),
                "qty": float_round(qty, precision_rounding=rule.rounding),
            }
        return hints

    @api.model
    def _autocomplete(self, partner, term, limit=10, in_cart=None):
        """Up to ``limit`` products of the assortment matching ``term``, SKU matches first.

        :param in_cart: {product id: quantity in the cart}, for the quantity proposed

        :return: list of dicts ready for JSON
        """
        term = (term or "").strip()
        if not term:
            return []
        limit = max(1, min(int(limit or 10), 10))
        agreement = self._get_agreement(partner)
        pricelist = self._get_pricelist(partner, agreement)
        domain = self._assortment_domain(agreement) & self._search_words_domain(term)
        Product = self._products()
        exact = Product.search(
            domain & (Domain("default_code", "=ilike", term) | Domain("barcode", "=", term)),
            limit=limit,
        )
        others = Product.search(
            domain & Domain("id", "not in", exact.ids),
            order="default_code, name, id",
            limit=limit - len(exact),
        )
        products = Product.browse((exact | others).ids)
        prices = self._prices(products, pricelist)
        currency = pricelist.currency_id or self.env.company.currency_id
        hints = self._quantity_hints(agreement, products, in_cart)
        return [
            {
                "id": product.id,
                "code": product.default_code or "",
                "name": product.name,
                "uom": product.uom_id.name,
                "price": prices.get(product.id, 0.0),
                "price_display": currency.format(prices.get(product.id, 0.0)),
                "qty_rule": hints.get(product.id, {}).get("label", ""),
                "qty": hints.get(product.id, {}).get("qty", 1.0),
            }
            for product in products
        ]

    @api.model
    def _resolve_codes(self, agreement, entries):
        """Which product of the client's assortment each entry means: the one
        rule of "add a line" (the code typed in the cart) and of a file upload.

        An entry's ``code`` is looked for as an SKU (any case), then its
        ``barcode`` as a barcode, then its ``code`` as a product's whole name
        (any case, in the user's language), the first of those kinds that
        finds products of the assortment winning. Among the active products of
        the current company: an SKU or barcode of a product outside the
        assortment is told apart from an unknown one; a name is not. Batched:
        at most one query per kind of match, and one for the assortment,
        whatever the number of entries.

        :param entries: list of (code, barcode) texts; the code typed in the
            cart is both
        :return: one dict per entry, in order: ``status`` ("found", "empty"
            (no code), "unknown", "ambiguous", "outside"), ``product`` (the
            product when found, else an empty recordset) and ``count`` (the
            number of products of the assortment it matches)
        """
        Product = self._products()
        entries = [((code or "").strip(), (barcode or "").strip()) for code, barcode in entries]
        by_code = self._products_by_lower("default_code", [code for code, _b in entries])
        by_barcode = {}
        wanted = sorted({barcode for _code, barcode in entries if barcode})
        if wanted:
            for product in Product.search_fetch(
                self._company_domain() & Domain("barcode", "in", wanted), ["barcode", "uom_id"]
            ):
                by_barcode[product.barcode] = by_barcode.get(product.barcode, Product) | product
        by_name = self._products_by_lower("name", [code for code, _b in entries])

        # Each entry's candidates by kind of match, in the order they count.
        kinds_list = [
            (
                by_code.get(code.lower(), Product),
                by_barcode.get(barcode, Product),
                by_name.get(code.lower(), Product),
            )
            for code, barcode in entries
        ]
        found = Product.union(*(kind for kinds in kinds_list for kind in kinds))
        orderable_ids = set()
        if found:
            orderable_ids = set(
                Product.search(
                    self._assortment_domain(agreement) & Domain("id", "in", found.ids)
                ).ids
            )

        results = []
        for (code, barcode), kinds in zip(entries, kinds_list, strict=True):
            # The first kind of match with products of the assortment: an SKU
            # of a product the client may not order hides no barcode or name
            # of one it may.
            allowed = next(
                (
                    in_assortment
                    for kind in kinds
                    if (in_assortment := kind.filtered(lambda p: p.id in orderable_ids))
                ),
                Product,
            )
            if not code and not barcode:
                status = "empty"
            elif len(allowed) > 1:
                status = "ambiguous"
            elif allowed:
                status = "found"
            elif kinds[0] or kinds[1]:
                # An SKU or a barcode the client holds (from a catalog, a
                # label) names a product they may not order here.
                status = "outside"
            else:
                # A name outside the assortment is not confirmed: names are
                # easy to guess, and another client's goods stay unknown.
                status = "unknown"
            results.append(
                {
                    "status": status,
                    "product": allowed if status == "found" else Product,
                    "count": len(allowed),
                }
            )
        return results

    @api.model
    def _company_domain(self):
        return Domain("company_id", "in", [False, self.env.company.id])

    @api.model
    def _products_by_lower(self, fname, texts):
        """{lower-cased text: the active products of the company whose
        ``fname`` (an SKU or a name) is that text, in any case}; one query."""
        Product = self._products()
        lowered = sorted({text.lower() for text in texts if text})
        if not lowered:
            return {}
        result = {}
        for product in Product.search_fetch(
            self._company_domain() & self._lower_in(fname, lowered), [fname, "uom_id"]
        ):
            key = product[fname].lower()
            result[key] = result.get(key, Product) | product
        return result

    @api.model
    def _lower_in(self, fname, lowered):
        """Domain: ``fname`` (a text field), lower-cased, is one of ``lowered``
        (one condition, whatever the number of texts)."""
        texts = tuple(lowered)

        def to_sql(model, alias, query):
            return SQL("lower(%s) IN %s", model._field_to_sql(alias, fname, query), texts)

        return Domain.custom(to_sql=to_sql)

from collections import defaultdict

from odoo import api, fields, models
from odoo.tools import SQL


class AgoraCatalogPrice(models.Model):
    """The sort key of "sort by price": a product's price for one unit under a
    price list, as the price list computed it.

    The client's price is not a column: Odoo computes it from the price list's
    rules, and with hundreds of rules per price list that takes seconds for a
    whole assortment. Sorting a page by price needs every matching product's
    price, so the prices are kept here once computed, and the catalog sorts
    with an SQL ``ORDER BY``.

    This table is a cache, never a source of prices: the prices shown, put in
    the cart and invoiced are always computed by the price list.

    A key is valid while what it was computed from is unchanged. Each price
    list and each product carries a version (``agora_price_key_version``),
    raised in the transaction that changes its rules or its price, category or
    unit. A key records the versions it was computed from, and only keys whose
    versions are still current are used; the others are recomputed when the
    catalog next sorts by price. Versions, not deletions, because a fill can
    race a change: a client's request that started before staff committed a
    new rule computes prices under the old rule and stores them after the
    change committed. A deletion made by the change cannot see those rows, but
    they carry the old version, so they are never used.

    Keys also go stale when a dated rule starts or ends, and each day when a
    price list of the chain is not in the company's currency (rates); those
    are dropped by time, before each sort.
    """

    _name = "agora.catalog.price"
    _description = "Catalog Price Sort Key"
    _log_access = False

    pricelist_id = fields.Many2one(
        "product.pricelist", required=True, ondelete="cascade", index=False
    )
    company_id = fields.Many2one("res.company", required=True, ondelete="cascade")
    product_id = fields.Many2one("product.product", required=True, ondelete="cascade", index=True)
    price = fields.Float(required=True, digits=(16, 6))
    computed_at = fields.Datetime(
        required=True, help="When the price was computed: the date the price list priced it at."
    )
    pricelist_version = fields.Integer(
        required=True, help="The price list's version the price was computed from."
    )
    product_version = fields.Integer(
        required=True, help="The product's version the price was computed from."
    )

    _pricelist_company_product_unique = models.UniqueIndex(
        "(pricelist_id, company_id, product_id)"
    )
    _pricelist_company_price_sort = models.Index("(pricelist_id, company_id, price, product_id)")

    # ------------------------------------------------------------------
    # Sorting
    # ------------------------------------------------------------------

    @api.model
    def _sorted_page(self, pricelist, product_query, descending=False, offset=0, limit=40):
        """Ids of one page of ``product_query``, sorted by their price under ``pricelist``.

        Missing or stale keys are computed first (once per price list and
        product, whatever the number of clients sharing the price list).

        :param product_query: a ``Query`` on ``product.product`` (the filtered catalog)
        :return: list of product ids, at most ``limit``
        """
        company = self.env.company
        # The version this request sees; the keys it fills carry it, and the
        # page uses only keys computed from it. sudo: an internal counter of the
        # client's own price list, which portal users cannot read.
        pricelist_version = pricelist.sudo().agora_price_key_version
        self._drop_stale_keys(pricelist, company)
        self._fill_missing_keys(pricelist, company, product_query, pricelist_version)
        direction = SQL("DESC") if descending else SQL("ASC")
        self.env.cr.execute(
            SQL(
                """
                SELECT key.product_id
                  FROM agora_catalog_price key
                  JOIN product_product product
                    ON product.id = key.product_id
                   AND COALESCE(product.agora_price_key_version, 0) = key.product_version
                 WHERE key.pricelist_id = %(pricelist)s
                   AND key.company_id = %(company)s
                   AND key.pricelist_version = %(pricelist_version)s
                   AND key.product_id IN (%(products)s)
              ORDER BY key.price %(direction)s, key.product_id %(direction)s
                 LIMIT %(limit)s OFFSET %(offset)s
                """,
                pricelist=pricelist.id,
                company=company.id,
                pricelist_version=pricelist_version,
                products=product_query.subselect(),
                direction=direction,
                limit=limit,
                offset=offset,
            )
        )
        return [row[0] for row in self.env.cr.fetchall()]

    @api.model
    def _fill_missing_keys(self, pricelist, company, product_query, pricelist_version):
        """Compute and store the keys the products of ``product_query`` lack,
        or have from an older version of the price list or of the product."""
        self.env.cr.execute(
            SQL(
                """
                SELECT product.id, COALESCE(product.agora_price_key_version, 0)
                  FROM product_product product
                 WHERE product.id IN (%(products)s)
                   AND NOT EXISTS (
                       SELECT 1 FROM agora_catalog_price key
                        WHERE key.pricelist_id = %(pricelist)s
                          AND key.company_id = %(company)s
                          AND key.product_id = product.id
                          AND key.pricelist_version = %(pricelist_version)s
                          AND key.product_version = COALESCE(product.agora_price_key_version, 0))
                """,
                products=product_query.subselect(),
                pricelist=pricelist.id,
                company=company.id,
                pricelist_version=pricelist_version,
            )
        )
        product_versions = dict(self.env.cr.fetchall())
        if not product_versions:
            return
        # sudo: keys are computed for products already restricted to the
        # client's assortment by the caller; the table is internal.
        products = self.env["product.product"].sudo().browse(product_versions)
        # Taken before pricing: a dated rule that starts or ends while the
        # prices are computed makes these keys stale, not valid.
        now = fields.Datetime.now()
        prices = self._compute_keys(pricelist, products, now)
        rows = [
            SQL(
                "(%s, %s, %s, %s, %s, %s, %s)",
                pricelist.id,
                company.id,
                pid,
                price,
                now,
                pricelist_version,
                product_versions[pid],
            )
            for pid, price in prices.items()
        ]
        for start in range(0, len(rows), 1000):
            # ON CONFLICT: another worker may be filling the same keys right now.
            self.env.cr.execute(
                SQL(
                    """
                    INSERT INTO agora_catalog_price
                           (pricelist_id, company_id, product_id, price, computed_at,
                            pricelist_version, product_version)
                    VALUES %s
                    ON CONFLICT (pricelist_id, company_id, product_id)
                    DO UPDATE SET price = EXCLUDED.price,
                                  computed_at = EXCLUDED.computed_at,
                                  pricelist_version = EXCLUDED.pricelist_version,
                                  product_version = EXCLUDED.product_version
                    """,
                    SQL(", ").join(rows[start : start + 1000]),
                )
            )

    @api.model
    def _compute_keys(self, pricelist, products, date):
        """{product id: price of one unit under ``pricelist`` at ``date``}, by the
        price list itself.

        Odoo's price computation checks each product against every rule it
        fetched for the batch. Batching the products by category keeps each
        batch's rules to the ones that can apply to it (the rules of its
        category and parents, of its products, and the global ones), so a
        price list of hundreds of rules costs a few checks per product, not
        hundreds. The prices are exactly the price list's.
        """
        by_category = defaultdict(list)
        for product in products:
            by_category[product.categ_id.id].append(product.id)
        prices = {}
        Product = products.browse()
        for product_ids in by_category.values():
            batch = Product.browse(product_ids)
            prices.update(pricelist._get_products_price(batch, quantity=1.0, date=date))
        return prices

    # ------------------------------------------------------------------
    # Staleness
    # ------------------------------------------------------------------

    @api.model
    def _pricelist_chain(self, pricelists):
        """``pricelists`` and the price lists their rules are based on,
        recursively; one query.

        In SQL: reading the rules through the ORM sorts the 500 rules of a
        client's price list by product and category names, for their base
        price list only.
        """
        self._flush_pricelist_items()
        self.env.cr.execute(
            SQL(
                """
                WITH RECURSIVE chain(id) AS (
                    SELECT unnest(%(ids)s::int[])
                    UNION
                    SELECT item.base_pricelist_id
                      FROM product_pricelist_item item
                      JOIN chain ON item.pricelist_id = chain.id
                     WHERE item.base = 'pricelist'
                       AND item.base_pricelist_id IS NOT NULL
                )
                SELECT id FROM chain
                """,
                ids=list(pricelists.ids),
            )
        )
        return pricelists.browse(row[0] for row in self.env.cr.fetchall())

    @api.model
    def _flush_pricelist_items(self):
        """Write pending rule changes that tell which price list is based on
        which, and when dated rules apply: these are read in SQL."""
        self.env["product.pricelist.item"].flush_model(
            ["pricelist_id", "base", "base_pricelist_id", "date_start", "date_end"]
        )

    @api.model
    def _drop_stale_keys(self, pricelist, company):
        """Drop the keys of ``pricelist`` that a dated rule, or the day's
        currency rates, made stale. One query."""
        chain = self._pricelist_chain(pricelist)
        now = fields.Datetime.now()
        # Rates matter when any price list of the chain (the client's, or one
        # its rules are based on) is not in the company's currency.
        # sudo: only the currencies of the client's own price list chain are read.
        foreign_currency = bool(chain.sudo().currency_id - company.currency_id)
        day_start = fields.Datetime.to_datetime(fields.Date.context_today(self))
        # A key is stale when a rule of the chain started (date_start) or ended
        # (date_end) after the key was computed: computed before the latest
        # such boundary passed. The boundary is computed once, not per key.
        self.env.cr.execute(
            SQL(
                """
                DELETE FROM agora_catalog_price key
                 WHERE key.pricelist_id = %(pricelist)s
                   AND key.company_id = %(company)s
                   AND (
                        (%(foreign_currency)s AND key.computed_at < %(day_start)s)
                        OR key.computed_at < (
                           SELECT max(boundary) FROM (
                                SELECT item.date_start AS boundary
                                  FROM product_pricelist_item item
                                 WHERE item.pricelist_id IN %(chain)s
                                   AND item.date_start <= %(now)s
                                UNION ALL
                                SELECT item.date_end
                                  FROM product_pricelist_item item
                                 WHERE item.pricelist_id IN %(chain)s
                                   AND item.date_end < %(now)s
                           ) boundaries)
                   )
                """,
                pricelist=pricelist.id,
                company=company.id,
                foreign_currency=bool(foreign_currency),
                day_start=day_start,
                chain=tuple(chain.ids),
                now=now,
            )
        )

    @api.model
    def _invalidate_pricelists(self, pricelists):
        """Raise the version of ``pricelists`` and of the price lists based on
        them: their keys are no longer used."""
        if not pricelists:
            return
        self._flush_pricelist_items()
        self.env.cr.execute(
            SQL(
                """
                WITH RECURSIVE affected(id) AS (
                    SELECT unnest(%(ids)s::int[])
                    UNION
                    SELECT item.pricelist_id
                      FROM product_pricelist_item item
                      JOIN affected ON item.base_pricelist_id = affected.id
                     WHERE item.base = 'pricelist'
                )
                UPDATE product_pricelist
                   SET agora_price_key_version = COALESCE(agora_price_key_version, 0) + 1
                 WHERE id IN (SELECT id FROM affected)
                """,
                ids=list(pricelists.ids),
            )
        )
        self.env["product.pricelist"].invalidate_model(["agora_price_key_version"])

    @api.model
    def _invalidate_products(self, products):
        """Raise the version of ``products`` (product.product): their keys, in
        every price list, are no longer used."""
        if not products:
            return
        self.env.cr.execute(
            SQL(
                """
                UPDATE product_product
                   SET agora_price_key_version = COALESCE(agora_price_key_version, 0) + 1
                 WHERE id = ANY(%s)
                """,
                list(products.ids),
            )
        )
        products.invalidate_recordset(["agora_price_key_version"])

    @api.model
    def _invalidate_all(self):
        """Raise the version of every price list: no key is used any more."""
        self.env.cr.execute(
            SQL(
                """
                UPDATE product_pricelist
                   SET agora_price_key_version = COALESCE(agora_price_key_version, 0) + 1
                """
            )
        )
        self.env["product.pricelist"].invalidate_model(["agora_price_key_version"])

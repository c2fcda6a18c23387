from odoo import api, models


class AgoraQuantsCache(dict):
    """Stock's own ``quants_cache`` (read by ``stock.quant._gather`` in strict
    mode), filled in one query for the products and locations of some move
    lines, that finds any other quant as stock's own search would.

    Stock builds such a cache when it validates move lines
    (``stock.move.line._action_done``); there, every quant it looks up is
    known in advance. Cancelling orders may also reach moves the cache was not
    filled for (a chained move cancelled with its destination): for those
    products and locations a key that is not cached is searched, rather than
    taken for a quant that does not exist.
    """

    def __init__(self, quants, filled_pairs):
        super().__init__()
        self._quants = quants
        self._filled_pairs = filled_pairs

    def __missing__(self, key):
        product_id, location_id, lot_id, package_id, owner_id = key
        if (product_id, location_id) in self._filled_pairs:
            # Filled for this product and location: no quant has that key.
            return self._quants.browse()
        quants = self._quants.search(
            [
                ("product_id", "=", product_id),
                ("location_id", "=", location_id),
                ("lot_id", "=", lot_id or False),
                ("package_id", "=", package_id or False),
                ("owner_id", "=", owner_id or False),
            ],
            order="in_date, id",
        )
        self[key] = quants
        return quants


class StockQuant(models.Model):
    _inherit = "stock.quant"

    @api.model
    def _agora_quants_cache(self, move_lines):
        """The quants of the products and source locations of ``move_lines``,
        read in one query, keyed as stock's ``quants_cache``.

        Unreserving a delivery line searches its quant twice
        (``_update_available_quantity``, then ``_get_available_quantity``): with
        the cache given in the context, a batch of orders is cancelled without
        those two queries per line.
        """
        # sudo: stock reads and updates quants as superuser when it reserves
        # and unreserves (``_update_available_quantity``); the cache is read there.
        quants = self.sudo()
        products, locations = move_lines.product_id, move_lines.location_id
        cache = AgoraQuantsCache(
            quants, {(product.id, location.id) for product in products for location in locations}
        )
        if not move_lines:
            return cache
        found = quants.search_fetch(
            [("product_id", "in", products.ids), ("location_id", "in", locations.ids)],
            [
                "product_id",
                "location_id",
                "lot_id",
                "package_id",
                "owner_id",
                "quantity",
                "reserved_quantity",
                "in_date",
            ],
            order="in_date, id",
        )
        for quant in found:
            key = (
                quant.product_id.id,
                quant.location_id.id,
                quant.lot_id.id,
                quant.package_id.id,
                quant.owner_id.id,
            )
            cache[key] = cache.get(key, quants.browse()) | quant
        return cache

from urllib.parse import urlencode

from werkzeug.exceptions import NotFound

from odoo import http
from odoo.fields import Domain
from odoo.http import request

from odoo.addons.portal.controllers.portal import pager as portal_pager

from .portal import AgoraPortal

PAGE_SIZES = (20, 40, 80, 120)
DEFAULT_PAGE_SIZE = 40
IMAGE_FIELDS = {128: "image_128", 512: "image_512", 1024: "image_1024"}


def _catalog_is_readonly(controller, rule, args):
    """The catalog only reads, except that sorting by price may first store
    the missing price sort keys of the client's price list."""
    return request.httprequest.args.get("sortby") not in ("price", "price_desc")


class AgoraCatalogPortal(AgoraPortal):
    """The client's catalog: /my/catalog and the product cards.

    Everything shown comes from ``agora.catalog``, which only ever reaches the
    client's assortment.
    """

    def _agora_catalog_args(self, search, category, sortby, in_stock, ordered, ppg):
        args = {
            "search": search,
            "category": category.id if category else "",
            "sortby": sortby if sortby != "name" else "",
            "in_stock": "1" if in_stock else "",
            "ordered": "1" if ordered else "",
            "ppg": ppg if ppg != DEFAULT_PAGE_SIZE else "",
        }
        return {key: value for key, value in args.items() if value}

    @http.route(
        ["/my/catalog", "/my/catalog/page/<int:page>"],
        type="http",
        auth="user",
        methods=["GET"],
        website=True,
        readonly=_catalog_is_readonly,
    )
    def portal_my_catalog(
        self,
        page=1,
        search="",
        category=None,
        sortby="name",
        in_stock=None,
        ordered=None,
        ppg=None,
        **kw,
    ):
        Catalog = request.env["agora.catalog"]
        partner = self._agora_partner()
        search = (search or "").strip()[:100]
        ppg = self._agora_int(ppg, DEFAULT_PAGE_SIZE)
        ppg = ppg if ppg in PAGE_SIZES else DEFAULT_PAGE_SIZE
        in_stock = bool(in_stock)
        ordered = bool(ordered)
        sortings = Catalog._sortings()
        sortby = sortby if sortby in sortings else "name"

        agreement = Catalog._get_agreement(partner)
        # The category tree counts the products matching the search and the
        # filters, in every category: a category outside the tree is ignored.
        tree_domain, counts, total = Catalog._count_catalog(
            partner, agreement, search, in_stock=in_stock, ordered=ordered
        )
        tree = Catalog._category_tree(partner, tree_domain, counts=counts)
        category_id = self._agora_int(category)
        current_node = next((node for node in tree if node["category"].id == category_id), None)
        current_category = current_node["category"] if current_node else None
        args = self._agora_catalog_args(search, current_category, sortby, in_stock, ordered, ppg)
        result = Catalog._search_page(
            partner,
            search=search,
            category=current_category,
            in_stock=in_stock,
            ordered=ordered,
            sort=sortby,
            page=page,
            limit=ppg,
            # The page's filters are the tree's (and the category's, whose count
            # includes its subcategories): counted already.
            total=current_node["count"] if current_node else total,
            base_domain=tree_domain,
            agreement=agreement,
        )
        pager_values = portal_pager(
            url="/my/catalog", total=result["total"], page=result["page"], step=ppg, url_args=args
        )

        def catalog_url(**changes):
            """The catalog's URL with the current arguments, ``changes`` applied."""
            new_args = dict(args)
            for key, value in changes.items():
                if value in (None, "", False):
                    new_args.pop(key, None)
                else:
                    new_args[key] = value
            query = urlencode(new_args)
            return "/my/catalog" + (f"?{query}" if query else "")

        in_cart = self._agora_in_cart(partner)
        values = self._agora_layout_values("agora_catalog")
        values.update(
            {
                "products": result["products"],
                "prices": result["prices"],
                "stock": result["stock"],
                "currency": result["currency"],
                "total": result["total"],
                "agreement": agreement,
                "tree": Catalog._fold_category_tree(tree, current_category),
                "current_category": current_category,
                "search": search,
                "sortby": sortby,
                "sortings": sortings,
                "in_stock": in_stock,
                "ordered": ordered,
                "ppg": ppg,
                "page_sizes": PAGE_SIZES,
                "pager": pager_values,
                "catalog_url": catalog_url,
                "current_url": request.httprequest.full_path.rstrip("?"),
                "in_cart": in_cart,
                "qty_hints": Catalog._quantity_hints(agreement, result["products"], in_cart),
                "show_stock_qty": request.env.company.agora_show_stock_quantity,
            }
        )
        return request.render("agora_portal.portal_my_catalog", values)

    def _agora_lists_to_add_to(self):
        """The requisition lists a product's card offers to add it to."""
        Requisition = request.env["agora.requisition.list"]
        user = request.env.user
        if not Requisition._agora_may_change_lists(user):
            return Requisition
        return Requisition.search(Requisition._agora_visible_domain(user))

    def _agora_in_cart(self, partner):
        """{product id: quantity in the user's cart}, one query."""
        cart_domain = request.env["sale.order"]._agora_cart_domain(partner, request.env.company)
        # sudo: reads the user's own cart lines only.
        groups = (
            request.env["sale.order.line"]
            .sudo()
            ._read_group(
                Domain("order_id", "any", cart_domain) & Domain("display_type", "=", False),
                ["product_id"],
                ["product_uom_qty:sum"],
            )
        )
        return {product.id: qty for product, qty in groups}

    @http.route(
        "/my/catalog/product/<int:product_id>",
        type="http",
        auth="user",
        methods=["GET"],
        website=True,
        readonly=True,
    )
    def portal_my_catalog_product(self, product_id, **kw):
        Catalog = request.env["agora.catalog"]
        partner = self._agora_partner()
        agreement = Catalog._get_agreement(partner)
        product = Catalog._get_product(partner, product_id, agreement)
        if not product:
            raise NotFound()
        pricelist = Catalog._get_pricelist(partner, agreement)
        in_cart = self._agora_in_cart(partner)
        values = self._agora_layout_values("agora_product")
        values.update(
            {
                "product": product,
                "price": Catalog._prices(product, pricelist).get(product.id, 0.0),
                "currency": pricelist.currency_id or request.env.company.currency_id,
                "stock": Catalog._stock_info(product)[product.id],
                "show_stock_qty": request.env.company.agora_show_stock_quantity,
                "last_lines": Catalog._last_order_lines(partner, product),
                "in_cart": in_cart,
                "qty_hints": Catalog._quantity_hints(agreement, product, in_cart),
                # What a list proposes: the least quantity that fits, cart or not.
                "list_qty_hints": Catalog._quantity_hints(agreement, product),
                "requisition_lists": self._agora_lists_to_add_to(),
                "current_url": request.httprequest.path,
                "attributes": [
                    (ptav.attribute_id.name, ptav.name)
                    for ptav in product.product_template_attribute_value_ids
                ]
                + [
                    (line.attribute_id.name, ", ".join(line.value_ids.mapped("name")))
                    for line in product.attribute_line_ids
                    if line.attribute_id.create_variant == "no_variant"
                ],
            }
        )
        return request.render("agora_portal.portal_my_catalog_product", values)

    @http.route(
        "/my/catalog/image/<int:product_id>/<int:size>",
        type="http",
        auth="user",
        methods=["GET"],
        readonly=True,
    )
    def portal_my_catalog_image(self, product_id, size, unique=None, **kw):
        """A product's image, for products of the client's assortment only."""
        field = IMAGE_FIELDS.get(size)
        Catalog = request.env["agora.catalog"]
        product = Catalog._get_product(self._agora_partner(), product_id) if field else None
        if not product:
            raise NotFound()
        stream = request.env["ir.binary"]._get_image_stream_from(product, field)
        kwargs = {"max_age": 3600}
        if unique:
            kwargs.update(immutable=True, max_age=http.STATIC_CACHE_LONG)
        return stream.get_response(**kwargs)

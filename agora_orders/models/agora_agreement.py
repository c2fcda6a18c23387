from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.fields import Domain
from odoo.tools import formatLang, ormcache

# The fields an agreement's cached assortment is read from.
ASSORTMENT_FIELDS = {"category_ids", "product_ids", "company_id"}


class AgoraAgreement(models.Model):
    """A client's supply agreement: what the client may order, and at which prices.

    One agreement at a time is active per client company. Sale orders take their
    price list, payment terms and reservation period from it, and refuse products
    outside its assortment (see ``sale.order._agora_check_orderable``).
    """

    _name = "agora.agreement"
    _description = "Client Agreement"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date_start desc, id desc"

    name = fields.Char(
        string="Number",
        required=True,
        copy=False,
        readonly=True,
        default=lambda self: self.env._("New"),
        tracking=True,
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Client",
        required=True,
        index=True,
        tracking=True,
        domain="[('is_company', '=', True)]",
        help="The client company. Its contacts order under this agreement.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="pricelist_id.currency_id")
    state = fields.Selection(
        [("draft", "Draft"), ("active", "Active"), ("closed", "Closed")],
        default="draft",
        required=True,
        tracking=True,
        copy=False,
    )
    date_start = fields.Date(
        string="Valid From", required=True, default=fields.Date.context_today, tracking=True
    )
    date_end = fields.Date(string="Valid Until", tracking=True)
    pricelist_id = fields.Many2one(
        "product.pricelist",
        string="Price List",
        check_company=True,
        tracking=True,
        help="The client's prices. Empty: the client's own price list.",
    )
    payment_term_id = fields.Many2one(
        "account.payment.term",
        string="Payment Terms",
        check_company=True,
        tracking=True,
        help="Terms of the client's invoices. With deferred terms the client may be "
        "shipped before paying.",
    )
    category_ids = fields.Many2many(
        "product.category",
        string="Allowed Categories",
        help="The client may order products of these categories and their subcategories.",
    )
    product_ids = fields.Many2many(
        "product.product",
        string="Allowed Products",
        check_company=True,
        help="The client may order these products, whatever their category.",
    )
    reserve_hours = fields.Integer(
        string="Reservation Period (hours)",
        help="How long a reserved, unpaid order keeps its stock. 0: the company's setting.",
    )
    quantity_rule_ids = fields.One2many(
        "agora.agreement.quantity.rule",
        "agreement_id",
        string="Quantity Rules",
        help="This client's own order pack and minimum per product, instead of the product's.",
    )
    note = fields.Html(string="Terms")
    sale_order_ids = fields.One2many("sale.order", "agora_agreement_id", string="Orders")
    sale_order_count = fields.Integer(compute="_compute_sale_order_count", string="Order Count")

    _one_active_per_client = models.UniqueIndex(
        "(partner_id, company_id) WHERE state = 'active'",
        "A client can have only one active agreement at a time.",
    )
    _dates_ordered = models.Constraint(
        "CHECK (date_end IS NULL OR date_end >= date_start)",
        "An agreement cannot end before it starts.",
    )

    @api.depends("sale_order_ids")
    def _compute_sale_order_count(self):
        counts = dict(
            self.env["sale.order"]._read_group(
                [("agora_agreement_id", "in", self.ids)], ["agora_agreement_id"], ["__count"]
            )
        )
        for agreement in self:
            agreement.sale_order_count = counts.get(agreement, 0)

    @api.constrains("partner_id")
    def _check_partner_is_company(self):
        for agreement in self:
            if agreement.partner_id != agreement.partner_id.commercial_partner_id:
                raise ValidationError(
                    self.env._(
                        "An agreement is made with a client company, not with its contact %s.",
                        agreement.partner_id.display_name,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if not vals.get("name") or vals["name"] == self.env._("New"):
                vals["name"] = self.env["ir.sequence"].next_by_code("agora.agreement") or "/"
        return super().create(vals_list)

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_activate(self):
        """Make these agreements the clients' active ones, closing the previous ones."""
        self.check_access("write")
        for agreement in self:
            if agreement.state == "active":
                continue
            if agreement.date_end and agreement.date_end < fields.Date.context_today(self):
                raise UserError(
                    self.env._(
                        "Agreement %s has already ended and cannot be activated.", agreement.name
                    )
                )
            previous = self.search(
                [
                    ("partner_id", "=", agreement.partner_id.id),
                    ("company_id", "=", agreement.company_id.id),
                    ("state", "=", "active"),
                    ("id", "!=", agreement.id),
                ]
            )
            previous.write({"state": "closed"})
            agreement.state = "active"
        return True

    def action_close(self):
        self.check_access("write")
        self.write({"state": "closed"})
        return True

    def action_draft(self):
        self.check_access("write")
        self.filtered(lambda a: a.state == "closed").write({"state": "draft"})
        return True

    def action_view_sale_orders(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "agora_orders.agora_sale_order_action"
        )
        action["domain"] = [("agora_agreement_id", "=", self.id)]
        action["context"] = {"default_partner_id": self.partner_id.id}
        return action

    # ------------------------------------------------------------------
    # The per-client catalog: ONE place decides what a client may order
    # ------------------------------------------------------------------

    @api.model
    def _get_active_agreement(self, partner, company=None, date=None):
        """The agreement in force today for ``partner``'s company, or an empty recordset."""
        if not partner:
            return self.browse()
        company = company or self.env.company
        date = date or fields.Date.context_today(self)
        return self.search(
            [
                ("partner_id", "=", partner.commercial_partner_id.id),
                ("company_id", "=", company.id),
                ("state", "=", "active"),
                ("date_start", "<=", date),
                "|",
                ("date_end", "=", False),
                ("date_end", ">=", date),
            ],
            limit=1,
        )

    def _get_assortment_domain(self, company=None):
        """The ``product.product`` domain of what may be ordered under this agreement.

        Always bounded to one company's products (and the shared ones): the
        agreement's company, else ``company``, else the current company. An empty
        recordset (no agreement) or an agreement without categories and products
        allows every saleable product of that company.
        """
        if len(self) > 1:
            self.ensure_one()
        company = self.company_id or company or self.env.company
        domain = Domain("sale_ok", "=", True) & Domain("company_id", "in", [False, company.id])
        parts = []
        category_ids, product_ids = self._get_assortment_ids() if self else ((), ())
        if category_ids:
            parts.append(Domain("categ_id", "in", list(category_ids)))
        if product_ids:
            parts.append(Domain("id", "in", list(product_ids)))
        if parts:
            domain &= Domain.OR(parts)
        return domain

    @ormcache("self.id")
    def _get_assortment_ids(self):
        """(ids of the allowed categories with all their subcategories, ids of
        the allowed products), read once and kept until an agreement or the
        category tree changes: every catalog page, search and cart check needs
        them. The subcategories are listed so that products are filtered on
        ``categ_id IN (...)``: a ``child_of`` would be a LIKE on the category
        path per allowed category, per product, in every catalog query."""
        # sudo: the assortment is the same whoever asks; callers check access.
        agreement = self.sudo()
        categories = agreement.category_ids
        if categories:
            categories = categories.search([("id", "child_of", categories.ids)])
        return tuple(categories.ids), tuple(agreement.product_ids.ids)

    def write(self, vals):
        res = super().write(vals)
        if ASSORTMENT_FIELDS & vals.keys():
            self.env.registry.clear_cache()
        return res

    def _filter_orderable_products(self, products, company=None):
        """The subset of ``products`` that may be ordered under this agreement
        (without one: the saleable products of ``company``, see
        ``_get_assortment_domain``)."""
        if not products:
            return products
        return products.with_context(active_test=True).search(
            Domain("id", "in", products.ids) & self._get_assortment_domain(company)
        )

    # ------------------------------------------------------------------
    # Pack sizes and minimums: ONE place decides which quantity fits
    # ------------------------------------------------------------------

    def _get_quantity_rules(self, products):
        """{product id: ``QuantityRule``} of the ``products`` that have one
        under this agreement (without one: the products' own rules).

        The agreement's rule for a product replaces the product's whole rule
        (an override without pack nor minimum lets any quantity through). One
        query for the overrides, whatever the number of products: the catalog
        asks for a page of them, the cart for all its lines.
        """
        if len(self) > 1:
            self.ensure_one()
        if not products:
            return {}
        # sudo: the rules are the agreement's terms for its own client, read
        # for the client's catalog and cart as their prices are.
        products = products.sudo()
        overrides = {}
        if self:
            for override in (
                self.env["agora.agreement.quantity.rule"]
                .sudo()
                .search(
                    [
                        ("agreement_id", "=", self.id),
                        ("product_tmpl_id", "in", products.product_tmpl_id.ids),
                    ]
                )
            ):
                overrides[override.product_tmpl_id.id] = override
        Template = self.env["product.template"]
        rules = {}
        for product in products:
            template = product.product_tmpl_id
            source = overrides.get(template.id)
            if source:
                pack, min_qty = source.pack_id, source.min_qty
            else:
                pack, min_qty = template.agora_order_pack_id, template.agora_order_min_qty
            rule = Template._agora_make_quantity_rule(product.uom_id, pack, min_qty)
            if rule:
                rules[product.id] = rule
        return rules

    @api.model
    def _quantity_text(self, qty):
        """A quantity as people write it: "50", "1 234", "2.5" (in the user's language)."""
        qty = float(qty or 0.0)
        if qty.is_integer():
            return formatLang(self.env, qty, digits=0)
        return formatLang(self.env, qty, digits=3).rstrip("0")

    @api.model
    def _quantity_rule_label(self, rule):
        """What the catalog, the cart and the upload show next to a quantity:
        "multiple of 12, min. 24"."""
        parts = []
        if rule.multiple:
            parts.append(self.env._("multiple of %s", self._quantity_text(rule.multiple)))
        if rule.minimum:
            parts.append(self.env._("min. %s", self._quantity_text(rule.minimum)))
        return ", ".join(parts)

    @api.model
    def _quantity_rule_refusal(self, rule, qty):
        """The one message of every path when ``qty`` does not fit ``rule``:
        what the rule is, and the nearest quantity that fits."""
        return self.env._(
            "Order rule: %(rule)s. %(qty)s does not fit; the nearest quantity that fits is "
            "%(nearest)s.",
            rule=self._quantity_rule_label(rule),
            qty=self._quantity_text(qty),
            nearest=self._quantity_text(rule.nearest(qty)),
        )

    def _get_pricelist(self, partner):
        """The price list for ``partner`` under this agreement (or the partner's own)."""
        return self.pricelist_id or partner.commercial_partner_id.property_product_pricelist

    def _get_reserve_hours(self, company):
        return self.reserve_hours or company.agora_reserve_hours

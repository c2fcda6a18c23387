import math
from dataclasses import dataclass

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import float_compare, float_is_zero, float_round


@dataclass(frozen=True)
class QuantityRule:
    """How a client may order one product: in whole packs of ``multiple`` and
    at least ``minimum``, both in the product's unit (0: no such rule).

    Read from the product (its order pack, one of Odoo's packagings, and its
    minimum) or from the client's agreement, which may override both; see
    ``agora.agreement._get_quantity_rules``.
    """

    multiple: float
    minimum: float
    rounding: float
    pack_name: str = ""

    def _is_multiple(self, qty):
        if not self.multiple:
            return True
        packs = qty / self.multiple
        return float_is_zero(
            (packs - round(packs)) * self.multiple, precision_rounding=self.rounding
        )

    def fits(self, qty):
        """Whether ``qty`` (in the product's unit) may be ordered."""
        if self.minimum and float_compare(qty, self.minimum, precision_rounding=self.rounding) < 0:
            return False
        return self._is_multiple(qty)

    def nearest(self, qty):
        """The smallest quantity that fits and is not below ``qty``."""
        qty = max(qty, self.minimum)
        if self.multiple and not self._is_multiple(qty):
            # A hair below a whole number of packs (a rounding error) is that number.
            packs = math.ceil(qty / self.multiple - self.rounding / self.multiple / 2)
            qty = packs * self.multiple
        return float_round(qty, precision_rounding=self.rounding)


class AgoraAgreementQuantityRule(models.Model):
    """A client's own pack size and minimum for one product, overriding the
    product's (``product.template.agora_order_pack_id``/``agora_order_min_qty``)."""

    _name = "agora.agreement.quantity.rule"
    _description = "Agreement Quantity Rule"
    _order = "agreement_id, product_tmpl_id"

    agreement_id = fields.Many2one(
        "agora.agreement", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="agreement_id.company_id", store=True)
    product_tmpl_id = fields.Many2one(
        "product.template",
        string="Product",
        required=True,
        ondelete="cascade",
        index=True,
        domain="[('sale_ok', '=', True)]",
    )
    product_uom_id = fields.Many2one(related="product_tmpl_id.uom_id", string="Unit")
    allowed_pack_ids = fields.Many2many(related="product_tmpl_id.uom_ids")
    pack_id = fields.Many2one(
        "uom.uom",
        string="Order Pack",
        domain="[('id', 'in', allowed_pack_ids)]",
        help="This client orders whole packs of this packaging. Empty: any number of units.",
    )
    min_qty = fields.Float(
        string="Minimum Quantity",
        digits="Product Unit",
        help="The least this client may order at once, in the product's unit. 0: no minimum.",
    )
    rule_text = fields.Char(string="Rule", compute="_compute_rule_text")

    _one_per_product = models.UniqueIndex(
        "(agreement_id, product_tmpl_id)",
        "An agreement has one quantity rule per product.",
    )
    _min_qty_not_negative = models.Constraint(
        "CHECK (min_qty >= 0)", "A minimum quantity cannot be negative."
    )

    @api.depends("pack_id", "min_qty", "product_tmpl_id")
    @api.depends_context("lang")
    def _compute_rule_text(self):
        Agreement = self.env["agora.agreement"]
        for rule in self:
            value = rule._as_quantity_rule()
            rule.rule_text = (
                Agreement._quantity_rule_label(value) if value else self.env._("Any quantity")
            )

    @api.constrains("pack_id", "product_tmpl_id")
    def _check_pack_of_product(self):
        for rule in self:
            if rule.pack_id and rule.pack_id not in rule.product_tmpl_id.uom_ids:
                raise ValidationError(
                    self.env._(
                        "%(pack)s is not a packaging of %(product)s.",
                        pack=rule.pack_id.name,
                        product=rule.product_tmpl_id.display_name,
                    )
                )

    def _as_quantity_rule(self):
        """This override as a ``QuantityRule``, or None when it allows any quantity."""
        self.ensure_one()
        return self.env["product.template"]._agora_make_quantity_rule(
            self.product_tmpl_id.uom_id, self.pack_id, self.min_qty
        )

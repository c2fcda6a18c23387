from collections import defaultdict

from odoo import models
from odoo.exceptions import UserError


class SaleOrder(models.Model):
    """Pack sizes and minimums (``agora.agreement._get_quantity_rules``):
    the client orders whole packs and at least the minimum; staff may accept
    another quantity, which the order's history records."""

    _inherit = "sale.order"

    def _agora_quantity_rules(self, products):
        """{product id: ``QuantityRule``} of ``products`` for this order's client."""
        self.ensure_one()
        return self.agora_agreement_id._get_quantity_rules(products)

    def _agora_quantity_totals(self, lines=None):
        """{product: (quantity in the product's unit, its first line)} of this
        order's lines (and of ``lines``, not saved yet): the rule holds for
        all the lines of a product together."""
        self.ensure_one()
        if lines is None:
            all_lines = self.order_line
        else:
            # In a form, the order's lines hold a stale copy of the line being
            # edited: the saved lines but that one, and the line as it is now.
            saved = self._origin.order_line if self._origin else self.env["sale.order.line"]
            all_lines = saved.filtered(lambda l: l not in lines._origin) | lines
        totals = defaultdict(float)
        first_lines = {}
        for line in all_lines:
            if line.display_type or not line.product_id:
                continue
            product = line.product_id
            totals[product] += line.product_uom_id._compute_quantity(
                line.product_uom_qty, product.uom_id, round=False
            )
            first_lines.setdefault(product, line)
        return {product: (qty, first_lines[product]) for product, qty in totals.items()}

    def _agora_quantity_refusals(self, lines=None, rules=None):
        """[(product, quantity, message, rule)] of this order's products whose
        quantity does not fit their rule, in the order of the lines (with
        ``lines``, not saved yet). A product at zero (a line emptied, a line
        Odoo adds for goods delivered beyond the order) orders nothing, and
        breaks no minimum.

        :param rules: ``_agora_quantity_rules`` of the order's products, when
            the caller has them
        """
        self.ensure_one()
        totals = self._agora_quantity_totals(lines)
        if rules is None:
            rules = self._agora_quantity_rules(self.env["product.product"].concat(*totals))
        Agreement = self.env["agora.agreement"]
        refusals = []
        for product, (qty, _line) in totals.items():
            rule = rules.get(product.id)
            if rule and product.uom_id.compare(qty, 0.0) > 0 and not rule.fits(qty):
                refusals.append((product, qty, Agreement._quantity_rule_refusal(rule, qty), rule))
        return refusals

    def _agora_check_quantity_rules(self):
        """Refuse an order the client sends with a quantity that does not fit
        its rule (a cart made before the rule changed, an approver's change)."""
        for order in self:
            refusals = order._agora_quantity_refusals()
            if refusals:
                raise UserError(
                    self.env._("Please correct these quantities:")
                    + "\n"
                    + "\n".join(
                        f"{product.display_name}: {message}"
                        for product, _qty, message, _rule in refusals
                    )
                )

    def _agora_log_quantity_overrides(self, products=None):
        """Record in the history each product of these orders (or of
        ``products``) that staff accepted beyond its rule: the quantity, and
        the rule, in the client's words. Only staff override a rule: a
        client's paths refuse such a quantity before it reaches a line."""
        if not self._agora_is_staff():
            return
        for order in self:
            for product, qty, _message, rule in order._agora_quantity_refusals():
                if products is not None and product not in products:
                    continue
                client_env = order.with_context(lang=order.partner_id.lang or self.env.lang).env
                order._agora_log_event(
                    "quantity_rule",
                    new_value=self.env["agora.order.event"]._qty_value(qty, product.uom_id),
                    product=product,
                    description=client_env._(
                        "Accepted beyond the order rule (%s)",
                        client_env["agora.agreement"]._quantity_rule_label(rule),
                    ),
                )

    def _agora_is_staff(self):
        """Whether the user acts for the supplier (who may override the rules)."""
        return self.env.user.has_group("sales_team.group_sale_salesman")

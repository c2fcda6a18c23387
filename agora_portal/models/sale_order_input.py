import math

from odoo import api, models
from odoo.exceptions import ValidationError
from odoo.tools import float_is_zero, float_round

# Above this, a quantity typed by a client is a typo, not an order.
MAX_LINE_QTY = 1_000_000


class SaleOrder(models.Model):
    """What the client types or uploads, read as numbers and quantities.

    ONE rule decides whether a quantity may go into a cart
    (``_agora_validate_qty``, then the product's pack size and minimum in
    ``_agora_validate_order_qty``), with the same message from the catalog,
    the quick add ("add a line"), the cart, a file upload and the repeat of a
    past order.
    """

    # One file per concern of the portal's sale.order (issue #17): the cart's
    # operations in sale_order_cart.py, the client's input in sale_order_input.py.
    _inherit = "sale.order"

    @api.model
    def _agora_to_number(self, value):
        """A float from the client's input ("1 234,5" too), or None."""
        if isinstance(value, bool):
            return None
        if isinstance(value, (int, float)):
            number = float(value)
        else:
            text = str(value or "").strip()
            for space in ("\xa0", "\u202f", " "):
                text = text.replace(space, "")
            try:
                number = float(text.replace(",", "."))
            except ValueError:
                return None
        return number if math.isfinite(number) else None

    @api.model
    def _agora_validate_qty(self, value, uom=None):
        """Whether ``value`` is a quantity a client may order, rounded to ``uom``.

        The one rule of every path that fills a cart; bulk callers (an upload's
        rows, a repeated order's lines) keep the message for each refusal
        instead of stopping at the first.

        :return: (quantity, None), or (None, the reason for the client)
        """
        number = self._agora_to_number(value)
        if number is None:
            return None, self.env._("Please enter the quantity as a number.")
        if uom:
            number = float_round(number, precision_rounding=uom.rounding)
        if number <= 0 or (uom and float_is_zero(number, precision_rounding=uom.rounding)):
            return None, self.env._("The quantity must be greater than zero.")
        if number > MAX_LINE_QTY:
            return None, self.env._(
                "The quantity cannot exceed %s.", f"{MAX_LINE_QTY:,}".replace(",", " ")
            )
        return number, None

    def _agora_validate_order_qty(self, product, value, in_cart=0.0, rules=None):
        """Whether ``value`` of ``product`` may go into this cart: a quantity
        (``_agora_validate_qty``) that, with the ``in_cart`` quantity the cart
        already holds, fits the product's order rule (whole packs, at least the
        minimum; ``agora.agreement._get_quantity_rules``).

        Called on the cart (its agreement's rules) or on the empty model (the
        products' own rules).

        :param rules: ``_get_quantity_rules`` of the caller's products, when a
            bulk caller read them at once
        :return: (quantity, None), or (None, the reason for the client)
        """
        number, error = self._agora_validate_qty(value, product.uom_id)
        if error:
            return None, error
        if rules is None:
            rules = self.agora_agreement_id._get_quantity_rules(product)
        rule = rules.get(product.id)
        total = in_cart + number
        if rule and not rule.fits(total):
            return None, self.env["agora.agreement"]._quantity_rule_refusal(rule, total)
        return number, None

    def _agora_parse_order_qty(self, product, value, in_cart=0.0):
        """``_agora_validate_order_qty``'s quantity.

        :raise ValidationError: with its reason.
        """
        number, error = self._agora_validate_order_qty(product, value, in_cart)
        if error:
            raise ValidationError(error)
        return number

    @api.model
    def _agora_parse_qty(self, value, uom=None):
        """A positive quantity from the client's input, rounded to ``uom``
        (``_agora_validate_qty``).

        :raise ValidationError: with ``_agora_validate_qty``'s reason.
        """
        number, error = self._agora_validate_qty(value, uom)
        if error:
            raise ValidationError(error)
        return number

import math

from odoo import api, models
from odoo.exceptions import ValidationError
from odoo.tools import float_is_zero, float_round

# Above this, a quantity typed by a client is a typo, not an order.
MAX_LINE_QTY = 1_000_000


class SaleOrder(models.Model):
    """What the client types or uploads, read as numbers and quantities.

    ONE rule decides whether a quantity may go into a cart
    (``_agora_validate_qty``), with the same message from the catalog, the
    quick add ("add a line"), a file upload and the repeat of a past order.
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

from odoo import http
from odoo.exceptions import AccessError, MissingError, ValidationError
from odoo.http import request

from odoo.addons.sale.controllers import portal as sale_portal


class AgoraPaymentPortal(sale_portal.PaymentPortal):
    """An Agora order is paid through its invoice, never through the order.

    Sale's route pays a quotation and lets the payment confirm it: that would
    skip the staff's review, the invoice issued at reservation and the
    reservation deadline. The model refuses such a confirmation anyway
    (``sale.order._confirmation_error_message``); the route refuses earlier, so
    that no money is taken for an order that would not move.
    """

    @http.route()
    def portal_order_transaction(self, order_id, access_token, **kwargs):
        try:
            order_sudo = self._document_check_access("sale.order", order_id, access_token)
        except MissingError:
            raise
        except AccessError as exc:
            raise ValidationError(request.env._("The access token is invalid.")) from exc
        if order_sudo._agora_confirmed_by_reservation():
            raise ValidationError(
                request.env._(
                    "Order %s is not paid online: once the supplier reserves it, pay its invoice.",
                    order_sudo.name,
                )
            )
        return super().portal_order_transaction(order_id, access_token, **kwargs)

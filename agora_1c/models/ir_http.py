from odoo import models
from odoo.http import request

EXCHANGE_ROUTE = "/agora/1c/exchange"


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    @classmethod
    def _pre_dispatch(cls, rule, args):
        result = super()._pre_dispatch(rule, args)
        if (
            rule.rule == EXCHANGE_ROUTE
            and (request.httprequest.args.get("mode") or "").strip().lower() == "file"
        ):
            # 1C posts files as a raw body, sometimes labelled
            # application/x-www-form-urlencoded. Odoo parses form bodies into
            # parameters before the controller runs, which would consume the
            # body; read and keep it first, so that the controller gets the
            # bytes 1C sent whatever the label.
            request.httprequest.get_data(cache=True, parse_form_data=False)
        return result

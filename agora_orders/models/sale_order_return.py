from odoo import api, models

from .agora_return_request import OPEN_RETURN_STATES


class SaleOrder(models.Model):
    """An order's return requests."""

    _inherit = "sale.order"

    def _agora_has_open_return(self):
        self.ensure_one()
        return any(r.state in OPEN_RETURN_STATES for r in self.agora_return_request_ids)

    @api.depends("agora_return_request_ids.state")
    def _compute_agora_open_return_count(self):
        for order in self:
            order.agora_open_return_count = len(
                order.agora_return_request_ids.filtered(lambda r: r.state in OPEN_RETURN_STATES)
            )

    def action_view_agora_return_requests(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "agora_orders.agora_return_request_action"
        )
        action["domain"] = [("order_id", "=", self.id)]
        action["context"] = {"create": False}
        return action

from odoo import models


class StockPicking(models.Model):
    _inherit = "stock.picking"

    def _action_done(self):
        res = super()._action_done()
        # A validated return transfer completes its approved return request.
        requests = self.env["agora.return.request"].search(
            [("picking_ids", "in", self.ids), ("state", "=", "approved")]
        )
        requests._agora_on_return_received()
        return res

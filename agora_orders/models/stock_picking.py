from odoo import models


class StockPicking(models.Model):
    _inherit = "stock.picking"

    def _action_done(self):
        res = super()._action_done()
        # super() created the backorders of partly received return transfers.
        self._agora_update_return_requests()
        return res

    def action_cancel(self):
        res = super().action_cancel()
        self._agora_update_return_requests()
        return res

    def unlink(self):
        requests = self._agora_open_return_requests()
        res = super().unlink()
        requests._agora_on_transfers_changed(self.browse())
        return res

    def _agora_open_return_requests(self):
        """The approved return requests of these transfers."""
        # A request's transfers are returns or their backorders: other transfers
        # (deliveries, receipts) cost no query.
        pickings = self.filtered(lambda p: p.return_id or p.backorder_id)
        if not pickings:
            return self.env["agora.return.request"]
        # sudo: the warehouse validates, cancels or deletes return transfers
        # without sales rights; the requests only follow what their transfers did.
        return (
            self.env["agora.return.request"]
            .sudo()
            .search([("picking_ids", "in", pickings.ids), ("state", "=", "approved")])
        )

    def _agora_update_return_requests(self):
        """Move the approved return requests of these transfers forward: follow
        the backorders, record what came back, and credit and close the requests
        whose goods are no longer expected."""
        self._agora_open_return_requests()._agora_on_transfers_changed(self)

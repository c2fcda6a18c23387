from datetime import timedelta

from odoo import api, fields, models


class AgoraReserveExtendWizard(models.TransientModel):
    _name = "agora.reserve.extend.wizard"
    _description = "Extend a Reservation"

    order_id = fields.Many2one("sale.order", required=True, readonly=True)
    current_deadline = fields.Datetime(related="order_id.agora_reserve_deadline")
    new_deadline = fields.Datetime(
        required=True,
        compute="_compute_new_deadline",
        store=True,
        readonly=False,
        precompute=True,
    )
    reason = fields.Char()

    @api.model_create_multi
    def create(self, vals_list):
        wizards = super().create(vals_list)
        # Its related and computed fields are read as superuser: only an order
        # the user may change is shown (and extended) through the wizard.
        wizards.order_id.check_access("write")
        return wizards

    @api.depends("order_id")
    def _compute_new_deadline(self):
        for wizard in self:
            base = max(
                wizard.order_id.agora_reserve_deadline or fields.Datetime.now(),
                fields.Datetime.now(),
            )
            wizard.new_deadline = base + timedelta(hours=24)

    def action_extend(self):
        self.ensure_one()
        self.order_id._agora_extend_reservation(self.new_deadline, self.reason)
        return {"type": "ir.actions.act_window_close"}

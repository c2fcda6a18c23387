from odoo import api, fields, models


class AgoraReturnRejectWizard(models.TransientModel):
    _name = "agora.return.reject.wizard"
    _description = "Reject a Return Request"

    request_id = fields.Many2one("agora.return.request", required=True, readonly=True)
    reason = fields.Text(required=True)

    @api.model_create_multi
    def create(self, vals_list):
        wizards = super().create(vals_list)
        # Only a request the user may decide on is named through the wizard.
        wizards.request_id.check_access("write")
        return wizards

    def action_reject(self):
        self.ensure_one()
        self.request_id._agora_reject(self.reason)
        return {"type": "ir.actions.act_window_close"}

from odoo import api, fields, models


class AgoraCreditOverrideWizard(models.TransientModel):
    """A sales manager reserves an order beyond its client's credit limit,
    saying why; the figures they decide on are shown first."""

    _name = "agora.credit.override.wizard"
    _description = "Reserve beyond the Credit Limit"

    order_id = fields.Many2one("sale.order", required=True, readonly=True)
    credit_figures = fields.Char(compute="_compute_credit_figures", string="Credit")
    reason = fields.Char(required=True)

    @api.model_create_multi
    def create(self, vals_list):
        wizards = super().create(vals_list)
        # The figures are read as superuser: only a sales manager, on an order
        # they may change, sees them (and reserves it) through the wizard.
        wizards.order_id.check_access("write")
        wizards.order_id._agora_check_credit_override_rights()
        return wizards

    @api.depends("order_id")
    def _compute_credit_figures(self):
        for wizard in self:
            order = wizard.order_id._origin
            figures = order._agora_credit_figures().get(order)
            wizard.credit_figures = order._agora_credit_figures_text(figures) if figures else False

    def action_reserve(self):
        self.ensure_one()
        self.order_id._agora_reserve_over_credit_limit(self.reason)
        return {"type": "ir.actions.act_window_close"}

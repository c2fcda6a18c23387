from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    agora_reserve_hours = fields.Integer(related="company_id.agora_reserve_hours", readonly=False)
    agora_reminder_hours = fields.Integer(
        related="company_id.agora_reminder_hours", readonly=False
    )
    agora_hold_threshold = fields.Float(related="company_id.agora_hold_threshold", readonly=False)
    agora_show_stock_quantity = fields.Boolean(
        related="company_id.agora_show_stock_quantity", readonly=False
    )
    agora_low_stock_threshold = fields.Float(
        related="company_id.agora_low_stock_threshold", readonly=False
    )

from odoo import api, fields, models
from odoo.exceptions import UserError

from odoo.addons.agora_orders.models.sale_order import AGORA_STATES

from .ir_http import EXCHANGE_ROUTE

EXPORT_STATE_KEYS = [key for key, _label in AGORA_STATES]
# Yes/no settings stored as "True"/"False": the exchange reads a missing
# parameter as its default (yes), so "no" must be written, not deleted as Odoo
# does with a boolean ``config_parameter`` field.
BOOLEAN_PARAMS = {
    "agora_1c_use_zip": ("use_zip", True),
    "agora_1c_full_export_archive": ("full_export_archive", True),
}
MEGABYTE = 1024 * 1024


def _export_state_field(key):
    return f"agora_1c_export_{key}"


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    agora_1c_exchange_url = fields.Char(
        string="1C Exchange URL",
        compute="_compute_agora_1c_exchange_url",
        help="The address to enter as the site's address in 1C's exchange node.",
    )
    agora_1c_use_zip = fields.Boolean(
        string="Accept Zip Archives",
        help="1C may send its files packed in one zip archive (smaller, faster).",
    )
    agora_1c_file_limit_mb = fields.Integer(
        string="File Chunk Limit (MB)",
        help="1C splits a file bigger than this into several requests. Keep it below the "
        "request size your web server or proxy accepts. 0: 100 MB.",
    )
    agora_1c_step_seconds = fields.Integer(
        string="Import Step (seconds)",
        config_parameter="agora_1c.step_seconds",
        default=15,
        help="How long one import request works before it answers 1C 'progress' and goes "
        "on at the next request. A request ends after the batch of products it is "
        "importing (up to 15 s more on a big catalog): keep the two well below your "
        "proxy's timeout.",
    )
    agora_1c_full_export_archive = fields.Boolean(
        string="Archive What a Full Export Omits",
        help="When 1C sends a full export (not only changes), the products of the groups it "
        "covers that it does not contain are archived. They are never deleted.",
    )
    agora_1c_encoding = fields.Selection(
        [("cp1251", "windows-1251"), ("utf-8-sig", "UTF-8 with BOM")],
        string="Orders File Encoding",
        config_parameter="agora_1c.encoding",
        default="cp1251",
        help="The encoding of the orders sent to 1C. windows-1251 suits every 1C release.",
    )
    agora_1c_log_days = fields.Integer(
        string="Keep Exchange Log (days)",
        config_parameter="agora_1c.log_days",
        default=90,
    )
    agora_1c_default_warehouse_id = fields.Many2one(
        "stock.warehouse",
        string="Default Warehouse for 1C Stock",
        config_parameter="agora_1c.default_warehouse_id",
        help="Where a quantity 1C sends without a warehouse is counted. Empty: the "
        "company's first warehouse.",
    )
    agora_1c_export_new = fields.Boolean(string="New")
    agora_1c_export_processing = fields.Boolean(string="Processing")
    agora_1c_export_reserve = fields.Boolean(string="Reserve")
    agora_1c_export_paid = fields.Boolean(string="Paid")
    agora_1c_export_shipped = fields.Boolean(string="Shipped")
    agora_1c_export_return = fields.Boolean(string="Return")
    agora_1c_export_closed = fields.Boolean(string="Closed")

    @api.depends("company_id")
    def _compute_agora_1c_exchange_url(self):
        # sudo: web.base.url is a system parameter; showing it to a sales manager
        # reveals nothing the browser's address bar does not.
        base_url = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        for settings in self:
            settings.agora_1c_exchange_url = base_url.rstrip("/") + EXCHANGE_ROUTE

    @api.model
    def get_values(self):
        res = super().get_values()
        Session = self.env["agora.1c.session"]
        for name, (key, default) in BOOLEAN_PARAMS.items():
            res[name] = Session._agora_1c_flag(key, default)
        limit = Session._agora_1c_param("file_limit", "")
        try:
            res["agora_1c_file_limit_mb"] = int(limit) // MEGABYTE if limit else 0
        except ValueError:
            res["agora_1c_file_limit_mb"] = 0
        states = self.env["sale.order"]._agora_1c_export_states()
        for key in EXPORT_STATE_KEYS:
            res[_export_state_field(key)] = key in states
        return res

    def set_values(self):
        res = super().set_values()
        # sudo: the exchange's settings are system parameters; the settings screen
        # is open to those allowed to change them.
        params = self.env["ir.config_parameter"].sudo()
        for name, (key, _default) in BOOLEAN_PARAMS.items():
            params.set_param(f"agora_1c.{key}", str(bool(self[name])))
        params.set_param(
            "agora_1c.file_limit",
            str(self.agora_1c_file_limit_mb * MEGABYTE)
            if self.agora_1c_file_limit_mb > 0
            else False,
        )
        states = [key for key in EXPORT_STATE_KEYS if self[_export_state_field(key)]]
        if not states:
            # The exchange reads "no status" as its default list.
            raise UserError(
                self.env._(
                    "Choose at least one status whose orders are sent to 1C (1C:Enterprise "
                    "simply does not ask for orders if you exchange only the catalog)."
                )
            )
        params.set_param("agora_1c.export_states", ",".join(states))
        return res

    def action_agora_1c_exchange_users(self):
        """The users 1C may log in as: those of the group "1C Exchange"."""
        self.ensure_one()
        group = self.env.ref("agora_1c.group_agora_1c_exchange")
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("1C Exchange Users"),
            "res_model": "res.users",
            "view_mode": "list,form",
            "domain": [("group_ids", "in", group.ids)],
            "context": {"default_group_ids": [group.id]},
        }

from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    agora_1c_id = fields.Char(
        string="1C Counterparty ID",
        index="btree_not_null",
        copy=False,
        help="The counterparty's Ид in 1C. Orders sent to 1C name their client by it; "
        "without it, by a stable id of this Odoo contact.",
    )

    def _agora_1c_counterparty_id(self):
        """The Ид 1C knows this client by: its own, else a stable Odoo one."""
        self.ensure_one()
        return self.agora_1c_id or f"odoo-partner-{self.id}"

from odoo import fields, models


class Agora1cWarehouse(models.Model):
    """A 1C warehouse (``Склад``) and the Odoo warehouse its stock goes to.

    The catalog import creates one the first time 1C names a warehouse; until
    staff choose the Odoo warehouse, that warehouse's stock is not imported
    (each offer's line is reported in the log).
    """

    _name = "agora.1c.warehouse"
    _description = "1C Warehouse"
    _order = "name, id"

    name = fields.Char(required=True, help="The warehouse's name in 1C.")
    external_id = fields.Char(
        string="1C ID", required=True, index=True, help="The warehouse's Ид in 1C."
    )
    warehouse_id = fields.Many2one(
        "stock.warehouse",
        string="Odoo Warehouse",
        ondelete="set null",
        check_company=True,
        help="Where this 1C warehouse's stock is counted. Several 1C warehouses may feed one "
        "Odoo warehouse: their quantities add up.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    active = fields.Boolean(default=True)

    _external_id_company_uniq = models.Constraint(
        "unique(external_id, company_id)",
        "A 1C warehouse is mapped once per company.",
    )

from odoo import fields, models


class Agora1cPriceType(models.Model):
    """A 1C price type (``ТипЦены``) and the price list its prices feed.

    The catalog import creates one the first time 1C names a type, with a price
    list of its own; staff may point it at the price list their client
    agreements already use instead.
    """

    _name = "agora.1c.price.type"
    _description = "1C Price Type"
    _order = "name, id"

    name = fields.Char(required=True, help="The price type's name in 1C.")
    external_id = fields.Char(
        string="1C ID", required=True, index=True, help="The price type's Ид in 1C."
    )
    pricelist_id = fields.Many2one(
        "product.pricelist",
        string="Price List",
        ondelete="set null",
        check_company=True,
        help="The price list this price type's prices are written to. Empty: its prices "
        "are not imported.",
    )
    currency_name = fields.Char(string="1C Currency", help="The currency as 1C writes it.")
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    active = fields.Boolean(default=True)
    last_import_date = fields.Datetime(readonly=True)

    _external_id_company_uniq = models.Constraint(
        "unique(external_id, company_id)",
        "A 1C price type is mapped once per company.",
    )

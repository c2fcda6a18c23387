from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    agora_reserve_hours = fields.Integer(
        string="Reservation Period (hours)",
        default=72,
        help="How long the stock of a reserved order stays reserved for an unpaid order, "
        "unless the client's agreement sets another period.",
    )
    agora_reminder_hours = fields.Integer(
        string="Reminder Before Expiry (hours)",
        default=24,
        help="The client is reminded this many hours before the reservation expires.",
    )
    agora_hold_threshold = fields.Float(
        string="Payment Hold Threshold (%)",
        default=0.0,
        help="A payment of at least this share of the invoice keeps the reservation "
        "from expiring. 0 means that any payment holds it. An order paid less than this "
        "share still expires at its deadline; its salesperson is asked to refund the "
        "payment or to reserve the order again.",
    )
    agora_show_stock_quantity = fields.Boolean(
        string="Show Stock Quantities to Clients",
        default=True,
        help="When set, clients see the quantity on hand in the portal catalog; "
        "otherwise only in stock / low / out.",
    )
    agora_low_stock_threshold = fields.Float(
        string="Low Stock Threshold",
        default=10.0,
        help="At or below this quantity the catalog shows the product as low on stock.",
    )

    # --- Russian requisites and the "Счёт на оплату" form (see report/) -------
    agora_kpp = fields.Char(related="partner_id.agora_kpp", readonly=False)
    agora_ogrn = fields.Char(related="partner_id.agora_ogrn", readonly=False)
    agora_legal_address = fields.Text(related="partner_id.agora_legal_address", readonly=False)
    agora_director_name = fields.Char(related="partner_id.agora_director_name", readonly=False)
    agora_accountant_name = fields.Char(related="partner_id.agora_accountant_name", readonly=False)
    agora_ru_invoice_form = fields.Boolean(
        string="Print Invoices as «Счёт на оплату»",
        help="Print customer invoices on the Russian invoice for payment form, with the "
        "company's bank requisites and the amount in words. Always used when the "
        "company is in Russia.",
    )

from odoo import fields, models
from odoo.tools import SQL

from ..models.sale_order import AGORA_STATES


class AgoraClientOverview(models.Model):
    """Per client and status: open orders, amount unpaid and reserved value."""

    _name = "agora.client.overview"
    _description = "Client Orders Overview"
    _auto = False
    _order = "partner_id, agora_state"

    partner_id = fields.Many2one("res.partner", string="Client", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    agora_state = fields.Selection(AGORA_STATES, string="Agora Status", readonly=True)
    order_count = fields.Integer(string="Orders", readonly=True, aggregator="sum")
    amount_total = fields.Monetary(string="Total", readonly=True, aggregator="sum")
    amount_unpaid = fields.Monetary(string="Unpaid", readonly=True, aggregator="sum")
    reserved_value = fields.Monetary(
        readonly=True,
        aggregator="sum",
        help="Value (taxes included) of the goods still reserved and not shipped.",
    )

    @property
    def _table_query(self):
        return SQL(
            """
            SELECT MIN(so.id) AS id,
                   rp.commercial_partner_id AS partner_id,
                   so.company_id,
                   so.user_id,
                   so.currency_id,
                   so.agora_state,
                   COUNT(*) AS order_count,
                   SUM(so.amount_total) AS amount_total,
                   SUM(COALESCE(so.agora_amount_unpaid, 0)) AS amount_unpaid,
                   SUM(COALESCE(res.reserved_value, 0)) AS reserved_value
              FROM sale_order so
              JOIN res_partner rp ON rp.id = so.partner_id
         LEFT JOIN LATERAL (
                   SELECT SUM(
                              CASE WHEN sol.product_uom_qty > 0
                                   THEN sol.price_total / sol.product_uom_qty
                                        * GREATEST(sol.product_uom_qty - sol.agora_qty_shipped, 0)
                                   ELSE 0 END
                          ) AS reserved_value
                     FROM sale_order_line sol
                    WHERE sol.order_id = so.id
                      AND so.agora_state IN ('reserve', 'paid', 'shipped')
                   ) res ON TRUE
             WHERE so.agora_state IS NOT NULL AND so.agora_state != 'closed'
          GROUP BY rp.commercial_partner_id, so.company_id, so.user_id, so.currency_id,
                   so.agora_state
            """
        )

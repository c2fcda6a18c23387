from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import SQL

# How many orders one ``query`` sends at most: 1C reads the rest next time.
EXPORT_BATCH_SIZE = 500
DEFAULT_EXPORT_STATES = "processing,reserve,paid,shipped,return,closed"


class SaleOrder(models.Model):
    _inherit = "sale.order"

    agora_1c_number = fields.Char(
        string="1C Number",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The number of this order in 1C («Номер по 1С»), sent back by the exchange.",
    )
    agora_1c_exported_date = fields.Datetime(
        string="Sent to 1C On",
        readonly=True,
        copy=False,
        help="When 1C last confirmed it received this order. An order changed since is "
        "sent again.",
    )
    agora_1c_payment_number = fields.Char(
        string="1C Payment",
        readonly=True,
        copy=False,
        help="The number of the payment 1C reported and the exchange registered.",
    )
    agora_1c_shipment_number = fields.Char(
        string="1C Shipment",
        readonly=True,
        copy=False,
        help="The number of the shipment 1C reported and the exchange validated.",
    )
    agora_1c_conflict = fields.Boolean(
        string="Changed in 1C",
        readonly=True,
        copy=False,
        index=True,
        help="1C sent a version of this order that differs from Odoo's (lines, total), or "
        "cancelled or deleted it there. The exchange changed nothing: staff decide.",
    )
    agora_1c_conflict_note = fields.Text(string="Difference with 1C", readonly=True, copy=False)

    # --- Export ------------------------------------------------------------

    @api.model
    def _agora_1c_export_states(self):
        Session = self.env["agora.1c.session"]
        value = Session._agora_1c_param("export_states", DEFAULT_EXPORT_STATES)
        valid = dict(self._fields["agora_state"].selection)
        states = [s.strip() for s in (value or "").split(",") if s.strip() in valid]
        return states or DEFAULT_EXPORT_STATES.split(",")

    @api.model
    def _agora_1c_orders_to_export(self, limit=EXPORT_BATCH_SIZE):
        """The orders to send to 1C: in the statuses of the setting, of the
        exchange's company, never sent or changed since they were last sent
        (``write_date`` after ``agora_1c_exported_date``); the oldest first."""
        self.env["sale.order"].flush_model(
            ["agora_state", "company_id", "agora_1c_exported_date", "write_date"]
        )
        # SQL: the ORM's domains cannot compare two columns of a row.
        self.env.cr.execute(
            SQL(
                """
                SELECT id FROM sale_order
                 WHERE agora_state IN %s
                   AND company_id = %s
                   AND (agora_1c_exported_date IS NULL OR write_date > agora_1c_exported_date)
              ORDER BY date_order, id
                 LIMIT %s
                """,
                tuple(self._agora_1c_export_states()),
                self.env["agora.1c.session"]._agora_1c_company().id,
                limit,
            )
        )
        return self.browse([row[0] for row in self.env.cr.fetchall()])

    def _agora_1c_mark_exported(self, versions):
        """1C confirmed it received these orders (``mode=success``), each in the
        version the query read: ``versions`` maps an order's id (text) to the
        ``write_date`` it had then.

        An order counts as sent up to that version, and only if it is still the
        current one: a change committed after the query read the order (by a
        transaction that may have started before it) keeps a later or another
        ``write_date`` and goes in the next query. The mark is written without
        touching ``write_date``: it is the exchange's bookkeeping, not a change
        of the order to send again.
        """
        known = [(order.id, versions.get(str(order.id))) for order in self]
        known = [(order_id, version) for order_id, version in known if version]
        if not known:
            return
        self.flush_recordset(["write_date"])
        self.env.cr.execute(
            SQL(
                """
                UPDATE sale_order AS so
                   SET agora_1c_exported_date = sent.version
                  FROM unnest(%s::int[], %s::timestamp[]) AS sent(id, version)
                 WHERE so.id = sent.id AND so.write_date = sent.version
                """,
                [order_id for order_id, _version in known],
                [version for _order_id, version in known],
            )
        )
        self.invalidate_recordset(["agora_1c_exported_date"])

    # --- Changes from 1C ------------------------------------------------------

    def _agora_1c_flag_conflict(self, note):
        """Flag an order 1C changed in a way the exchange does not apply, and
        ask its salesperson to look; the same difference is flagged once."""
        self.ensure_one()
        if self.agora_1c_conflict and self.agora_1c_conflict_note == note:
            return False
        self.write({"agora_1c_conflict": True, "agora_1c_conflict_note": note})
        responsible = self.user_id or self.team_id.user_id
        summary = self.env._("Order %s differs in 1C", self.name)
        body = Markup("<p>%s</p><pre>%s</pre>") % (
            self.env._("1C sent order %s in a version Odoo did not apply:", self.name),
            note,
        )
        if responsible:
            self.activity_schedule(
                "mail.mail_activity_data_todo",
                user_id=responsible.id,
                summary=summary,
                note=body,
            )
        self.message_post(body=body, subtype_xmlid="mail.mt_note")
        return True

    def action_agora_1c_resolve_conflict(self):
        """Staff settled the difference with 1C: clear the flag."""
        self.check_access("write")
        self.write({"agora_1c_conflict": False, "agora_1c_conflict_note": False})
        return True

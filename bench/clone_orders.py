"""Copy reserved orders in SQL, with everything their reservation made.

The generator reserves a set of orders through the real flow (Odoo confirms
each, creates its picking, reserves its stock, posts its invoice and emails the
client), which for 11,000 orders would take one hour or more; the others are
instead copied in SQL, a fixed number of times each: the client re-orders the
same basket. A copy is what the real flow would have made for that basket:

* the order and its lines (taxes included), with a new name from the order
  sequence;
* its stock reference, its delivery (a new name from the operation type's
  sequence), its stock moves and move lines, and the quants' reserved quantity
  raised by what the copied move lines reserve;
* its invoice, posted, with its lines, taxes, the link between order lines and
  invoice lines, a new number in the invoice's sequence, and its followers;
* its history events and its client's notifications.

Rows are copied table by table with ``INSERT ... SELECT``. Each copied table
gets a map (template row, copy number) → new id, and every foreign key to a
copied table is translated through that map, so copy *k* of a move points at
copy *k* of its picking. The chatter messages of the templates (Odoo's "Invoice
Created" and "created from" notes) are not copied.
"""

import logging

_logger = logging.getLogger(__name__)

# Copied tables, parents first, with the SQL selecting the templates' rows.
# A selection may use the maps of the tables listed before it.
TABLES = [
    ("sale_order", "SELECT id FROM clone_template"),
    (
        "sale_order_line",
        "SELECT id FROM sale_order_line WHERE order_id IN (SELECT id FROM clone_template)",
    ),
    # The orders' history and their clients' notifications.
    (
        "agora_order_event",
        "SELECT id FROM agora_order_event WHERE order_id IN (SELECT id FROM clone_template)",
    ),
    (
        "agora_notification",
        "SELECT id FROM agora_notification WHERE order_id IN (SELECT id FROM clone_template)",
    ),
    (
        "stock_reference",
        "SELECT DISTINCT reference_id FROM stock_reference_sale_rel"
        " WHERE sale_id IN (SELECT id FROM clone_template)",
    ),
    (
        "stock_picking",
        "SELECT id FROM stock_picking WHERE sale_id IN (SELECT id FROM clone_template)",
    ),
    (
        "stock_move",
        "SELECT id FROM stock_move"
        " WHERE sale_line_id IN (SELECT old_id FROM clone_map_sale_order_line)",
    ),
    (
        "stock_move_line",
        "SELECT id FROM stock_move_line"
        " WHERE move_id IN (SELECT old_id FROM clone_map_stock_move)",
    ),
    (
        "account_move",
        "SELECT DISTINCT l.move_id FROM account_move_line l"
        " JOIN sale_order_line_invoice_rel r ON r.invoice_line_id = l.id"
        " WHERE r.order_line_id IN (SELECT old_id FROM clone_map_sale_order_line)",
    ),
    (
        "account_move_line",
        "SELECT id FROM account_move_line"
        " WHERE move_id IN (SELECT old_id FROM clone_map_account_move)",
    ),
    (
        "mail_followers",
        "SELECT id FROM mail_followers WHERE"
        " (res_model = 'sale.order' AND res_id IN (SELECT old_id FROM clone_map_sale_order))"
        " OR (res_model = 'stock.picking'"
        " AND res_id IN (SELECT old_id FROM clone_map_stock_picking))"
        " OR (res_model = 'account.move'"
        " AND res_id IN (SELECT old_id FROM clone_map_account_move))",
    ),
]

# Many2many tables whose rows follow the copied rows they link.
RELATIONS = [
    "account_tax_sale_order_line_rel",
    "stock_reference_sale_rel",
    "stock_reference_move_rel",
    "sale_order_line_invoice_rel",
    "account_move_line_account_tax_rel",
    "mail_followers_mail_message_subtype_rel",
]

# Polymorphic references (res_model, res_id) translated like foreign keys.
POLYMORPHIC = {
    ("mail_followers", "res_id"): {
        "sale.order": "sale_order",
        "stock.picking": "stock_picking",
        "account.move": "account_move",
    },
}


# Columns not copied as they are: unique names get a placeholder until
# ``_rename`` numbers the copies; copy k of an order was placed and submitted
# k hours before its template.
OVERRIDES = {
    ("stock_picking", "name"): "'copy/' || m.new_id",
    ("account_move", "name"): "'copy/' || m.new_id",
    ("sale_order", "date_order"): "t.date_order - m.k * interval '1 hour'",
    ("sale_order", "agora_submitted_date"): "t.agora_submitted_date - m.k * interval '1 hour'",
    # A portal token is the order's own; the invoices' are renewed in _rename.
    ("sale_order", "access_token"): (
        "CASE WHEN t.access_token IS NULL THEN NULL ELSE gen_random_uuid()::text END"
    ),
}


def _scalar(cr, query, params=None):
    """The single value ``query`` returns."""
    cr.execute(query, params)
    return cr.fetchone()[0]


def _columns(cr, table):
    cr.execute(
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND table_name = %s ORDER BY ordinal_position",
        [table],
    )
    return [row[0] for row in cr.fetchall()]


def _foreign_keys(cr, table):
    """{column: referenced table} for the single-column foreign keys of ``table``."""
    cr.execute(
        """
        SELECT a.attname, c.confrelid::regclass::text
          FROM pg_constraint c
          JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
         WHERE c.contype = 'f' AND c.conrelid = %s::regclass AND array_length(c.conkey, 1) = 1
        """,
        [table],
    )
    return dict(cr.fetchall())


def _mapped(column, target, row, copy):
    """SQL for ``row.column`` translated to copy ``copy`` when it points at a copied row."""
    return (
        f'COALESCE((SELECT x.new_id FROM clone_map_{target} x WHERE x.old_id = {row}."{column}"'
        f' AND x.k = {copy}), {row}."{column}")'
    )


def _copy_tables(cr, copies):
    copied = set()
    for table, selection in TABLES:
        cr.execute(
            f"""
            CREATE TEMP TABLE clone_map_{table} ON COMMIT DROP AS
            SELECT s.id AS old_id, k.k, nextval(pg_get_serial_sequence('{table}', 'id')) AS new_id
              FROM ({selection}) s(id) CROSS JOIN generate_series(1, %s) k(k)
             ORDER BY k.k, s.id
            """,
            [copies],
        )
        cr.execute(f"CREATE UNIQUE INDEX ON clone_map_{table} (old_id, k)")
        cr.execute(f"ANALYZE clone_map_{table}")
        copied.add(table)
        fks = _foreign_keys(cr, table)
        exprs = []
        columns = [c for c in _columns(cr, table) if c != "id"]
        for column in columns:
            if (table, column) in OVERRIDES:
                exprs.append(OVERRIDES[(table, column)])
            elif fks.get(column) in copied:
                exprs.append(_mapped(column, fks[column], "t", "m.k"))
            elif (table, column) in POLYMORPHIC:
                cases = " ".join(
                    f"WHEN '{model}' THEN {_mapped(column, target, 't', 'm.k')}"
                    for model, target in POLYMORPHIC[(table, column)].items()
                )
                exprs.append(f'CASE t.res_model {cases} ELSE t."{column}" END')
            else:
                exprs.append(f't."{column}"')
        names = ", ".join(f'"{c}"' for c in columns)
        cr.execute(
            f"""
            INSERT INTO {table} (id, {names})
            SELECT m.new_id, {", ".join(exprs)}
              FROM {table} t JOIN clone_map_{table} m ON m.old_id = t.id
            """
        )
        _logger.info("copied %d rows of %s", cr.rowcount, table)
    for table in RELATIONS:
        fks = {c: t for c, t in _foreign_keys(cr, table).items() if t in copied}
        columns = _columns(cr, table)
        joins = " ".join(
            f'LEFT JOIN clone_map_{fks[c]} m_{c} ON m_{c}.old_id = r."{c}" AND m_{c}.k = k.k'
            for c in columns
            if c in fks
        )
        exprs = [f'COALESCE(m_{c}.new_id, r."{c}")' if c in fks else f'r."{c}"' for c in columns]
        found = " OR ".join(f"m_{c}.new_id IS NOT NULL" for c in columns if c in fks)
        cr.execute(
            f"""
            INSERT INTO {table} ({", ".join(f'"{c}"' for c in columns)})
            SELECT {", ".join(exprs)}
              FROM {table} r CROSS JOIN generate_series(1, %s) k(k) {joins}
             WHERE {found}
            """,
            [copies],
        )


def _check_nothing_left_behind(cr):
    """Refuse the copies when a template's row is referenced from a row not
    copied (a second delivery step, a payment, a return, a move outside the
    order's lines...): its copies would lack it. Polymorphic references
    (chatter notes) are not checked."""
    from odoo.tools import SQL  # noqa: PLC0415

    copied = [table for table, _selection in TABLES]
    known = set(RELATIONS)
    cr.execute(
        """
        SELECT referencing.relname, a.attname, referenced.relname
          FROM pg_constraint c
          JOIN pg_class referencing ON referencing.oid = c.conrelid
          JOIN pg_class referenced ON referenced.oid = c.confrelid
          JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
         WHERE c.contype = 'f' AND referenced.relname = ANY(%s)
         ORDER BY 1, 2
        """,
        [copied],
    )
    left = []
    for table, column, target in cr.fetchall():
        if table in known:
            continue
        # A copied table's rows that point at a template's row must be copied too.
        not_copied = (
            SQL(" AND id NOT IN (SELECT old_id FROM %s)", SQL.identifier(f"clone_map_{table}"))
            if table in copied
            else SQL()
        )
        referenced = SQL(
            "SELECT EXISTS (SELECT 1 FROM %s WHERE %s IN (SELECT old_id FROM %s WHERE k = 1)%s)",
            SQL.identifier(table),
            SQL.identifier(column),
            SQL.identifier(f"clone_map_{target}"),
            not_copied,
        )
        if _scalar(cr, referenced):
            left.append(f"{table}.{column}")
    if left:
        raise RuntimeError(f"the reserved orders have rows the copy would leave out: {left}")


def _name_table(cr, table, ids, names):
    """Temporary table ``clone_<table>_name`` (new_id, old_name, new_name): the
    copies' new names (``names``, for the rows ``ids``) beside their templates'."""
    from odoo.tools import SQL  # noqa: PLC0415

    cr.execute(
        SQL(
            """
            CREATE TEMP TABLE %(name)s ON COMMIT DROP AS
            SELECT m.new_id, t.name AS old_name, n.name AS new_name
              FROM %(map)s m
              JOIN %(table)s t ON t.id = m.old_id
              JOIN unnest(%(ids)s::int[], %(names)s::varchar[]) AS n(id, name) ON n.id = m.new_id
            """,
            name=SQL.identifier(f"clone_{table}_name"),
            map=SQL.identifier(f"clone_map_{table}"),
            table=SQL.identifier(table),
            ids=list(ids),
            names=list(names),
        )
    )


def _rename(env):
    """New names: orders and deliveries from their sequences, invoices in their journal's."""
    cr = env.cr
    cr.execute("SELECT new_id FROM clone_map_sale_order ORDER BY new_id")
    order_ids = [row[0] for row in cr.fetchall()]
    sequence = env["ir.sequence"].sudo().search([("code", "=", "sale.order")], limit=1)
    _name_table(cr, "sale_order", order_ids, [sequence._next() for _ in order_ids])
    # The template's name is replaced by the copy's in the texts derived from it.
    cr.execute(
        """
        UPDATE sale_order so SET name = c.new_name
          FROM clone_sale_order_name c WHERE so.id = c.new_id;
        UPDATE stock_reference r SET name = replace(r.name, c.old_name, c.new_name)
          FROM stock_reference_sale_rel rel, clone_sale_order_name c, clone_map_stock_reference m
         WHERE rel.reference_id = r.id AND rel.sale_id = c.new_id AND m.new_id = r.id;
        """
    )
    cr.execute(
        """
        SELECT p.id, t.picking_type_id FROM clone_map_stock_picking m
          JOIN stock_picking p ON p.id = m.new_id
          JOIN stock_picking t ON t.id = m.old_id
         ORDER BY p.id
        """
    )
    rows = cr.fetchall()
    types = env["stock.picking.type"].sudo().browse({type_id for _p, type_id in rows})
    sequences = {picking_type.id: picking_type.sequence_id for picking_type in types}
    _name_table(
        cr, "stock_picking", [p for p, _t in rows], [sequences[t]._next() for _p, t in rows]
    )
    cr.execute(
        """
        UPDATE stock_picking p
           SET name = c.new_name, origin = replace(p.origin, o.old_name, o.new_name)
          FROM clone_stock_picking_name c, clone_sale_order_name o
         WHERE p.id = c.new_id AND o.new_id = p.sale_id;
        UPDATE stock_move mv
           SET reference = replace(mv.reference, c.old_name, c.new_name),
               origin = replace(mv.origin, o.old_name, o.new_name)
          FROM clone_stock_picking_name c, stock_picking p, clone_sale_order_name o,
               clone_map_stock_move m
         WHERE mv.picking_id = c.new_id AND p.id = c.new_id AND o.new_id = p.sale_id
           AND m.new_id = mv.id;
        """
    )
    # Invoices: the next numbers of each journal and prefix, in the copies' order.
    cr.execute(
        """
        SELECT m.new_id, t.journal_id, t.sequence_prefix, t.name, t.sequence_number
          FROM clone_map_account_move m JOIN account_move t ON t.id = m.old_id
         ORDER BY m.new_id
        """
    )
    rows = cr.fetchall()
    last = {}
    numbers = []
    for _move_id, journal_id, prefix, name, number in rows:
        key = (journal_id, prefix)
        if key not in last:
            last[key] = (
                _scalar(
                    cr,
                    "SELECT max(sequence_number) FROM account_move"
                    " WHERE journal_id = %s AND sequence_prefix = %s",
                    [journal_id, prefix],
                )
                or 0
            )
        last[key] += 1
        width = len(name) - len(prefix) if name.startswith(prefix) else len(str(number))
        numbers.append((last[key], f"{prefix}{str(last[key]).zfill(width)}"))
    cr.execute(
        "CREATE TEMP TABLE clone_invoice_name"
        " (id int PRIMARY KEY, number int, name varchar) ON COMMIT DROP"
    )
    cr.execute(
        "INSERT INTO clone_invoice_name SELECT * FROM unnest(%s::int[], %s::int[], %s::varchar[])",
        [[r[0] for r in rows], [n for n, _name in numbers], [name for _n, name in numbers]],
    )
    cr.execute(
        """
        CREATE TEMP TABLE clone_invoice_order ON COMMIT DROP AS
        SELECT DISTINCT mv.new_id AS move_id, t.name AS old_name, n.name AS new_name,
               o.old_name AS old_order, o.new_name AS new_order
          FROM clone_map_account_move mv
          JOIN account_move t ON t.id = mv.old_id
          JOIN clone_invoice_name n ON n.id = mv.new_id
          JOIN account_move_line l ON l.move_id = mv.new_id
          JOIN sale_order_line_invoice_rel rel ON rel.invoice_line_id = l.id
          JOIN sale_order_line sl ON sl.id = rel.order_line_id
          JOIN clone_sale_order_name o ON o.new_id = sl.order_id;
        UPDATE account_move am
           SET name = c.new_name,
               sequence_number = n.number,
               payment_reference = replace(am.payment_reference, c.old_name, c.new_name),
               invoice_origin = replace(am.invoice_origin, c.old_order, c.new_order),
               ref = replace(am.ref, c.old_order, c.new_order),
               access_token = CASE WHEN am.access_token IS NULL THEN NULL
                                   ELSE gen_random_uuid()::text END
          FROM clone_invoice_order c, clone_invoice_name n
         WHERE am.id = c.move_id AND n.id = c.move_id;
        UPDATE account_move_line l
           SET move_name = c.new_name,
               ref = replace(l.ref, c.old_order, c.new_order),
               name = CASE WHEN l.display_type = 'payment_term'
                           THEN replace(replace(l.name, c.old_name, c.new_name),
                                        c.old_order, c.new_order)
                           ELSE l.name END
          FROM clone_invoice_order c
         WHERE l.move_id = c.move_id;
        """
    )
    unnamed = _scalar(
        cr,
        "SELECT count(*) FROM clone_map_account_move m"
        " WHERE NOT EXISTS (SELECT 1 FROM clone_invoice_order c WHERE c.move_id = m.new_id)",
    )
    if unnamed:
        raise RuntimeError(f"{unnamed} copied invoices are linked to no copied order")


def _reserve_copied_stock(cr):
    """Raise each quant's reserved quantity by what the copied move lines reserve."""
    cr.execute(
        """
        CREATE TEMP TABLE clone_reserved ON COMMIT DROP AS
        SELECT product_id, location_id, lot_id, package_id, owner_id,
               sum(quantity_product_uom) AS quantity
          FROM stock_move_line
         WHERE id IN (SELECT new_id FROM clone_map_stock_move_line)
         GROUP BY product_id, location_id, lot_id, package_id, owner_id
        """
    )
    groups = _scalar(cr, "SELECT count(*) FROM clone_reserved")
    cr.execute(
        """
        UPDATE stock_quant q SET reserved_quantity = q.reserved_quantity + r.quantity
          FROM clone_reserved r
         WHERE q.product_id = r.product_id AND q.location_id = r.location_id
           AND q.lot_id IS NOT DISTINCT FROM r.lot_id
           AND q.package_id IS NOT DISTINCT FROM r.package_id
           AND q.owner_id IS NOT DISTINCT FROM r.owner_id
        """
    )
    if cr.rowcount != groups:
        raise RuntimeError(f"copied reservations match {cr.rowcount} quants, not {groups}")
    over = _scalar(
        cr,
        "SELECT count(*) FROM stock_quant WHERE reserved_quantity > quantity"
        " AND product_id IN (SELECT product_id FROM clone_reserved)",
    )
    if over:
        raise RuntimeError(f"copying the reservations over-reserves {over} quants")


def clone_reserved_orders(env, template_ids, copies):
    """Copy each order of ``template_ids`` ``copies`` times; return the copies' ids.

    The copies are made in the caller's transaction; the ORM caches are
    invalidated afterwards.
    """
    cr = env.cr
    env.flush_all()
    cr.execute("CREATE TEMP TABLE clone_template (id int PRIMARY KEY) ON COMMIT DROP")
    cr.execute("INSERT INTO clone_template SELECT unnest(%s::int[])", [list(template_ids)])
    _copy_tables(cr, copies)
    _check_nothing_left_behind(cr)
    _rename(env)
    _reserve_copied_stock(cr)
    cr.execute("SELECT new_id FROM clone_map_sale_order ORDER BY new_id")
    ids = [row[0] for row in cr.fetchall()]
    env.invalidate_all()
    return ids

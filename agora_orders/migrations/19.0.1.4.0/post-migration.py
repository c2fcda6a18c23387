def migrate(cr, version):
    """The reason staff gave for extending a reservation was stored in the
    event's client-facing description; it is the staff's internal note."""
    if not version:
        return
    cr.execute(
        """
        UPDATE agora_order_event
           SET internal_note = description, description = NULL
         WHERE event_type = 'deadline'
           AND description IS NOT NULL
           AND internal_note IS NULL
        """
    )

"""What the portal shows of an order, as plain values for its templates.

Presentation only: the status, the reservation and the quantities are decided
by ``agora_orders``' models; these functions turn them into badge classes,
texts and lists that the controllers' ``_prepare_*``/``_agora_*_values`` hand
to the templates.
"""

import math

from odoo import fields
from odoo.tools import float_repr

STATE_BADGE_CLASSES = {
    "new": "text-bg-light",
    "processing": "text-bg-info",
    "reserve": "text-bg-warning",
    "paid": "text-bg-primary",
    "shipped": "text-bg-success",
    "return": "text-bg-danger",
    "closed": "text-bg-secondary",
}
# A closed order that was completed stands out from a cancelled or expired one.
CLOSED_DONE_BADGE_CLASS = "text-bg-dark"
TIMELINE_STEPS = ("new", "processing", "reserve", "paid", "shipped")


def state_badge_class(order):
    """The Bootstrap class of the order's status badge."""
    if order.agora_state == "closed" and order.agora_close_reason == "done":
        return CLOSED_DONE_BADGE_CLASS
    return STATE_BADGE_CLASSES.get(order.agora_state, "text-bg-light")


def reservation_notice(order, now=None):
    """What the order card says of the reservation: "running" (the time left
    to pay), "over" (its time is over, and the cron or staff have yet to
    release it), or "" when the order is not reserved."""
    if not order._agora_reservation_runs():
        return ""
    if order.agora_reserve_deadline <= (now or fields.Datetime.now()):
        return "over"
    return "running"


def time_left(order, now=None):
    """The time left before the reservation expires, as text; "" without one."""
    if not order._agora_reservation_runs():
        return ""
    env = order.env
    seconds = (order.agora_reserve_deadline - (now or fields.Datetime.now())).total_seconds()
    if seconds <= 0:
        return env._("expired")
    minutes = int(seconds // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return env._("%(days)s d %(hours)s h left", days=days, hours=hours)
    if hours:
        return env._("%(hours)s h %(minutes)s min left", hours=hours, minutes=minutes)
    return env._("%s min left", max(minutes, 1))


def timeline(order):
    """The status steps of the order, for the card's timeline.

    :return: list of {"key", "label", "done", "current", "date"}
    """
    labels = dict(order._fields["agora_state"]._description_selection(order.env))
    reached = {}
    for event in order.agora_event_ids.sorted("date"):
        if event.event_type == "state" and event.new_value:
            reached.setdefault(event.new_value, event.date)
    steps = list(TIMELINE_STEPS)
    if order.agora_state == "return" or "return" in reached:
        steps.append("return")
    steps.append("closed")
    current = order.agora_state
    current_index = steps.index(current) if current in steps else 0
    reached.setdefault("new", order.create_date)
    if order.agora_submitted_date:
        reached.setdefault("processing", order.agora_submitted_date)
    return [
        {
            "key": key,
            "label": labels.get(key, key),
            "done": index < current_index or (key in reached and index <= current_index),
            "current": key == current,
            "date": reached.get(key),
        }
        for index, key in enumerate(steps)
    ]


def line_quantities(order):
    """Per product line: ordered, reserved, shipped, returned (in the line's unit)."""
    return [
        {
            "line": line,
            "ordered": line.product_uom_qty,
            "reserved": line.agora_qty_reserved,
            "shipped": line.agora_qty_shipped,
            "returned": line.agora_qty_returned,
        }
        for line in order.order_line
        if not line.display_type and line.product_id
    ]


def order_card_values(order):
    """The order card's values: which Agora sections it shows, the status
    timeline, the reservation and the quantities (only for the sections shown).
    """
    order.ensure_one()
    # The status once the order left New (a cart or a quotation has none yet);
    # the quantities and history once the client submitted it or it is confirmed.
    show_status = bool(order.agora_state and order.agora_state != "new") or bool(
        order.agora_submitted_date
    )
    show_details = bool(order.agora_submitted_date) or order.state == "sale"
    now = fields.Datetime.now()
    return {
        "agora_show_status": show_status,
        "agora_show_details": show_details,
        "agora_show_amount_due": order.agora_state not in ("new", "processing")
        and order.state != "cancel",
        "agora_timeline": timeline(order) if show_status else [],
        "agora_reservation_notice": reservation_notice(order, now) if show_status else "",
        "agora_time_left": time_left(order, now) if show_status else "",
        "agora_line_quantities": line_quantities(order) if show_details else [],
        "agora_credit_notice": order._agora_client_credit_notice() if show_status else {},
    }


def qty_input_value(qty, uom):
    """A quantity as a form's input shows it: every digit the unit keeps, in
    plain decimals ("12345.67", "1000000", never "1.23457e+04"), so that the
    form sent back unchanged changes no quantity."""
    digits = max(0, round(-math.log10(uom.rounding))) if uom and uom.rounding < 1 else 0
    text = float_repr(qty, digits)
    return text.rstrip("0").rstrip(".") if "." in text else text

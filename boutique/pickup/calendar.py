"""The pick-up slot as an iCalendar event: the customer's "add to my calendar" link and the
invitation attached to the schedule mails are the same file."""

from datetime import datetime
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import Calendar, Event

from ..formatting import babel_locale, in_locale
from ..models import utcnow
from ..timezones import shop_zone


def order_calendar(order):
    """The order's pick-up slot as an .ics file (bytes); the event's UID stays the order's."""
    slot, point = order.slot, order.slot.point
    shop = current_app.config["SHOP_NAME"]
    zone = shop_zone()
    with force_locale(babel_locale(order.locale or current_app.config["BABEL_DEFAULT_LOCALE"])):
        summary = _(
            "Retrait de votre commande %(number)s — %(shop)s", number=order.number, shop=shop
        )
        description = "\n\n".join(
            part
            for part in (
                _("Commande %(number)s.", number=order.number),
                in_locale(point, "instructions").strip(),
            )
            if part
        )
    host = urlsplit(current_app.config["PUBLIC_URL"]).hostname or "lapepiniere.example"

    event = Event()
    event.add("uid", f"retrait-commande-{order.id}@{host}")
    now = utcnow()
    event.add("dtstamp", now)
    # A later invitation (slot moved) must replace the earlier one: its sequence is higher.
    event.add("sequence", int(now.timestamp()))
    event.add("dtstart", datetime.combine(slot.day, slot.starts_at, tzinfo=zone))
    event.add("dtend", datetime.combine(slot.day, slot.ends_at, tzinfo=zone))
    event.add("summary", summary)
    event.add("location", ", ".join(part for part in (point.name, point.address.strip()) if part))
    event.add("description", description)

    calendar = Calendar()
    calendar.add("prodid", f"-//{shop}//Boutique//FR")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()

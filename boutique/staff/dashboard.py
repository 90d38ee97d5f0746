"""Staff: the dashboard, a to-do list first (what waits for someone), then the weeks."""

from dataclasses import dataclass
from datetime import timedelta

from flask import render_template, url_for
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from .. import outbox
from ..auth import staff_required
from ..extensions import db
from ..legal import services as legal
from ..legal.defaults import TITLES as LEGAL_TITLES
from ..models import COLLECTIBLE_STATUSES, Order, PickupSlot, SalesWeek, User
from ..passports import services as passports
from ..payments.invoices import overdue_invoices
from ..timezones import shop_today
from ..weeks import services as weeks
from . import bp


@dataclass(frozen=True)
class Task:
    text: str
    url: str
    urgent: bool = False


def todo(user, today=None):
    """What waits for the team, each with the page where it is done; empty when nothing does."""
    today = today or shop_today()
    tasks = []
    to_confirm = db.session.execute(
        select(SalesWeek.id, SalesWeek.label, func.count(Order.id))
        .join(Order, Order.week_id == SalesWeek.id)
        .where(Order.status == "placed")
        .group_by(SalesWeek.id, SalesWeek.label, SalesWeek.opens_at)
        .order_by(SalesWeek.opens_at)
    ).all()
    for week_id, label, count in to_confirm:
        tasks.append(
            Task(
                ngettext(
                    "%(num)d commande à confirmer (%(week)s)",
                    "%(num)d commandes à confirmer (%(week)s)",
                    count,
                    week=label,
                ),
                url_for("staff.orders", semaine=week_id, statut="placed"),
            )
        )
    pickups = dict(
        db.session.execute(
            select(PickupSlot.day, func.count(Order.id))
            .join(Order, Order.slot_id == PickupSlot.id)
            .where(
                PickupSlot.day.in_((today, today + timedelta(days=1))),
                Order.status.in_(COLLECTIBLE_STATUSES),
            )
            .group_by(PickupSlot.day)
        ).all()
    )
    for day, when in ((today, "today"), (today + timedelta(days=1), "tomorrow")):
        if pickups.get(day):
            count, date_text = pickups[day], format_date(day, "full")
            text = (
                ngettext(
                    "%(num)d retrait aujourd'hui (%(day)s)",
                    "%(num)d retraits aujourd'hui (%(day)s)",
                    count,
                    day=date_text,
                )
                if when == "today"
                else ngettext(
                    "%(num)d retrait demain (%(day)s)",
                    "%(num)d retraits demain (%(day)s)",
                    count,
                    day=date_text,
                )
            )
            tasks.append(Task(text, url_for("staff.handover_day", jour=day.isoformat())))
    overdue = len(overdue_invoices(today))
    if overdue:
        tasks.append(
            Task(
                ngettext(
                    "%(num)d facture en retard de paiement",
                    "%(num)d factures en retard de paiement",
                    overdue,
                ),
                url_for("staff.invoice_list", statut="en_retard"),
                urgent=True,
            )
        )
    undelivered = outbox.undelivered_count()
    if undelivered:
        tasks.append(
            Task(
                ngettext(
                    "%(num)d mail n'a pas pu être distribué",
                    "%(num)d mails n'ont pas pu être distribués",
                    undelivered,
                ),
                url_for("staff.undelivered_mails"),
                urgent=True,
            )
        )
    if passports.missing_operator_warning():
        tasks.append(
            Task(
                _(
                    "Passeport phytosanitaire : le numéro d'enregistrement de l'opérateur "
                    "(PLANT_PASSPORT_OPERATOR) n'est pas configuré, les passeports des plants "
                    "sont incomplets."
                ),
                url_for("staff.passport_register"),
                urgent=True,
            )
        )
    if user.is_admin:
        pending = db.session.scalar(
            select(func.count()).select_from(User).where(User.pro_status == "pending")
        )
        if pending:
            tasks.append(
                Task(
                    ngettext(
                        "%(num)d compte professionnel attend votre validation",
                        "%(num)d comptes professionnels attendent votre validation",
                        pending,
                    ),
                    url_for("staff.professionals"),
                )
            )
    return tasks


@bp.get("/")
@staff_required
def dashboard():
    return render_template(
        "staff/dashboard.html",
        tasks=todo(current_user),
        weeks=weeks.all_weeks()[:8],
        legal_to_fill=legal.pages_to_fill(),
        legal_titles=LEGAL_TITLES,
    )

"""Staff: generate, review and publish the week's pick-up schedule; move an order."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from ..auth import staff_required
from ..extensions import db
from ..formatting import parse_id
from ..models import Order, PickupSlot, SalesWeek
from ..pickup import schedule
from ..pickup.services import SlotError, slots_by_point, week_slots
from ..transactions import retried
from . import bp
from .documents import queue_week_pdfs
from .orders import calls_text, mails_text, slot_label


@bp.get("/semaines/<int:week_id>/planning")
@staff_required
def schedule_page(week_id):
    week = db.get_or_404(SalesWeek, week_id)
    slots = week_slots(week)
    by_slot, waiting = schedule.week_schedule(week)
    # Why each waiting order cannot be placed now (a dry run of the assignment).
    specs, _slots = schedule.week_slot_specs(week)
    dry_run = schedule.assign(
        specs,
        [
            schedule.OrderSpec(
                o.id, o.customer_kind, o.created_at, o.preferred_point_id, o.preferred_day
            )
            for o in waiting
        ],
    )
    return render_template(
        "staff/schedule.html",
        week=week,
        groups=slots_by_point(slots),
        by_slot=by_slot,
        waiting=waiting,
        unpaid=schedule.unpaid_card_orders(week),
        reasons={oid: schedule.REASONS[r] for oid, r in dry_run.unplaced.items()},
        slots=slots,
        slot_label=slot_label,
    )


@bp.post("/semaines/<int:week_id>/planning/generer")
@staff_required
@retried
def generate_schedule(week_id):
    week = db.get_or_404(SalesWeek, week_id)
    result = schedule.generate_schedule(week, actor=current_user)
    queue_week_pdfs(week)  # the lists change: the worker renders them before anyone asks
    db.session.commit()
    flash(
        ngettext("%(num)d commande placée.", "%(num)d commandes placées.", len(result.placed)),
        "success",
    )
    if week.schedule_published_at is not None and result.placed:  # told as they were placed
        told = result.told
        published = _("Le planning étant publié, les nouveaux créneaux sont annoncés.")
        flash(f"{published} {mails_text(told.mailed, told.to_call)}", "info")
    if result.unplaced:
        flash(
            ngettext(
                "%(num)d commande n'a pas pu être placée : voir la liste.",
                "%(num)d commandes n'ont pas pu être placées : voir la liste.",
                len(result.unplaced),
            ),
            "error",
        )
    return redirect(url_for("staff.schedule_page", week_id=week.id))


@bp.get("/semaines/<int:week_id>/planning/publier")
@staff_required
def confirm_publish_schedule(week_id):
    """What publishing will do (who is mailed, who must be called), before it is done."""
    week = db.get_or_404(SalesWeek, week_id)
    publication = schedule.publication(week)
    return render_template(
        "staff/schedule_publish.html",
        week=week,
        mailed=publication.mailed,
        to_call=publication.to_call,
        mails=publication.mails,  # the pick-up mails and the "pay to keep it" ones
        unpaid=schedule.unpaid_card_orders(week),
        slot_label=slot_label,
    )


@bp.post("/semaines/<int:week_id>/planning/publier")
@staff_required
@retried
def publish_schedule(week_id):
    week = db.get_or_404(SalesWeek, week_id)
    told = schedule.publish_schedule(week)
    queue_week_pdfs(week)
    db.session.commit()
    if told.mails:  # one mail per order: a customer with two orders gets two
        text = ngettext(
            "Planning publié : %(num)d e-mail envoyé.",
            "Planning publié : %(num)d e-mails envoyés.",
            told.mails,
        )
    else:
        text = _("Planning publié : aucun e-mail à envoyer.")
    flash(f"{text} {calls_text(told.to_call)}" if told.to_call else text, "success")
    return redirect(url_for("staff.schedule_page", week_id=week.id))


@bp.post("/commandes/<int:order_id>/creneau")
@staff_required
@retried
def move_order(order_id):
    order = db.get_or_404(Order, order_id)
    raw = request.form.get("slot_id", "")
    slot_id = parse_id(raw)
    slot = db.session.get(PickupSlot, slot_id) if slot_id is not None else None
    back = url_for("staff.schedule_page", week_id=order.week_id)
    if slot is None:
        flash(_("Choisissez un créneau."), "error")
        return redirect(back)
    try:
        moved = schedule.move_order(order, slot, actor=current_user)
        db.session.commit()
    except SlotError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        if moved:
            flash(
                _(
                    "Commande %(number)s déplacée : %(slot)s.",
                    number=order.number,
                    slot=slot_label(slot),
                ),
                "success",
            )
    return redirect(back)

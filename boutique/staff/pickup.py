"""Staff pages for pick-up points, their weekly slot templates and each week's slots."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from flask_login import current_user

from ..auth import staff_required
from ..extensions import db
from ..models import PickupPoint, PickupSlot, SalesWeek, SlotTemplate
from ..pickup import schedule
from ..pickup import services as pickup
from ..transactions import retried
from . import bp
from .orders import mails_text
from .pickup_forms import (
    CapacityForm,
    ClosingForm,
    PointForm,
    RetimeForm,
    SlotForm,
    TemplateForm,
    weekday_names,
)

# --- Points and their weekly templates -------------------------------------------------------


@bp.get("/points")
@staff_required
def points():
    return render_template("staff/points.html", points=pickup.points(), weekdays=weekday_names())


@bp.route("/points/nouveau", methods=["GET", "POST"])
@bp.route("/points/<int:point_id>", methods=["GET", "POST"])
@staff_required
def edit_point(point_id=None):
    point = db.get_or_404(PickupPoint, point_id) if point_id is not None else None
    form = PointForm(obj=point)
    if form.validate_on_submit():
        is_new = point is None
        point = pickup.save_point(point or PickupPoint(), form.values())
        db.session.commit()
        flash(_("Point de retrait « %(name)s » enregistré.", name=point.name), "success")
        if is_new:
            # Straight on to its weekly slots, which need the point to exist.
            return redirect(url_for("staff.edit_point", point_id=point.id))
        return redirect(url_for("staff.points"))
    status = 422 if form.errors else 200
    return _point_page(point, form, TemplateForm(formdata=None), status)


@bp.post("/points/<int:point_id>/modeles")
@staff_required
def add_template(point_id):
    point = db.get_or_404(PickupPoint, point_id)
    form = TemplateForm()
    if form.validate():
        try:
            template = pickup.add_template(
                point, form.weekday.data, form.starts_at.data, form.ends_at.data, form.capacity.data
            )
        except pickup.SlotError as error:
            db.session.rollback()
            form.ends_at.errors.append(str(error))
        else:
            db.session.commit()
            flash(
                _(
                    "Modèle « %(slot)s » ajouté à « %(point)s ».",
                    slot=_template_name(template),
                    point=point.name,
                ),
                "success",
            )
            return redirect(url_for("staff.edit_point", point_id=point.id, _anchor="modeles"))
    return _point_page(point, PointForm(formdata=None, obj=point), form, 422)


@bp.post("/points/modeles/<int:template_id>/supprimer")
@staff_required
def delete_template(template_id):
    template = db.get_or_404(SlotTemplate, template_id)
    point_id, name = template.point_id, _template_name(template)
    pickup.delete_template(template)
    db.session.commit()
    flash(
        _(
            "Modèle « %(slot)s » supprimé. Les créneaux déjà créés dans les semaines ne changent pas.",
            slot=name,
        ),
        "info",
    )
    return redirect(url_for("staff.edit_point", point_id=point_id, _anchor="modeles"))


def _point_page(point, form, template_form, status):
    return render_template(
        "staff/point_form.html",
        point=point,
        form=form,
        template_form=template_form,
        weekdays=weekday_names(),
    ), status


def _template_name(template):
    return (
        f"{weekday_names()[template.weekday]} {template.starts_at:%H:%M}–{template.ends_at:%H:%M}"
    )


# --- A week's slots --------------------------------------------------------------------------


@bp.get("/semaines/<int:week_id>/creneaux")
@staff_required
def week_slots(week_id):
    week = db.get_or_404(SalesWeek, week_id)
    return _slots_page(week, SlotForm(week=week, points=pickup.points()), 200)


@bp.post("/semaines/<int:week_id>/creneaux")
@staff_required
@retried
def add_slot(week_id):
    week = db.get_or_404(SalesWeek, week_id)
    form = SlotForm(week=week, points=pickup.points())
    if form.validate():
        try:
            slot = pickup.add_slot(
                week,
                db.session.get(PickupPoint, form.point_id.data),
                form.chosen_day(),
                form.starts_at.data,
                form.ends_at.data,
                form.capacity.data,
            )
        except pickup.SlotError as error:
            db.session.rollback()
            form.ends_at.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Créneau ajouté : %(slot)s.", slot=_slot_name(slot)), "success")
            return redirect(url_for("staff.week_slots", week_id=week.id))
    return _slots_page(week, form, 422)


@bp.post("/semaines/<int:week_id>/creneaux/modeles")
@staff_required
@retried
def create_slots_from_templates(week_id):
    week = db.get_or_404(SalesWeek, week_id)
    count = pickup.create_slots_from_templates(week)
    db.session.commit()
    if count:
        flash(
            ngettext(
                "%(num)d créneau de retrait créé depuis les modèles.",
                "%(num)d créneaux de retrait créés depuis les modèles.",
                count,
            ),
            "success",
        )
    else:
        flash(
            _(
                "Aucun créneau à créer : ceux des modèles existent déjà pour les jours de retrait de la semaine."
            ),
            "info",
        )
    return redirect(url_for("staff.week_slots", week_id=week.id))


@bp.post("/creneaux/<int:slot_id>/capacite")
@staff_required
@retried
def resize_slot(slot_id):
    form = CapacityForm()
    slot = _slot_or_404(slot_id, form.week_id.data)
    week_id, name = slot.week_id, _slot_name(slot)
    try:
        if not form.validate():
            raise pickup.SlotError(" ".join(map(str, form.capacity.errors)))
        pickup.resize_slot(slot, form.capacity.data)
    except pickup.SlotError as error:
        db.session.rollback()
        flash(_("%(slot)s — %(error)s", slot=name, error=str(error)), "error")
    else:
        db.session.commit()
        flash(
            ngettext(
                "%(slot)s : capacité de %(num)d commande.",
                "%(slot)s : capacité de %(num)d commandes.",
                form.capacity.data,
                slot=name,
            ),
            "success",
        )
    return redirect(url_for("staff.week_slots", week_id=week_id))


@bp.post("/creneaux/<int:slot_id>/horaire")
@staff_required
@retried
def retime_slot(slot_id):
    """Move a slot to another day or time; its customers get the new time and invitation."""
    form = RetimeForm()
    slot = _slot_or_404(slot_id, form.week_id.data)
    week_id, before = slot.week_id, _slot_name(slot)
    try:
        if not form.validate():
            raise pickup.SlotError(" ".join(str(e) for errors in form.errors.values() for e in errors))
        told = schedule.retime_slot(
            slot, form.day.data, form.starts_at.data, form.ends_at.data, actor=current_user
        )
    except pickup.SlotError as error:
        db.session.rollback()
        flash(_("%(slot)s — %(error)s", slot=before, error=str(error)), "error")
    else:
        db.session.commit()
        moved = _("%(slot)s : créneau déplacé.", slot=_slot_name(slot))
        flash(f"{moved} {mails_text(told.mailed, told.to_call)}", "success")
    return redirect(url_for("staff.week_slots", week_id=week_id))


@bp.post("/creneaux/<int:slot_id>/fermeture")
@staff_required
@retried
def close_slot(slot_id):
    form = ClosingForm()
    slot = _slot_or_404(slot_id, form.week_id.data)
    if not form.validate():
        abort(400)
    moved = schedule.close_slot(slot, form.action.data == "close", actor=current_user)
    db.session.commit()
    if not slot.closed:
        flash(_("%(slot)s : rouvert aux commandes.", slot=_slot_name(slot)), "success")
        return redirect(url_for("staff.week_slots", week_id=slot.week_id))
    flash(_("%(slot)s : fermé, il ne prend plus de commandes.", slot=_slot_name(slot)), "info")
    if moved.placed or moved.unplaced:
        flash(
            _(
                "Ses commandes : %(placed)d placées sur d'autres créneaux, %(left)d sans créneau "
                "(voir le planning).",
                placed=len(moved.placed),
                left=len(moved.unplaced),
            ),
            "info",
        )
    if moved.told.mailed or moved.told.to_call:  # the schedule was published: they were told
        told = moved.told
        published = _("Le planning étant publié, les nouveaux créneaux sont annoncés.")
        flash(f"{published} {mails_text(told.mailed, told.to_call)}", "info")
    return redirect(url_for("staff.week_slots", week_id=slot.week_id))


def _slots_page(week, form, status):
    slots = pickup.week_slots(week)
    by_point = pickup.slots_by_point(slots)
    return render_template("staff/slots.html", week=week, form=form, by_point=by_point), status


def _slot_or_404(slot_id, week_id):
    """The slot, if it belongs to the week the page showed (when the page says which)."""
    slot = db.get_or_404(PickupSlot, slot_id)
    if week_id and week_id != str(slot.week_id):
        abort(404)
    return slot


def _slot_name(slot):
    times = _(
        "de %(start)s à %(end)s", start=f"{slot.starts_at:%H:%M}", end=f"{slot.ends_at:%H:%M}"
    )
    return f"{slot.point.name}, {format_date(slot.day, 'full')}, {times}"

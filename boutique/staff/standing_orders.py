"""Staff: the standing orders ("Commandes récurrentes"), their next placement and last
shortfalls; suspend one with a reason (the customer is mailed), lift the suspension."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..auth import staff_required
from ..extensions import db
from ..models import StandingOrder
from ..standing import services as standing_orders
from ..transactions import retried
from . import bp


@bp.get("/commandes-recurrentes")
@staff_required
def standing_orders_page():
    standings = standing_orders.all_standing_orders()
    history = standing_orders.placement_history([s.id for s in standings])
    first = standing_orders.first_open_monday()
    return render_template(
        "staff/standing_orders.html",
        standings=standings,
        history=history,
        next_mondays={
            s.id: standing_orders.next_monday(s, history.placed[s.id], first) for s in standings
        },
    )


def _back(standing):
    return redirect(url_for("staff.standing_orders_page") + f"#standing-{standing.id}")


@bp.post("/commandes-recurrentes/<int:standing_id>/suspendre")
@staff_required
@retried
def suspend_standing_order(standing_id):
    standing = db.get_or_404(StandingOrder, standing_id)
    try:
        standing_orders.staff_pause(standing, request.form.get("reason", ""))
        db.session.commit()
    except standing_orders.StandingError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        flash(
            _(
                "Commande récurrente de %(name)s suspendue ; le client est prévenu par e-mail.",
                name=standing.customer.display_name,
            ),
            "success",
        )
    return _back(standing)


@bp.post("/commandes-recurrentes/<int:standing_id>/reprendre")
@staff_required
@retried
def resume_standing_order(standing_id):
    standing = db.get_or_404(StandingOrder, standing_id)
    try:
        standing_orders.staff_resume(standing)
        db.session.commit()
    except standing_orders.StandingError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        flash(
            _(
                "Commande récurrente de %(name)s reprise ; le client est prévenu par e-mail.",
                name=standing.customer.display_name,
            ),
            "success",
        )
    return _back(standing)

"""The customer's standing orders, in "Mon compte": list, create (also from a past order),
change, pause, resume, stop. Only the customer's own; anyone else's is not found."""

import re
import secrets
from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from ..checkout.forms import URL_SAFE_CODE
from ..extensions import db
from ..formatting import parse_id
from ..models import Order
from ..transactions import retried
from . import bp
from . import services as standing_orders
from .services import StandingError

bp.add_app_template_global(standing_orders.week_name, "standing_week")
bp.add_app_template_global(standing_orders.weekday_name, "weekday_name")
bp.add_app_template_global(standing_orders.describe_report, "standing_report_line")
bp.add_app_template_filter(date.fromisoformat, "iso_day")


def _customer():
    """Standing orders are a customer's: staff and the gate have none."""
    if current_user.role != "customer":
        abort(403)
    return current_user


def _own_or_404(standing_id):
    standing = standing_orders.standing_for_customer(standing_id, _customer())
    if standing is None:
        abort(404)
    return standing


@bp.get("/")
@login_required
def index():
    customer = _customer()
    standings = standing_orders.customer_standing_orders(customer)
    history = standing_orders.placement_history([s.id for s in standings])
    first = standing_orders.first_open_monday()
    return render_template(
        "standing/list.html",
        standings=standings,
        history=history,
        next_mondays={
            s.id: standing_orders.next_monday(s, history.placed[s.id], first) for s in standings
        },
        pause_choices=standing_orders.form_choices(customer).mondays,
        first_monday=first,
    )


def _form_page(standing, choices, values, errors=(), status=200, source=None):
    return render_template(
        "standing/form.html",
        standing=standing,
        choices=choices,
        values=values,
        errors=errors,
        source=source,
    ), status


@bp.route("/nouvelle", methods=["GET", "POST"])
@login_required
@retried
def new():
    """A new standing order; ?commande=<id> fills it from one of the customer's orders."""
    customer = _customer()
    choices = standing_orders.form_choices(customer)
    source = None
    if request.args.get("commande"):
        source = db.session.get(Order, parse_id(request.args["commande"]) or 0)
        if source is None or source.customer_id != customer.id:
            abort(404)
    if request.method == "GET":
        values = (
            standing_orders.values_from_order(source, choices)
            if source
            else {"every_weeks": "1", "lines": {}, "skip": []}
        )
        # Drawn with the form: the same form sent twice (a double click, a retry after a lost
        # answer, two tabs) finds the standing order of the first (rule 10).
        values["form_token"] = secrets.token_urlsafe(24)
        return _form_page(None, choices, values, source=source)
    token = request.form.get("form_token", "")
    if not re.fullmatch(URL_SAFE_CODE, token):
        return _stale_form(choices, source)
    first = standing_orders.standing_by_form_token(token, customer)
    if first is not None:
        return _saved(first)
    try:
        values = standing_orders.read_form(request.form, choices)
        standing = standing_orders.new_standing(form_token=token)
        standing_orders.save_standing(standing, customer, values)
        db.session.commit()
    except StandingError as error:
        db.session.rollback()
        return _form_page(None, choices, _typed(request.form), error.messages, 422, source)
    except IntegrityError:
        # The same form, sent at the same time, was saved by the other request first.
        db.session.rollback()
        first = standing_orders.standing_by_form_token(token, customer)
        return _saved(first) if first else _stale_form(choices, source)
    return _saved(standing)


def _stale_form(choices, source):
    """A form without a valid token of its own: shown again with a new one, nothing saved."""
    values = {**_typed(request.form), "form_token": secrets.token_urlsafe(24)}
    message = _("Ce formulaire n'est plus valable : vérifiez-le et enregistrez à nouveau.")
    return _form_page(None, choices, values, [message], 422, source)


def _saved(standing):
    flash(_("Votre commande récurrente est enregistrée."), "success")
    return redirect(url_for("standing.index") + f"#standing-{standing.id}")


@bp.route("/<int:standing_id>", methods=["GET", "POST"])
@login_required
@retried
def edit(standing_id):
    standing = _own_or_404(standing_id)
    choices = standing_orders.form_choices(current_user, standing)
    if request.method == "GET":
        return _form_page(standing, choices, standing_orders.form_values(standing))
    try:
        values = standing_orders.read_form(request.form, choices)
        standing_orders.save_standing(standing, current_user, values)
        db.session.commit()
    except StandingError as error:
        db.session.rollback()
        return _form_page(standing, choices, _typed(request.form), error.messages, 422)
    flash(_("Votre commande récurrente est modifiée."), "success")
    return redirect(url_for("standing.index") + f"#standing-{standing.id}")


def _typed(form):
    """What the customer typed, shown again with the messages."""
    lines = {}
    for name, value in form.items():
        if name.startswith("qty-") and (product_id := parse_id(name[4:])) is not None:
            lines[product_id] = value
    return {**form.to_dict(), "lines": lines, "skip": form.getlist("skip")}


def _back(standing):
    return redirect(url_for("standing.index") + f"#standing-{standing.id}")


@bp.post("/<int:standing_id>/pause")
@login_required
@retried
def pause(standing_id):
    standing = _own_or_404(standing_id)
    mondays = standing_orders.form_choices(current_user, standing).mondays
    try:
        until = date.fromisoformat(request.form.get("paused_until", ""))
    except ValueError:
        until = None
    try:
        standing_orders.pause_until(standing, until, mondays)
        db.session.commit()
    except StandingError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        flash(
            _("En pause jusqu'à : %(week)s (incluse).", week=standing_orders.week_name(until)),
            "success",
        )
    return _back(standing)


@bp.post("/<int:standing_id>/reprendre")
@login_required
@retried
def resume(standing_id):
    standing = _own_or_404(standing_id)
    try:
        standing_orders.resume(standing)
        db.session.commit()
    except StandingError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        flash(_("Votre commande récurrente reprend."), "success")
    return _back(standing)


@bp.post("/<int:standing_id>/arreter")
@login_required
@retried
def stop(standing_id):
    standing = _own_or_404(standing_id)
    try:
        standing_orders.stop(standing)
        db.session.commit()
    except StandingError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        flash(
            _(
                "Votre commande récurrente est arrêtée. Les commandes déjà passées restent : "
                "vous pouvez les modifier ou les annuler depuis « Mes commandes »."
            ),
            "info",
        )
    return _back(standing)

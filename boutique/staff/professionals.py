"""Admins: professional accounts — pending, approved, refused; approve, refuse, revoke,
approve again, each with a mail to the customer and a line in the account's history."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..account import professionals
from ..auth import admin_required, recent_login_required
from ..extensions import db
from ..transactions import retried
from . import bp
from .professional_forms import DecisionForm

# The confirmation pages: the decisions that take a reason.
CONFIRMED = ("refuse", "revoke")


def _back_to_list(status=None, search=None):
    return redirect(url_for("staff.professionals", statut=status, q=search or None))


@bp.get("/professionnels", endpoint="professionals")
@admin_required
@recent_login_required
def list_professionals():
    status = request.args.get("statut", "pending")
    if status not in professionals.STATUSES:
        status = "pending"
    search = request.args.get("q", "").strip()[:100]
    accounts = professionals.professional_accounts(status, search)
    return render_template(
        "staff/professionals.html",
        status=status,
        search=search,
        accounts=accounts,
        counts=professionals.status_counts(search),
        histories=professionals.histories(accounts),
        form=DecisionForm(formdata=None),
        professionals=professionals,
    )


@bp.get("/professionnels/<int:user_id>/refuser", defaults={"decision": "refuse"})
@bp.get("/professionnels/<int:user_id>/retirer", defaults={"decision": "revoke"})
@admin_required
@recent_login_required
def confirm_review(user_id, decision):
    try:
        user = professionals.professional_account(user_id)
        professionals.check_applies(user, decision)
    except professionals.DecisionRefused as error:
        flash(str(error), "error")
        return _back_to_list()
    form = DecisionForm(formdata=None, decision=decision, status=user.pro_status)
    return _confirmation(user, form)


def _confirmation(user, form, status=200):
    return render_template(
        "staff/professional_decision.html",
        user=user,
        form=form,
        decision=form.decision.data,
        contact_email=professionals.shop_contact_address(),
    ), status


@bp.post("/professionnels/<int:user_id>")
@admin_required
@recent_login_required
@retried
def review(user_id):
    form = DecisionForm()
    if not form.validate():
        if form.forged or form.decision.data not in CONFIRMED:
            abort(400)
        # Only the reason is wrong: the confirmation page again, with its message.
        try:
            return _confirmation(professionals.professional_account(user_id), form, 422)
        except professionals.DecisionRefused as error:
            flash(str(error), "error")
            return _back_to_list(form.status.data)
    try:
        user = professionals.decide(
            user_id, form.decision.data, form.status.data, current_user, form.reason.data
        )
    except professionals.DecisionRefused as error:
        db.session.rollback()
        flash(str(error), "error")
        return _back_to_list(form.status.data)
    db.session.commit()
    flash(_done_message(form.decision.data, user), "success")
    return _back_to_list(form.status.data)


def _done_message(decision, user):
    if decision == "approve":
        return _(
            "Compte « %(name)s » validé : il voit les prix professionnels ; un e-mail le lui "
            "annonce.",
            name=user.display_name,
        )
    if decision == "refuse":
        return _(
            "Demande de « %(name)s » refusée ; un e-mail le lui annonce.", name=user.display_name
        )
    return _(
        "Validation de « %(name)s » retirée : il voit de nouveau les prix particuliers ; ses "
        "commandes déjà passées gardent leurs prix. Un e-mail le lui annonce.",
        name=user.display_name,
    )

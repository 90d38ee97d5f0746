"""Admins: the team's accounts — create one, change its role, disable or enable it, mail it a
link to choose a password. Every page asks for a recent login."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..auth import admin_required, recent_login_required
from ..extensions import db
from . import account_services, bp
from .account_forms import ActionForm, ActiveForm, NewAccountForm, RoleForm


def _page(form, status=200):
    return render_template(
        "staff/accounts.html",
        accounts=account_services.staff_accounts(),
        form=form,
        role_labels=account_services.ROLE_LABELS,
    ), status


def _account_or_404(user_id):
    user = account_services.staff_account(user_id)
    if user is None:
        abort(404)
    return user


def _commit_or_explain(action):
    """Run an account service and commit; a refusal is rolled back and flashed. True when done."""
    try:
        result = action()
    except account_services.AccountError as error:
        db.session.rollback()
        flash(str(error), "error")
        return False, None
    db.session.commit()
    return True, result


def _flash_errors(form):
    for errors in form.errors.values():
        for error in errors:
            flash(str(error), "error")


@bp.get("/comptes")
@admin_required
@recent_login_required
def accounts():
    return _page(NewAccountForm(formdata=None))


@bp.post("/comptes")
@admin_required
@recent_login_required
def create_account():
    form = NewAccountForm()
    if not form.validate():
        return _page(form, 422)
    try:
        user = account_services.create_account(
            email=form.email.data,
            first_name=form.first_name.data,
            last_name=form.last_name.data,
            role=form.role.data,
            by=current_user,
        )
    except account_services.AccountError as error:
        db.session.rollback()
        form.email.errors.append(str(error))
        return _page(form, 422)
    db.session.commit()
    flash(
        _(
            "Compte de %(email)s créé : un lien pour choisir son mot de passe lui est envoyé.",
            email=user.email,
        ),
        "success",
    )
    return redirect(url_for("staff.accounts"))


@bp.post("/comptes/<int:user_id>/role")
@admin_required
@recent_login_required
def change_account_role(user_id):
    user = _account_or_404(user_id)
    form = RoleForm()
    if not form.validate():
        _flash_errors(form)
        return redirect(url_for("staff.accounts"))
    done, changed = _commit_or_explain(
        lambda: account_services.change_role(user, form.role.data, current_user)
    )
    if done and changed:
        flash(
            _(
                "%(email)s a maintenant le rôle « %(role)s » ; ses sessions ouvertes sont fermées.",
                email=user.email,
                role=account_services.ROLE_LABELS[user.role],
            ),
            "success",
        )
    return redirect(url_for("staff.accounts"))


@bp.post("/comptes/<int:user_id>/activation")
@admin_required
@recent_login_required
def set_account_active(user_id):
    user = _account_or_404(user_id)
    form = ActiveForm()
    if not form.validate():
        abort(400)
    done, _changed = _commit_or_explain(
        lambda: account_services.set_active(user, form.active.data == "1", current_user)
    )
    if not done:
        return redirect(url_for("staff.accounts"))
    if user.active:
        flash(_("Le compte %(email)s est actif.", email=user.email), "success")
    else:
        flash(
            _(
                "Le compte %(email)s est désactivé ; ses sessions ouvertes sont fermées.",
                email=user.email,
            ),
            "info",
        )
    return redirect(url_for("staff.accounts"))


@bp.post("/comptes/<int:user_id>/lien")
@admin_required
@recent_login_required
def send_account_password_link(user_id):
    user = _account_or_404(user_id)
    if not ActionForm().validate():
        abort(400)
    done, _sent = _commit_or_explain(lambda: account_services.send_password_link(user))
    if done:
        flash(
            _("Lien pour choisir un mot de passe envoyé à %(email)s.", email=user.email), "success"
        )
    return redirect(url_for("staff.accounts"))

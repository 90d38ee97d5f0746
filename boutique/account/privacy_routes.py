"""« Mes données »: a customer downloads everything the shop keeps about them, or deletes
their account (RGPD). The rules are in privacy/services.py."""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from ..auth import recent_login_required
from ..downloads import download
from ..extensions import db, limiter
from ..privacy import services as privacy
from ..privacy.forms import DeleteOwnAccountForm, ExportForm
from . import bp
from .routes import _renew_session, auth_limit
from .services import AccountLocked, attempt_password


def zip_response(data, filename):
    return download(data, filename, headers={"Cache-Control": "no-store"})


def _page(form=None, status=200, refused=None):
    user = current_user._get_current_object()
    return render_template(
        "account/my_data.html",
        export_form=ExportForm(),
        form=form or DeleteOwnAccountForm(formdata=None),
        open_orders=privacy.open_orders(user),
        open_groups=privacy.open_groups(user),
        refused=refused,
        customer=user.role == "customer",
    ), status


@bp.get("/mes-donnees")
@login_required
def my_data():
    return _page()


@bp.post("/mes-donnees/export")
@login_required
@recent_login_required
def export_my_data():
    if not ExportForm().validate():
        flash(_("La page a expiré : cliquez à nouveau pour télécharger vos données."), "error")
        return redirect(url_for("account.my_data"))
    user = current_user._get_current_object()
    data = privacy.export_archive(user, actor=user, channel="web")
    filename = privacy.export_filename(user)
    db.session.commit()
    return zip_response(data, filename)


@bp.post("/mes-donnees/suppression")
@login_required
@limiter.limit(auth_limit)
def delete_my_account():
    form = DeleteOwnAccountForm()
    user = current_user._get_current_object()
    if user.role != "customer":
        flash(_("Un compte de l'équipe se supprime par un administrateur."), "error")
        return redirect(url_for("account.my_data"))
    if not form.validate():
        return _page(form, 422)
    try:
        if attempt_password(user.email, form.password.data) is None:
            form.password.errors.append(
                _("Mot de passe incorrect : votre compte n'est pas supprimé.")
            )
            return _page(form, 422)
    except AccountLocked:
        form.password.errors.append(
            _("Trop de tentatives : réessayez plus tard. Votre compte n'est pas supprimé.")
        )
        return _page(form, 429)
    try:
        privacy.delete_account(user, actor=user, channel="web")
    except privacy.DeletionRefused as refusal:
        db.session.rollback()
        return _page(form, 409, refused=refusal)
    db.session.commit()
    _renew_session(keep=("lang",))
    logout_user()
    flash(
        _("Votre compte est supprimé. Un dernier message vous le confirme. Merci et à bientôt !"),
        "success",
    )
    return redirect(url_for("shop.home"))

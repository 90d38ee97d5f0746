from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..extensions import db, limiter
from ..mail import MailError, send_email
from . import bp
from .forms import ForgotPasswordForm, LoginForm, ProfileForm, RegisterForm, ResetPasswordForm
from .services import (
    find_user_by_email,
    make_reset_token,
    register_customer,
    update_profile,
    user_from_reset_token,
)


def auth_limit():
    return current_app.config["AUTH_RATE_LIMIT"]


def safe_next(target):
    """Only follow a next= that stays on this site."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target


@bp.route("/inscription", methods=["GET", "POST"])
@limiter.limit(auth_limit, methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("shop.home"))
    form = RegisterForm()
    if form.validate_on_submit():
        professional = form.kind.data in ("restaurant", "amap")
        user = register_customer(
            email=form.email.data,
            password=form.password.data,
            kind=form.kind.data,
            locale=session.get("lang", "fr"),
            first_name=form.first_name.data.strip(),
            last_name=form.last_name.data.strip(),
            phone=(form.phone.data or "").strip(),
            organisation=(form.organisation.data or "").strip() if professional else "",
            siret=form.siret.data if professional else None,
            address=(form.address.data or "").strip(),
            postcode=(form.postcode.data or "").strip(),
            city=(form.city.data or "").strip(),
        )
        db.session.commit()
        login_user(user)
        if professional:
            flash(
                _(
                    "Votre compte est créé. L'équipe doit le valider avant que vous voyiez "
                    "les prix professionnels ; vous recevrez une réponse rapidement."
                ),
                "info",
            )
        else:
            flash(_("Bienvenue ! Votre compte est créé."), "success")
        return redirect(url_for("shop.home"))
    return render_template("account/register.html", form=form)


@bp.route("/connexion", methods=["GET", "POST"])
@limiter.limit(auth_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("shop.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = find_user_by_email(form.email.data)
        if user is not None and user.check_password(form.password.data):
            login_user(user, remember=form.remember.data)
            flash(_("Vous êtes connecté."), "success")
            default = url_for("staff.dashboard") if user.is_staff else url_for("shop.home")
            return redirect(safe_next(request.args.get("next")) or default)
        flash(_("Adresse e-mail ou mot de passe incorrect."), "error")
    return render_template("account/login.html", form=form)


@bp.post("/deconnexion")
@login_required
def logout():
    logout_user()
    flash(_("Vous êtes déconnecté."), "info")
    return redirect(url_for("shop.home"))


@bp.route("/mot-de-passe-oublie", methods=["GET", "POST"])
@limiter.limit(auth_limit, methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        user = find_user_by_email(form.email.data)
        if user is not None:
            link = url_for("account.reset_password", token=make_reset_token(user), _external=True)
            try:
                send_email(
                    user.email,
                    _("Réinitialiser votre mot de passe"),
                    "password_reset",
                    user=user,
                    link=link,
                    minutes=current_app.config["PASSWORD_RESET_MAX_AGE"] // 60,
                )
            except MailError:
                current_app.logger.exception("Password reset mail to %s failed", user.email)
                flash(
                    _("L'e-mail n'a pas pu être envoyé. Réessayez dans quelques minutes."), "error"
                )
                return render_template("account/forgot_password.html", form=form), 503
        # Same answer whether the account exists or not: it reveals no address.
        flash(
            _(
                "Si un compte existe pour cette adresse, "
                "un lien de réinitialisation vient d'être envoyé."
            ),
            "info",
        )
        return redirect(url_for("account.login"))
    return render_template("account/forgot_password.html", form=form)


@bp.route("/mot-de-passe/<token>", methods=["GET", "POST"])
@limiter.limit(auth_limit, methods=["POST"])
def reset_password(token):
    user = user_from_reset_token(token)
    if user is None:
        flash(_("Ce lien de réinitialisation est invalide, déjà utilisé ou expiré."), "error")
        return redirect(url_for("account.forgot_password"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        user.set_password(form.password.data)
        db.session.commit()
        flash(_("Votre mot de passe est changé. Vous pouvez vous connecter."), "success")
        return redirect(url_for("account.login"))
    return render_template("account/reset_password.html", form=form)


@bp.route("/profil", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user, user=current_user)
    if form.validate_on_submit():
        update_profile(current_user, form.data)
        db.session.commit()
        flash(_("Votre profil est enregistré."), "success")
        return redirect(url_for("account.profile"))
    return render_template("account/profile.html", form=form)

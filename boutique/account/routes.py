from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..auth import LOGIN_AT, mark_login_recent
from ..extensions import db, limiter
from . import bp, throttle
from .forms import (
    ConfirmPasswordForm,
    ForgotPasswordForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
)
from .services import (
    AccountLocked,
    attempt_password,
    normalise_email,
    request_registration,
    send_reset_link,
    send_verification,
    update_profile,
    user_from_reset_token,
)
from .services import reset_password as reset_password_service
from .services import verify_email as verify_email_token


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


# What a visitor keeps across login: their language and basket (not contact details typed at
# checkout, which on a shared computer may be someone else's).
KEPT_IN_SESSION = ("lang", "basket")


def _renew_session(keep=KEPT_IN_SESSION):
    """Start from an empty session cookie (new CSRF secret, nothing of the previous person)."""
    kept = {key: session[key] for key in keep if key in session}
    session.clear()
    session.update(kept)


def start_session(user, remember=False, password_typed=True):
    """Log this account in on a fresh session; staff never get a long-lived cookie.

    Only a password typed now makes the login recent (for sensitive actions).
    """
    login_at = session.get(LOGIN_AT)
    _renew_session()
    login_user(user, remember=remember and user.role == "customer")
    if password_typed:
        mark_login_recent()
    elif login_at:
        session[LOGIN_AT] = login_at


def _home_for(user):
    if user.is_staff:
        return url_for("staff.dashboard")
    if user.works_at_gate:
        return url_for("staff.handover_day")
    return url_for("shop.home")


@bp.route("/inscription", methods=["GET", "POST"])
@limiter.limit(auth_limit, methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("shop.home"))
    form = RegisterForm()
    if form.validate_on_submit():
        professional = form.kind.data in ("restaurant", "amap")
        # The same answer whether the address has an account or not: its owner gets a mail.
        request_registration(
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
        return render_template(
            "account/check_email.html", email=normalise_email(form.email.data), professional=professional
        )
    return render_template("account/register.html", form=form)


@bp.get("/verification/<token>")
def verify_email(token):
    user = verify_email_token(token)
    if user is None:
        flash(_("Ce lien de confirmation est invalide ou expiré. Connectez-vous pour en recevoir un nouveau."), "error")
        return redirect(url_for("account.login"))
    db.session.commit()
    # The link confirms the address; it never logs anyone in (a forwarded link would log its
    # reader into someone else's account).
    if current_user.is_authenticated and current_user.id == user.id:
        flash(_("Votre adresse e-mail est confirmée. Bienvenue !"), "success")
        return redirect(url_for("shop.home"))
    flash(_("Votre adresse e-mail est confirmée. Connectez-vous pour continuer."), "success")
    return redirect(url_for("account.login"))


@bp.post("/verification")
@login_required
@limiter.limit(auth_limit)
def resend_verification():
    if not current_user.email_verified:
        send_verification(current_user)
        db.session.commit()
    flash(_("Un lien de confirmation vient d'être envoyé à %(email)s.", email=current_user.email), "info")
    return redirect(url_for("account.profile"))


@bp.route("/connexion", methods=["GET", "POST"])
@limiter.limit(auth_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("shop.home"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = attempt_password(form.email.data, form.password.data)
        except AccountLocked:
            return _locked_page(form, normalise_email(form.email.data))
        if user is None:
            flash(_("Adresse e-mail ou mot de passe incorrect."), "error")
            return render_template("account/login.html", form=form)
        db.session.commit()  # a hash brought up to date
        start_session(user, remember=form.remember.data)
        flash(_("Vous êtes connecté."), "success")
        return redirect(safe_next(request.args.get("next")) or _home_for(user))
    return render_template("account/login.html", form=form)


def _locked_page(form, email):
    message = _(
        "Trop de tentatives de connexion pour ce compte. Réessayez dans %(minutes)d minutes, "
        "ou choisissez un nouveau mot de passe avec « Mot de passe oublié ? ».",
        minutes=throttle.minutes_left(email),
    )
    return render_template("account/login.html", form=form, locked=message), 429


@bp.route("/confirmer", methods=["GET", "POST"])
@login_required
@limiter.limit(auth_limit, methods=["POST"])
def confirm_password():
    """Type the password again before a sensitive action (accounts, exports, refunds)."""
    form = ConfirmPasswordForm()
    if form.validate_on_submit():
        email = current_user.email
        try:
            user = attempt_password(email, form.password.data)
        except AccountLocked:
            return _locked_page(LoginForm(email=email), email)
        if user is None:
            form.password.errors.append(_("Mot de passe incorrect."))
        else:
            db.session.commit()
            mark_login_recent()
            return redirect(safe_next(request.args.get("next")) or _home_for(current_user))
    return render_template("account/confirm_password.html", form=form)


@bp.post("/deconnexion")
@login_required
def logout():
    # Every copy of this session, and the remember-me cookie, stop working now.
    current_user.end_sessions()
    db.session.commit()
    _renew_session(keep=("lang",))
    logout_user()
    flash(_("Vous êtes déconnecté."), "info")
    return redirect(url_for("shop.home"))


@bp.post("/deconnexion-partout")
@login_required
def logout_everywhere():
    user = current_user._get_current_object()
    user.end_sessions()
    db.session.commit()
    start_session(user, password_typed=False)
    flash(_("Vos autres appareils sont déconnectés ; vous restez connecté sur celui-ci."), "success")
    return redirect(url_for("account.profile"))


@bp.route("/mot-de-passe-oublie", methods=["GET", "POST"])
@limiter.limit(auth_limit, methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        send_reset_link(form.email.data)  # through the outbox: no wait, no mail error here
        db.session.commit()
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
        reset_password_service(user, form.password.data)
        db.session.commit()
        if current_user.is_authenticated:
            _renew_session(keep=("lang",))
            logout_user()
        flash(_("Votre mot de passe est changé. Vous pouvez vous connecter."), "success")
        return redirect(url_for("account.login"))
    return render_template("account/reset_password.html", form=form)


@bp.route("/profil", methods=["GET", "POST"])
@login_required
@limiter.limit(auth_limit, methods=["POST"])
def profile():
    form = ProfileForm(obj=current_user, user=current_user)
    if form.validate_on_submit():
        user = current_user._get_current_object()
        update_profile(user, form.data)
        db.session.commit()
        if form.new_password.data:  # the other sessions ended with the old password
            start_session(user)
        flash(_("Votre profil est enregistré."), "success")
        return redirect(url_for("account.profile"))
    return render_template("account/profile.html", form=form)

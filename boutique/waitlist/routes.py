"""Routes: sign up on a product page, the confirmation, unsubscribing, a customer's alerts."""

import time

from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_timedelta, get_locale, refresh
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..extensions import db, limiter
from ..models import Product, WaitlistEntry
from ..ratelimit import address_hash
from ..transactions import retried
from ..weeks.services import storefront_week
from . import bp
from . import services as waitlist
from .forms import SignUpForm


def signup_limit():
    return current_app.config["WAITLIST_RATE_LIMIT"]


def _limited(request_limit):
    seconds = max(int(request_limit.reset_at - time.time()), 60)
    page = render_template(
        "waitlist/limited.html",
        retry_in=format_timedelta(seconds, threshold=1.1, add_direction=False),
    )
    return make_response(page, 429)


def signup_form():
    """The form; a signed-in visitor is written to at their account's address (no field)."""
    form = SignUpForm()
    if current_user.is_authenticated:
        del form.email
    return form


def waitlist_context(product, offer, week):
    """What the product page needs for "Prévenez-moi": the form when the product cannot be
    ordered now (sold out, not offered this week, orders closed), else None; and the
    signed-in visitor's waiting entry."""
    if offer is not None and not offer.sold_out and week.is_open():
        return {"waitlist_form": None, "waiting": None}
    waiting = None
    if current_user.is_authenticated:
        waiting = waitlist.waiting_entry(product.id, current_user.email)
    return {"waitlist_form": signup_form(), "waiting": waiting}


def _sold_product(product_id):
    product = db.get_or_404(Product, product_id)
    if not product.active:
        abort(404)
    return product


@bp.get("/")
def index():
    """The products not offered this week: each one's page has "Prévenez-moi"."""
    week = storefront_week()
    return render_template(
        "waitlist/index.html", week=week, products=waitlist.products_not_offered(week)
    )


@bp.route("/produit/<int:product_id>", methods=["GET", "POST"])
@limiter.limit(signup_limit, methods=["POST"], scope="waitlist", on_breach=_limited)
@retried
def sign_up(product_id):
    product = _sold_product(product_id)
    form = signup_form()
    status = 200
    if form.validate_on_submit():
        email = current_user.email if current_user.is_authenticated else form.email.data
        try:
            signed = waitlist.sign_up(
                product,
                email,
                quantity=form.wanted_quantity(),
                customer=current_user if current_user.is_authenticated else None,
                week=storefront_week(),
                locale=str(get_locale())[:2],
                ip_hash=address_hash(),
            )
        except waitlist.AvailableNow as error:
            db.session.rollback()
            flash(str(error), "info")
            return redirect(url_for("shop.product", product_id=product.id))
        except waitlist.WaitlistError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            if not signed.created:
                flash(
                    _(
                        "Vous êtes déjà sur la liste : nous vous écrirons une seule fois, dès son retour."
                    ),
                    "info",
                )
                return redirect(url_for("shop.product", product_id=product.id))
            db.session.commit()
            return redirect(url_for("waitlist.confirmation", token=signed.entry.token))
    if form.errors or form.form_errors:
        status = 422
    return render_template("waitlist/sign_up.html", product=product, form=form), status


def _speak(locale):
    """A link opened where the visitor never chose a language (the mail read on another
    device): the page speaks the one they signed up in, and so does the shop from then on."""
    if "lang" in session or (current_user.is_authenticated and current_user.locale):
        return
    if locale in current_app.config["LANGUAGES"]:
        session["lang"] = locale
        refresh()


def _entry_or_404(token):
    entry = waitlist.entry_by_token(token)
    if entry is None:
        abort(404)
    _speak(entry.locale)
    return entry


@bp.get("/retour/<int:product_id>/<lang>")
def back(product_id, lang):
    """The back-in-stock mail's link: the product's page, in the language of the sign-up."""
    _speak(lang)
    return redirect(url_for("shop.product", product_id=product_id))


@bp.get("/inscription/<token>")
def confirmation(token):
    return render_template("waitlist/confirmation.html", entry=_entry_or_404(token))


@bp.route("/desinscription/<token>", methods=["GET", "POST"])
@retried
def unsubscribe(token):
    """The sign-up's own link (also on its confirmation page): this entry only."""
    entry = _entry_or_404(token)
    if request.method == "POST":  # CSRFProtect checked the form's token
        ended = int(waitlist.stop_entry(entry))
        db.session.commit()
        return render_template(
            "waitlist/unsubscribed.html", email=entry.email, entry=entry, ended=ended
        )
    return render_template("waitlist/unsubscribe.html", email=entry.email, entry=entry)


@bp.route("/ne-plus-me-prevenir/<token>", methods=["GET", "POST"])
@retried
def unsubscribe_address(token):
    """The mail's link, signed for the address: every alert of that address."""
    email = waitlist.address_from_token(token)
    if email is None:
        abort(404)
    _speak(waitlist.address_locale(email))
    if request.method == "POST":
        ended = waitlist.unsubscribe(email)
        db.session.commit()
        return render_template("waitlist/unsubscribed.html", email=email, entry=None, ended=ended)
    waiting = waitlist.waiting_count(email)
    return render_template("waitlist/unsubscribe.html", email=email, entry=None, waiting=waiting)


# --- A customer's alerts ("Mon compte") ---------------------------------------------------------


@bp.get("/mes-alertes")
@login_required
def my_alerts():
    return render_template(
        "waitlist/my_alerts.html", entries=waitlist.customer_entries(current_user)
    )


@bp.post("/mes-alertes/<int:entry_id>/arreter")
@login_required
@retried
def stop_alert(entry_id):
    entry = db.get_or_404(WaitlistEntry, entry_id)
    if not waitlist.is_customers(entry, current_user):
        abort(404)
    waitlist.stop_entry(entry)
    db.session.commit()
    flash(
        _("Nous ne vous préviendrons plus pour « %(product)s ».", product=entry.product.full_name),
        "info",
    )
    return redirect(url_for("waitlist.my_alerts"))

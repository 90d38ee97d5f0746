import secrets
from functools import wraps

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError, OperationalError

from ..basket import services as basket
from ..basket.routes import open_week_or_none
from ..extensions import db
from ..ordering.services import (
    Contact,
    OrderError,
    PaymentRefused,
    default_payment_method,
    expire_holds,
    order_by_checkout_token,
    payment_methods_for,
    payment_problem,
    place_order,
    unpaid_order_cap_cents,
)
from ..payments.steps import payment_redirect
from ..pickup.services import slots_by_point, week_slots
from ..pricing import viewer_price_kind
from ..ratelimit import address_hash
from ..transactions import retried
from . import bp
from .forms import CheckoutForm, PlaceOrderForm
from .limits import mark_order_placed, order_limits


def _customer():
    return current_user if current_user.is_authenticated else None


def _prefill(customer):
    saved = session.get("checkout") or {}
    if saved:
        return {
            k: saved.get(k) for k in ("name", "email", "phone", "slot", "payment_method", "note")
        }
    if customer is None:
        return {"payment_method": default_payment_method(None)}
    name = f"{customer.first_name} {customer.last_name}".strip()
    if customer.is_professional and customer.organisation:
        name = f"{customer.organisation} ({name})" if name else customer.organisation
    return {
        "name": name,
        "email": customer.email,
        "phone": customer.phone,
        "payment_method": default_payment_method(customer),
    }


def _basket_or_redirect(week, kind):
    """The basket's lines if they can all be ordered, else a redirect to the basket."""
    if week is None:
        flash(_("Les commandes sont fermées pour le moment."), "error")
        return None, redirect(url_for("basket.show"))
    lines = basket.lines(week, basket.read(session, week), kind)
    if not lines:
        flash(_("Votre panier est vide."), "info")
        return None, redirect(url_for("shop.home"))
    if any(line.problem for line in lines):
        flash(_("Corrigez votre panier avant de commander."), "error")
        return None, redirect(url_for("basket.show"))
    return lines, None


def orders_allowed(view):
    """A professional account waiting for approval may not order yet: a clear 403 page.

    A refused (or revoked) one orders as an individual does, at individual prices.
    """

    @wraps(view)
    def wrapped(*args, **kwargs):
        customer = _customer()
        if customer is not None and customer.is_professional and customer.pro_status == "pending":
            return render_template("checkout/pending_professional.html"), 403
        return view(*args, **kwargs)

    return wrapped


@bp.route("/commande", methods=["GET", "POST"])
@orders_allowed
def start():
    customer = _customer()
    week, kind = open_week_or_none(), viewer_price_kind()
    lines, response = _basket_or_redirect(week, kind)
    if response:
        return response
    slots = week_slots(week, kind)
    # Defaults only on the first display: on a post, a missing field must stay missing.
    prefill = _prefill(customer) if request.method == "GET" else None
    totals = basket.totals(lines, kind)
    form = CheckoutForm(
        slots=slots,
        payment_methods=payment_methods_for(customer),
        payment_problem=lambda method: payment_problem(customer, method, totals.gross_cents),
        data=prefill,
    )
    if form.validate_on_submit():
        session["checkout"] = {
            "name": form.name.data.strip(),
            "email": form.email.data.strip(),
            "phone": form.phone.data.strip(),
            "slot": form.slot.data,
            "payment_method": form.payment_method.data,
            "note": (form.note.data or "").strip(),
        }
        return redirect(url_for("checkout.summary"))
    return render_template(
        "checkout/start.html",
        form=form,
        slots=slots,
        slot_groups=slots_by_point(slots),
        lines=lines,
        totals=totals,
        price_kind=kind,
        week=week,
        unpaid_cap_cents=unpaid_order_cap_cents(),
    )


@bp.get("/commande/recapitulatif")
@orders_allowed
def summary():
    week, kind = open_week_or_none(), viewer_price_kind()
    lines, response = _basket_or_redirect(week, kind)
    if response:
        return response
    choices = session.get("checkout")
    slot = next((s for s in week_slots(week, kind) if choices and s.id == choices["slot"]), None)
    if slot is None:
        return redirect(url_for("checkout.start"))
    form = PlaceOrderForm(data={"checkout_token": secrets.token_urlsafe(24)})
    return render_template(
        "checkout/summary.html",
        form=form,
        choices=choices,
        slot=slot,
        lines=lines,
        totals=basket.totals(lines, kind),
        price_kind=kind,
        week=week,
    )


@bp.post("/commande/valider")
@orders_allowed
@order_limits
@retried
def place():
    form = PlaceOrderForm()
    if not form.validate():
        abort(400)
    token = form.checkout_token.data
    existing = order_by_checkout_token(token)
    if existing is not None:  # a second click on "Commander", or one sent again after its
        # answer was lost: the order it made, and the basket it emptied (rule 10)
        basket.clear(session)
        session.pop("checkout", None)
        return redirect(url_for("ordering.order_page", token=existing.access_token))
    customer, choices = _customer(), session.get("checkout")
    week = open_week_or_none()
    if not choices or week is None:
        flash(_("Les commandes de cette semaine sont fermées."), "error")
        return redirect(url_for("basket.show"))
    expire_holds(week_id=week.id)  # unpaid card orders give their stock back first
    try:
        order = place_order(
            week=week,
            items=basket.read(session, week),
            slot_id=choices["slot"],
            payment_method=choices["payment_method"],
            contact=Contact(choices["name"], choices["email"], choices["phone"]),
            kind=viewer_price_kind(),
            customer=customer,
            locale=session.get("lang", customer.locale if customer else "fr"),
            note=choices["note"],
            checkout_token=token,
            ip_hash=address_hash(),
        )
        db.session.commit()
    except OrderError as error:
        db.session.rollback()
        existing = order_by_checkout_token(token)
        if existing is not None:  # the first click took the last units: show its order
            return redirect(url_for("ordering.order_page", token=existing.access_token))
        flash(str(error), "error")
        if isinstance(error, PaymentRefused):  # another payment method, or log in first
            return redirect(url_for("checkout.start"))
        return redirect(url_for("basket.show"))
    except IntegrityError:
        db.session.rollback()
        existing = order_by_checkout_token(token)
        if existing is None:
            raise
        return redirect(url_for("ordering.order_page", token=existing.access_token))
    except OperationalError:
        # The connection may have failed after the commit reached the database: the order
        # (and its mail, same transaction) may exist. Look before answering an error; a
        # conflict with another transaction finds nothing and is retried (@retried).
        db.session.rollback()
        order = order_by_checkout_token(token)
        if order is None:
            raise
    mark_order_placed()
    if order.status == "pending_payment":
        # The basket stays until the payment page opens: if Stripe cannot be reached,
        # the customer still has it (and the order, held until its hold runs out).
        response = payment_redirect(order)
        if response is None:
            return redirect(url_for("ordering.order_page", token=order.access_token))
        basket.clear(session)
        session.pop("checkout", None)
        return response
    basket.clear(session)
    session.pop("checkout", None)
    flash(
        _(
            "Merci ! Votre commande %(number)s est enregistrée. Un e-mail de confirmation "
            "vous a été envoyé.",
            number=order.number,
        ),
        "success",
    )
    return redirect(url_for("ordering.order_page", token=order.access_token))


@bp.get("/conditions-generales-de-vente")
def terms():
    return render_template("checkout/terms.html")

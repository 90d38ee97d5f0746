import secrets
from functools import wraps

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError, OperationalError

from ..basket import services as basket
from ..basket.routes import open_week_or_none
from ..extensions import db
from ..legal import services as legal
from ..ordering.services import (
    Contact,
    OrderError,
    PaymentRefused,
    SlotRefused,
    default_payment_method,
    expire_holds,
    last_order,
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
from .forms import CheckoutForm
from .limits import mark_order_placed, order_limits


def _customer():
    return current_user if current_user.is_authenticated else None


def _prefill(customer, slots):
    """The form's first values: what this visitor chose last (back from a refusal), else
    their account's and their last order's (phone, slot); the only open slot if one."""
    saved = session.get("checkout") or {}
    if saved:
        return {
            k: saved.get(k) for k in ("name", "email", "phone", "slot", "payment_method", "note")
        }
    open_slots = [slot for slot in slots if not (slot.full or slot.closed)]
    only_slot = open_slots[0].id if len(open_slots) == 1 else None
    if customer is None:
        return {"payment_method": default_payment_method(None), "slot": only_slot}
    last = last_order(customer)
    name = f"{customer.first_name} {customer.last_name}".strip()
    if customer.is_professional and customer.organisation:
        name = f"{customer.organisation} ({name})" if name else customer.organisation
    return {
        "name": name,
        "email": customer.email,
        "phone": customer.phone or (last.phone if last else ""),
        "payment_method": default_payment_method(customer),
        "slot": only_slot or _same_slot_as_last_time(last, open_slots),
    }


def _same_slot_as_last_time(last, open_slots):
    """The open slot like the one of the last order (same point, weekday and hour), or None."""
    if last is None or last.slot is None:
        return None
    before = last.slot
    for slot in open_slots:
        if (slot.point_id, slot.day.weekday(), slot.starts_at) == (
            before.point_id,
            before.day.weekday(),
            before.starts_at,
        ):
            return slot.id
    return None


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


def _made_by(token):
    """The order an earlier "Commander" with this token made (a second click, or the same form
    sent again after its answer was lost), its basket emptied (rule 10); else None."""
    existing = order_by_checkout_token(token) if token else None
    if existing is None:
        return None
    basket.clear(session)
    session.pop("checkout", None)
    return redirect(url_for("ordering.order_page", token=existing.access_token))


@bp.route("/commande", methods=["GET", "POST"])
@orders_allowed
@order_limits
@retried
def start():
    """One page: contact, slot, payment, the order's lines and "Commander", which places it."""
    if request.method == "POST" and (made := _made_by(request.form.get("checkout_token"))):
        return made
    customer = _customer()
    week, kind = open_week_or_none(), viewer_price_kind()
    lines, response = _basket_or_redirect(week, kind)
    if response:
        if request.method == "POST":  # back from the basket, the form as it was typed
            _keep_typed(request.form)
        return response
    slots = week_slots(week, kind)
    # Defaults only on the first display: on a post, a missing field must stay missing.
    prefill = None
    if request.method == "GET":
        prefill = _prefill(customer, slots)
        prefill["checkout_token"] = secrets.token_urlsafe(24)
    totals = basket.totals(lines, kind)
    terms = legal.terms_version()  # the CGV shown and accepted in this request
    form = CheckoutForm(
        slots=slots,
        payment_methods=payment_methods_for(customer),
        payment_problem=lambda method: payment_problem(customer, method, totals.gross_cents),
        terms_known=_terms_known(customer, terms),
        data=prefill,
    )
    if request.method == "GET":
        form.terms_shown.data = terms
    elif form.terms_shown.data not in ("", None, terms) and not form.terms_known:
        # Staff published new terms while the page was open: accepted unread, asked again.
        form.accept_terms.data = False
        form.terms_shown.data = terms
        flash(
            _(
                "Les conditions générales de vente viennent de changer : lisez la nouvelle "
                "version, puis acceptez-la pour commander."
            ),
            "error",
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
        return _place(week, form.checkout_token.data, terms)
    if form.checkout_token.errors:  # a page from before an update, or one made up: a new one
        form.checkout_token.data = secrets.token_urlsafe(24)
        form.checkout_token.errors = []
        flash(_("Vérifiez votre commande, puis cliquez de nouveau sur le bouton."), "info")
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
        terms_version=terms,
    )


def _terms_known(customer, terms):
    """This account accepted this version of the CGV (LegalPage "cgv") with an earlier order."""
    return customer is not None and customer.terms_version == terms


def _keep_typed(data):
    """What was typed in the form, for its next display (the basket refused "Commander"):
    shown again, never used to order (cut to the form's lengths, the session is a cookie)."""
    session["checkout"] = {
        "name": data.get("name", "").strip()[:160],
        "email": data.get("email", "").strip()[:254],
        "phone": data.get("phone", "").strip()[:30],
        "slot": data.get("slot", type=int),
        "payment_method": data.get("payment_method", "")[:20],
        "note": data.get("note", "").strip()[:1000],
    }


def _place(week, token, terms):
    """Place the order of the basket with the choices just checked (session["checkout"])."""
    customer, choices = _customer(), session["checkout"]
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
        order.terms_version = terms
        if customer is not None:  # next week: the terms and the phone are known
            customer.terms_version = order.terms_version
            customer.phone = order.phone or customer.phone
        db.session.commit()
    except OrderError as error:
        db.session.rollback()
        if made := _made_by(token):  # the first click took the last units: show its order
            return made
        flash(str(error), "error")
        if isinstance(error, SlotRefused):  # back to the form, the slot to choose again
            session["checkout"]["slot"] = None
            session.modified = True
            return redirect(url_for("checkout.start"))
        if isinstance(error, PaymentRefused):  # another payment method, or log in first
            return redirect(url_for("checkout.start"))
        return redirect(url_for("basket.show"))
    except IntegrityError:
        db.session.rollback()
        if made := _made_by(token):
            return made
        raise
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
        # The basket stays until the order is paid: leaving the payment page, the customer
        # still has it (and the order, held until its hold runs out).
        session["paying_order"] = order.id  # the basket goes once this order is paid
        response = payment_redirect(order)
        if response is None:
            return redirect(url_for("ordering.order_page", token=order.access_token))
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


"""The waiting list: sign up for a product that is sold out or not offered, one mail when it
is back, then the entry ends.

Once and only once: an entry ends in one guarded UPDATE (`WHERE id = … AND ended_at IS NULL`,
one row or none) and its mail is queued in the outbox in the same transaction. Two sweeps at
the same moment both find the entry waiting, but only one of them ends it: the other's UPDATE
waits for the first to commit (the row's lock; SQLite: the write lock) and then matches no
row, so it queues nothing.
"""

import secrets
from collections import namedtuple

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload

from ..account.services import normalise_email
from ..extensions import db
from ..links import public_url
from ..models import Category, Offer, Product, SalesWeek, WaitlistEntry, utcnow
from ..outbox import queue_email

MAX_QUANTITY = 999


class WaitlistError(ValueError):
    """A rule refused the sign-up; the message is for the user. Nothing was written."""


class AvailableNow(WaitlistError):
    """The product can be ordered now: no need to wait."""


SignUp = namedtuple("SignUp", "entry created")


def _max_per_address():
    return current_app.config["WAITLIST_MAX_PER_ADDRESS"]


def open_week(now=None):
    """The week taking orders now, if any (two weeks never take orders at the same time)."""
    now = now or utcnow()
    return db.session.scalar(
        select(SalesWeek)
        .where(
            SalesWeek.status == "published",
            SalesWeek.opens_at <= now,
            SalesWeek.closes_at > now,
        )
        .order_by(SalesWeek.opens_at.desc())
        .limit(1)
    )


def _has_units():
    """SQL: the offer can be ordered (no limit, or units left)."""
    return or_(
        Offer.quantity_available.is_(None),
        Offer.quantity_available > Offer.quantity_reserved,
    )


def orderable_offer(product_id, now=None):
    """The open week's offer of this product when it can be ordered now, else None."""
    week = open_week(now)
    if week is None:
        return None
    return db.session.scalar(
        select(Offer).where(
            Offer.week_id == week.id,
            Offer.product_id == product_id,
            Offer.offered.is_(True),
            _has_units(),
        )
    )


def waiting_entry(product_id, email):
    """The address's waiting entry for this product, or None."""
    return db.session.scalar(
        select(WaitlistEntry).where(
            WaitlistEntry.product_id == product_id,
            WaitlistEntry.email == normalise_email(email),
            WaitlistEntry.ended_at.is_(None),
        )
    )


def address_locale(email):
    """The language the address last signed up in, or None."""
    return db.session.scalar(
        select(WaitlistEntry.locale)
        .where(WaitlistEntry.email == normalise_email(email))
        .order_by(WaitlistEntry.created_at.desc(), WaitlistEntry.id.desc())
        .limit(1)
    )


def waiting_count(email):
    return db.session.scalar(
        select(func.count())
        .select_from(WaitlistEntry)
        .where(WaitlistEntry.email == normalise_email(email), WaitlistEntry.ended_at.is_(None))
    )


def sign_up(
    product,
    email,
    *,
    quantity=None,
    customer=None,
    week=None,
    locale="fr",
    ip_hash=None,
    now=None,
):
    """Put an address on a product's waiting list; SignUp(entry, created).

    Already waiting: the entry as it is (created False). Raises WaitlistError, writing
    nothing, for a product no longer sold, one that can be ordered now, a bad quantity, or
    an address already waiting for WAITLIST_MAX_PER_ADDRESS products.
    """
    email = normalise_email(email)
    if product is None or not product.active:
        raise WaitlistError(_("Ce produit n'est plus vendu : il n'a pas de liste d'attente."))
    if quantity is not None and not 0 < quantity <= MAX_QUANTITY:
        raise WaitlistError(
            _("Indiquez une quantité entre 1 et %(most)d, ou rien.", most=MAX_QUANTITY)
        )
    existing = waiting_entry(product.id, email)
    if existing is not None:
        return SignUp(existing, False)
    if orderable_offer(product.id, now) is not None:
        raise AvailableNow(
            _(
                "Bonne nouvelle : ce produit est disponible, vous pouvez le commander dès maintenant."
            )
        )
    most = _max_per_address()
    if waiting_count(email) >= most:
        raise WaitlistError(
            ngettext(
                "Cette adresse attend déjà %(num)d produit : c'est le maximum. Désinscrivez-la "
                "d'un produit (lien dans chaque e-mail) avant d'en ajouter un autre.",
                "Cette adresse attend déjà %(num)d produits : c'est le maximum. Désinscrivez-la "
                "d'un produit (lien dans chaque e-mail) avant d'en ajouter un autre.",
                most,
            )
        )
    entry = WaitlistEntry(
        product_id=product.id,
        email=email,
        customer_id=customer.id if customer is not None else None,
        quantity=quantity,
        locale=locale if locale in current_app.config["LANGUAGES"] else "fr",
        token=secrets.token_urlsafe(32),
        week_id=week.id if week is not None else None,
        ip_hash=ip_hash,
    )
    try:
        with db.session.begin_nested():  # the same address sent twice at once: one entry
            db.session.add(entry)
    except IntegrityError:
        existing = waiting_entry(product.id, email)
        if existing is None:
            raise
        return SignUp(existing, False)
    return SignUp(entry, True)


def products_not_offered(week):
    """Active products the week does not offer, in catalog order, with their category (one
    query): the ones a visitor can only ask to be told about."""
    query = (
        select(Product)
        .join(Product.category)
        .options(contains_eager(Product.category))
        .where(Product.active.is_(True))
        .order_by(Category.position, Product.name, Product.variety)
    )
    if week is not None:
        offered = select(Offer.product_id).where(Offer.week_id == week.id, Offer.offered.is_(True))
        query = query.where(Product.id.not_in(offered))
    return db.session.scalars(query).all()


ADDRESS_SALT = "waitlist-unsubscribe-address"


def address_token(email):
    """The mail's "no more alerts" link: the address signed, so only its owner (who reads the
    mail) holds it. The entry's own token is also on the sign-up confirmation page, shown to
    whoever typed the address: it ends that entry only."""
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=ADDRESS_SALT).dumps(
        normalise_email(email)
    )


def address_from_token(token):
    """The address a mail's link was signed for, or None when the link was altered."""
    if not token or len(token) > 400:
        return None
    try:
        return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=ADDRESS_SALT).loads(token)
    except BadData:
        return None


def entry_by_token(token):
    if not token or len(token) > 64:
        return None
    return db.session.scalar(
        select(WaitlistEntry)
        .where(WaitlistEntry.token == token)
        .options(joinedload(WaitlistEntry.product))
    )


def _end(where, reason, now, **values):
    """End the waiting entries matching `where`; how many."""
    result = db.session.execute(
        update(WaitlistEntry)
        .where(WaitlistEntry.ended_at.is_(None), *where)
        .values(ended_at=now, end_reason=reason, **values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def unsubscribe(email, now=None):
    """End every waiting entry of this address; how many were waiting."""
    return _end([WaitlistEntry.email == normalise_email(email)], "unsubscribed", now or utcnow())


def stop_entry(entry, now=None):
    """End one waiting entry (a customer's "ne plus me prévenir"); False if it had ended."""
    return _end([WaitlistEntry.id == entry.id], "unsubscribed", now or utcnow()) == 1


def end_retired(product_ids=None, now=None):
    """End, without a mail, the waiting entries of products no longer sold; how many."""
    retired = select(Product.id).where(Product.active.is_(False))
    if product_ids is not None:
        retired = retired.where(Product.id.in_(list(product_ids)))
    where = [WaitlistEntry.product_id.in_(retired)]
    # A read first: the worker's rounds take no write lock when there is nothing to end.
    if (
        db.session.scalar(
            select(WaitlistEntry.id).where(WaitlistEntry.ended_at.is_(None), *where).limit(1)
        )
        is None
    ):
        return 0
    return _end(where, "retired", now or utcnow())


def of_customer(user):
    """SQL: the entries that are the customer's (their account's, or made with their address
    once they proved it is theirs): their alerts, their data (export, deletion)."""
    if not user.email_verified:  # anyone can open an account with someone else's address
        return WaitlistEntry.customer_id == user.id
    return or_(
        WaitlistEntry.customer_id == user.id,
        WaitlistEntry.email == normalise_email(user.email),
    )


def customer_entries(user):
    """A customer's waiting entries (theirs or their address's), oldest first."""
    return db.session.scalars(
        select(WaitlistEntry)
        .where(WaitlistEntry.ended_at.is_(None), of_customer(user))
        .options(joinedload(WaitlistEntry.product))
        .order_by(WaitlistEntry.created_at, WaitlistEntry.id)
    ).all()


def is_customers(entry, user):
    """Is this entry the customer's (their account's, or made with their proven address)?"""
    return entry.customer_id == user.id or (
        user.email_verified and entry.email == normalise_email(user.email)
    )


def waiting_counts(product_ids=None):
    """{product id: (entries, units)} still waiting, in one grouped query.

    An entry without a quantity waits for one unit.
    """
    query = (
        select(
            WaitlistEntry.product_id,
            func.count(),
            func.sum(func.coalesce(WaitlistEntry.quantity, 1)),
        )
        .where(WaitlistEntry.ended_at.is_(None))
        .group_by(WaitlistEntry.product_id)
    )
    if product_ids is not None:
        query = query.where(WaitlistEntry.product_id.in_(list(product_ids)))
    return {
        product_id: (entries, int(units))
        for product_id, entries, units in db.session.execute(query)
    }


# --- The mail ----------------------------------------------------------------------------------


def _due(week):
    """Ids of the waiting entries whose product the open week offers with units left (or no
    limit)."""
    return db.session.scalars(
        select(WaitlistEntry.id)
        .join(
            Offer,
            (Offer.product_id == WaitlistEntry.product_id) & (Offer.week_id == week.id),
        )
        .join(Product, Product.id == WaitlistEntry.product_id)
        .where(
            WaitlistEntry.ended_at.is_(None),
            Offer.offered.is_(True),
            Product.active.is_(True),
            _has_units(),
        )
        .order_by(WaitlistEntry.id)
    ).all()


def _mail(entry, week):
    product = entry.product
    queue_email(
        entry.email,
        # Lazy: written in the entry's language (queue_email's), not the sweep's.
        _l("« %(product)s » est de retour", product=product.full_name),
        "waitlist_back",
        locale=entry.locale,
        entry=entry,
        product=product,
        week=week,
        link=public_url("waitlist.back", product_id=product.id, lang=entry.locale),
        unsubscribe_link=public_url(
            "waitlist.unsubscribe_address", token=address_token(entry.email)
        ),
    )


def notify_back_in_stock(now=None):
    """Mail each waiting entry whose product is back, once, and end it; how many were mailed.

    Back: the open week offers it with units left or without a limit (stock raised in the
    current week, or offered in a new week once it opens). The entries of products no longer
    sold end without a mail. Flushes; the caller commits.
    """
    now = now or utcnow()
    mailed = 0
    week = open_week(now)
    for entry_id in _due(week) if week is not None else ():
        ended = _end(
            [WaitlistEntry.id == entry_id],
            "notified",
            now,
            notified_at=now,
            notified_week_id=week.id,
        )
        if ended != 1:
            continue  # another sweep mailed it first
        entry = db.session.get(WaitlistEntry, entry_id, populate_existing=True)
        _mail(entry, week)
        mailed += 1
    end_retired(now=now)
    db.session.flush()
    return mailed

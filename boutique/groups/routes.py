"""Views of group orders: the coordinator's pages (an AMAP account) and the members' link."""

import io
import secrets
from functools import wraps

import segno
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms import SelectChoice

from ..auth import staff_required
from ..extensions import db, limiter
from ..formatting import parse_count
from ..models import utcnow
from ..ordering.services import payment_methods_for
from ..pricing import vat_rate_for
from ..ratelimit import breach_page
from ..timezones import local_to_utc, utc_to_local_naive
from ..transactions import retried
from . import bp, documents
from .bags import (
    LOWERING_RULE,
    gross_cents,
    group_url,
    member_totals,
)
from .forms import MemberForm, MemberPaidForm, OpenGroupForm
from .services import (
    PAYMENT_LABELS,
    GroupError,
    MemberContact,
    amap_slots,
    cancel_member,
    change_member,
    close_group,
    coordinator_groups,
    group_by_token,
    group_for_coordinator,
    group_with_parts,
    is_collecting,
    join_group,
    ledger,
    member_by_token,
    member_offers,
    open_group,
    opens_later,
    product_totals,
    record_member_payment,
    weeks_open_for_groups,
)


def coordinator_required(view):
    """Logged in as an approved AMAP account."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if current_user.kind != "amap":
            abort(404)
        if not current_user.is_approved_professional:
            flash(
                _(
                    "Les commandes groupées s'ouvrent une fois votre compte AMAP validé par l'équipe."
                ),
                "info",
            )
            return redirect(url_for("account.profile"))
        return view(*args, **kwargs)

    return wrapped


def _group_or_404(group_id):
    group = group_for_coordinator(current_user, group_id)
    if group is None:
        abort(404)
    return group


def _close_if_due(group):
    """A page view closes a group whose members' deadline passed (cron does it too)."""
    if group.status == "open" and utcnow() >= group.members_deadline:
        close_group(group)
        db.session.commit()


def join_limit():
    from flask import current_app

    return current_app.config["ORDER_RATE_LIMIT"]


def _quantities(formdata, offer_ids):
    """{offer id: quantity} from the qty-<offer id> fields; a blank field counts as 0."""
    quantities = {}
    for offer_id in offer_ids:
        raw = (formdata.get(f"qty-{offer_id}") or "").strip()
        quantity = parse_count(raw) if raw else 0
        if quantity is None:
            raise GroupError(_("Indiquez des quantités en nombres entiers."))
        quantities[offer_id] = quantity
    return quantities


# --- The coordinator -----------------------------------------------------------------------------


@bp.get("/amap/commandes-groupees")
@coordinator_required
def my_groups():
    groups = coordinator_groups(current_user)
    return render_template(
        "groups/list.html", groups=groups, weeks=weeks_open_for_groups(), now=utcnow()
    )


@bp.route("/amap/commandes-groupees/nouvelle", methods=["GET", "POST"])
@coordinator_required
@retried
def new_group():
    weeks = weeks_open_for_groups()
    week = next((w for w in weeks if str(w.id) == request.args.get("semaine")), None)
    week = week or (weeks[0] if weeks else None)
    if week is None:
        flash(_("Aucune semaine n'est ouverte aux commandes pour le moment."), "info")
        return redirect(url_for("groups.my_groups"))
    slots = amap_slots(week)
    methods = [m for m in payment_methods_for(current_user) if m in PAYMENT_LABELS]
    form = OpenGroupForm()
    form.slot.choices = [SelectChoice(slot.id, "") for slot in slots]
    form.payment_method.choices = [SelectChoice(m, PAYMENT_LABELS[m]) for m in methods]
    if request.method == "GET":
        form.form_token.data = secrets.token_urlsafe(24)
        form.members_deadline.data = utc_to_local_naive(week.closes_at)
        form.payment_method.data = "invoice" if "invoice" in methods else methods[0]
    if form.validate_on_submit():
        try:
            group = open_group(
                current_user,
                week=week,
                slot_id=form.slot.data,
                members_deadline=local_to_utc(form.members_deadline.data),
                payment_method=form.payment_method.data,
                message=form.message.data,
                delivery_address=form.delivery_address.data,
                form_token=form.form_token.data,
            )
            db.session.commit()
        except GroupError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            flash(_("Commande groupée ouverte : partagez son lien avec vos membres."), "success")
            return redirect(url_for("groups.coordinator_page", group_id=group.id))
    return render_template("groups/new.html", form=form, week=week, weeks=weeks, slots=slots)


@bp.get("/amap/commandes-groupees/<int:group_id>")
@coordinator_required
@retried
def coordinator_page(group_id):
    group = _group_or_404(group_id)
    _close_if_due(group)
    return render_template(
        "groups/coordinator.html",
        group=group,
        link=group_url(group),
        collecting=is_collecting(group),
        products=product_totals(group),
        ledger=ledger(group),
        member_totals=member_totals,
        paid_form=MemberPaidForm(),
        rule=LOWERING_RULE,
    )


@bp.get("/amap/commandes-groupees/<int:group_id>/qr.png")
@coordinator_required
def group_qr(group_id):
    """The members' link as a QR code, to print or show at a distribution."""
    out = io.BytesIO()
    segno.make_qr(group_url(_group_or_404(group_id)), error="m").save(
        out, kind="png", scale=6, border=2
    )
    return Response(out.getvalue(), mimetype="image/png")


@bp.post("/amap/commandes-groupees/<int:group_id>/parts/<int:member_id>")
@coordinator_required
@retried
def coordinator_change_member(group_id, member_id):
    group = _group_or_404(group_id)
    member = _member_of(group, member_id)
    try:
        items = _quantities(request.form, [line.offer_id for line in member.lines])
        if change_member(member, items, by_coordinator=True):
            db.session.commit()
            flash(_("Part de %(name)s modifiée.", name=member.name), "success")
    except GroupError as error:
        db.session.rollback()
        flash(str(error), "error")
    return redirect(url_for("groups.coordinator_page", group_id=group.id))


@bp.post("/amap/commandes-groupees/<int:group_id>/parts/<int:member_id>/annuler")
@coordinator_required
@retried
def coordinator_cancel_member(group_id, member_id):
    group = _group_or_404(group_id)
    member = _member_of(group, member_id)
    try:
        cancel_member(member, by_coordinator=True)
        db.session.commit()
    except GroupError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        flash(_("Part de %(name)s retirée.", name=member.name), "info")
    return redirect(url_for("groups.coordinator_page", group_id=group.id))


@bp.post("/amap/commandes-groupees/<int:group_id>/parts/<int:member_id>/paiement")
@coordinator_required
@retried
def member_paid(group_id, member_id):
    group = _group_or_404(group_id)
    member = _member_of(group, member_id)
    form = MemberPaidForm()
    if not form.validate_on_submit():
        flash(_("Moyen de paiement inconnu."), "error")
        return redirect(url_for("groups.coordinator_page", group_id=group.id))
    try:
        record_member_payment(member, form.method.data or None)
        db.session.commit()
    except GroupError as error:
        db.session.rollback()
        flash(str(error), "error")
    return redirect(
        url_for("groups.coordinator_page", group_id=group.id, _anchor=f"part-{member.number}")
    )


@bp.post("/amap/commandes-groupees/<int:group_id>/cloturer")
@coordinator_required
@retried
def close(group_id):
    group = _group_or_404(group_id)
    order = close_group(group, actor=current_user)
    db.session.commit()
    if order is None:
        flash(_("Commande groupée close sans aucune part : rien n'est commandé."), "info")
    else:
        flash(
            _(
                "Commande groupée close : la commande %(number)s est transmise à la pépinière.",
                number=order.number,
            ),
            "success",
        )
    return redirect(url_for("groups.coordinator_page", group_id=group.id))


@bp.get("/amap/commandes-groupees/<int:group_id>/parts.csv")
@coordinator_required
def members_csv(group_id):
    return documents.members_csv_response(_group_or_404(group_id))


@bp.get("/amap/commandes-groupees/<int:group_id>/distribution.pdf")
@coordinator_required
def distribution_sheet(group_id):
    return documents.distribution_pdf_response(_group_or_404(group_id))


@bp.get("/amap/commandes-groupees/<int:group_id>/etiquettes.pdf")
@coordinator_required
def bag_labels(group_id):
    return documents.labels_pdf_response(_group_or_404(group_id))


@bp.get("/gestion/commandes-groupees/<int:group_id>/distribution.pdf")
@staff_required
def staff_distribution_sheet(group_id):
    return documents.distribution_pdf_response(_any_group_or_404(group_id))


@bp.get("/gestion/commandes-groupees/<int:group_id>/etiquettes.pdf")
@staff_required
def staff_bag_labels(group_id):
    return documents.labels_pdf_response(_any_group_or_404(group_id))


def _any_group_or_404(group_id):
    group = group_with_parts(group_id)
    if group is None:
        abort(404)
    return group


def _member_of(group, member_id):
    member = next((m for m in group.members if m.id == member_id), None)
    if member is None:
        abort(404)
    return member


# --- Members, on the shared link -----------------------------------------------------------------


def _group_for_members(token):
    group = group_by_token(token)
    if group is None:
        abort(404)
    _close_if_due(group)
    return group


def _offer_rows(group):
    return [
        (offer, gross_cents(offer.price_cents("amap"), vat_rate_for(offer.product)))
        for offer in member_offers(group.week)
    ]


@bp.route("/groupe/<token>", methods=["GET", "POST"])
@limiter.limit(join_limit, methods=["POST"], scope="group_join", on_breach=breach_page("ip"))
@retried
def join(token):
    group = _group_for_members(token)
    rows = _offer_rows(group)
    form = MemberForm()
    if request.method == "GET":
        form.form_token.data = secrets.token_urlsafe(24)
    quantities = {}
    if request.method == "POST" and is_collecting(group):
        try:
            quantities = _quantities(request.form, [offer.id for offer, _gross in rows])
            if form.validate_on_submit():
                member = join_group(
                    group,
                    MemberContact(form.name.data, form.email.data, form.phone.data),
                    quantities,
                    form_token=form.form_token.data,
                    locale=str(get_locale()),
                )
                db.session.commit()
                flash(_("Votre part est enregistrée. Gardez ce lien pour la modifier."), "success")
                return redirect(url_for("groups.member_page", token=member.token))
        except GroupError as error:
            db.session.rollback()
            flash(str(error), "error")
    return render_template(
        "groups/join.html",
        group=group,
        rows=rows,
        form=form,
        quantities=quantities,
        collecting=is_collecting(group),
        opens_later=opens_later(group),
        rule=LOWERING_RULE,
    )


def _member_or_404(token):
    member = member_by_token(token)
    if member is None:
        abort(404)
    _close_if_due(member.group)
    return member


@bp.get("/groupe/part/<token>")
@retried
def member_page(token):
    member = _member_or_404(token)
    group = member.group
    rows = _offer_rows(group)
    return render_template(
        "groups/member.html",
        member=member,
        group=group,
        rows=rows,
        current={line.offer_id: line.quantity for line in member.lines},
        totals=member_totals(member),
        collecting=is_collecting(group) and member.cancelled_at is None,
        opens_later=opens_later(group),
        rule=LOWERING_RULE,
    )


@bp.post("/groupe/part/<token>")
@limiter.limit(join_limit, scope="group_join", on_breach=breach_page("change"))
@retried
def change_part(token):
    member = _member_or_404(token)
    try:
        offer_ids = [offer.id for offer in member_offers(member.group.week)]
        offer_ids += [line.offer_id for line in member.lines if line.offer_id not in offer_ids]
        if change_member(member, _quantities(request.form, offer_ids)):
            db.session.commit()
            flash(_("Votre part est modifiée."), "success")
    except GroupError as error:
        db.session.rollback()
        flash(str(error), "error")
    return redirect(url_for("groups.member_page", token=token))


@bp.post("/groupe/part/<token>/annuler")
@retried
def cancel_part(token):
    member = _member_or_404(token)
    try:
        cancel_member(member)
        db.session.commit()
    except GroupError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        flash(_("Votre part est annulée."), "info")
    return redirect(url_for("groups.member_page", token=token))

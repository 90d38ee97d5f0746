"""A customer's page for staff: their orders and history; admins handle a personal-data
request made by email, phone or letter (export, deletion) from here."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..account.privacy_routes import zip_response
from ..account.services import search_customers
from ..auth import admin_required, recent_login_required, staff_required
from ..extensions import db
from ..models import AccountEvent, Order, PickupSlot, User
from ..privacy import services as privacy
from ..privacy.forms import ExportForm, StaffDeleteForm
from . import bp


def _customer_or_404(user_id):
    user = db.session.get(User, user_id)
    if user is None or user.role != "customer":
        abort(404)
    return user


def _page(user, form=None, status=200, refused=None):
    orders = db.session.scalars(
        select(Order)
        .where(Order.customer_id == user.id)
        .options(selectinload(Order.slot).selectinload(PickupSlot.point), selectinload(Order.week))
        .order_by(Order.created_at.desc(), Order.id.desc())
    ).all()
    history = db.session.scalars(
        select(AccountEvent).where(AccountEvent.user_id == user.id).order_by(AccountEvent.id.desc())
    ).all()
    return render_template(
        "staff/customer.html",
        customer=user,
        orders=orders,
        history=history,
        open_orders=[order for order in orders if order.is_open],
        open_groups=privacy.open_groups(user),
        export_form=ExportForm(),
        form=form or StaffDeleteForm(formdata=None),
        refused=refused,
    ), status


@bp.get("/clients")
@staff_required
def customers():
    term = request.args.get("q", "")
    return render_template("staff/customers.html", term=term, results=search_customers(term))


@bp.get("/clients/<int:user_id>")
@staff_required
def customer(user_id):
    return _page(_customer_or_404(user_id))


@bp.post("/clients/<int:user_id>/export")
@admin_required
@recent_login_required
def export_customer_data(user_id):
    user = _customer_or_404(user_id)
    if not ExportForm().validate():
        flash(_("La page a expiré : cliquez à nouveau pour exporter."), "error")
        return redirect(url_for("staff.customer", user_id=user.id))
    data = privacy.export_archive(user, actor=current_user, channel="staff")
    filename = f"donnees-client-{user.id}.zip"
    db.session.commit()
    return zip_response(data, filename)


@bp.post("/clients/<int:user_id>/suppression")
@admin_required
@recent_login_required
def delete_customer_account(user_id):
    user = _customer_or_404(user_id)
    form = StaffDeleteForm()
    if not form.validate():
        return _page(user, form, 422)
    try:
        deleted = privacy.delete_account(
            user, actor=current_user, channel=form.channel.data, note=form.note.data.strip()
        )
    except privacy.DeletionRefused as refusal:
        db.session.rollback()
        return _page(user, form, 409, refused=refusal)
    db.session.commit()
    if deleted:
        flash(_("Compte supprimé : ses données personnelles sont effacées, un message l'a confirmé."), "success")
    else:
        flash(_("Ce compte était déjà supprimé."), "info")
    return redirect(url_for("staff.customer", user_id=user.id))

"""Staff: mails that could not be delivered ("Mails non distribués"), to send again or close."""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _

from .. import outbox
from ..auth import staff_required
from ..extensions import db
from ..models import OutboxMessage
from . import bp


@bp.get("/mails")
@staff_required
def undelivered_mails():
    return render_template("staff/mails.html", rows=outbox.undelivered_mails())


@bp.post("/mails/<int:mail_id>/renvoyer")
@staff_required
def resend_mail(mail_id):
    mail = db.get_or_404(OutboxMessage, mail_id)
    if outbox.resend(mail):
        db.session.commit()
        flash(_("Le mail à %(to)s est renvoyé.", to=mail.recipient), "success")
    else:
        flash(_("Ce mail n'est plus dans la liste : déjà renvoyé ou traité."), "info")
    return redirect(url_for("staff.undelivered_mails"))


@bp.post("/mails/<int:mail_id>/traite")
@staff_required
def dismiss_mail(mail_id):
    mail = db.get_or_404(OutboxMessage, mail_id)
    if outbox.dismiss(mail):
        db.session.commit()
        flash(_("Le mail à %(to)s est marqué comme traité.", to=mail.recipient), "success")
    else:
        flash(_("Ce mail n'est plus dans la liste : déjà renvoyé ou traité."), "info")
    return redirect(url_for("staff.undelivered_mails"))

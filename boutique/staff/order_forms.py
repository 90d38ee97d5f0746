from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp

from ..formatting import CUSTOMER_KIND_LABELS
from ..models import CUSTOMER_KINDS, ORDER_STATUSES, PAYMENT_METHODS

STATUS_LABELS = {
    "pending_payment": _l("En attente de paiement"),
    "placed": _l("Reçue"),
    "confirmed": _l("Confirmée"),
    "ready": _l("Prête"),
    "collected": _l("Retirée"),
    "cancelled": _l("Annulée"),
    "expired": _l("Expirée"),
    "no_show": _l("Non retirée"),
}
PAYMENT_LABELS = {
    "on_pickup": _l("Au retrait"),
    "invoice": _l("Sur facture"),
    "card": _l("Carte bancaire"),
}


ALL = _l("Tous")


def _choices(labels, keys):
    return [SelectChoice("", str(ALL))] + [SelectChoice(k, str(labels[k])) for k in keys]


class OrderFilterForm(FlaskForm):
    """GET filters of the staff order table (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    statut = SelectField(_l("État"), validators=[Optional()])
    point = SelectField(_l("Point de retrait"), validators=[Optional()])
    creneau = SelectField(_l("Créneau"), validators=[Optional()])
    type = SelectField(_l("Client"), validators=[Optional()])
    paiement = SelectField(_l("Paiement"), validators=[Optional()])
    q = StringField(_l("Numéro ou nom"), validators=[Optional(), Length(max=80)])

    def __init__(self, *args, points=(), slots=(), slot_label=str, **kwargs):
        super().__init__(*args, **kwargs)
        self.statut.choices = _choices(STATUS_LABELS, ORDER_STATUSES)
        self.type.choices = _choices(CUSTOMER_KIND_LABELS, CUSTOMER_KINDS)
        self.paiement.choices = _choices(PAYMENT_LABELS, PAYMENT_METHODS)
        self.point.choices = [SelectChoice("", str(ALL))] + [
            SelectChoice(str(p.id), p.name) for p in points
        ]
        self.creneau.choices = [SelectChoice("", str(ALL))] + [
            SelectChoice(str(s.id), slot_label(s)) for s in slots
        ]


class CancelForm(FlaskForm):
    reason = TextAreaField(
        _l("Motif de l'annulation (envoyé au client)"),
        validators=[DataRequired(_l("Indiquez le motif de l'annulation.")), Length(max=500)],
    )


class OptionalIdField(SelectField):
    """A select of ids where 0 (or nothing sent) means "none"; other values must be listed."""

    def pre_validate(self, form):
        if not self.data:
            self.data = 0
            return
        super().pre_validate(form)


class StaffOrderForm(FlaskForm):
    """An order entered by staff for a customer (phone orders)."""

    # The customer account chosen with the search above the form (0: a customer without one).
    account = HiddenField(default="")
    name = StringField(_l("Nom du client"), validators=[Optional(), Length(max=160)])
    email = StringField(
        _l("E-mail du client (facultatif)"),
        validators=[Optional(), Email(message=_l("Adresse e-mail invalide.")), Length(max=254)],
        description=_l("Sans e-mail, le client n'est prévenu de rien : appelez-le."),
    )
    phone = StringField(
        _l("Téléphone"),
        validators=[
            Optional(),
            Regexp(r"^[0-9 +().-]{6,30}$", message=_l("Numéro de téléphone invalide.")),
        ],
    )
    slot = OptionalIdField(_l("Créneau"), coerce=int, default=0)
    preferred_point = OptionalIdField(
        _l("Point souhaité (si le planning place la commande)"), coerce=int, default=0
    )
    payment_method = SelectField(_l("Paiement"))
    note = TextAreaField(_l("Remarque"), validators=[Optional(), Length(max=1000)])
    after_deadline = BooleanField(_l("Accepter la commande après la clôture"))

    def __init__(self, *args, slots=(), points=(), slot_label=str, **kwargs):
        super().__init__(*args, **kwargs)
        self.payment_method.choices = [
            SelectChoice(key, str(PAYMENT_LABELS[key])) for key in ("on_pickup", "invoice")
        ]
        self.slot.choices = [SelectChoice(0, str(_l("À placer par le planning des retraits")))] + [
            SelectChoice(s.id, slot_label(s)) for s in slots
        ]
        self.preferred_point.choices = [SelectChoice(0, str(_l("Sans préférence")))] + [
            SelectChoice(p.id, p.name) for p in points
        ]

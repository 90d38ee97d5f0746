from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    RadioField,
    SelectChoice,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Regexp, ValidationError

PAYMENT_LABELS = {
    "on_pickup": _l("Paiement au retrait (espèces, chèque ou carte sur place)"),
    "invoice": _l("Sur facture (virement à 30 jours)"),
    "card": _l("Carte bancaire en ligne"),
}


URL_SAFE_CODE = r"^[A-Za-z0-9_-]{20,64}$"  # what secrets.token_urlsafe(24) draws


class CheckoutForm(FlaskForm):
    """The one-page checkout: contact, slot, payment, terms, and "Commander" places the order.

    checkout_token is drawn when the page is shown: a second click, or the same form sent
    again after its answer was lost, finds the order the first one made.
    """

    checkout_token = HiddenField(validators=[DataRequired(), Regexp(URL_SAFE_CODE)])
    name = StringField(
        _l("Nom et prénom"),
        validators=[DataRequired(_l("Indiquez votre nom.")), Length(max=160)],
        render_kw={"autocomplete": "name"},
    )
    email = EmailField(
        _l("Adresse e-mail"),
        validators=[
            DataRequired(_l("Indiquez votre adresse e-mail.")),
            Email(message=_l("Adresse e-mail invalide.")),
            Length(max=254),
        ],
        render_kw={
            "autocomplete": "email",
            "inputmode": "email",
            "spellcheck": "false",
            "autocapitalize": "none",
        },
    )
    phone = TelField(
        _l("Téléphone"),
        validators=[
            DataRequired(_l("Indiquez votre téléphone.")),
            Regexp(r"^[0-9 +().-]{6,30}$", message=_l("Numéro de téléphone invalide.")),
        ],
        description=_l("Pour vous prévenir si une culture manque."),
        render_kw={"autocomplete": "tel", "inputmode": "tel"},
    )
    slot = RadioField(
        _l("Point et créneau de retrait"),
        coerce=int,
        validate_choice=False,  # validate_slot says why a slot cannot be chosen
        validators=[DataRequired(_l("Choisissez un créneau de retrait."))],
    )
    payment_method = RadioField(
        _l("Paiement"), validators=[DataRequired(_l("Choisissez un moyen de paiement."))]
    )
    note = TextAreaField(_l("Remarque (facultatif)"), validators=[Length(max=1000)])
    # The CGV version the page showed: accepted terms are the ones the customer could read.
    terms_shown = HiddenField()
    accept_terms = BooleanField(
        _l("J'accepte les conditions générales de vente"),
        validators=[DataRequired(_l("Acceptez les conditions générales de vente pour commander."))],
    )

    def __init__(
        self, *args, slots=(), payment_methods=(), payment_problem=None, terms_known=False, **kw
    ):
        super().__init__(*args, **kw)
        self.terms_known = terms_known
        if terms_known:  # accepted with an earlier order, this version: not asked again
            self.accept_terms.validators = []
        self.payment_problem = payment_problem or (lambda method: "")
        self.slot.choices = [
            SelectChoice(slot.id, str(slot.id), render_kw={"disabled": True} if slot.full else {})
            for slot in slots
        ]
        self.slots_by_id = {slot.id: slot for slot in slots}
        self.payment_method.choices = [
            SelectChoice(method, str(PAYMENT_LABELS[method])) for method in payment_methods
        ]

    def validate_slot(self, field):
        slot = self.slots_by_id.get(field.data)
        if slot is None:
            raise ValidationError(_l("Choisissez un créneau dans la liste."))
        if slot.closed:
            raise ValidationError(_l("Ce créneau est fermé : choisissez-en un autre."))
        if slot.full:
            raise ValidationError(_l("Ce créneau est complet : choisissez-en un autre."))

    def validate_payment_method(self, field):
        # Said here already; "Commander" checks it again on the server (ordering services).
        if problem := self.payment_problem(field.data):
            raise ValidationError(problem)



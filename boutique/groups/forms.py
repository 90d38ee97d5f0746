from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    EmailField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp

from ..checkout.forms import URL_SAFE_CODE
from .services import PAID_LABELS

PHONE = r"^[0-9 +().-]{6,30}$"


class OpenGroupForm(FlaskForm):
    # Drawn when the page is shown: the same form sent twice finds the first group order.
    form_token = HiddenField(validators=[DataRequired(), Regexp(URL_SAFE_CODE)])
    slot = RadioField(
        _l("Où l'AMAP récupère la commande"),
        coerce=int,
        validate_choice=False,  # the service says why a slot cannot be chosen
        validators=[DataRequired(_l("Choisissez un point et un créneau."))],
    )
    delivery_address = StringField(
        _l("Adresse de votre distribution (pour une livraison)"),
        validators=[Length(max=255)],
        render_kw={"autocomplete": "street-address"},
    )
    members_deadline = DateTimeLocalField(
        _l("Date limite pour les membres"),
        validators=[DataRequired(_l("Indiquez la date limite des membres (jour et heure)."))],
        description=_l("Au plus tard la date limite de commande de la semaine."),
    )
    payment_method = RadioField(
        _l("Paiement de l'AMAP à la pépinière"),
        validators=[DataRequired(_l("Choisissez un moyen de paiement."))],
    )
    message = TextAreaField(_l("Message aux membres (facultatif)"), validators=[Length(max=2000)])


class MemberForm(FlaskForm):
    """A member's name and a way to reach them; the quantities are qty-<offer id> fields."""

    form_token = HiddenField(validators=[DataRequired(), Regexp(URL_SAFE_CODE)])
    name = StringField(
        _l("Nom et prénom"),
        validators=[DataRequired(_l("Indiquez votre nom.")), Length(max=160)],
        render_kw={"autocomplete": "name"},
    )
    email = EmailField(
        _l("Adresse e-mail"),
        validators=[Optional(), Email(message=_l("Adresse e-mail invalide.")), Length(max=254)],
        description=_l("Pour recevoir votre lien et un rappel. Sinon, un téléphone."),
        render_kw={
            "autocomplete": "email",
            "inputmode": "email",
            "spellcheck": "false",
            "autocapitalize": "none",
        },
    )
    phone = TelField(
        _l("Téléphone"),
        validators=[Optional(), Regexp(PHONE, message=_l("Numéro de téléphone invalide."))],
        render_kw={"autocomplete": "tel", "inputmode": "tel"},
    )

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if not (self.email.data or "").strip() and not (self.phone.data or "").strip():
            self.phone.errors = [
                *self.phone.errors,
                _l("Indiquez une adresse e-mail ou un téléphone."),
            ]
            return False
        return valid


class MemberPaidForm(FlaskForm):
    method = SelectField(
        _l("Payé à l'AMAP"),
        choices=[SelectChoice("", _l("pas encore"))]
        + [SelectChoice(value, label) for value, label in PAID_LABELS.items()],
        validate_choice=True,
    )

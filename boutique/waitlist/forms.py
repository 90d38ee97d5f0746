"""The "Prévenez-moi" form: an address (none for a signed-in customer) and a quantity."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, StringField
from wtforms.validators import DataRequired, Email, Length, ValidationError

from ..account.forms import EMAIL_FIELD, strip_spaces
from ..formatting import parse_count
from .services import MAX_QUANTITY


class SignUpForm(FlaskForm):
    email = EmailField(
        _l("Votre adresse e-mail"),
        filters=[strip_spaces],
        validators=[
            DataRequired(message=_l("Indiquez votre adresse e-mail.")),
            Email(message=_l("Adresse e-mail invalide.")),
            Length(max=254),
        ],
        render_kw=EMAIL_FIELD | {"autocomplete": "email"},
    )
    quantity = StringField(
        _l("Quantité souhaitée (facultatif)"),
        filters=[strip_spaces],
        render_kw={"inputmode": "numeric", "autocomplete": "off", "maxlength": "6"},
    )

    def validate_quantity(self, field):
        if not field.data:
            return
        quantity = parse_count(field.data)
        if quantity is None or not 0 < quantity <= MAX_QUANTITY:
            raise ValidationError(
                _l(
                    "Indiquez un nombre entier entre 1 et %(most)d, ou laissez vide.",
                    most=MAX_QUANTITY,
                )
            )

    def wanted_quantity(self):
        return parse_count(self.quantity.data) if self.quantity.data else None

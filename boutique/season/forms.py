"""The charges form: a line of the year's charges (label and amount), typed in by staff."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from ..forms import MoneyField

# 10 million euros: far above a workshop's charges, within the column's integers.
MAX_CHARGE_CENTS = 1_000_000_000


def charge_amount(form, field):
    if field.data is None:  # only spaces typed
        raise ValidationError(_l("Indiquez le montant (exemple : 12 500,00)."))
    if field.data < 0:
        raise ValidationError(_l("Le montant ne peut pas être négatif."))
    if field.data > MAX_CHARGE_CENTS:
        raise ValidationError(_l("Montant trop élevé."))


class ChargeForm(FlaskForm):
    label = StringField(
        _l("Poste de charge"),
        validators=[
            DataRequired(_l("Indiquez le libellé de la charge.")),
            Length(max=120, message=_l("Le libellé tient en 120 caractères au plus.")),
        ],
    )
    amount_cents = MoneyField(
        _l("Montant de l'année (€)"),
        validators=[InputRequired(_l("Indiquez le montant (exemple : 12 500,00).")), charge_amount],
    )


class RemoveChargeForm(FlaskForm):
    """Nothing but the CSRF token."""

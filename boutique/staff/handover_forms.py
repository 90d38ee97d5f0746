from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField
from wtforms.validators import InputRequired

from ..forms import MoneyField

PAYMENT_KIND_LABELS = {
    "cash": _l("Espèces"),
    "cheque": _l("Chèque"),
    "card_terminal": _l("Carte (TPE)"),
}


class CounterAmountField(MoneyField):
    """An amount typed on a phone; absurd numbers are refused like any bad amount."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ArithmeticError as exc:  # "1e400": too big for cents
            self.data = None
            raise ValueError(_l("Montant invalide (exemple : 2,50).")) from exc


class PaymentForm(FlaskForm):
    """Money taken at the counter; the service checks the method and the amount due."""

    # The service refuses an unknown method with a message staff understand.
    method = SelectField(_l("Moyen de paiement"), validate_choice=False)
    amount = CounterAmountField(
        _l("Montant encaissé (€)"),
        validators=[InputRequired(_l("Indiquez le montant encaissé."))],
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.method.choices = [
            SelectChoice(key, str(label)) for key, label in PAYMENT_KIND_LABELS.items()
        ]

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectChoice, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from ..formatting import parse_count
from ..forms import MoneyField, not_negative_money

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

    # Radio buttons: one tap on a phone. The service refuses an unknown or missing method
    # with a message staff understand.
    method = RadioField(_l("Moyen de paiement"), validate_choice=False)
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


class PayAndCollectForm(PaymentForm):
    """The card's main button when money is due: take it and hand the order over."""

    confirm_early = BooleanField(_l("Remettre avant le jour prévu"))


class CollectForm(FlaskForm):
    """Handing over; the boxes confirm an early handover and one with money still due."""

    confirm_early = BooleanField(_l("Remettre avant le jour prévu"))
    confirm_due = BooleanField(_l("Remettre sans encaisser"))
    # The amount the staff member saw due when ticking the box.
    due_cents = HiddenField()

    @property
    def confirmed_due_cents(self):
        """The amount confirmed as left unpaid, or None when the box is not ticked."""
        if not self.confirm_due.data:
            return None
        return parse_count(self.due_cents.data, max_digits=9) or 0


class CashClosingForm(FlaskForm):
    """Closing the day's cash: the cash counted in the till (optional) and a note."""

    counted_cash = CounterAmountField(
        _l("Espèces comptées dans la caisse (€)"),
        validators=[not_negative_money],
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )
    note = TextAreaField(
        _l("Remarque"),
        validators=[Length(max=1000, message=_l("%(max)d caractères au plus."))],
    )


class CancelPaymentForm(FlaskForm):
    """Taking back a gate payment recorded by mistake: why, in a few words."""

    reason = StringField(
        _l("Motif de l'annulation"),
        validators=[
            DataRequired(_l("Indiquez pourquoi ce paiement est annulé.")),
            Length(max=200, message=_l("%(max)d caractères au plus.")),
        ],
    )

"""Form fields shared by several features."""

import re

from flask_babel import lazy_gettext as _l
from wtforms import Field, IntegerField, StringField
from wtforms.validators import StopValidation, ValidationError

from .formatting import cents_to_input, parse_count, parse_euros

MAX_PRICE_CENTS = 10_000_000  # 100,000 euros: far above any price, below integer limits


class MoneyField(StringField):
    """A euro amount typed as '2,50' or '2.50', kept as integer cents in .data."""

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return cents_to_input(self.data)

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist or not (valuelist[0] or "").strip():
            return
        try:
            self.data = parse_euros(valuelist[0])
        except ValueError as exc:
            self.data = None
            raise ValueError(_l("Montant invalide (exemple : 2,50).")) from exc


class WholeNumberField(IntegerField):
    """A whole number as people type it (ASCII digits, maybe a minus: int() alone would take
    '1_0', '+5' and digits of other scripts); its "not a number" message in the visitor's
    language, and alone (not followed by the range's message)."""

    def process_formdata(self, valuelist):
        text = valuelist[0].strip() if valuelist else ""
        if not text:  # spaces are nothing typed: a required field says so, not its range
            self.raw_data, self.data = [], None
            return
        if not re.fullmatch(r"-?[0-9]{1,30}", text):  # a range then says how big
            self.data = None
            raise ValueError(_l("Nombre entier attendu."))
        self.data = int(text)

    def pre_validate(self, form):
        if self.process_errors:
            raise StopValidation()


def not_negative_money(form, field: Field):
    if field.data is not None and field.data < 0:
        raise ValidationError(_l("Le montant ne peut pas être négatif."))
    if field.data is not None and field.data > MAX_PRICE_CENTS:
        raise ValidationError(_l("Montant trop élevé."))


def line_quantities(lines, formdata):
    """{line id: quantity} from the qty-<line id> fields of an order form.

    Raises ValueError with a message for the user when a quantity is not a whole number.
    """
    from flask_babel import gettext

    quantities = {}
    for line in lines:
        quantity = parse_count(formdata.get(f"qty-{line.id}"))
        if quantity is None:
            raise ValueError(
                gettext("Quantité invalide pour « %(name)s ».", name=line.product_name)
            )
        quantities[line.id] = quantity
    return quantities

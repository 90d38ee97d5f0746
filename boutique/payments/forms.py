from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from .invoices import MAX_REFERENCE


class MarkPaidForm(FlaskForm):
    reference = StringField(
        _l("Référence du virement"),
        validators=[
            DataRequired(_l("Indiquez la référence du virement.")),
            Length(max=MAX_REFERENCE),
        ],
    )

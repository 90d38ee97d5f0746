"""The form staff write a legal page with."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange
from wtforms.widgets import HiddenInput

from .services import BODY_MAX_LENGTH


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class LegalPageForm(FlaskForm):
    title = StringField(
        _l("Titre"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Indiquez le titre de la page.")),
            Length(max=160, message=_l("%(max)d caractères au plus.")),
        ],
    )
    body = TextAreaField(
        _l("Texte (Markdown)"),
        render_kw={"rows": 24},
        validators=[
            DataRequired(_l("Écrivez le texte de la page.")),
            Length(max=BODY_MAX_LENGTH, message=_l("%(max)d caractères au plus.")),
        ],
        description=_l(
            "## Titre de partie, **gras**, *italique*, - liste, [texte du lien](https://…). "
            "Remplacez chaque passage entre crochets en capitales, comme [NOM DU MÉDIATEUR]."
        ),
    )
    # The version the editor started from: a save over someone else's newer one is refused.
    base_version = IntegerField(
        widget=HiddenInput(), validators=[InputRequired(), NumberRange(min=0, max=10**6)]
    )
    preview = SubmitField(_l("Prévisualiser"))
    save = SubmitField(_l("Enregistrer une nouvelle version"))

"""Forms for the categories page: a name to create or rename, a move up or down, a removal."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import AnyOf, DataRequired, Length

from ..catalog.categories import NAME_MAX_LENGTH, clean_name

MOVES = {"up": -1, "down": 1}


class CategoryForm(FlaskForm):
    name = StringField(
        _l("Nom de la catégorie"),
        filters=[clean_name],
        validators=[
            DataRequired(_l("Indiquez le nom de la catégorie.")),
            Length(max=NAME_MAX_LENGTH, message=_l("%(max)d caractères au plus.")),
        ],
        description=_l("Tel que les clients le liront dans la boutique, par exemple : Aromatiques"),
    )
    name_en = StringField(
        _l("Nom en anglais (facultatif)"),
        filters=[clean_name],
        validators=[Length(max=NAME_MAX_LENGTH, message=_l("%(max)d caractères au plus."))],
        description=_l("Vide : les pages en anglais montrent le nom en français."),
    )


class MoveForm(FlaskForm):
    direction = HiddenField(validators=[AnyOf(list(MOVES))])

    @property
    def step(self):
        return MOVES[self.direction.data]


class DeleteForm(FlaskForm):
    """Nothing to fill in: the form's token is the whole point."""

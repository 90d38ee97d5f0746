"""Forms of the sowing plan: a product's crop data, and the week figures' form (its CSRF)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ..forms import WholeNumberField


def whole(label, low, high, message, description=None, default=None):
    return WholeNumberField(
        label,
        default=default,
        validators=[
            InputRequired(message=_l("Ce champ est obligatoire.")),
            NumberRange(min=low, max=high, message=message),
        ],
        description=description,
    )


class CropForm(FlaskForm):
    # Bounds are the model's CheckConstraints.
    weeks_to_ready = whole(
        _l("Semaines du semis à la vente"),
        1,
        52,
        _l("Entre 1 et 52 semaines."),
        _l("Du semis au plant prêt à vendre, par exemple 8 pour une tomate en godet."),
    )
    loss_percent = whole(
        _l("Pertes attendues (%)"),
        0,
        90,
        _l("Entre 0 et 90 %%."),
        _l("Graines qui ne lèvent pas et plants écartés, en pourcentage des mottes semées."),
        default=10,
    )
    units_per_tray = whole(
        _l("Mottes par plaque"),
        1,
        10_000,
        _l("Au moins 1 motte par plaque (10 000 au plus)."),
        _l("Par exemple 77 pour une plaque de 77 mottes."),
        default=77,
    )
    cells_per_unit = whole(
        _l("Mottes par unité vendue"),
        1,
        1_000,
        _l("Entre 1 et 1 000 mottes par unité vendue."),
        _l("1 pour un godet ou un pot ; 12 pour une « plaque de 12 mottes » vendue entière."),
        default=1,
    )
    seeds_per_unit = whole(
        _l("Graines par motte"),
        1,
        100,
        _l("Entre 1 et 100 graines par motte."),
        default=1,
    )
    sow_from_week = whole(
        _l("Semis possible de la semaine"),
        1,
        53,
        _l("Une semaine de 1 à 53."),
        _l("Numéro de semaine ISO. La période peut passer le nouvel an : de 48 à 6."),
        default=1,
    )
    sow_to_week = whole(
        _l("à la semaine (incluse)"), 1, 53, _l("Une semaine de 1 à 53."), default=53
    )
    note = TextAreaField(_l("Remarque (facultatif)"), validators=[Optional(), Length(max=1000)])


class OverrideForm(FlaskForm):
    """Only the CSRF token: the week fields are read by services.parse_overrides."""

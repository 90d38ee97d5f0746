"""Forms for pick-up points, their weekly slot templates and a week's slots."""

from datetime import date

from babel.dates import get_day_names
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from ..extensions import db
from ..formatting import format_iso_date
from ..forms import WholeNumberField
from ..models import PickupSlot

MAX_CAPACITY = 10_000
MAX_POSITION = 10_000
# Browsers send "16:00"; some send seconds as well.
TIME_FORMATS = ["%H:%M", "%H:%M:%S"]
OTHER_DAY = "autre"
TOO_LONG = _l("%(max)d caractères au plus.")


def weekday_names():
    """Monday-first day names as the visitor's language writes them: "lundi", "Monday"."""
    names = get_day_names("wide", locale=get_locale())
    return [names[day] for day in range(7)]


def strip(value):
    return value.strip() if isinstance(value, str) else value


def capacity_in_range(form, field):
    # A value that is not a whole number already has its own message.
    if field.data is not None and not 1 <= field.data <= MAX_CAPACITY:
        raise ValidationError(_l("La capacité va de 1 à 10 000 commandes."))


def position_in_range(form, field):
    if field.data is not None and not 0 <= field.data <= MAX_POSITION:
        raise ValidationError(_l("L'ordre va de 0 à 10 000."))


def capacity_field(label=None):
    return WholeNumberField(
        label or _l("Capacité (nombre de commandes)"),
        validators=[InputRequired(_l("Indiquez une capacité.")), capacity_in_range],
    )


def time_field(label):
    return TimeField(
        label,
        format=TIME_FORMATS,
        validators=[InputRequired(_l("Indiquez une heure."))],
        invalid_value_message=_l("Heure invalide (exemple : 16:00)."),
    )


class PointForm(FlaskForm):
    name = StringField(
        _l("Nom"),
        filters=[strip],
        validators=[
            DataRequired(_l("Indiquez le nom du point.")),
            Length(max=120, message=TOO_LONG),
        ],
    )
    address = StringField(
        _l("Adresse"), filters=[strip], validators=[Length(max=255, message=TOO_LONG)]
    )
    instructions = TextAreaField(
        _l("Consignes pour les clients"),
        filters=[strip],
        validators=[Length(max=2000, message=TOO_LONG)],
        description=_l("Par exemple : sonner au portail, se garer devant la serre."),
    )
    instructions_en = TextAreaField(
        _l("Consignes en anglais (facultatif)"),
        filters=[strip],
        validators=[Length(max=2000, message=TOO_LONG)],
        description=_l(
            "Vides : les pages et e-mails en anglais montrent les consignes en français."
        ),
    )
    for_individual = BooleanField(_l("Particuliers"), default=True)
    for_restaurant = BooleanField(_l("Restaurants"), default=True)
    for_amap = BooleanField(_l("AMAP"), default=True)
    is_delivery = BooleanField(_l("Tournée de livraison"))
    active = BooleanField(_l("Actif"), default=True)
    position = WholeNumberField(
        _l("Ordre d'affichage"),
        default=0,
        validators=[Optional(), position_in_range],
        description=_l("Les points s'affichent du plus petit au plus grand."),
    )

    def validate_for_individual(self, field):
        if not (field.data or self.for_restaurant.data or self.for_amap.data):
            raise ValidationError(_l("Cochez au moins un type de client."))

    def values(self):
        return {
            "name": self.name.data,
            "address": self.address.data or "",
            "instructions": self.instructions.data or "",
            "instructions_en": self.instructions_en.data or "",
            "for_individual": self.for_individual.data,
            "for_restaurant": self.for_restaurant.data,
            "for_amap": self.for_amap.data,
            "is_delivery": self.is_delivery.data,
            "active": self.active.data,
            "position": self.position.data or 0,
        }


class SlotTimesForm(FlaskForm):
    """Start, end and capacity, shared by templates and slots."""

    starts_at = time_field(_l("Début"))
    ends_at = time_field(_l("Fin"))
    capacity = capacity_field()

    def validate_ends_at(self, field):
        if self.starts_at.data and field.data and field.data <= self.starts_at.data:
            raise ValidationError(_l("La fin du créneau doit suivre son début."))


class TemplateForm(SlotTimesForm):
    weekday = SelectField(
        _l("Jour"),
        coerce=int,
        invalid_value_message=_l("Jour inconnu."),
        invalid_choice_message=_l("Jour inconnu."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.weekday.choices = [
            SelectChoice(day, name.capitalize()) for day, name in enumerate(weekday_names())
        ]


class SlotForm(SlotTimesForm):
    point_id = SelectField(
        _l("Point de retrait"),
        coerce=int,
        invalid_value_message=_l("Point de retrait inconnu."),
        invalid_choice_message=_l("Point de retrait inconnu."),
    )
    day = SelectField(_l("Jour"), invalid_choice_message=_l("Jour inconnu."))
    other_day = DateField(
        _l("Autre date"),
        validators=[Optional()],
        invalid_value_message=_l("Date invalide."),
        description=_l("Seulement si vous avez choisi « Autre date » au-dessus."),
    )

    def __init__(self, *args, week, points, **kwargs):
        super().__init__(*args, **kwargs)
        self.week = week
        inactive = _l("inactif")
        self.point_id.choices = [
            SelectChoice(p.id, p.name if p.active else f"{p.name} ({inactive})") for p in points
        ]
        self.day.choices = [
            SelectChoice(day, format_iso_date(day)) for day in week.pickup_dates
        ] + [SelectChoice(OTHER_DAY, str(_l("Autre date")))]

    def chosen_day(self):
        if self.day.data == OTHER_DAY:
            return self.other_day.data
        return date.fromisoformat(self.day.data)

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if self.day.data == OTHER_DAY and self.other_day.data is None and not self.other_day.errors:
            self.other_day.errors.append(_l("Indiquez la date du créneau."))
            valid = False
        if not valid:
            return False
        # Same identity as slots copied from templates; also stops a double click.
        taken = db.session.scalar(
            select(PickupSlot.id)
            .where(
                PickupSlot.week_id == self.week.id,
                PickupSlot.point_id == self.point_id.data,
                PickupSlot.day == self.chosen_day(),
                PickupSlot.starts_at == self.starts_at.data,
            )
            .limit(1)
        )
        if taken is not None:
            self.starts_at.errors.append(_l("Ce point a déjà un créneau ce jour-là à cette heure."))
            return False
        return True


class RetimeForm(FlaskForm):
    """A slot's new day and times (its customers are told)."""

    week_id = HiddenField()
    day = DateField(
        _l("Jour"),
        validators=[InputRequired(_l("Indiquez la date du créneau."))],
        invalid_value_message=_l("Date invalide."),
    )
    starts_at = time_field(_l("Début"))
    ends_at = time_field(_l("Fin"))

    def validate_ends_at(self, field):
        if self.starts_at.data and field.data and field.data <= self.starts_at.data:
            raise ValidationError(_l("La fin du créneau doit suivre son début."))


class CapacityForm(FlaskForm):
    week_id = HiddenField()
    capacity = capacity_field(_l("Capacité"))


class ClosingForm(FlaskForm):
    week_id = HiddenField()
    action = SelectField(
        choices=[SelectChoice("close"), SelectChoice("reopen")],
        validators=[DataRequired()],
    )

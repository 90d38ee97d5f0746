from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectChoice, SelectField, StringField
from wtforms.validators import AnyOf, DataRequired, Email, Length

from ..account.forms import strip_spaces
from .account_services import ROLE_LABELS, STAFF_ROLES


class _RoleField(SelectField):
    def __init__(self, *args, **kwargs):
        super().__init__(
            *args,
            choices=[SelectChoice(role, ROLE_LABELS[role]) for role in STAFF_ROLES],
            validate_choice=False,  # AnyOf below says it in words
            validators=[AnyOf(STAFF_ROLES, message=_l("Choisissez un rôle de la liste."))],
            **kwargs,
        )


class NewAccountForm(FlaskForm):
    email = StringField(
        _l("Adresse e-mail"),
        filters=[strip_spaces],
        validators=[
            DataRequired(_l("Indiquez l'adresse e-mail.")),
            Email(message=_l("Adresse e-mail invalide.")),
            Length(max=254),
        ],
        render_kw={"autocomplete": "off"},
    )
    first_name = StringField(
        _l("Prénom"), validators=[DataRequired(_l("Indiquez le prénom.")), Length(max=80)]
    )
    last_name = StringField(
        _l("Nom"), validators=[DataRequired(_l("Indiquez le nom.")), Length(max=80)]
    )
    role = _RoleField(_l("Rôle"), default="staff")


class RoleForm(FlaskForm):
    role = _RoleField(_l("Rôle"))


class ActiveForm(FlaskForm):
    """Disable or enable: the wanted state, so that a second click changes nothing."""

    active = HiddenField(validators=[AnyOf(("0", "1"))])


class ActionForm(FlaskForm):
    """A button and its CSRF token."""

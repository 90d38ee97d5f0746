from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, RadioField, SelectChoice, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length

STAFF_CHANNELS = ("email", "phone", "letter")


class ExportForm(FlaskForm):
    """The download button and its CSRF token (an export is logged in the account's history)."""


class DeleteOwnAccountForm(FlaskForm):
    password = PasswordField(
        _l("Votre mot de passe"),
        validators=[DataRequired(_l("Tapez votre mot de passe pour confirmer la suppression."))],
        render_kw={"autocomplete": "current-password"},
    )


class StaffDeleteForm(FlaskForm):
    channel = RadioField(
        _l("Demande reçue par"),
        choices=[
            SelectChoice("email", _l("e-mail")),
            SelectChoice("phone", _l("téléphone")),
            SelectChoice("letter", _l("courrier")),
        ],
        validate_choice=False,  # AnyOf says it in words
        validators=[
            DataRequired(_l("Indiquez comment la demande a été faite.")),
            AnyOf(STAFF_CHANNELS, message=_l("Indiquez comment la demande a été faite.")),
        ],
    )
    note = TextAreaField(
        _l("Note (facultatif)"),
        validators=[Length(max=500, message=_l("500 caractères au plus."))],
        description=_l("Par exemple : date et référence du message. Rien d'autre sur la personne."),
    )

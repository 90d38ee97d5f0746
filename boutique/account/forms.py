from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TelField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    Length,
    Optional,
    Regexp,
    ValidationError,
)

from ..formatting import CUSTOMER_KIND_LABELS
from .services import AccountLocked, attempt_password, siret_is_valid

KIND_CHOICES = [SelectChoice(kind, label) for kind, label in CUSTOMER_KIND_LABELS.items()]
LOCALE_CHOICES = [SelectChoice("fr", "Français"), SelectChoice("en", "English")]
# What a phone's keyboard and password manager need (type=email/tel come with the fields).
EMAIL_FIELD = {"inputmode": "email", "spellcheck": "false", "autocapitalize": "none"}
TEL_FIELD = {"autocomplete": "tel", "inputmode": "tel"}


def strong_password(form, field):
    password = field.data or ""
    if len(password) < 10:
        raise ValidationError(_l("Le mot de passe doit contenir au moins 10 caractères."))
    if password.isalpha() or password.isdigit():
        raise ValidationError(
            _l("Le mot de passe doit mélanger des lettres et des chiffres ou des symboles.")
        )
    email = getattr(form, "email", None)
    if email is not None and email.data and password.lower() == email.data.strip().lower():
        raise ValidationError(_l("Le mot de passe ne doit pas être votre adresse e-mail."))


def strip_spaces(value):
    return value.strip() if isinstance(value, str) else value


def normalise_siret(value):
    return "".join(ch for ch in (value or "") if not ch.isspace()) or None


class ProfessionalDetails:
    """Organisation, SIRET and address are required from restaurants and AMAPs."""

    def validate_for_kind(self, kind):
        if kind not in ("restaurant", "amap"):
            return True
        ok = True
        required = ("organisation", "address", "postcode", "city")
        for name in required:
            field = getattr(self, name)
            if not (field.data or "").strip():
                field.errors.append(_l("Obligatoire pour un compte professionnel."))
                ok = False
        return ok


class RegisterForm(FlaskForm, ProfessionalDetails):
    kind = RadioField(_l("Vous êtes"), choices=KIND_CHOICES, default="individual")
    email = EmailField(
        _l("Adresse e-mail"),
        filters=[strip_spaces],
        validators=[DataRequired(), Email(message=_l("Adresse e-mail invalide.")), Length(max=254)],
        render_kw=EMAIL_FIELD | {"autocomplete": "username"},
    )
    password = PasswordField(
        _l("Mot de passe"),
        validators=[DataRequired(), strong_password],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Confirmer le mot de passe"),
        validators=[
            DataRequired(),
            EqualTo("password", message=_l("Les deux mots de passe ne correspondent pas.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    first_name = StringField(
        _l("Prénom"),
        validators=[DataRequired(), Length(max=80)],
        render_kw={"autocomplete": "given-name"},
    )
    last_name = StringField(
        _l("Nom"),
        validators=[DataRequired(), Length(max=80)],
        render_kw={"autocomplete": "family-name"},
    )
    phone = TelField(
        _l("Téléphone"),
        validators=[
            Optional(),
            Length(max=30),
            Regexp(r"^[0-9 +().-]{6,30}$", message=_l("Numéro de téléphone invalide.")),
        ],
        render_kw=TEL_FIELD,
    )
    organisation = StringField(
        _l("Nom de l'établissement ou de l'AMAP"),
        [Length(max=160)],
        render_kw={"autocomplete": "organization"},
    )
    siret = StringField(
        _l("SIRET (14 chiffres)"), filters=[normalise_siret], render_kw={"inputmode": "numeric"}
    )
    address = StringField(
        _l("Adresse"), validators=[Length(max=255)], render_kw={"autocomplete": "street-address"}
    )
    postcode = StringField(
        _l("Code postal"),
        validators=[Length(max=10)],
        render_kw={"autocomplete": "postal-code", "inputmode": "numeric"},
    )
    city = StringField(
        _l("Ville"), validators=[Length(max=100)], render_kw={"autocomplete": "address-level2"}
    )

    def validate_siret(self, field):
        if self.kind.data not in ("restaurant", "amap"):
            return
        if not field.data:
            raise ValidationError(_l("Obligatoire pour un compte professionnel."))
        if not siret_is_valid(field.data):
            raise ValidationError(
                _l("SIRET invalide : 14 chiffres avec une clé de contrôle correcte.")
            )

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        return self.validate_for_kind(self.kind.data) and ok


class LoginForm(FlaskForm):
    email = EmailField(
        _l("Adresse e-mail"),
        validators=[DataRequired(), Length(max=254)],
        render_kw=EMAIL_FIELD | {"autocomplete": "username"},
    )
    password = PasswordField(
        _l("Mot de passe"),
        validators=[DataRequired()],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Rester connecté"))


class ConfirmPasswordForm(FlaskForm):
    password = PasswordField(
        _l("Mot de passe"),
        validators=[DataRequired()],
        render_kw={"autocomplete": "current-password"},
    )


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        _l("Adresse e-mail"),
        filters=[strip_spaces],
        validators=[DataRequired(), Email(message=_l("Adresse e-mail invalide.")), Length(max=254)],
        render_kw=EMAIL_FIELD | {"autocomplete": "username"},
    )


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("Nouveau mot de passe"),
        validators=[DataRequired(), strong_password],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Confirmer le mot de passe"),
        validators=[
            DataRequired(),
            EqualTo("password", message=_l("Les deux mots de passe ne correspondent pas.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class ProfileForm(FlaskForm, ProfessionalDetails):
    first_name = StringField(_l("Prénom"), validators=[DataRequired(), Length(max=80)])
    last_name = StringField(_l("Nom"), validators=[DataRequired(), Length(max=80)])
    phone = TelField(
        _l("Téléphone"),
        validators=[
            Optional(),
            Length(max=30),
            Regexp(r"^[0-9 +().-]{6,30}$", message=_l("Numéro de téléphone invalide.")),
        ],
        render_kw=TEL_FIELD,
    )
    organisation = StringField(_l("Nom de l'établissement ou de l'AMAP"), [Length(max=160)])
    address = StringField(_l("Adresse"), validators=[Length(max=255)])
    postcode = StringField(_l("Code postal"), validators=[Length(max=10)])
    city = StringField(_l("Ville"), validators=[Length(max=100)])
    locale = SelectField(_l("Langue"), choices=LOCALE_CHOICES)
    current_password = PasswordField(
        _l("Mot de passe actuel"), render_kw={"autocomplete": "current-password"}
    )
    new_password = PasswordField(
        _l("Nouveau mot de passe"),
        validators=[Optional(), strong_password],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Confirmer le nouveau mot de passe"),
        validators=[
            EqualTo("new_password", message=_l("Les deux mots de passe ne correspondent pas."))
        ],
        render_kw={"autocomplete": "new-password"},
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def validate_current_password(self, field):
        if not self.new_password.data:
            return
        try:  # throttled like a login: a stolen session cannot guess the password
            user = attempt_password(self.user.email, field.data or "")
        except AccountLocked:
            raise ValidationError(
                _l(
                    "Trop de tentatives : réessayez plus tard, ou utilisez « Mot de passe oublié ? »."
                )
            ) from None
        if user is None:
            raise ValidationError(_l("Mot de passe actuel incorrect."))

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        return self.validate_for_kind(self.user.kind) and ok

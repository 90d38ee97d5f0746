from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import AnyOf, Length, ValidationError

from ..account.forms import strip_spaces
from ..account.professionals import DECISIONS, REASON_MAX, STATUSES


class DecisionForm(FlaskForm):
    """An admin's decision on a professional account, with the status they saw: a decision
    taken on a page that has gone stale changes nothing."""

    decision = HiddenField(validators=[AnyOf(tuple(DECISIONS))])
    status = HiddenField(validators=[AnyOf(STATUSES)])
    reason = TextAreaField(
        _l("Motif"),
        filters=[strip_spaces],
        validators=[
            Length(
                max=REASON_MAX,
                message=_l("Le motif dépasse %(max)d caractères.", max=REASON_MAX),
            )
        ],
        render_kw={"maxlength": REASON_MAX, "rows": 4},
    )

    def validate_reason(self, field):
        if self.decision.data == "revoke" and not field.data:
            raise ValidationError(_l("Indiquez le motif du retrait : il est envoyé au client."))

    @property
    def forged(self):
        """Errors a page of the shop never makes (the hidden fields): answer 400."""
        return bool(self.decision.errors or self.status.errors or self.errors.get("csrf_token"))

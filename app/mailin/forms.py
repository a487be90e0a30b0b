"""The tray's forms: registering needs nothing but the CSRF token; filing needs a reason."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from ..complaints.guards import MIN_REASON_LENGTH
from ..forms import AppForm
from ..text import clean_text


class RegisterMailForm(AppForm):
    """One click: the message becomes a complaint."""


class FileMailForm(AppForm):
    reason = TextAreaField(
        _l("Why it is not a complaint"),
        filters=[lambda value: clean_text(value) if isinstance(value, str) else value],
        validators=[DataRequired(_l("Give the reason.")), Length(min=MIN_REASON_LENGTH, max=1000)],
    )

"""Sign-in, password, own-settings and API token forms."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from wtforms import IntegerField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length
from wtforms.widgets import HiddenInput

from ..forms import AppForm
from ..languages import LANGUAGES
from .models import MIN_PASSWORD_LENGTH


class LoginForm(AppForm):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


def _new_password() -> PasswordField:
    return PasswordField(
        _l("New password"),
        validators=[
            DataRequired(),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=200,
                message=lazy_ngettext("Use at least %(num)d character.", "Use at least %(num)d characters.",
                                      MIN_PASSWORD_LENGTH),
            ),
        ],
    )


def _confirm() -> PasswordField:
    return PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("new_password", _l("The two new passwords differ."))],
    )


class PasswordChangeForm(AppForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = _new_password()
    confirm = _confirm()


class SetPasswordForm(AppForm):
    """A one-time set-password link's form: the new password, twice."""

    new_password = _new_password()
    confirm = _confirm()


class SettingsForm(AppForm):
    """A staff member's own settings: the language of their pages and e-mails."""

    language = SelectField(_l("Language of my pages and e-mails"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.language.choices = list(LANGUAGES.items())


class TokenForm(AppForm):
    """A new personal API token: only its name is asked for."""

    name = StringField(_l("What will use the token"), validators=[DataRequired(_l("Name the token.")), Length(max=80)])


class RevokeTokenForm(AppForm):
    token_id = IntegerField(validators=[DataRequired()], widget=HiddenInput())


class SignOutElsewhereForm(AppForm):
    """"Sign out everywhere else": nothing to fill in but the CSRF token."""


class UnlockForm(AppForm):
    """An administrator unlocking an account: nothing to fill in but the CSRF token."""

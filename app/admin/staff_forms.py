"""The staff administration's forms (app/admin/staff.py): a new account, a role and tier, a
password reset, and the buttons that need nothing but the CSRF token."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from ..auth.permissions import Role
from ..forms import AppForm
from ..languages import LANGUAGES
from ..settings.tiers import Tier

NO_TIER = ""


class _RoleAndTier(AppForm):
    role = SelectField(_l("Role"), validators=[DataRequired(_l("Choose one of the roles."))])
    tier = SelectField(_l("Tier"), validators=[Optional()])

    def __init__(self, tiers: Sequence[Tier], language: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.role.choices = [(role.value, role.title) for role in Role]
        self.tier.choices = [(NO_TIER, _l("No tier (clerks)"))] + [
            (str(tier.level), f"{tier.level} · {tier.name(language)}") for tier in tiers]

    @property
    def tier_level(self) -> int | None:
        return int(self.tier.data) if self.tier.data else None


class RoleTierForm(_RoleAndTier):
    """Another role or tier for an account."""


class _TemporaryPassword:
    temporary_password = StringField(_l("Temporary password"), validators=[Optional(), Length(max=200)])


class NewStaffForm(_TemporaryPassword, _RoleAndTier):
    """A new staff account."""

    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=80)])
    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    email = StringField(_l("E-mail"), validators=[Optional(), Length(max=254)])
    language = SelectField(_l("Language of their pages and e-mails"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.language.choices = list(LANGUAGES.items())


class ResetPasswordForm(_TemporaryPassword, AppForm):
    """A new way in: a set-password link, or the temporary password typed."""


class StaffActionForm(AppForm):
    """Deactivate, reactivate, unlock, end the sessions: nothing to fill in but the CSRF token."""

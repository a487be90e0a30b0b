"""The administration forms. They only carry what was typed (and the CSRF token): every rule
is in app/settings/rules.py, whose messages are put back on the fields."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, Field, StringField

from ..forms import AppForm
from ..languages import LANGUAGES

LANGUAGE_NAMES = {"en": _l("English"), "ru": _l("Russian"), "ro": _l("Romanian"), "uk": _l("Ukrainian")}


def _name_fields(prefix: str = "") -> dict[str, Field]:
    return {
        f"{prefix}name_{language}": StringField(
            _l("Name in %(language)s", language=LANGUAGE_NAMES[language])
            if language == "en" else _l("Name in %(language)s (optional)", language=LANGUAGE_NAMES[language])
        )
        for language in LANGUAGES
    }


def names_data(names: Mapping[str, str], prefix: str = "") -> dict[str, str]:
    return {f"{prefix}name_{language}": names.get(language, "") for language in LANGUAGES}


class SettingsForm(AppForm):
    """Base of the settings forms: errors from the settings' rules go back on their fields."""

    def show_errors(self, errors: Mapping[str, Sequence[str]]) -> None:
        for name, messages in errors.items():
            field = self._fields.get(name)
            if field is not None:
                field.errors = list(messages)

    def values(self) -> dict[str, Any]:
        return {name: field.data for name, field in self._fields.items() if name != "csrf_token"}


#: A new category: its code and names.
NewCategoryForm = type("NewCategoryForm", (SettingsForm,), {"code": StringField(_l("Code")), **_name_fields()})

#: An existing category: its names, and whether it is still offered.
CategoryForm = type("CategoryForm", (SettingsForm,), {
    **_name_fields(),
    "retired": BooleanField(_l("Retired: no longer offered for new complaints (old complaints keep it)")),
})


class OrganisationForm(SettingsForm):
    name = StringField(_l("Name"))
    address = StringField(_l("Address"))
    phone = StringField(_l("Phone (optional)"))
    email = StringField(_l("E-mail (optional)"))
    website = StringField(_l("Website (optional)"))
    stamp_ring_text = StringField(_l("Text around the stamp"))


class NumberingForm(SettingsForm):
    number_format = StringField(_l("Incoming numbers"))
    outgoing_number_format = StringField(_l("Outgoing letters"))


def tiers_form(levels: Sequence[int], **kwargs: Any) -> SettingsForm:
    """The tiers' names and resolution days, and the first-response hours."""
    fields: dict[str, Field] = {"first_response_hours": StringField(_l("First response within (hours)"))}
    for level in levels:
        fields |= _name_fields(f"tier{level}_")
        fields[f"tier{level}_days"] = StringField(
            _l("Resolution within (days)") if level != levels[-1]
            else _l("Resolution within (days; empty: no deadline)")
        )
    return type("TiersForm", (SettingsForm,), fields)(**kwargs)


def addresses_form(levels: Sequence[int], **kwargs: Any) -> SettingsForm:
    """A shared mailbox per tier."""
    fields = {f"tier{level}": StringField(_l("Tier %(level)d", level=level)) for level in levels}
    return type("TierAddressesForm", (SettingsForm,), fields)(**kwargs)


class MailIntakeForm(SettingsForm):
    mail_auto_register = BooleanField(_l("Register every new e-mail as a complaint at once"))

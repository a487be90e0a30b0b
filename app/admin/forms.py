"""The administration forms. They only carry what was typed (and the CSRF token): every rule
is in app/settings/rules.py, whose messages are put back on the fields."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, Field, RadioField, SelectField, StringField, TextAreaField

from ..clocks.calendar import SUPPORTED_COUNTRIES
from ..clocks.policy import ClockKind, Unit
from ..clocks.presets import PRESETS
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


class RatingWindowForm(SettingsForm):
    rating_window_days = StringField(_l("Days after closing during which the complainant may rate the handling"))


# --- the regulator's clocks (/admin/clocks) --------------------------------------------------
# Selects leave the check of the chosen value to app/settings/rules.py, whose message says what
# to choose (WTForms' own would only say "Not a valid choice"). Choices are set per form, so
# their titles are in the page's language.


def _unit_choices() -> list[tuple[str, str]]:
    return [(unit.value, unit.title) for unit in Unit]


def _preset_choices() -> list[tuple[str, Any]]:
    return [(code, item.title) for code, item in PRESETS.items()]


class PresetForm(SettingsForm):
    """The preset the installation's policy is replaced by."""

    preset = RadioField(_l("Preset"), validate_choice=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.preset.choices = _preset_choices()


class _ClockPolicyForm(SettingsForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self._fields.items():
            if name.endswith("_unit"):
                field.choices = _unit_choices()


def clock_policy_form(kinds: Sequence[ClockKind], **kwargs: Any) -> SettingsForm:
    """Each clock of the installation's policy (`kinds`, in its order) and the first response."""
    fields: dict[str, Field] = {}
    for kind in kinds:
        fields |= {
            f"{kind}_amount": StringField(_l("Within")),
            f"{kind}_unit": SelectField(_l("Unit"), validate_choice=False),
            f"{kind}_pauses": BooleanField(_l("Pauses while waiting for the complainant")),
            f"{kind}_extension": StringField(_l("May be extended by (empty: no extension)")),
            f"{kind}_extension_notice": BooleanField(_l("An extension needs a notice letter to the complainant")),
            f"{kind}_escalates": BooleanField(_l("A breach escalates the complaint to the next tier")),
        }
    fields["first_response_amount"] = StringField(_l("Within (empty: the first-response hours of the tiers page)"))
    fields["first_response_unit"] = SelectField(_l("Unit"), validate_choice=False)
    return type("ClockPolicyForm", (_ClockPolicyForm,), fields)(**kwargs)


class _CategoryClocksForm(SettingsForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self._fields.items():
            if name.startswith("category_"):
                field.choices = [("", _l("As the installation")), *_preset_choices()]


def category_clocks_form(codes: Sequence[str], labels: Mapping[str, Any], **kwargs: Any) -> SettingsForm:
    """Per offered category (`codes`, labelled by `labels`): the installation's policy or a preset."""
    fields = {f"category_{code}": SelectField(labels[code], validate_choice=False) for code in codes}
    return type("CategoryClocksForm", (_CategoryClocksForm,), fields)(**kwargs)


class CalendarForm(SettingsForm):
    """The working calendar; the countries are named in the page's language."""

    country = SelectField(_l("Country of the public holidays"), validate_choice=False)
    subdivision = StringField(_l("Subdivision (optional)"))
    added_holidays = TextAreaField(_l("Added non-working days"))
    added_working_days = TextAreaField(_l("Added working days"))
    opening_from = StringField(_l("Opens at"))
    opening_to = StringField(_l("Closes at"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        territories = get_locale().territories
        countries = sorted(((code, territories.get(code, code)) for code in SUPPORTED_COUNTRIES), key=lambda c: c[1])
        self.country.choices = [("", _l("None: Saturdays and Sundays only")), *countries]


class ReferralBodyForm(SettingsForm):
    name = StringField(_l("Name"))
    address = StringField(_l("Address"))
    website = StringField(_l("Website"))
    time_limit_months = StringField(_l("Time limit to refer a complaint (months)"))

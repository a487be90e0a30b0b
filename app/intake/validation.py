"""The rules a complaint must meet, in one place, for every channel.

The web form (`forms.ComplaintForm`), the JSON API and the clerk's form all call
`validate_complaint`; none of them restates a rule. Plain Python: no request, no form library.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from msgspec import Struct

from ..languages import LANGUAGES
from ..text import clean_text, has_bidi_controls, normalise_email, normalise_phone, single_line
from .operations import ComplaintSubmission

#: The fields of a complaint, as the form and the API name them.
FIELDS = (
    "full_name",
    "email",
    "phone",
    "postal_address",
    "category",
    "subject",
    "description",
    "desired_outcome",
    "language",
    "signature",
    "declaration",
)

class IntakeRules(Struct, frozen=True):
    """What this installation accepts (from its configuration)."""

    categories: frozenset[str]
    languages: frozenset[str]
    phone_region: str | None


class _Text(Struct, frozen=True):
    required: Any  # the message when empty, or None when the field is optional
    min: int
    max: int
    one_line: bool = False
    no_bidi: bool = False  # names and subjects: no bidirectional controls (they disguise the text)


_TEXT = {
    "full_name": _Text(_l("Enter your full name."), 2, 200, one_line=True, no_bidi=True),
    "email": _Text(None, 3, 254, one_line=True),
    "phone": _Text(None, 3, 32, one_line=True),
    "postal_address": _Text(None, 0, 500),
    "subject": _Text(_l("Give your complaint a short subject."), 3, 200, one_line=True, no_bidi=True),
    "description": _Text(_l("Describe what happened."), 10, 10000),
    "desired_outcome": _Text(_l("Say what you want the organisation to do."), 3, 2000),
    "signature": _Text(_l("Sign by typing your full name."), 2, 200, one_line=True, no_bidi=True),
}


def _length_error(rule: _Text, length: int) -> str | None:
    if length < rule.min:
        return ngettext("Write at least %(num)d character.", "Write at least %(num)d characters.", rule.min)
    if length > rule.max:
        return ngettext("Write at most %(num)d character (this has %(length)d).",
                        "Write at most %(num)d characters (this has %(length)d).", rule.max, length=length)
    return None


def validate_complaint(
    data: Mapping[str, Any], rules: IntakeRules
) -> tuple[ComplaintSubmission | None, dict[str, list[str]]]:
    """Check a complaint as typed. Returns the normalised submission (no attachments; the web
    adds those), or None and the messages per field."""
    errors: dict[str, list[str]] = {}
    text: dict[str, str] = {}

    def fail(field: str, message: Any) -> None:
        errors.setdefault(field, []).append(str(message))

    for name, rule in _TEXT.items():
        value = clean_text(data.get(name) or "")
        if rule.one_line:
            value = single_line(value)
        text[name] = value
        if not value:
            if rule.required is not None:
                fail(name, rule.required)
            continue
        if rule.no_bidi and has_bidi_controls(value):
            fail(name, _l("Remove the invisible text-direction characters (U+202A–U+202E, U+2066–U+2069, "
                          "U+200E, U+200F)."))
        elif message := _length_error(rule, len(value)):
            fail(name, message)

    email = phone = None
    if text["email"] and "email" not in errors:
        email = normalise_email(text["email"])
        if email is None:
            fail("email", _l("This is not a valid e-mail address."))
    if text["phone"] and "phone" not in errors:
        phone = normalise_phone(text["phone"], rules.phone_region)
        if phone is None:
            fail("phone", _l("This is not a valid phone number; include the country code, e.g. +373 69 123 456."))
    if not text["email"] and not text["phone"]:
        message = _l("Give an e-mail address or a phone number (or both), so we can answer you.")
        fail("email", message)
        fail("phone", message)

    category = data.get("category") or ""
    if category not in rules.categories:
        fail("category", _l("Choose a category.") if not category else _l("This is not one of our categories."))
    language = data.get("language") or ""
    if language not in rules.languages:
        fail("language", _l("Choose one of the offered languages."))

    if text["signature"] and text["full_name"] and "signature" not in errors:
        if text["signature"].casefold() != text["full_name"].casefold():
            fail("signature", _l("The signature must be your full name, as written above."))
    if data.get("declaration") is not True:
        fail("declaration", _l("Tick the declaration to sign the complaint."))

    if errors:
        return None, errors
    return (
        ComplaintSubmission(
            full_name=text["full_name"],
            email=email,
            phone=phone,
            postal_address=text["postal_address"] or None,
            category=category,
            subject=text["subject"],
            description=text["description"],
            desired_outcome=text["desired_outcome"],
            language=language,
            signature_name=text["signature"],
            declaration_confirmed=True,
        ),
        {},
    )


def rules_from_config(config: Mapping[str, Any]) -> IntakeRules:
    """The rules of this installation, read from its settings (categories: those offered now)."""
    from ..settings.store import current_settings

    return IntakeRules(
        categories=frozenset(c.code for c in current_settings().offered_categories),
        languages=frozenset(LANGUAGES),
        phone_region=config["PHONE_DEFAULT_REGION"] or None,
    )

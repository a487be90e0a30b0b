"""Cleaning and normalising what people type: text, e-mail addresses, phone numbers.

Shared by every form, the JSON API, mail intake and the administrators' settings; plain Python
with no request and no form library.
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers
from email_validator import EmailNotValidError, validate_email

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: str) -> str:
    """Trim, normalise to NFC and drop control characters (keeping line breaks and tabs)."""
    return _CONTROL.sub("", unicodedata.normalize("NFC", value)).strip()


def single_line(value: str) -> str:
    """Collapse runs of whitespace, including line breaks, into one space."""
    return re.sub(r"\s+", " ", value)


def normalise_email(text: str) -> str | None:
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        return None


def normalise_phone(text: str, region: str | None) -> str | None:
    """E.164 form of a phone number, or None when it is not a valid number."""
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)

"""Cleaning and normalising what people type: text, e-mail addresses, phone numbers.

Shared by every form, the JSON API, mail intake and the administrators' settings; plain Python
with no request and no form library.
"""

from __future__ import annotations

import re
import unicodedata

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: Bidirectional controls: they make a name or a subject read differently from what it holds
#: (embeddings, overrides, isolates, and the left-to-right / right-to-left marks).
_BIDI = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_ASCII_INTEGER = re.compile(r"[+-]?[0-9]+")
INT64_MAX = 2**63 - 1
#: The largest id a row can have: ids are INTEGER columns, 32-bit on PostgreSQL (a larger value
#: looked up overflows the driver: a 500, not a "no such row").
ROW_ID_MAX = 2**31 - 1


def clean_text(value: str) -> str:
    """Trim, normalise to NFC and drop control characters (keeping line breaks and tabs)."""
    return _CONTROL.sub("", unicodedata.normalize("NFC", value)).strip()


def has_bidi_controls(value: str) -> bool:
    """True when `value` holds a bidirectional control character (U+202A–U+202E,
    U+2066–U+2069, U+200E, U+200F)."""
    return _BIDI.search(value) is not None


def ascii_integer(text: str | None, low: int = -INT64_MAX - 1, high: int = INT64_MAX) -> int | None:
    """The whole number `text` stands for, written in the digits 0-9 (surrounding spaces
    allowed) and within `low`..`high` (by default a signed 64-bit integer); None for anything
    else ('', ' ', '²', '٣', '1_000', a 20-digit number). `str.isdigit` and `int` accept more."""
    text = (text or "").strip()
    if not _ASCII_INTEGER.fullmatch(text) or len(text) > 20:
        return None
    value = int(text)
    return value if low <= value <= high else None


def row_id(text: str | None) -> int | None:
    """A row's id as typed (see `ascii_integer`): 1..ROW_ID_MAX, else None."""
    return ascii_integer(text, 1, ROW_ID_MAX)


def single_line(value: str) -> str:
    """Collapse runs of whitespace, including line breaks, into one space."""
    return re.sub(r"\s+", " ", value)


def normalise_email(text: str) -> str | None:
    """The address as email-validator normalises it, or None when it is not a valid address.
    email-validator loads on the first call: compiling its patterns took ≈ 15 ms of every
    worker's start, for the few forms and settings that take an address."""
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        return None


def normalise_phone(text: str, region: str | None) -> str | None:
    """E.164 form of a phone number, or None when it is not a valid number (phonenumbers
    loads on the first call, like email-validator above: ≈ 10 ms and 58 modules)."""
    import phonenumbers

    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)

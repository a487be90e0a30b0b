"""What an administrator may set: every rule for the settings' values, in one place.

Plain functions on what was typed (strings by field name); each returns the value to store,
in the shape `store.default_values` gives, and the messages per field. No request, no
database: the one rule that needs the database (a number format must not repeat an existing
number) is in `numbers.py`.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping, Sequence
from typing import Any

from flask_babel import lazy_gettext as _l

from ..languages import LANGUAGES
from ..text import clean_text, normalise_email, single_line

Errors = dict[str, list[str]]

CODE = re.compile(r"[a-z][a-z0-9_]{1,49}")  # complaints.category is String(50)
NAME_MAX = 120
MAX_RESOLUTION_DAYS = 365
MAX_FIRST_RESPONSE_HOURS = 24 * 30
MAX_ADDRESSES_PER_TIER = 5
#: Lengths of the organisation's printed details (the letterhead and the stamp's ring).
ORGANISATION_FIELDS: dict[str, tuple[bool, int]] = {  # field -> (required, max length)
    "name": (True, 200),
    "address": (True, 300),
    "phone": (False, 50),
    "email": (False, 254),
    "website": (False, 100),
    "stamp_ring_text": (True, 90),
}
NUMBER_LENGTH = 40  # complaints.number, case_messages.outgoing_number are String(40)
#: The widest number a format must still fit: a four-digit year and a nine-digit sequence.
WIDEST = {"year": 2999, "seq": 999_999_999}
_LITERAL = re.compile(r"[A-Za-z0-9/._-]*")
_SEQ_SPEC = re.compile(r"(0(1[0-2]|[1-9]))?d?")
_YEAR_SPECS = ("", "d", "04d")


def _line(value: Any) -> str:
    return single_line(clean_text(str(value or "")))


def _add(errors: Errors, field: str, message: Any) -> None:
    errors.setdefault(field, []).append(str(message))


def check_names(data: Mapping[str, Any], prefix: str, errors: Errors) -> dict[str, str]:
    """Names per language from fields `{prefix}name_<language>`: English required, the
    others optional (they fall back to English)."""
    names = {}
    for language in LANGUAGES:
        field = f"{prefix}name_{language}"
        value = _line(data.get(field))
        if not value:
            if language == "en":
                _add(errors, field, _l("Give the name in English (other languages fall back to it)."))
            continue
        if len(value) > NAME_MAX:
            _add(errors, field, _l("Write at most %(n)d characters (this has %(length)d).", n=NAME_MAX,
                                   length=len(value)))
        names[language] = value
    return names


def check_new_category(
    data: Mapping[str, Any], categories: Sequence[Mapping[str, Any]]
) -> tuple[dict[str, Any] | None, Errors]:
    """A category to add: a new code (lower-case letters, digits, underscores) and its names."""
    errors: Errors = {}
    code = _line(data.get("code"))
    if not code:
        _add(errors, "code", _l("Give the category a code."))
    elif not CODE.fullmatch(code):
        _add(errors, "code", _l("Use 2 to 50 lower-case letters, digits and underscores, starting with a letter "
                                "(e.g. responsible_gaming)."))
    elif any(c["code"] == code for c in categories):
        _add(errors, "code", _l("There is already a category with this code (codes are never reused)."))
    names = check_names(data, "", errors)
    if errors:
        return None, errors
    return {"code": code, "names": names, "retired": False}, {}


def check_category_change(
    code: str, data: Mapping[str, Any], categories: Sequence[Mapping[str, Any]]
) -> tuple[list[dict[str, Any]] | None, Errors]:
    """The whole list of categories with `code` renamed and retired or offered as asked.
    The code itself never changes: complaints keep it."""
    errors: Errors = {}
    names = check_names(data, "", errors)
    retired = bool(data.get("retired"))
    offered = [c for c in categories if not c.get("retired") and c["code"] != code]
    if retired and not offered:
        _add(errors, "retired", _l("At least one category must stay offered on the complaint form."))
    if errors:
        return None, errors
    changed = [
        {"code": c["code"], "names": names, "retired": retired} if c["code"] == code else dict(c)
        for c in categories
    ]
    return changed, {}


def _whole_number(text: Any) -> int | None:
    value = str(text or "").strip()
    return int(value) if re.fullmatch(r"\d{1,6}", value) else None


def check_tiers(
    data: Mapping[str, Any], tiers: Sequence[Mapping[str, Any]]
) -> tuple[tuple[list[dict[str, Any]], int] | None, Errors]:
    """Names and resolution days of the existing tiers (fields `tier<level>_name_<language>`,
    `tier<level>_days`) and the first-response hours. Every tier but the last needs a number
    of days, so a complaint left unresolved always rises."""
    errors: Errors = {}
    hours = _whole_number(data.get("first_response_hours"))
    if hours is None or not 1 <= hours <= MAX_FIRST_RESPONSE_HOURS:
        _add(errors, "first_response_hours", _l("Give a whole number of hours from 1 to %(n)d.",
                                                n=MAX_FIRST_RESPONSE_HOURS))
    levels = sorted(int(t["level"]) for t in tiers)
    changed = []
    for level in levels:
        prefix = f"tier{level}_"
        names = check_names(data, prefix, errors)
        text = str(data.get(f"{prefix}days") or "").strip()
        days = _whole_number(text)
        if not text and level == levels[-1]:
            days = None
        elif days is None or not 1 <= days <= MAX_RESOLUTION_DAYS:
            _add(errors, f"{prefix}days",
                 _l("Give a whole number of days from 1 to %(n)d.", n=MAX_RESOLUTION_DAYS) if level != levels[-1]
                 else _l("Give a whole number of days from 1 to %(n)d, or leave it empty for no deadline.",
                         n=MAX_RESOLUTION_DAYS))
        changed.append({"level": level, "names": names, "resolution_days": days})
    if errors:
        return None, errors
    return (changed, hours), {}


def check_organisation(data: Mapping[str, Any]) -> tuple[dict[str, str] | None, Errors]:
    """The organisation printed on receipts, letters and reports, and its stamp's ring text."""
    errors: Errors = {}
    values = {}
    for field, (required, limit) in ORGANISATION_FIELDS.items():
        value = _line(data.get(field))
        if required and not value:
            _add(errors, field, _l("This is printed on every receipt: fill it in."))
        elif len(value) > limit:
            _add(errors, field, _l("Write at most %(n)d characters (this has %(length)d).", n=limit,
                                   length=len(value)))
        values[field] = value
    if values["email"] and "email" not in errors:
        email = normalise_email(values["email"])
        if email is None:
            _add(errors, "email", _l("This is not a valid e-mail address."))
        else:
            values["email"] = email
    if errors:
        return None, errors
    return values, {}


def number_parts(pattern: str) -> list[tuple[str, str | None]]:
    """(literal text, field) pairs of a number format; raises ValueError when it is not one
    this registry can use (see `check_number_format`)."""
    parts = []
    for literal, field, spec, conversion in string.Formatter().parse(pattern):
        if not _LITERAL.fullmatch(literal):
            raise ValueError("literal")
        if field is not None:
            if conversion is not None or field not in ("year", "seq"):
                raise ValueError("field")
            if (field == "year" and spec not in _YEAR_SPECS) or (field == "seq" and not _SEQ_SPEC.fullmatch(spec)):
                raise ValueError("spec")
        parts.append((literal, field))
    return parts


def check_number_format(pattern: Any, field: str, errors: Errors) -> str:
    """A format for display numbers: `{year}` and `{seq}` (optionally zero-padded, `{seq:06d}`)
    once each, with letters, digits and / . _ - around them, and at most 40 characters for
    any year and a nine-digit sequence number."""
    text = str(pattern or "").strip()
    if not text:
        _add(errors, field, _l("Give a format, e.g. {year}/{seq:06d}."))
        return text
    try:
        fields = [name for _, name in number_parts(text) if name]
    except ValueError:
        _add(errors, field, _l("Use only {year}, {seq} or {seq:06d} (zero-padded to 6 digits), and letters, digits "
                               "and / . _ - around them."))
        return text
    if sorted(fields) != ["seq", "year"]:
        _add(errors, field, _l("The format must contain {year} and {seq} exactly once each."))
        return text
    widest = text.format(**WIDEST)
    if len(widest) > NUMBER_LENGTH:
        _add(errors, field, _l("Numbers would be too long: %(example)s has %(length)d characters, at most %(n)d fit.",
                               example=widest, length=len(widest), n=NUMBER_LENGTH))
    return text


def check_tier_addresses(
    data: Mapping[str, Any], levels: Sequence[int]
) -> tuple[dict[str, list[str]] | None, Errors]:
    """A shared mailbox per tier (fields `tier<level>`): none, or up to five addresses
    separated by commas."""
    errors: Errors = {}
    addresses: dict[str, list[str]] = {}
    for level in levels:
        field = f"tier{level}"
        items = [item.strip() for item in re.split(r"[,;\s]+", str(data.get(field) or "")) if item.strip()]
        if len(items) > MAX_ADDRESSES_PER_TIER:
            _add(errors, field, _l("Give at most %(n)d addresses.", n=MAX_ADDRESSES_PER_TIER))
            continue
        normalised = []
        for item in items:
            email = normalise_email(item)
            if email is None:
                _add(errors, field, _l("%(address)s is not a valid e-mail address.", address=item))
            else:
                normalised.append(email)
        if normalised:
            addresses[str(level)] = list(dict.fromkeys(normalised))
    if errors:
        return None, errors
    return addresses, {}

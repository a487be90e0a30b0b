"""What an administrator may set: every rule for the settings' values, in one place.

Plain functions on what was typed (strings by field name); each returns the value to store,
in the shape `store.default_values` gives, and the messages per field. No request, no
database: the one rule that needs the database (a number format must not repeat an existing
number) is in `numbers.py`. The clocks' values are then built by their own classes
(app/clocks, app/letters), which stay the authority on what can be used; the checks here put
a plain message next to the field that breaks a rule.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping, Sequence
from datetime import date, time
from typing import Any

from flask_babel import lazy_gettext as _l

from ..clocks.calendar import SUPPORTED_COUNTRIES
from ..clocks.policy import AT_REGISTRATION, PAUSABLE_STATUSES, ClockKind, Unit
from ..clocks.presets import PRESETS
from ..forms import FIRST_DAY, LAST_DAY
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


# --- the regulator's clocks -------------------------------------------------------------------

#: The longest period or extension a clock may be given, in any unit (ten years of days).
MAX_CLOCK_AMOUNT = 3650
#: The longest a complainant may be given to refer a complaint to the referral body.
MAX_REFERRAL_MONTHS = 120
#: The referral body's details: field -> max length (the time limit is a number of months).
REFERRAL_FIELDS = {"name": 200, "address": 300, "website": 200}
#: The most days one list of the calendar takes (a few years of bridge days and worked Saturdays).
MAX_CALENDAR_DAYS = 500
#: The bad lines of one list named in its message (a pasted page needs no message per line).
MAX_LINE_ERRORS = 10
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_CLOCK_TIME = re.compile(r"\d{1,2}:\d{2}")
#: How much of a typed value a message repeats (a pasted page is not worth echoing).
_ECHO = 40


def _echo(value: str) -> str:
    return value if len(value) <= _ECHO else value[:_ECHO] + "…"


def _amount(data: Mapping[str, Any], field: str, errors: Errors, *, optional: bool = False) -> int | None:
    """A clock's amount or extension: a whole number from 1 to MAX_CLOCK_AMOUNT (blank: None when
    `optional`)."""
    text = str(data.get(field) or "").strip()
    if optional and not text:
        return None
    amount = _whole_number(text)
    if amount is None or not 1 <= amount <= MAX_CLOCK_AMOUNT:
        _add(errors, field, _l("Give a whole number from 1 to %(n)d, or leave it empty.", n=MAX_CLOCK_AMOUNT)
             if optional else _l("Give a whole number from 1 to %(n)d.", n=MAX_CLOCK_AMOUNT))
        return None
    return amount


def _unit(data: Mapping[str, Any], field: str, errors: Errors) -> Unit | None:
    try:
        return Unit(str(data.get(field) or ""))
    except ValueError:
        _add(errors, field, _l("Choose one of the units."))
        return None


def check_clock_policy(
    data: Mapping[str, Any], policy: Mapping[str, Any]
) -> tuple[dict[str, Any] | None, Errors]:
    """The installation's policy (`policy`, as stored) with its clocks adjusted as typed: per
    clock `<kind>_amount`, `<kind>_unit`, `<kind>_pauses` (while waiting for the complainant),
    `<kind>_extension` (blank: none), `<kind>_extension_notice`, `<kind>_escalates`; and the
    first response's own period (`first_response_amount`, `first_response_unit`; a blank
    amount: the installation's first-response hours). The rest stays as the preset made it:
    which clocks run, what meets them, when they start, the letters, the closure bands and the
    preset's code, so the policy still says what it was made from."""
    errors: Errors = {}
    clocks = []
    for rule in policy.get("clocks") or ():
        kind = ClockKind(rule["kind"])
        amount = _amount(data, f"{kind}_amount", errors)
        unit = _unit(data, f"{kind}_unit", errors)
        pauses = bool(data.get(f"{kind}_pauses"))
        extension = _amount(data, f"{kind}_extension", errors, optional=True)
        notice = bool(data.get(f"{kind}_extension_notice"))
        if kind in AT_REGISTRATION:
            if pauses:
                _add(errors, f"{kind}_pauses", _l("This clock ends when the complaint is registered: it cannot pause "
                                                  "(a clock can pause only while waiting for the complainant)."))
            if extension is not None:
                _add(errors, f"{kind}_extension",
                     _l("This clock ends when the complaint is registered: it cannot be extended."))
        if notice and extension is None and f"{kind}_extension" not in errors:
            _add(errors, f"{kind}_extension_notice",
                 _l("Only a clock that can be extended has an extension notice: give the extension limit, or "
                    "untick this."))
        if amount is not None and unit is not None:
            clocks.append(dict(rule) | {
                "period": {"amount": amount, "unit": unit.value},
                "pauses_in": sorted(PAUSABLE_STATUSES) if pauses else [],
                "extension": extension,
                "extension_notice": notice,
                "escalates": bool(data.get(f"{kind}_escalates")),
            })
    first_response = None
    if str(data.get("first_response_amount") or "").strip():
        amount = _amount(data, "first_response_amount", errors)
        unit = _unit(data, "first_response_unit", errors)
        if amount is not None and unit is not None:
            first_response = {"amount": amount, "unit": unit.value}
    if errors:
        return None, errors
    return dict(policy) | {"clocks": clocks, "first_response": first_response}, {}


def check_category_clocks(
    data: Mapping[str, Any], categories: Sequence[Mapping[str, Any]], by_category: Mapping[str, Any]
) -> tuple[dict[str, Any] | None, Errors]:
    """The categories' own policies (field `category_<code>` per offered category): blank, as
    the installation; or a preset's code, its policy unadjusted (a category that keeps its
    preset keeps its policy as stored). Retired categories keep what they had."""
    errors: Errors = {}
    offered = [c["code"] for c in categories if not c.get("retired")]
    chosen = {code: policy for code, policy in by_category.items() if code not in offered}
    for code in offered:
        field = f"category_{code}"
        choice = str(data.get(field) or "").strip()
        if not choice:
            continue
        if choice not in PRESETS:
            _add(errors, field, _l("Choose one of the presets, or “as the installation”."))
        elif (by_category.get(code) or {}).get("preset") == choice:
            chosen[code] = by_category[code]
        else:
            chosen[code] = PRESETS[choice].policy.to_json()
    if errors:
        return None, errors
    return chosen, {}


def _days(data: Mapping[str, Any], field: str, errors: Errors) -> list[str]:
    """One ISO date per line; each bad line is named in the field's message."""
    days: list[str] = []
    bad = 0
    lines = str(data.get(field) or "").splitlines()
    for number, line in enumerate(lines, 1):
        text = line.strip()
        if not text:
            continue
        try:
            day = date.fromisoformat(text) if _ISO_DAY.fullmatch(text) else None
        except ValueError:
            day = None
        if day is None or not FIRST_DAY <= day <= LAST_DAY:
            bad += 1
            if bad <= MAX_LINE_ERRORS:
                _add(errors, field, _l("Line %(line)d (%(text)s) is not a date such as 2026-12-24.", line=number,
                                       text=_echo(text)))
        else:
            days.append(day.isoformat())
    if len(days) > MAX_CALENDAR_DAYS:
        _add(errors, field, _l("Give at most %(n)d days.", n=MAX_CALENDAR_DAYS))
    return sorted(set(days))


def _clock_time(data: Mapping[str, Any], field: str, errors: Errors) -> time | None:
    """A local time of day such as 09:00 (None, without a message, when nothing was typed)."""
    text = str(data.get(field) or "").strip()
    if not text:
        return None
    if _CLOCK_TIME.fullmatch(text):
        hours, minutes = (int(part) for part in text.split(":"))
        if hours < 24 and minutes < 60:
            return time(hours, minutes)
    _add(errors, field, _l("Type a time such as 09:00."))
    return None


def check_calendar(
    data: Mapping[str, Any], calendar: Mapping[str, Any]
) -> tuple[dict[str, Any] | None, Errors]:
    """The working calendar (`calendar`, as stored, gives the weekend): `country` (blank: the
    weekend only, no public holidays), `subdivision`, `added_holidays` and `added_working_days`
    (one ISO date per line), and the opening hours `opening_from`, `opening_to` (both blank:
    working days count whole)."""
    errors: Errors = {}
    country = _line(data.get("country")).upper() or None
    if country is not None and country not in SUPPORTED_COUNTRIES:
        _add(errors, "country", _l("Unknown country %(code)s: choose one from the list.", code=_echo(country)))
    subdivision = _line(data.get("subdivision")) or None
    if subdivision is not None and "country" not in errors:
        import holidays  # loaded on use: app/clocks/calendar.py, _public_holidays

        known = holidays.list_supported_countries()[country] if country else []
        found = next((code for code in known if code.upper() == subdivision.upper()), None)
        if country is None:
            _add(errors, "subdivision", _l("A subdivision needs a country: choose the country, or leave this empty."))
        elif not known:
            _add(errors, "subdivision", _l("%(country)s has no subdivisions here: leave this empty.", country=country))
        elif found is None:
            _add(errors, "subdivision", _l("Unknown subdivision %(code)s of %(country)s: use one of %(known)s.",
                                           code=_echo(subdivision), country=country, known=", ".join(known)))
        subdivision = found
    added_holidays = _days(data, "added_holidays", errors)
    added_working_days = _days(data, "added_working_days", errors)
    both = sorted(set(added_holidays) & set(added_working_days))
    if both:
        _add(errors, "added_working_days", _l("%(days)s cannot be both a non-working and a working day.",
                                              days=", ".join(both)))
    opening = None
    typed = [bool(str(data.get(field) or "").strip()) for field in ("opening_from", "opening_to")]
    if any(typed):
        for field, given in zip(("opening_from", "opening_to"), typed, strict=True):
            if not given:
                _add(errors, field, _l("Give both the opening and the closing time, or neither (working days "
                                       "then count whole)."))
        start, end = _clock_time(data, "opening_from", errors), _clock_time(data, "opening_to", errors)
        if start is not None and end is not None:
            if end <= start:
                _add(errors, "opening_to", _l("Closing time must be after opening time."))
            opening = [start.isoformat(timespec="minutes"), end.isoformat(timespec="minutes")]
    if errors:
        return None, errors
    return {
        "country": country, "subdivision": subdivision, "added_holidays": added_holidays,
        "added_working_days": added_working_days, "opening": opening,
        "weekend": list(calendar.get("weekend", (5, 6))),
    }, {}


def check_referral_body(data: Mapping[str, Any]) -> tuple[dict[str, Any] | None, Errors]:
    """The ADR entity or ombudsman final responses name: `name`, `address`, `website` and
    `time_limit_months`, all of them, or none (no body set: the letters that must name one
    are refused until it is)."""
    errors: Errors = {}
    values = {field: _line(data.get(field)) for field in (*REFERRAL_FIELDS, "time_limit_months")}
    if not any(values.values()):
        return None, {}
    for field, value in values.items():
        if not value:
            _add(errors, field, _l("Fill in every detail of the referral body, or leave them all empty."))
        elif field in REFERRAL_FIELDS and len(value) > REFERRAL_FIELDS[field]:
            _add(errors, field, _l("Write at most %(n)d characters (this has %(length)d).", n=REFERRAL_FIELDS[field],
                                   length=len(value)))
    months = _whole_number(values["time_limit_months"])
    if values["time_limit_months"] and (months is None or not 1 <= months <= MAX_REFERRAL_MONTHS):
        _add(errors, "time_limit_months", _l("Give a whole number of months from 1 to %(n)d.", n=MAX_REFERRAL_MONTHS))
    if errors:
        return None, errors
    return {"name": values["name"], "address": values["address"], "website": values["website"],
            "time_limit_months": months}, {}


#: The longest time after closing that a complainant may be given to rate the handling.
MAX_RATING_WINDOW_DAYS = 365


def check_rating_window(data: Mapping[str, Any]) -> tuple[int | None, Errors]:
    """The days after closing during which the complainant may rate the handling: 1..365."""
    errors: Errors = {}
    days = _whole_number(data.get("rating_window_days"))
    if days is None or not 1 <= days <= MAX_RATING_WINDOW_DAYS:
        _add(errors, "rating_window_days", _l("Give a whole number of days from 1 to %(n)d.", n=MAX_RATING_WINDOW_DAYS))
        return None, errors
    return days, errors

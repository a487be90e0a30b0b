"""An audit event's details for people: the JSON stored with it (`service.record`), read back
as label/value lines in the reader's language, the codes in it (roles, permissions, languages,
channels, categories, settings) by their names. What is not known is shown as it was stored,
never dropped: the trail is a record.

It names things of several features, so it sits above them (tests/test_architecture.py), as
the audit trail's page does; `service.record`, which every feature calls, stays below.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..auth.permissions import Permission, Role
from ..complaints.categories import category_name
from ..complaints.models import FIELD_TITLES, Channel, ComplaintStatus
from ..languages import LANGUAGES, SUPPORTED_LANGUAGES

#: A line of the details: its label, and its value (text, or a moment the page writes its way).
Line = tuple[str, str | datetime]

LABELS = {
    "role": _l("Role"),
    "needs": _l("Permission needed"),
    "api_token": _l("API token"),
    "token_id": _l("API token"),
    "name": _l("Name"),
    "via": _l("Through"),
    "language": _l("Language"),
    "sessions_ended": _l("Sessions ended"),
    "until": _l("Locked until"),
    "failures": _l("Failed sign-ins"),
    "addresses": _l("Addresses"),
    "was_locked": _l("Was locked"),
    "setting": _l("Setting"),
    "effective_from": _l("In force from"),
    "format": _l("Format"),
    "filters": _l("Filters"),
    "month": _l("Month"),
    "channel": _l("Channel"),
    "reason": _l("Reason"),
    "fields": _l("Fields corrected"),
    "reprint": _l("Copy"),
    "file": _l("File"),
    "entries": _l("Lines"),
    "tier": _l("Tier"),
    "active": _l("Active"),
    "email": _l("E-mail"),
    "tokens_revoked": _l("API tokens revoked"),
    "password": _l("Password"),
    "category": _l("Category"),
    "version": _l("Version"),
    "languages": _l("Languages"),
    "texts": _l("Texts changed"),
    # an answer template's title per language, as its form labels it
    **{f"title_{code}": _l("Title (%(language)s)", language=LANGUAGES[code]) for code in SUPPORTED_LANGUAGES},
}

#: The settings administrators change, as the administration pages name them.
SETTINGS = {
    "categories": _l("Categories"),
    "tiers": _l("Tiers and deadlines"),
    "first_response_hours": _l("First response within (hours)"),
    "organisation": _l("Organisation and stamp"),
    "number_format": _l("Incoming numbers"),
    "outgoing_number_format": _l("Outgoing letters"),
    "tier_addresses": _l("Tier mailboxes"),
}

#: Where an action was taken from.
VIA = {"web": _l("the staff pages"), "admin page": _l("the administration pages"), "cli": _l("the command line"),
       "link": _l("a one-time set-password link")}

#: How an account was given its password (staff administration).
PASSWORDS = {"link": _l("a one-time set-password link"), "temporary": _l("a temporary password")}

#: The filters the journal and the dashboard are exported with, as their forms label them.
FILTERS = {
    "year": _l("Year"), "number_from": _l("Number from"), "number_to": _l("Number to"),
    "date_from": _l("Registered from"), "date_to": _l("Registered to"), "status": _l("Status"),
    "category": _l("Category"), "channel": _l("Channel"), "tier": _l("Tier"), "name": _l("Complainant's name"),
    "email": _l("E-mail"), "phone": _l("Phone"), "text": _l("Words in subject or description"),
}


def detail_lines(details: str | None, language: str) -> list[Line]:
    """The lines of an event's stored details (None, or JSON as `record` wrote it)."""
    if not details:
        return []
    try:
        values = json.loads(details)
    except ValueError:
        return [(_("Details"), details)]
    if not isinstance(values, dict):
        return [(_("Details"), _plain(values))]
    lines: list[Line] = []
    for key, value in values.items():
        if key == "changes" and isinstance(value, list):
            lines += [_setting_change(change, language) for change in value]
        elif key == "filters" and isinstance(value, dict):
            lines.append((str(LABELS[key]), _filters(value, language) or "—"))
        else:
            lines.append((str(LABELS.get(key, key)), _value(key, value, language)))
    return lines


def _value(key: str, value: Any, language: str) -> str | datetime:
    readers: dict[str, Callable[[Any], str | datetime]] = {
        "role": lambda v: _title(Role, v),
        "needs": lambda v: _title(Permission, v),
        "channel": lambda v: _title(Channel, v),
        "language": lambda v: _language(v),
        "via": lambda v: str(VIA.get(v, v)),
        "password": lambda v: str(PASSWORDS.get(v, v)),
        "setting": lambda v: str(SETTINGS.get(v, v)),
        "until": _moment,
        "effective_from": _moment,
        "format": lambda v: str(v).upper(),
        "fields": lambda v: ", ".join(str(FIELD_TITLES.get(f, f)) for f in v) if isinstance(v, list) else _plain(v),
        "reprint": lambda v: _("Duplicate %(n)d", n=v) if isinstance(v, int) and v else _("Original"),
        "api_token": lambda v: f"#{v}",
        "token_id": lambda v: f"#{v}",
        "category": lambda v: category_name(v, language) if v else _("Every category"),
        "languages": _languages,
        "texts": _languages,
    }
    try:
        return readers[key](value) if key in readers else _plain(value)
    except (ValueError, TypeError, KeyError):
        return _plain(value)  # stored by an older version: shown as it is


def _plain(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int | float):
        return format_decimal(value)
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _title(enum_class: Any, value: str) -> str:
    return enum_class(value).title


def _language(value: Any) -> str:
    if isinstance(value, dict):  # a change of language
        return f"{LANGUAGES.get(value.get('from'), value.get('from'))} → {LANGUAGES.get(value.get('to'), value.get('to'))}"
    return LANGUAGES.get(value, _plain(value))


def _languages(codes: list[str]) -> str:
    """Languages by their names: "English, Română"."""
    if not isinstance(codes, list):
        raise TypeError(codes)
    return ", ".join(LANGUAGES.get(code, str(code)) for code in codes)


def _moment(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _setting_change(change: Any, language: str) -> Line:
    """One changed field of a setting or an account: "organisation.name: old → new", "Role:
    Complaints officer → Manager"."""
    if not isinstance(change, dict):
        return (_("Details"), _plain(change))
    field = str(change.get("field", ""))
    old, new = (_value(field, change.get(key), language) for key in ("old", "new"))
    return (str(LABELS.get(field, field)), f"{old} → {new}")


def _filters(filters: dict[str, Any], language: str) -> str:
    """The filters an export was made with, as its form shows them: "Category: Payments; Tier: 2"."""
    readers: dict[str, Callable[[str], str]] = {
        "category": lambda v: category_name(v, language),
        "channel": lambda v: _title(Channel, v),
        "status": lambda v: _title(ComplaintStatus, v),
    }
    parts = []
    for name, value in filters.items():
        try:
            shown = readers[name](value) if name in readers else _plain(value)
        except (ValueError, KeyError):
            shown = _plain(value)
        parts.append(f"{FILTERS.get(name, name)}: {shown}")
    return "; ".join(parts)

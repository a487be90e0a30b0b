"""The placeholders a template's body may hold, written `{number}`, and how they are filled
from a complaint: in the complaint's language, dates in that language's style (app/dates.py).

A brace that does not open a name (`{ `, `{}`, a lone `}`) is plain text; `{word}` is a
placeholder and must be one of `PLACEHOLDERS`, or the template is refused at save.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from babel.numbers import format_decimal
from flask_babel import lazy_gettext as _l
from msgspec import Struct

from ..complaints.categories import category_name
from ..complaints.models import Complaint
from ..dates import format_day, format_deadline

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


class Filling(Struct, frozen=True):
    """What a placeholder is filled from: the complaint, the officer's name, its language,
    the registry's time zone and the moment of filling."""

    complaint: Complaint
    officer: str
    language: str
    zone: str
    now: datetime

    def day(self, value: datetime | None) -> str:
        return format_day(value, self.language, self.zone) if value is not None else ""

    def deadline(self, value: datetime | None) -> str:
        return format_deadline(value, self.language, self.zone) if value is not None else ""


def _redress(f: Filling) -> str:
    c = f.complaint
    if c.redress_amount is None:
        return ""
    return f"{format_decimal(c.redress_amount, '#,##0.00', locale=f.language)} {c.redress_currency or ''}".strip()


#: Each placeholder: what it stands for (for the managers' page) and how it is filled.
PLACEHOLDERS: dict[str, tuple[Any, Callable[[Filling], str]]] = {
    "number": (_l("the complaint's number"), lambda f: f.complaint.number),
    "name": (_l("the complainant's full name"), lambda f: f.complaint.full_name),
    "subject": (_l("the complaint's subject"), lambda f: f.complaint.subject),
    "category": (_l("the complaint's category"), lambda f: category_name(f.complaint.category, f.language)),
    "received": (_l("the day the complaint was received"), lambda f: f.day(f.complaint.received_at)),
    "registered": (_l("the day the complaint was registered"), lambda f: f.day(f.complaint.registered_at)),
    "first_response_due": (_l("when the first response is due"),
                           lambda f: f.deadline(f.complaint.first_response_due)),
    "resolution_due": (_l("when the resolution at the current tier is due (empty if not set)"),
                       lambda f: f.deadline(f.complaint.resolution_due)),
    "redress": (_l("the redress amount offered, with its currency (empty if none)"), _redress),
    "officer": (_l("the name of the officer writing"), lambda f: f.officer),
    "today": (_l("today's date"), lambda f: f.day(f.now)),
}


def _names(text: str) -> list[str]:
    """The placeholder names in `text`, in order, each once."""
    return list(dict.fromkeys(_PLACEHOLDER.findall(text)))


def unknown_placeholders(text: str) -> list[str]:
    """The placeholder names in `text` that are not known, in order, each once."""
    return [name for name in _names(text) if name not in PLACEHOLDERS]


def placeholders_in(text: str) -> list[str]:
    """The known placeholders `text` holds, in order, each once."""
    return [name for name in _names(text) if name in PLACEHOLDERS]


def known_list() -> str:
    """The known placeholders as they are written: "{number}, {name}, ..."."""
    return ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)


def fill(text: str, filling: Filling) -> str:
    """`text` with every known placeholder replaced by its value (an unknown one stays)."""
    values: dict[str, str] = {}

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in PLACEHOLDERS:
            return match.group(0)
        if name not in values:
            values[name] = PLACEHOLDERS[name][1](filling)
        return values[name]

    return _PLACEHOLDER.sub(value, text)

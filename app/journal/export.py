"""The journal's lines as text for people: the CSV file (streamed) and the PDF book's content.

Titles of statuses, channels and categories are looked up once per export, in the staff
member's language; times print in that language's style (app/dates.py), in the registry's time zone.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from flask_babel import ngettext
from msgspec import Struct

from ..complaints.categories import category_choices
from ..complaints.models import Channel, ComplaintStatus
from ..dates import moment_writer
from ..spreadsheets import as_text

if TYPE_CHECKING:
    from .pdf import JournalDocument

#: Lines per chunk of the streamed CSV.
CSV_CHUNK = 500
_PLAIN_NUMBER = re.compile(r"^[+-]?\d[\d ]*$")  # e.g. a phone number: harmless as it is


class Titles(Struct, frozen=True):
    """How codes print in one language."""

    status: dict[ComplaintStatus, str]
    channel: dict[Channel, str]
    category: dict[str, str]
    language: str
    timezone: str
    #: `format_moment` in this language and zone, each day written by Babel once (app/dates.py).
    write_moment: Callable[[datetime], str]

    @classmethod
    def for_language(cls, language: str, timezone: str) -> Titles:
        return cls(
            status={s: s.title for s in ComplaintStatus},
            channel={c: c.title for c in Channel},
            category=dict(category_choices(language, include_retired=True)),
            language=language,
            timezone=timezone,
            write_moment=moment_writer(language, timezone),
        )

    def moment(self, value: datetime) -> str:
        return self.write_moment(value)


def _cell(value: str | None) -> str:
    value = value or ""
    return value if _PLAIN_NUMBER.match(value) else as_text(value)


class _CategoryCells(dict[str, str]):
    """A category's cell by its code: its title, made safe once; an unknown code as it is."""

    def __missing__(self, code: str) -> str:
        return _cell(code)


def csv_chunks(rows: Iterable[Any], titles: Titles) -> Iterator[str]:
    """The CSV file in pieces: a UTF-8 byte order mark (so spreadsheet programs read Cyrillic
    and Romanian letters right), a heading line, then one line per complaint.

    What repeats is worked out once per export (titles as cells, each day's date), so a line
    costs little more than writing it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow([
        _("Number"), _("Registered"), _("Received"), _("Status"), _("Channel"), _("Category"),
        _("Complainant"), _("E-mail"), _("Phone"), _("Subject"),
    ])
    moment, status, channel = titles.write_moment, titles.status, titles.channel
    category = _CategoryCells({code: _cell(name) for code, name in titles.category.items()})
    lines: list[tuple[str, ...]] = []
    for row in rows:
        lines.append((
            row.number,
            moment(row.registered_at),
            moment(row.received_at),
            status[row.status],
            channel[row.channel],
            category[row.category],
            _cell(row.full_name),
            _cell(row.email),
            _cell(row.phone),
            _cell(row.subject),
        ))
        if len(lines) == CSV_CHUNK:
            writer.writerows(lines)
            lines.clear()
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    writer.writerows(lines)
    yield buffer.getvalue()


def journal_document(
    rows: Iterable[Any], titles: Titles, *, language: str, organisation: str, filters: dict[str, str],
    printed_at: datetime,
) -> JournalDocument:
    """The PDF book's content: headings, one line per complaint, and what it was filtered to."""
    from .pdf import Column, JournalDocument, Line  # reportlab with it: on the first PDF, not at start-up

    described = "; ".join(f"{key}: {value}" for key, value in filters.items()) or _("all complaints")
    columns = (
        Column(_("Number"), 7.5, 2),
        Column(_("Received"), 6.5, 2),
        Column(_("Registered"), 6.5, 2),
        Column(_("Complainant"), 15, 3),
        Column(_("Category"), 10, 3),
        Column(_("Subject"), 20, 3),
        Column(_("Status"), 9, 3),
        Column(_("Recipient's signature"), 12.5, 1),
    )
    lines = tuple(
        Line(
            (
                row.number,
                titles.moment(row.received_at),
                titles.moment(row.registered_at),
                "\n".join(part for part in (row.full_name, row.email or row.phone) if part),
                titles.category.get(row.category, row.category),
                row.subject,
                titles.status[row.status],
                "",
            ),
            shaded=row.status == ComplaintStatus.ANNULLED,
        )
        for row in rows
    )
    return JournalDocument(
        language=language,
        organisation=organisation,
        title=_("Registry journal"),
        subtitle=ngettext("Filter: %(filters)s. Printed %(when)s; %(num)d entry.",
                          "Filter: %(filters)s. Printed %(when)s; %(num)d entries.", len(lines),
                          filters=described, when=titles.moment(printed_at)),
        columns=columns,
        lines=lines,
        page_label=_("Page {page} of {pages}"),
        empty_note=_("No complaints match this filter."),
    )

"""A new number format must never give a number that already exists.

Within one format the numbers of different (year, seq) always differ (a four-digit year and
fixed text around one variable-width sequence number). Across formats they may not: after
"{year}/1{seq}" a switch to "{year}/{seq}" would one day give 2026/15 again. So before a
format is saved, every existing number it could also produce for another (year, seq) is
looked for, and its URL form (the slug, which is unique too) as well.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from sqlalchemy import or_, select

from ..complaints.models import Complaint
from ..extensions import db
from ..registry.numbering import number_slug
from ..settings.rules import number_parts
from ..workflow.models import CaseMessage

_NOT_ALNUM = re.compile(r"[^0-9A-Za-z]+")


def _regex(parts: list[tuple[str, str | None]]) -> re.Pattern[str]:
    pieces = []
    for text, field in parts:
        pieces.append(re.escape(text))
        if field == "year":
            pieces.append(r"(?P<year>\d{4})")
        elif field == "seq":
            pieces.append(r"(?P<seq>\d+)")
    return re.compile("".join(pieces))


def _like(parts: list[tuple[str, str | None]]) -> str:
    escaped = [text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") for text, _ in parts]
    fields = ["%" if field else "" for _, field in parts]
    return "".join(e + f for e, f in zip(escaped, fields, strict=True))


def _slug_literal(text: str) -> str:
    return _NOT_ALNUM.sub("-", text)


def _slug_parts(parts: list[tuple[str, str | None]]) -> list[tuple[str, str | None]]:
    """The format's parts as they appear in the slug (the first and last text lose their dashes)."""
    result = [(_slug_literal(text), field) for text, field in parts]
    if result:
        result[0] = (result[0][0].lstrip("-"), result[0][1])
        if result[-1][1] is None:  # text after the last field
            result[-1] = (result[-1][0].rstrip("-"), None)
    return result


def _candidates(pattern: str, year_column: Any, seq_column: Any, number_column: Any,
                slug_column: Any = None) -> Iterator[Any]:
    parts = number_parts(pattern)
    conditions = [number_column.like(_like(parts), escape="\\")]
    columns = [year_column, seq_column, number_column]
    if slug_column is not None:
        conditions.append(slug_column.like(_like(_slug_parts(parts)), escape="\\"))
        columns.append(slug_column)
    query = select(*columns).where(or_(*conditions), number_column.is_not(None)).execution_options(yield_per=2000)
    yield from db.session.execute(query)


def _produces(pattern: str, regex: re.Pattern[str], text: str, own: tuple[int, int], slug: bool) -> bool:
    """Whether `pattern` gives `text` (or its slug) for a (year, seq) other than `own`."""
    match = regex.fullmatch(text)
    if match is None:
        return False
    year, seq = int(match["year"]), int(match["seq"])
    if (year, seq) == own or seq < 1:
        return False
    number = pattern.format(year=year, seq=seq)
    return (number_slug(number) if slug else number) == text


def first_collision(pattern: str, *, outgoing: bool = False) -> str | None:
    """An existing incoming (or outgoing) number that `pattern` could give to another number,
    or None when it never repeats one."""
    parts = number_parts(pattern)
    number_regex = _regex(parts)
    if outgoing:
        rows = _candidates(pattern, CaseMessage.outgoing_year, CaseMessage.outgoing_seq, CaseMessage.outgoing_number)
    else:
        rows = _candidates(pattern, Complaint.year, Complaint.seq, Complaint.number, Complaint.slug)
    slug_regex = None if outgoing else _regex(_slug_parts(parts))
    for row in rows:
        own = (row[0], row[1])
        if _produces(pattern, number_regex, row[2], own, slug=False):
            return row[2]
        if slug_regex is not None and _produces(pattern, slug_regex, row[3], own, slug=True):
            return row[2]
    return None

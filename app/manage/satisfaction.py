"""Satisfaction figures: the complainants' ratings of the handling (app/workflow/verdict.py)
given in a period, on average and counted, overall and by category, tier and owner, and the
lowest-rated complaints of the period.

Each query reads the ratings given in the period only (`ix_complaint_ratings_rated_at`), with
the category, tier and owner each rating kept from when it was given: bounded by the period, not
by the registry, and the same figures however the complaint moves later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select

from ..auth.models import User
from ..complaints.categories import category_name
from ..complaints.models import Complaint
from ..extensions import db
from ..settings.store import current_policy
from ..workflow.verdict_models import Rating

#: How many of the lowest-rated complaints the analysis lists.
LOWEST_LIMIT = 10


@dataclass(frozen=True)
class Line:
    """Ratings of one group: its key (category code, tier level, owner id; None: no owner), its
    name for the reader, how many, and their average (None: none)."""

    key: Any
    name: str
    count: int
    average: float | None


@dataclass(frozen=True)
class SatisfactionFigures:
    start: datetime
    end: datetime
    overall: Line
    by_category: list[Line]
    by_tier: list[Line]
    by_owner: list[Line]


@dataclass(frozen=True)
class LowRated:
    number: str
    slug: str
    score: int
    reason: str
    rated_at: datetime
    category: str  # its name for the reader
    owner: str | None


def _in_period(statement: Select, start: datetime, end: datetime, category: str | None) -> Select:
    statement = statement.where(Rating.rated_at >= start, Rating.rated_at < end)
    return statement.where(Rating.category == category) if category else statement


def _average(value: Any) -> float | None:
    return None if value is None else round(float(value), 2)


def _grouped(column: Any, start: datetime, end: datetime, category: str | None) -> list[tuple[Any, int, float | None]]:
    rows = db.session.execute(_in_period(
        select(column, func.count(), func.avg(Rating.score)).group_by(column), start, end, category))
    return sorted(((key, int(n), _average(avg)) for key, n, avg in rows), key=lambda r: (-r[1], str(r[0])))


def satisfaction_figures(start: datetime, end: datetime, *, language: str, category: str | None = None,
                         no_owner: str = "—") -> SatisfactionFigures:
    """The ratings given from `start` to `end` (of `category`, if given): overall, and by
    category, tier and owner, most ratings first; names in `language`."""
    count, average = db.session.execute(
        _in_period(select(func.count(), func.avg(Rating.score)), start, end, category)).one()
    owners = _grouped(Rating.owner_id, start, end, category)
    names = dict(db.session.execute(select(User.id, User.full_name).where(
        User.id.in_([key for key, _n, _a in owners if key is not None]))).all()) if owners else {}
    policy = current_policy()

    def tier_name(level: int) -> str:
        try:
            return f"{level}. {policy.tier(level).name(language)}"
        except KeyError:
            return str(level)

    return SatisfactionFigures(
        start=start, end=end, overall=Line(None, "", int(count), _average(average)),
        by_category=[Line(k, category_name(k, language), n, a) for k, n, a in _grouped(Rating.category, start, end,
                                                                                          category)],
        by_tier=[Line(k, tier_name(k), n, a) for k, n, a in sorted(_grouped(Rating.tier, start, end, category))],
        by_owner=[Line(k, names.get(k, str(k)) if k is not None else no_owner, n, a) for k, n, a in owners],
    )


def lowest_rated(start: datetime, end: datetime, *, language: str, category: str | None = None,
                 limit: int = LOWEST_LIMIT) -> list[LowRated]:
    """The lowest-rated complaints of the period, the lowest first (then the newest)."""
    rows = db.session.execute(_in_period(
        select(Complaint.number, Complaint.slug, Rating.score, Rating.reason, Rating.rated_at, Rating.category,
               User.full_name)
        .join(Complaint, Complaint.id == Rating.complaint_id)
        .outerjoin(User, User.id == Rating.owner_id), start, end, category)
        .order_by(Rating.score, Rating.rated_at.desc(), Rating.id.desc()).limit(limit))
    return [LowRated(number, slug, score, reason, rated_at, category_name(code, language), owner)
            for number, slug, score, reason, rated_at, code, owner in rows]

"""Satisfaction figures: the complainants' ratings of the handling (app/workflow/verdict.py)
given in a period, on average and counted, overall and by category, tier and owner, and the
lowest-rated complaints of the period.

The figures are grouped by the category, tier and owner each rating kept from when it was
given, so they stay the same however the complaint moves later. They are added up from the
outcome rollups (app/manage/outcome_rollup.py: the measures `rated_tier` and `rated_owner`,
a count and a sum of scores per day, week and ISO year), the parts of a day at the period's ends
read live: a few statements, bounded by the period's days and the groups it shows, not by how
many ratings it holds. The lowest-rated complaints read at most their limit of each score's
ratings of the period (`ix_complaint_ratings_score_rated_at`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from msgspec import Struct
from sqlalchemy import Select, select, union_all

from ..auth.models import User
from ..complaints.categories import category_name
from ..complaints.models import Complaint
from ..extensions import db
from ..settings.store import current_policy
from ..workflow.verdict_models import HIGHEST_SCORE, LOWEST_SCORE, Rating
from . import outcome_rollup

#: How many of the lowest-rated complaints the analysis lists.
LOWEST_LIMIT = 10


class Line(Struct, frozen=True):
    """Ratings of one group: its key (category code, tier level, owner id; None: no owner), its
    name for the reader, how many, and their average (None: none)."""

    key: Any
    name: str
    count: int
    average: float | None


class SatisfactionFigures(Struct, frozen=True):
    start: datetime
    end: datetime
    overall: Line
    by_category: list[Line]
    by_tier: list[Line]
    by_owner: list[Line]


class LowRated(Struct, frozen=True):
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


def _average(total: int, count: int) -> float | None:
    return round(total / count, 2) if count else None


def _summed(lines: Iterable[outcome_rollup.Line], key: Callable[[outcome_rollup.Line], Any]) -> list[tuple[Any, int, float | None]]:
    """(key, ratings, average) per key of `lines`, most ratings first."""
    sums: dict[Any, list[int]] = defaultdict(lambda: [0, 0])
    for line in lines:
        total = sums[key(line)]
        total[0] += line.complaints
        total[1] += line.cents  # the sum of the scores
    rows = [(k, n, _average(scores, n)) for k, (n, scores) in sums.items() if n]
    return sorted(rows, key=lambda r: (-r[1], str(r[0])))


def satisfaction_figures(start: datetime, end: datetime, *, language: str, category: str | None = None,
                         no_owner: str = "—") -> SatisfactionFigures:
    """The ratings given from `start` to `end` (of `category`, if given): overall, and by
    category, tier and owner, most ratings first; names in `language`."""
    lines = outcome_rollup.counts(start, end, category, outcome_rollup.RATINGS)
    by_tier = [line for line in lines if line.measure == outcome_rollup.RATED_TIER]
    overall = _summed(by_tier, lambda line: None)
    count, average = (overall[0][1], overall[0][2]) if overall else (0, None)
    owners = _summed((line for line in lines if line.measure == outcome_rollup.RATED_OWNER),
                     lambda line: int(line.item) if line.item else None)
    names = dict(db.session.execute(select(User.id, User.full_name).where(
        User.id.in_([key for key, _n, _a in owners if key is not None]))).all()) if owners else {}
    policy = current_policy()

    def tier_name(level: int) -> str:
        try:
            return f"{level}. {policy.tier(level).name(language)}"
        except KeyError:
            return str(level)

    return SatisfactionFigures(
        start=start, end=end, overall=Line(None, "", count, average),
        by_category=[Line(k, category_name(k, language), n, a)
                     for k, n, a in _summed(by_tier, lambda line: line.category)],
        by_tier=[Line(k, tier_name(k), n, a) for k, n, a in sorted(_summed(by_tier, lambda line: int(line.item)))],
        by_owner=[Line(k, names.get(k, str(k)) if k is not None else no_owner, n, a) for k, n, a in owners],
    )


def lowest_rated(start: datetime, end: datetime, *, language: str, category: str | None = None,
                 limit: int = LOWEST_LIMIT) -> list[LowRated]:
    """The lowest-rated complaints of the period, the lowest first (then the newest). One
    statement reading at most `limit` ratings of each score, the newest of the period first,
    through the index on (score, rated_at): bounded by `limit`, not by the period's ratings."""
    def newest(score: int) -> Select:
        ratings = _in_period(select(Rating.id).where(Rating.score == score), start, end, category)
        picked = ratings.order_by(Rating.rated_at.desc(), Rating.id.desc()).limit(limit).subquery()
        return select(picked.c.id)

    picked = union_all(*(newest(score) for score in range(LOWEST_SCORE, HIGHEST_SCORE + 1))).subquery("picked")
    rows = db.session.execute(
        select(Complaint.number, Complaint.slug, Rating.score, Rating.reason, Rating.rated_at, Rating.category,
               User.full_name)
        .join(picked, picked.c.id == Rating.id)
        .join(Complaint, Complaint.id == Rating.complaint_id)
        .outerjoin(User, User.id == Rating.owner_id)
        .order_by(Rating.score, Rating.rated_at.desc(), Rating.id.desc()).limit(limit))
    return [LowRated(number, slug, score, reason, rated_at, category_name(code, language), owner)
            for number, slug, score, reason, rated_at, code, owner in rows]

"""The timing figures (`timings`): the nearest-rank median and 90th percentile of the time to
first response and to resolution (definitions.py says what they mean).

One way for every period and filter, exact without reading every duration: count the
durations per duration bucket (`figure_buckets`, about 5 % wide) — from the rollups for the
settled complaints of the period's full weeks (app/manage/rollup.py), live from
`complaint_facts` for every other complaint counted (all of them when nothing is read from the
rollups) — so that each wanted rank is known to lie in one bucket at one place; then read that
place from the complaints of that one bucket in duration order (an index on PostgreSQL).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Integer, and_, func, literal, or_, select, union_all

from ...complaints.filters import ComplaintFilter
from .. import rollup
from ..models import ComplaintFacts as Facts
from ..models import FigureDuration
from .definitions import MEDIAN, P90, Percentiles, Timings, counted


def nearest_rank(percentile: int, n: int) -> int:
    """The rank of the `percentile`-th percentile among `n` values sorted ascending:
    ceil(percentile * n / 100), in integer arithmetic."""
    return (n * percentile + 99) // 100


def timings(f: ComplaintFilter) -> Timings:
    """Median and 90th percentile of the time to first response and to resolution of the
    complaints counted under `f` (one snapshot: the counts per bucket and the read inside a
    bucket agree)."""
    with rollup.snapshot():
        s = rollup.split_complemented(f)
        lowers = rollup.bucket_lowers()
        counts = _bucket_counts(f, s, lowers)
        return Timings(*(_percentiles(f, measure, counts.get(measure, {}), lowers)
                         for measure in (rollup.FIRST_RESPONSE, rollup.RESOLUTION)))


def _percentiles(f: ComplaintFilter, measure: int, counts: dict[int, int], lowers: list[int]) -> Percentiles:
    """Nearest-rank median and p90 of one measure: each wanted rank found in its bucket from
    the counts (durations per bucket number), then read from that bucket."""
    n = sum(counts.values())
    if not n:
        return Percentiles(0, None, None)
    values = []
    for percentile in (MEDIAN, P90):
        rank = nearest_rank(percentile, n)
        for number in sorted(counts):
            if rank <= counts[number]:
                break
            rank -= counts[number]
        upper = lowers[number + 1] if number + 1 < len(lowers) else None
        values.append(_in_bucket(f, rollup.ENDS[measure], lowers[number], upper, rank))
    return Percentiles(n, *values)


def _bucket_counts(f: ComplaintFilter, s: rollup.Split | None, lowers: list[int]) -> dict[int, dict[int, int]]:
    """How many durations of the complaints counted fall in each bucket, by measure and bucket
    number: the rollups' counts of the split's full weeks' settled complaints (their whole ISO
    years from the yearly lines; none when `s` is None) plus those of the others, counted live,
    less those of the parts of the first and last
    weeks outside the period that the rollups of those weeks count (`Split.less`). One
    statement for both measures each: a grouped read of the rollups, of the complaints read
    live, of the parts taken away."""
    statements = []
    if s is not None:
        statements.append(rollup.summed(FigureDuration, s, f, 0, ("measure", "bucket"), ("complaints",),
                                        lambda table: [table.measure.in_(sorted(rollup.ENDS))]))
    # Only a complaint answered or decided has a duration: the open work not yet answered (about
    # half of it) is left out before any bucket is computed.
    with_an_end = or_(*(end.is_not(None) for end in rollup.ENDS.values()))
    statements.append(_durations_by_bucket(*rollup.live_facts(s, [*counted(f), with_an_end]), lowers, "live"))
    signs = [1] * len(statements)
    if s is not None and s.less:  # the parts of the first and last weeks outside the period
        parts = [and_(*rollup.less_where(s, index, f)) for index in range(len(s.less))]
        statements.append(_durations_by_bucket(Facts, [or_(*parts)], lowers, "less"))
        signs.append(-1)
    counts: dict[int, dict[int, int]] = {}
    for statement, sign in zip(statements, signs, strict=True):
        for measure, bucket, complaints in rollup.reader().execute(statement):
            buckets = counts.setdefault(measure, {})
            buckets[bucket] = buckets.get(bucket, 0) + sign * int(complaints)
    return counts


def _durations_by_bucket(table: Any, where: list[Any], lowers: list[int], name: str) -> Any:
    """Both measures' counts per bucket of the complaints of `table` `where` selects, read once: each
    complaint's two buckets are computed once (a materialized CTE), then counted per measure
    (a complaint without the measure's end has no bucket)."""
    buckets = (
        select(*(rollup.duration_bucket(getattr(table, end.key), lowers, table).label(f"bucket_{measure}")
                 for measure, end in rollup.ENDS.items()))
        .where(*where).cte(f"{name}_buckets").prefix_with("MATERIALIZED")
    )
    return union_all(*(
        select(literal(measure, Integer()).label("measure"), bucket.label("bucket"), func.count().label("complaints"))
        .where(bucket.is_not(None)).group_by(bucket)
        for measure in rollup.ENDS
        for bucket in [buckets.c[f"bucket_{measure}"]]
    ))


def _in_bucket(f: ComplaintFilter, end: Any, lower_ms: int, upper_ms: int | None, rank: int) -> float:
    """The `rank`-th shortest duration (hours, to 4 places) of the complaints counted whose
    `end - registered_at` lies from `lower_ms` to `upper_ms` (exclusive; None: no end)."""
    if rollup.on_postgresql():  # the interval itself, as the migration's index on it has it
        duration: Any = end - Facts.registered_at
        low, high = timedelta(milliseconds=lower_ms), None if upper_ms is None else timedelta(milliseconds=upper_ms)
    else:
        duration, low, high = rollup.duration_ms(end), lower_ms, upper_ms
    value = rollup.reader().scalar(
        select(duration)
        .where(*counted(f), end.is_not(None), duration >= low, *([] if high is None else [duration < high]))
        .order_by(duration).offset(rank - 1).limit(1)
    )
    hours = value.total_seconds() / 3600.0 if isinstance(value, timedelta) else float(value) / 3_600_000.0
    return round(hours, 4)

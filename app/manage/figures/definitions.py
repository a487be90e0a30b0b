"""What each of the dashboard's figures means, the values they come as, and the SQL of the
definitions that the queries share (the README and the page say the same).

- *The complaints counted* are those registered in the period (on `registered_at`, the end
  exclusive) that match the category, channel and current tier chosen, leaving out annulled
  ones (registered by mistake: they were never complaints) and joined ones (a repeat of an
  earlier complaint, which is counted and whose answer answers both).
- *Open*: a status in `app.workflow.states.OPEN` (the organisation still owes an answer).
- *First-response compliance*: among the complaints whose first-response deadline has passed
  by `now` or that have been answered, the share answered by the deadline
  (`first_responded_at <= first_response_due`), with both counts. No such complaint: the
  share is None ("no data"), never a division by zero.
- *Time to first response* is `first_responded_at - registered_at`; *time to resolution* is
  `resolved_at - registered_at` (the latest decision: a dispute clears it and a new decision
  sets it again), in hours, over the complaints that have one.
- *Percentiles* use the nearest-rank method: of n durations sorted ascending, the p-th
  percentile is the one at rank ceil(p * n / 100) (`percentiles.nearest_rank`). So the
  median (p = 50) of an even count is the lower of the two middle values: always a duration
  that really happened, never an average of two.
- *Reopen rate*: complaints disputed at least once (a "dispute" message, written with the
  signed "disputed" event) over complaints that were answered (a dispute is possible only
  after a response or a decision, and both set `first_responded_at`).
- *Backlog age*: the open complaints by how long ago they were registered, as of `now`:
  under 1 day, 1 to 3 days, 3 to 7, 7 to 30, 30 days or more (each lower bound inclusive).
- *Weeks* are ISO weeks (Monday to Sunday) in the organisation's time zone, so a complaint
  registered at 00:30 on a Monday in Chișinău (Sunday 22:30 UTC) counts in the new week.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from msgspec import Struct, field
from sqlalchemy import ColumnElement, and_, or_

from ...complaints.filters import ComplaintFilter, filter_conditions
from ...complaints.models import ComplaintStatus
from ...workflow.models import DeadlineKind
from ...workflow.states import NOT_COUNTED, OPEN
from ..models import ComplaintFacts as Facts

#: Backlog age buckets: (lower bound inclusive, upper bound exclusive or None), in days.
BACKLOG_BUCKETS: tuple[tuple[int, int | None], ...] = ((0, 1), (1, 3), (3, 7), (7, 30), (30, None))
#: The percentiles of the timing figures.
MEDIAN, P90 = 50, 90


# --- the definitions in SQL --------------------------------------------------------------------


def counted(f: ComplaintFilter, table: Any = Facts) -> list[ColumnElement[bool]]:
    """The WHERE conditions of the complaints counted under `f` (never annulled or joined ones), on
    the dashboard's copy or (`table`) on the complaints themselves: the columns are the same."""
    return [table.status.not_in(sorted(NOT_COUNTED)), *filter_conditions(f, table)]


def is_open(table: Any = Facts) -> ColumnElement[bool]:
    return table.status.in_(sorted(OPEN))


def eligible(now: datetime, table: Any = Facts) -> ColumnElement[bool]:
    """The first-response deadline has passed, or the complaint was answered."""
    return or_(table.first_responded_at.is_not(None), table.first_response_due <= now)


def met(table: Any = Facts) -> ColumnElement[bool]:
    """Answered by the first-response deadline."""
    return and_(table.first_responded_at.is_not(None), table.first_responded_at <= table.first_response_due)


# --- the values --------------------------------------------------------------------------------


class Share(Struct, frozen=True):
    """`met` out of `total`; `value` is None when there is nothing to divide."""

    met: int
    total: int

    @property
    def value(self) -> float | None:
        return self.met / self.total if self.total else None

    @property
    def percent(self) -> float | None:
        return None if self.value is None else 100 * self.value


class Percentiles(Struct, frozen=True):
    """Nearest-rank median and 90th percentile of `count` durations, in hours (None: no data)."""

    count: int
    median: float | None
    p90: float | None


class Summary(Struct, frozen=True):
    complaints: int
    open: int
    compliance: Share
    answered: int
    disputed: int
    transfers_average: float | None
    transfers_max: int | None

    @property
    def reopen_rate(self) -> Share:
        return Share(self.disputed, self.answered)


class OpenCounts(Struct, frozen=True):
    by_status: dict[ComplaintStatus, int]
    by_tier: dict[int, int]

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


class Week(Struct, frozen=True):
    monday: date  # the week's Monday in the organisation's time zone
    intake: int
    compliance: Share

    @property
    def iso(self) -> str:
        year, week, _ = self.monday.isocalendar()
        return f"{year}-W{week:02d}"


class Group(Struct, frozen=True):
    """One line of a compliance breakdown: the group's key (and a name where it has one)."""

    key: Any
    complaints: int  # every complaint counted in the group, answered or not
    compliance: Share
    name: str | None = None


class Bucket(Struct, frozen=True):
    low_days: int
    high_days: int | None
    count: int


class Timings(Struct, frozen=True):
    first_response: Percentiles
    resolution: Percentiles


class Breaches(Struct):
    by_kind: dict[DeadlineKind, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.by_kind.values())


class Overview(Struct, frozen=True):
    """Every figure but the timings, from one read of the complaints counted.

    - `summary`: the headline figures: complaints, open, compliance, answered and disputed
      (the reopen rate), transfers per complaint;
    - `open_counts`: open complaints by status and by current tier;
    - `categories`, `tiers`, `owners`: compliance per category code (ordered by code), per
      current tier, per current owner (key None: not taken by anybody yet; by name);
    - `weeks`: intake and first-response compliance per ISO week of registration in the time
      zone asked for, from the week of the first complaint counted to that of the last one,
      empty weeks included (intake 0, compliance "no data"), at most the last `WEEKS_SHOWN`
      (`weeks_cut`: earlier weeks of the period were left out); empty when no zone was asked for;
    - `breaches`: deadlines breached by the complaints counted, by kind of deadline;
    - `backlog`: open complaints by age as of `now` (every bucket, zeros too).
    """

    summary: Summary
    open_counts: OpenCounts
    categories: list[Group]
    tiers: list[Group]
    owners: list[Group]
    weeks: list[Week]
    breaches: Breaches
    backlog: list[Bucket]
    weeks_cut: bool = False

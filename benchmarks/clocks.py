"""The enforcement pass with every clock of a preset, at 1,000,000 complaints on PostgreSQL.

Run from the project root:

    .venv/bin/python benchmarks/clocks.py [--preset ukgc] [--complaints 1000000] [--clock-overdue N]
        [--clock-due-soon 300] [--rounds 2] [--batch-size N] [--nothing-due-passes 20] [--profile]
        [--postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres] [--keep]

Target (from the issue): the pass's cost follows the due work D, not the registry or the number
of clocks: one pass over N complaints at most 1.3 x the same D among N / 10 complaints, at most
2 x a bare SQL script doing the same writes; a pass with nothing due in milliseconds.

Seeds two databases, `bench_clocks_<pid>_big` (--complaints) and `bench_clocks_<pid>_small`
(a tenth), through benchmarks/deadlines.py's seeding (the same complaint groups and intake
entries; no complaint's own deadline is due) with the preset as the clock policy, plus:

  clock_late  --clock-overdue (default 1 % of --complaints, the same number in both databases):
              open at tier 2, first response sent, resolution restarted within the last day;
              the preset's escalating clock due 1 min .. 48 h ago, warned: the pass breaches
              it once, signs one event, records one breach and escalates 2 -> 3
  clock_soon  --clock-due-soon: the same, the clock past its warning and due in more than 2 h:
              the pass warns it
  and every complaint's clocks as app/clocks/running.start_clocks makes them (the rule's JSON
  from `ClockRule.to_json()`, sorted keys), one set-based INSERT per rule: met at registration
  (registration and acknowledgement clocks); met by the decision (closed, resolved); stopped
  (annulled); paused half-way (waiting, where the rule pauses); running otherwise. due_at is
  computed in SQL for calendar days (the local midnight that ends day n after the start's local
  date) and hours (start + n h) only, so presets with working days or business hours are refused;
  a sample of rows is checked against `WorkingCalendar.due` and `start_clocks`. Then each open
  complaint's `clock_due` (nearest due of its running clocks) and `next_check_at` (the earliest of
  its own alarm and its clocks': app/workflow/operations._rearm).

Measured as benchmarks/deadlines.py measures (`compare`, with its Bench subclassed here), in one
run, --rounds times, alternating: (a) one pass on the big database; (b) one pass on the small
one; (c) a bare SQL script doing the writes of (a) (UPDATE ... FROM (VALUES ...) of the clocks
and the complaints, COPY of the notifications, registry entries, breaches and escalations, the
chain head moved; one transaction by psql); each on a database put back as seeded, vacuumed
and checkpointed. After (a)'s first round: the checks (exactly one breach, escalation and signed
event per overdue clock, one warning per due-soon clock, the clocks' rows) and (d)
--nothing-due-passes passes right after, each of which must do nothing. Prints the load average
before and after and the machine. The databases are dropped at the end unless --keep.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from app.clocks.policy import AT_REGISTRATION, ClockPolicy, Unit  # noqa: E402
from app.clocks.presets import preset  # noqa: E402
from app.clocks.running import start_clocks  # noqa: E402
from app.extensions import db  # noqa: E402
from app.settings.store import current_settings  # noqa: E402
from benchmarks.deadlines import (  # noqa: E402
    ANNULLED_SHARE,
    FRESH_SHARE,
    WORKING_SHARE,
    Bench,
    Groups,
    Pass,
    compare,
    databases,
)

PREFIX = "bench_clocks_"

# --- seeding -----------------------------------------------------------------------------------


def spans(clocks: ClockPolicy, fraction: float) -> dict[str, timedelta]:
    """How long ago the `clock_late` and `clock_soon` complaints were received, from the
    escalating clock's period: late beyond its longest length, soon past its warning (at the
    latest length) and at least 2 h before its due time (at the shortest)."""
    rule = next(rule for rule in clocks.clocks if rule.escalates)
    shortest, longest = _lengths(rule.period.amount, rule.period.unit)
    margin = timedelta(hours=2)
    soon_lo, soon_hi = longest * fraction + margin, shortest - margin
    if soon_lo >= soon_hi:
        raise SystemExit(f"the {rule.kind.value} clock is too short for a due-soon group")
    return {"late_span": longest, "soon_lo": soon_lo, "soon_hi": soon_hi}


def _lengths(amount: int, unit: Unit) -> tuple[timedelta, timedelta]:
    if unit == Unit.HOURS:
        return timedelta(hours=amount), timedelta(hours=amount)
    if unit == Unit.CALENDAR_DAYS:  # from any moment of day 0 to the midnight that ends day n
        return timedelta(days=amount), timedelta(days=amount + 1)
    raise SystemExit(f"the seeding computes due times in SQL for hours and calendar days only, not {unit.value}")


# One INSERT per rule. Registration and acknowledgement clocks are met at registration; the
# others: met by the decision (closed, resolved), stopped a day after registration (annulled),
# paused half-way (waiting, where the rule pauses), running otherwise, warned when overdue.
_SEED_CLOCKS = """
INSERT INTO complaint_clocks (complaint_id, kind, rule, started_at, due_at, paused_at, paused_seconds,
                              extended_at, warned_at, met_at, breached_at, stopped_at, next_check_at)
SELECT id, :kind, :rule, started_at, due_at, paused_at, 0, NULL, warned_at, met_at, NULL, stopped_at,
       CASE WHEN met_at IS NULL AND stopped_at IS NULL AND paused_at IS NULL
            THEN CASE WHEN warned_at IS NOT NULL THEN due_at
                      ELSE started_at + (due_at - started_at) * :fraction END END
FROM (
    SELECT s.*,
           CASE WHEN :at_registration THEN registered_at
                WHEN status IN ('closed', 'resolved') THEN resolved_at END AS met_at,
           CASE WHEN NOT :at_registration AND status = 'annulled'
                THEN registered_at + interval '1 day' END AS stopped_at,
           CASE WHEN NOT :at_registration AND :pauses AND status = 'waiting'
                THEN registered_at + (CAST(:seed_at AS timestamptz) - registered_at) / 2 END AS paused_at,
           CASE WHEN NOT :at_registration AND status IN ('registered', 'in_progress', 'responded')
                     AND due_at <= CAST(:seed_at AS timestamptz)
                THEN started_at + (due_at - started_at) * :fraction END AS warned_at
    FROM (
        SELECT id, status, registered_at, resolved_at, started_at,
               CASE WHEN :unit = 'hours' THEN started_at + :amount * interval '1 hour'
                    ELSE CAST(CAST(started_at AT TIME ZONE :tz AS date) + :amount + 1 AS timestamp)
                         AT TIME ZONE :tz END AS due_at
        FROM (SELECT c.*, CASE WHEN :start = 'received' THEN received_at ELSE registered_at END AS started_at
              FROM complaints c) AS c
    ) AS s
) AS k
"""

# Each open complaint with a running clock: the nearest due of those not paused, and its alarm
# the earliest of its own and its clocks' (app/workflow/operations._rearm).
_SET_ALARMS = """
UPDATE complaints c SET clock_due = k.due, next_check_at = least(c.next_check_at, k.alarm)
FROM (SELECT complaint_id, min(due_at) FILTER (WHERE paused_at IS NULL) AS due, min(next_check_at) AS alarm
      FROM complaint_clocks WHERE met_at IS NULL AND stopped_at IS NULL GROUP BY complaint_id) AS k
WHERE c.id = k.complaint_id
"""


def clock_loader(clocks: ClockPolicy, seed_at: datetime, timezone_name: str, fraction: float) -> Any:
    """The `clocks` step of deadlines.seed for this policy."""
    def load(connection: Any) -> None:
        for rule in clocks.clocks:
            _lengths(rule.period.amount, rule.period.unit)
            connection.execute(text(_SEED_CLOCKS), {
                "kind": rule.kind.value, "rule": json.dumps(rule.to_json(), sort_keys=True),
                "at_registration": rule.kind in AT_REGISTRATION, "pauses": "waiting" in rule.pauses_in,
                "unit": rule.period.unit.value, "amount": rule.period.amount, "start": rule.start.value,
                "seed_at": seed_at, "tz": timezone_name, "fraction": fraction,
            })
        connection.execute(text(_SET_ALARMS))
    return load


def check_sample(clocks: ClockPolicy, fraction: float) -> list[str]:
    """Compare a sample of seeded clocks with what the calendar and start_clocks compute."""
    settings = current_settings()
    problems = []
    rows = db.session.execute(text("""
        SELECT k.*, c.received_at, c.registered_at, c.status FROM complaint_clocks k
        JOIN complaints c ON c.id = k.complaint_id
        WHERE k.id % 997 = 0 OR c.status IN ('registered', 'in_progress') AND k.id % 31 = 0""")).all()
    for row in rows:
        started = start_clocks(clocks, settings.calendar, received_at=row.received_at,
                               registered_at=row.registered_at, fraction=fraction)
        expected = next(r for r in started.rows if r["kind"].value == row.kind)
        if (row.due_at, row.rule, row.started_at) != (expected["due_at"], expected["rule"], expected["started_at"]):
            problems.append(f"clock {row.id}: {row.due_at} {row.started_at} != {expected['due_at']}")
        # As started: not yet warned, paused, stopped, nor met other than by registration.
        fresh = (row.warned_at is None and row.paused_at is None and row.stopped_at is None
                 and row.met_at in (None, row.registered_at))
        if fresh and (row.met_at, row.next_check_at) != (expected["met_at"], expected["next_check_at"]):
            problems.append(f"clock {row.id}: met/alarm {row.met_at} {row.next_check_at} != "
                            f"{expected['met_at']} {expected['next_check_at']}")
    print(f"  {'ok' if not problems else 'WRONG':5} {len(rows):,} sampled clocks as start_clocks makes them"
          + (f": {problems[:3]}" if problems else ""))
    db.session.remove()
    return problems


# --- one database ------------------------------------------------------------------------------


class ClockBench(Bench):
    """One seeded database whose due complaints are due by their regulatory clock."""

    def __init__(self, name: str, url: str, groups: Groups, preset_code: str) -> None:
        super().__init__(name, url, groups, CLOCK_POLICY=preset_code)
        self.preset_code = preset_code

    def describe(self) -> str:
        g = self.groups
        return (f"the {self.preset_code} clocks, {g.clock_late:,} with an overdue clock, {g.clock_soon:,} due soon, "
                f"{g.fresh:,} fresh, {g.working:,} working, {g.annulled:,} annulled, {g.closed:,} closed/resolved")

    def seed_options(self, seed_at: datetime, zone: str) -> dict[str, Any]:
        settings = current_settings()
        clocks, fraction = settings.clock_policies.default, settings.due_soon_fraction
        return {"spans": spans(clocks, fraction), "clocks": clock_loader(clocks, seed_at, zone, fraction)}

    def after_seed(self) -> list[str]:
        settings = current_settings()
        clock_rows, armed, paused = db.session.execute(text("""
            SELECT count(*), count(*) FILTER (WHERE next_check_at IS NOT NULL),
                   count(*) FILTER (WHERE paused_at IS NOT NULL) FROM complaint_clocks""")).one()
        print(f"[{self.name}] {clock_rows:,} clocks ({armed:,} with an alarm, {paused:,} paused)")
        return check_sample(settings.clock_policies.default, settings.due_soon_fraction)

    def expectations(self, run: Pass) -> tuple[dict[str, tuple[int, int]], dict[str, tuple[str, int]]]:
        g, r = self.groups, run.report
        report = {
            "breaches (report)": (r.breaches, g.clock_late),
            "escalations (report)": (r.escalations, g.clock_late),
            "due-soon warnings (report)": (r.warnings, g.clock_soon),
            "notifications queued (breach, escalated; due soon)": (run.notifications, 2 * g.clock_late + g.clock_soon),
            "registry entries appended": (run.entries, g.clock_late),
        }
        queries = {
            "breach rows (final response, at tier 2)": (
                "SELECT count(*) FROM breaches WHERE kind = 'final_response' AND tier = 2", g.clock_late),
            "complaints breached (one breach each)": ("SELECT count(DISTINCT complaint_id) FROM breaches", g.clock_late),
            "escalation rows 2 -> 3 (clock_breach)": (
                "SELECT count(*) FROM escalations WHERE from_tier = 2 AND to_tier = 3 AND reason = 'clock_breach'",
                g.clock_late),
            "complaints now at tier 3": ("SELECT count(*) FROM complaints WHERE tier = 3", g.clock_late),
            "clocks breached, no alarm left": (
                "SELECT count(*) FROM complaint_clocks WHERE breached_at IS NOT NULL AND next_check_at IS NULL",
                g.clock_late),
            "clocks warned by the pass, alarm at their due time": (
                "SELECT count(*) FROM complaint_clocks WHERE warned_at >= :seed_at AND breached_at IS NULL "
                "AND next_check_at = due_at", g.clock_soon),
            "event entries (deadline_breached with the clock's change), one per complaint": (
                "SELECT count(DISTINCT complaint_id) FROM registry_entries WHERE position > :base AND kind = 'event' "
                "AND payload::json->>'type' = 'deadline_breached' "
                "AND payload::json->'clocks'->0->>'event' = 'breached'", g.clock_late),
        }
        return report, queries


# --- main --------------------------------------------------------------------------------------


def groups_of(total: int, late: int, soon: int) -> Groups:
    groups = Groups(total, 0, 0, round(total * FRESH_SHARE), round(total * WORKING_SHARE),
                    round(total * ANNULLED_SHARE), clock_late=late, clock_soon=soon)
    if groups.closed < 0:
        raise SystemExit(f"{total} complaints are too few for {late} overdue clocks and {soon} due soon")
    return groups


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="ukgc", help="the clock policy preset (calendar days or hours only)")
    parser.add_argument("--complaints", type=int, default=1_000_000, help="complaints in the big database")
    parser.add_argument("--clock-overdue", type=int, default=None,
                        help="complaints with an overdue escalating clock (default: 1 %% of --complaints)")
    parser.add_argument("--clock-due-soon", type=int, default=300, help="complaints whose clock the pass warns")
    parser.add_argument("--rounds", type=int, default=2, help="times (a), (b) and (c) are measured, alternating")
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--nothing-due-passes", type=int, default=20)
    parser.add_argument("--profile", action="store_true", help="one more pass on the big database under cProfile")
    parser.add_argument("--postgres-url", default=os.environ.get(
        "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    preset(args.preset)  # refuses an unknown code
    late = args.clock_overdue if args.clock_overdue is not None else round(args.complaints * 0.01)
    sizes = {name: groups_of(total, late, args.clock_due_soon)
             for name, total in (("big", args.complaints), ("small", args.complaints // 10))}

    def make(name: str, url: str, groups: Groups) -> Bench:
        bench = ClockBench(name, url, groups, args.preset)
        bench.batch_size = args.batch_size or bench.batch_size
        return bench

    admin, benches = None, []
    failed = True
    try:
        admin, benches = databases(PREFIX, args.postgres_url, sizes, make)
        big, small = benches
        problems = compare(big, small, rounds=args.rounds, idle_passes=args.nothing_due_passes, profile=args.profile,
                           due_work=f"{late:,} overdue {args.preset} clocks (breach, signed event, escalation 2 -> 3, "
                                    f"2 notifications each) + {args.clock_due_soon:,} due soon (warning)")
        failed = bool(problems)
    finally:
        for bench in benches:
            bench.drop(admin, args.keep)
        if admin is not None:
            admin.dispose()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

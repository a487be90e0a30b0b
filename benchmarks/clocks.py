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

Measured in one run, --rounds times, alternating: (a) one pass on the big database; (b) one pass
on the small one; (c) a bare SQL script doing the writes of (a) (captured from (a)'s first
round): one transaction run by psql, one statement per table, UPDATE ... FROM (VALUES ...) for
the clocks and the complaints, INSERT of the breaches, escalations, notifications and the
registry entries with their digests and signatures precomputed, the chain head moved. Before
each, the database is put back as seeded (from a snapshot of the due rows) and vacuumed and
checkpointed. After (a)'s first round: the checks (exactly one breach, escalation and signed
event per overdue clock, one warning per due-soon clock, the clocks' rows) and (d)
--nothing-due-passes passes right after, each of which must do nothing. Prints the load average
before and after, the machine and a summary for docs/performance.md. The databases are
dropped at the end unless --keep.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import flask_migrate  # noqa: E402
from sqlalchemy import create_engine, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from app import create_app  # noqa: E402
from app.clock import now_utc  # noqa: E402
from app.clocks.policy import AT_REGISTRATION, ClockPolicy, Unit  # noqa: E402
from app.clocks.presets import preset  # noqa: E402
from app.clocks.running import start_clocks  # noqa: E402
from app.extensions import db  # noqa: E402
from app.registry.chain import digest_of, get_signer  # noqa: E402
from app.registry.digest import GENESIS_DIGEST  # noqa: E402
from app.registry.models import RegistryEntry  # noqa: E402
from app.settings.store import current_policy, current_settings  # noqa: E402
from benchmarks.deadlines import (  # noqa: E402
    ANNULLED_SHARE,
    FRESH_SHARE,
    SETTLED_TABLES,
    WORKING_SHARE,
    Groups,
    Pass,
    Recorder,
    one_pass,
    seed,
    settle,
    show_pass,
)
from benchmarks.harness import machine  # noqa: E402
from tests._support import config_class  # noqa: E402

TARGET_RATIO_TENTH = 1.3
TARGET_RATIO_BARE = 2.0
PREFIX = "bench_clocks_"
#: The columns a pass writes (app/workflow/enforcement._WRITTEN and _UPDATE_CLOCK).
COMPLAINT_COLUMNS = ("tier", "resolution_started_at", "resolution_due", "resolution_warned_at",
                     "first_response_warned_at", "first_response_breached_at", "next_check_at")
CLOCK_COLUMNS = ("warned_at", "breached_at", "next_check_at")

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


class Bench:
    """One seeded database with its app: seeding, snapshots, undo, passes, checks."""

    def __init__(self, name: str, url: str, preset_code: str, groups: Groups) -> None:
        self.name, self.groups, self.preset_code = name, groups, preset_code
        self.database = make_url(url).database
        self.instance = Path(tempfile.mkdtemp(prefix=f"{self.database}-"))
        self.app = create_app(config_class(
            SQLALCHEMY_DATABASE_URI=url, CLOCK_POLICY=preset_code,
            INSTANCE_PATH=str(self.instance), REGISTRY_KEY_PATH=str(self.instance / "registry_ed25519.pem"),
            ATTACHMENTS_DIR=str(self.instance / "attachments"), MAIL_OUTBOX_DIR=str(self.instance / "outbox"),
        ))
        self.recorder: Recorder | None = None
        self.base_position = 0
        self.seed_at: datetime | None = None
        self.batch_size = self.app.config["ENFORCEMENT_BATCH_SIZE"]
        self.url = url

    def setup(self) -> list[str]:
        with self.app.app_context():
            began = time.perf_counter()
            flask_migrate.upgrade()
            print(f"[{self.name}] schema: {time.perf_counter() - began:.1f} s", flush=True)
            policy = current_policy()
            settings = current_settings()
            clocks = settings.clock_policies.default
            fraction = settings.due_soon_fraction
            self.seed_at = seed_at = now_utc()
            g = self.groups
            print(f"[{self.name}] seeding {g.total:,} complaints with the {self.preset_code} clocks: "
                  f"{g.clock_late:,} with an overdue clock, {g.clock_soon:,} due soon, {g.fresh:,} fresh, "
                  f"{g.working:,} working, {g.annulled:,} annulled, {g.closed:,} closed/resolved ...", flush=True)
            zone = self.app.config["REGISTRY_TIMEZONE"]
            seconds = seed(g, policy, seed_at, zone, get_signer().key_id, spans=spans(clocks, fraction),
                           clocks=clock_loader(clocks, seed_at, zone, fraction))
            stats = db.session.execute(text("""
                SELECT pg_size_pretty(pg_database_size(current_database())),
                       (SELECT count(*) FROM complaint_clocks),
                       (SELECT count(*) FROM complaint_clocks WHERE next_check_at IS NOT NULL),
                       (SELECT count(*) FROM complaint_clocks WHERE paused_at IS NOT NULL),
                       (SELECT count(*) FROM complaints WHERE next_check_at <= now()),
                       (SELECT position FROM registry_chain_head)""")).one()
            size, clock_rows, armed, paused, due, self.base_position = stats
            db.session.remove()
            print(f"[{self.name}] seeded in {seconds:.1f} s; database {size}; {clock_rows:,} clocks "
                  f"({armed:,} with an alarm, {paused:,} paused); {due:,} complaints due now", flush=True)
            problems = check_sample(clocks, fraction)
            if due != g.clock_late + g.clock_soon:
                problems.append(f"[{self.name}] {due} complaints due after seeding, not {g.clock_late + g.clock_soon}")
            self.snapshot()
            self.recorder = Recorder()
            return problems

    def snapshot(self) -> None:
        """Keep the due complaints' and their clocks' written columns, to put them back."""
        with db.engine.begin() as connection:
            connection.execute(text(
                f"CREATE TABLE bench_due_complaints AS SELECT id, {', '.join(COMPLAINT_COLUMNS)} "
                "FROM complaints WHERE next_check_at <= now()"))
            connection.execute(text(
                f"CREATE TABLE bench_due_clocks AS SELECT id, {', '.join(CLOCK_COLUMNS)} FROM complaint_clocks "
                "WHERE complaint_id IN (SELECT id FROM bench_due_complaints)"))

    def undo(self) -> None:
        """Put the database back as seeded, vacuumed and checkpointed."""
        with self.app.app_context():
            with db.engine.begin() as connection:
                connection.execute(text(
                    "UPDATE complaints c SET " + ", ".join(f"{n} = s.{n}" for n in COMPLAINT_COLUMNS)
                    + " FROM bench_due_complaints s WHERE c.id = s.id"))
                connection.execute(text(
                    "UPDATE complaint_clocks k SET " + ", ".join(f"{n} = s.{n}" for n in CLOCK_COLUMNS)
                    + " FROM bench_due_clocks s WHERE k.id = s.id"))
                for table in ("escalations", "breaches", "notifications"):
                    connection.execute(text(f"DELETE FROM {table}"))
                connection.execute(text("DELETE FROM registry_entries WHERE position > :p"), {"p": self.base_position})
                connection.execute(text("""
                    UPDATE registry_chain_head SET position = :p,
                           digest = coalesce((SELECT digest FROM registry_entries WHERE position = :p), :genesis)
                    WHERE id = 1"""), {"p": self.base_position, "genesis": GENESIS_DIGEST})
            settle(SETTLED_TABLES)

    def settle(self) -> None:
        with self.app.app_context():
            settle(SETTLED_TABLES)

    def one_pass(self, profiler: cProfile.Profile | None = None) -> Pass:
        with self.app.app_context():
            return one_pass(self.recorder, self.batch_size, profiler)

    def written(self) -> dict[str, int]:
        """What a pass (or the bare script) wrote, by table."""
        with self.app.app_context():
            row = db.session.execute(text("""
                SELECT (SELECT count(*) FROM breaches), (SELECT count(*) FROM escalations),
                       (SELECT count(*) FROM notifications),
                       (SELECT position FROM registry_chain_head) - :base,
                       (SELECT count(*) FROM complaint_clocks WHERE breached_at IS NOT NULL),
                       (SELECT count(*) FROM complaints WHERE next_check_at <= now())"""),
                {"base": self.base_position}).one()
            db.session.remove()
        return dict(zip(("breaches", "escalations", "notifications", "entries", "clocks breached", "due now"),
                        row, strict=True))

    def verify(self, run: Pass) -> list[str]:
        """Everything the pass had to do, exactly once."""
        g, r = self.groups, run.report
        expect = {
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
            "escalations pointing at their complaint's entry": (
                "SELECT count(*) FROM escalations e JOIN registry_entries r ON r.position = e.entry_position "
                "AND r.complaint_id = e.complaint_id", g.clock_late),
            "entries not linked to their predecessor": (
                "SELECT count(*) FROM registry_entries r JOIN registry_entries p ON p.position = r.position - 1 "
                "WHERE r.position > :base AND r.prev_digest <> p.digest", 0),
            "complaints still due": ("SELECT count(*) FROM complaints WHERE next_check_at <= now()", 0),
        }
        problems = []
        with self.app.app_context():
            for name, (sql, wanted) in queries.items():
                expect[name] = (db.session.scalar(text(sql), {"base": self.base_position, "seed_at": self.seed_at}),
                                wanted)
            signer = get_signer()
            sample = db.session.scalars(
                select(RegistryEntry).where(RegistryEntry.position > self.base_position).order_by(RegistryEntry.position)
            ).all()[:: max(1, g.clock_late // 200)]
            bad = [e.position for e in sample if digest_of(e) != e.digest
                   or not signer.verify(bytes.fromhex(e.digest), bytes.fromhex(e.signature))]
            db.session.remove()
        for name, (got, wanted) in expect.items():
            status = "ok" if got == wanted else "WRONG"
            print(f"  {status:5} {name}: {got:,} (expected {wanted:,})")
            if got != wanted:
                problems.append(f"[{self.name}] {name}: {got} != {wanted}")
        print(f"  {'ok' if not bad else 'WRONG':5} digests and signatures recomputed for {len(sample)} sampled entries")
        if bad:
            problems.append(f"[{self.name}] bad digest or signature at {bad[:5]}")
        return problems

    def nothing_due(self, passes: int) -> tuple[list[float], list[str]]:
        times, problems = [], []
        for index in range(passes):
            run = self.one_pass()
            times.append(run.seconds * 1000)
            r = run.report
            if r.breaches or r.warnings or r.escalations or run.notifications or run.entries or r.batches != 1:
                problems.append(f"[{self.name}] pass {index + 2} did something: {r}")
        return times, problems

    # --- the bare SQL script ---------------------------------------------------------------

    def bare_script(self, path: Path) -> int:
        """Write the SQL script that makes the same writes as the pass just did (read back from
        the database), as literal values; answers its size in bytes."""
        updates = {
            "complaint_clocks": ("bench_due_clocks", CLOCK_COLUMNS),
            "complaints": ("bench_due_complaints", COMPLAINT_COLUMNS),
        }
        parts = ["BEGIN;"]
        with self.app.app_context(), db.engine.connect() as connection:
            for table, (snapshot, columns) in updates.items():
                types = {"tier": "integer"}
                changed = " OR ".join(f"t.{c} IS DISTINCT FROM s.{c}" for c in columns)
                values = connection.scalar(text(
                    "SELECT string_agg(format('(%s, " + ", ".join("%L::" + types.get(c, "timestamptz") for c in columns)
                    + ")', t.id, " + ", ".join(f"t.{c}" for c in columns) + "), ',\n') "
                    f"FROM {table} t JOIN {snapshot} s ON s.id = t.id WHERE {changed}"))
                parts.append(f"UPDATE {table} AS t SET " + ", ".join(f"{c} = v.{c}" for c in columns)
                             + f" FROM (VALUES\n{values}) AS v(id, {', '.join(columns)}) WHERE t.id = v.id;")
            for table, where in (("registry_entries", f"position > {self.base_position}"), ("breaches", "true"),
                                 ("escalations", "true"), ("notifications", "true")):
                values = connection.scalar(text(
                    f"SELECT string_agg(format('(%L::{table})', t::text), ',\n' ORDER BY 1) FROM {table} t WHERE {where}"))
                parts.append(f"INSERT INTO {table} SELECT (v.r).* FROM (VALUES\n{values}) AS v(r);")
            head = connection.execute(text("SELECT position, digest FROM registry_chain_head WHERE id = 1")).one()
            parts.append(f"UPDATE registry_chain_head SET position = {head.position}, digest = '{head.digest}' "
                         "WHERE id = 1;")
            for table in ("breaches", "escalations", "notifications"):
                parts.append(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                             f"(SELECT max(id) FROM {table}));")
            parts.append("COMMIT;")
            db.session.remove()
        path.write_text("\n".join(parts))
        return path.stat().st_size

    def run_script(self, path: Path, url: str) -> float:
        """Run the bare script with psql; answers the wall-clock seconds."""
        u = make_url(url)
        command = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", u.host or "127.0.0.1", "-p", str(u.port or 5432),
                   "-U", u.username or "postgres", "-d", self.database, "-f", str(path), "-o", os.devnull]
        began = time.perf_counter()
        subprocess.run(command, check=True)
        return time.perf_counter() - began

    def drop(self, admin: Any, keep: bool) -> None:
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()
        if keep:
            print(f"kept database {self.database}")
        else:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)'))
        shutil.rmtree(self.instance, ignore_errors=True)


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

    load_before = os.getloadavg()
    admin = create_engine(args.postgres_url, isolation_level="AUTOCOMMIT")
    benches: list[Bench] = []
    failed = True
    try:
        for name, total in (("big", args.complaints), ("small", args.complaints // 10)):
            database = f"{PREFIX}{os.getpid()}_{name}"
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{database}"'))
            url = make_url(args.postgres_url).set(database=database).render_as_string(hide_password=False)
            bench = Bench(name, url, args.preset, groups_of(total, late, args.clock_due_soon))
            if args.batch_size:
                bench.batch_size = args.batch_size
            benches.append(bench)
        failed = run(benches, args, load_before)
    finally:
        for bench in benches:
            bench.drop(admin, args.keep)
        admin.dispose()
    sys.exit(1 if failed else 0)


def run(benches: list[Bench], args: argparse.Namespace, load_before: tuple[float, float, float]) -> bool:
    big, small = benches
    problems: list[str] = []
    print(f"== enforcement with the {args.preset} clocks: {big.database} and {small.database}; "
          f"load average before {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}", flush=True)
    for bench in benches:
        problems += bench.setup()
    with big.app.app_context():
        version = db.session.scalar(text("SHOW server_version"))
        db.session.remove()
    script = big.instance / "bare.sql"
    figures: dict[str, list[Pass | float]] = {"a": [], "b": [], "c": []}
    idle_ms: list[float] = []
    for round_ in range(1, args.rounds + 1):
        print(f"\n--- round {round_} of {args.rounds}", flush=True)
        (big.settle if round_ == 1 else big.undo)()
        run_a = big.one_pass()
        show_pass(run_a, f"(a) pass over {big.groups.total:,} complaints [{big.name}]")
        figures["a"].append(run_a)
        if round_ == 1:
            print("checks:")
            problems += big.verify(run_a)
            idle_ms, idle_problems = big.nothing_due(args.nothing_due_passes)
            problems += idle_problems
            print(f"(d) {len(idle_ms)} passes with nothing due, right after (ms): "
                  f"{', '.join(f'{ms:.1f}' for ms in idle_ms)}"
                  + ("" if not idle_problems else f"; SOME DID SOMETHING: {idle_problems[:2]}"))
            size = big.bare_script(script)
            print(f"bare SQL script written from the pass's writes: {size / 1e6:.1f} MB")
            wanted = big.written()
        else:
            got = big.written()
            if got != wanted:
                problems.append(f"round {round_}: (a) wrote {got}, not {wanted}")
        (small.settle if round_ == 1 else small.undo)()
        run_b = small.one_pass()
        show_pass(run_b, f"(b) pass over {small.groups.total:,} complaints [{small.name}]")
        figures["b"].append(run_b)
        if round_ == 1:
            print("checks:")
            problems += small.verify(run_b)
        big.undo()
        load = os.getloadavg()[0]
        seconds = big.run_script(script, big.url)
        print(f"\n(c) bare SQL script (psql, one transaction): {seconds:.3f} s (load average before: {load:.2f})")
        figures["c"].append(seconds)
        got = big.written()
        if got != wanted:
            problems.append(f"round {round_}: the bare script wrote {got}, not {wanted}")
            print(f"  WRONG: the script wrote {got}, the pass {wanted}")
        else:
            print(f"  ok    the script wrote what the pass did: {got}")

    if args.profile:
        big.undo()
        profiler = cProfile.Profile()
        profiled = big.one_pass(profiler)
        print(f"\nprofiled pass [{big.name}]: {profiled.seconds:.3f} s under cProfile")
        for order in ("tottime", "cumulative"):
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(30)
            print(f"--- top 30 by {order} ---")
            print("\n".join(line for line in out.getvalue().splitlines() if line.strip()))

    load_after = os.getloadavg()
    a = [p.seconds for p in figures["a"]]
    b = [p.seconds for p in figures["b"]]
    c = figures["c"]
    ratios_tenth = [x / y for x, y in zip(a, b, strict=True)]
    ratios_bare = [x / y for x, y in zip(a, c, strict=True)]
    tenth_ok = statistics.median(ratios_tenth) <= TARGET_RATIO_TENTH
    bare_ok = statistics.median(ratios_bare) <= TARGET_RATIO_BARE
    idle_median, idle_max = statistics.median(idle_ms), max(idle_ms)
    g = big.groups
    print("\n== results")
    print(f"due work D: {g.clock_late:,} overdue {args.preset} clocks (breach, signed event, escalation 2 -> 3, "
          f"2 notifications each) + {g.clock_soon:,} due soon (warning)")
    print(f"(a) pass, {g.total:,} complaints:       " + ", ".join(f"{x:.3f} s" for x in a)
          + "  (load " + ", ".join(f"{p.load:.2f}" for p in figures["a"]) + ")")
    print(f"(b) pass, {small.groups.total:,} complaints:         " + ", ".join(f"{x:.3f} s" for x in b)
          + "  (load " + ", ".join(f"{p.load:.2f}" for p in figures["b"]) + ")")
    print("(c) bare SQL script:                  " + ", ".join(f"{x:.3f} s" for x in c))
    print(f"(d) nothing due: median {idle_median:.1f} ms, max {idle_max:.1f} ms")
    print(f"(a)/(b): {', '.join(f'{r:.2f}' for r in ratios_tenth)} (target <= {TARGET_RATIO_TENTH}: "
          f"{'met' if tenth_ok else 'NOT met'} on the median)")
    print(f"(a)/(c): {', '.join(f'{r:.2f}' for r in ratios_bare)} (target <= {TARGET_RATIO_BARE}: "
          f"{'met' if bare_ok else 'NOT met'} on the median)")
    print(f"load average before {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}, "
          f"after {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}")
    print(f"checks: {'all passed' if not problems else '; '.join(problems)}")
    print(f"Machine: {machine()}; PostgreSQL {version}")
    return bool(problems)


if __name__ == "__main__":
    main()

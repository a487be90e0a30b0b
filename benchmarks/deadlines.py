"""One deadline-enforcement pass over a million complaints on PostgreSQL.

Run from the project root:

    .venv/bin/python benchmarks/deadlines.py [--complaints 1000000] [--overdue-share 0.01]
        [--due-soon 300] [--batch-size N] [--compare-batch-sizes 1000,2000,5000]
        [--nothing-due-passes 20] [--profile] [--explain]
        [--postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres] [--keep]

Target (from the issue): one pass over 1,000,000 complaints of which 1 % are overdue (10,000
escalations with their events and queued notifications) under 5 s, and a pass with nothing
due under 100 ms.

Creates a PostgreSQL database `bench_deadlines_<pid>`, builds the schema with `flask db
upgrade`, adds a few officers (tiers 1-3), and seeds the complaints with set-based SQL
(INSERT ... SELECT FROM generate_series, secondary indexes dropped during the load and built
again afterwards, foreign-key triggers off for the load: the rows are consistent by
construction). Registration is not used: it signs each record and would take minutes. The
deadline columns follow app/workflow/deadlines.py (`registration_clock`, `next_alarm`):

  overdue    --overdue-share of N, tier 1, first response due 1 min to 24 h ago, already
             warned, not answered; half registered (nobody owns them), half taken by an officer
             (in progress): the pass must breach and escalate each once
  due soon   --due-soon, registered 18-22 h ago, not warned yet: the pass warns them
  fresh      0.5 %, registered (or taken) in the last 16 h: alarm (the warning) in 2-18 h
  working    0.5 %, first response sent, resolution running: alarm in 2-54 h
  annulled   0.2 %, older than 10 days, no alarm
  closed     the rest, 10-300 days old, closed (90 %) or resolved, owner and decision set,
             no alarm

Each complaint also gets a placeholder intake entry on the registry chain (positions 1..N,
made-up digests and signatures: the chain does not verify, but the table and its indexes have
their real size), and the chain head points at the last one. VACUUM ANALYZE and CHECKPOINT
follow, as autovacuum and the checkpointer would after a bulk load, so neither runs during the
measurement.

Then, in an app context on that database (mail is not sent after commit, so no delivery thread
competes with the pass), it times one `enforce(now, current_policy())` pass, wall clock, with
a per-statement breakdown (SQLAlchemy cursor events) and per-batch times; checks that it
recorded exactly one breach, one escalation, two notifications and one signed, chained event
entry per overdue complaint and one warning per due-soon complaint; and times
--nothing-due-passes further passes right after (nothing due: each must do nothing), median
and max. --compare-batch-sizes undoes the pass (rows restored, the pass's breaches,
escalations, notifications and entries deleted, VACUUM ANALYZE, CHECKPOINT) and times one
pass per batch size; --profile does the same once under cProfile; --explain prints EXPLAIN
(ANALYZE, BUFFERS) of the first batch's due-rows query (run in a rolled-back transaction).

The machine, the PostgreSQL version and a one-line summary for docs/performance.md end the output. The
database is dropped at the end, also on failure, unless --keep.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import flask_migrate  # noqa: E402
from sqlalchemy import create_engine, event, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from app import create_app  # noqa: E402
from app.auth.operations import create_user  # noqa: E402
from app.auth.permissions import Role  # noqa: E402
from app.clock import now_utc  # noqa: E402
from app.extensions import db  # noqa: E402
from app.manage import facts  # noqa: E402
from app.registry.chain import digest_of, get_signer  # noqa: E402
from app.registry.digest import GENESIS_DIGEST  # noqa: E402
from app.registry.models import RegistryEntry  # noqa: E402
from app.settings.store import current_policy  # noqa: E402
from app.settings.tiers import TierPolicy  # noqa: E402
from app.workflow.enforcement import _C as COMPLAINTS  # noqa: E402
from app.workflow.enforcement import _READ, EnforcementReport, enforce  # noqa: E402
from benchmarks.harness import machine  # noqa: E402
from tests._support import config_class  # noqa: E402

TARGET_PASS_S = 5.0
TARGET_IDLE_MS = 100.0
PREFIX = "bench_deadlines_"
#: Alarms of the complaints that must not be due stay at least this far after the seeding
#: moment, so passes run within that time find exactly the overdue and due-soon ones.
MARGIN = timedelta(hours=2)
FRESH_SHARE, WORKING_SHARE, ANNULLED_SHARE = 0.005, 0.005, 0.002
OFFICERS_PER_TIER = 3


# --- seeding -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Groups:
    total: int
    overdue: int
    due_soon: int
    fresh: int
    working: int
    annulled: int
    #: The regulatory-clock benchmark's groups (benchmarks/clocks.py): open at tier 2, first
    #: response sent, resolution restarted within the last day; their escalating clock is
    #: overdue (`clock_late`) or past its warning (`clock_soon`). None here.
    clock_late: int = 0
    clock_soon: int = 0

    @property
    def closed(self) -> int:
        return (self.total - self.overdue - self.due_soon - self.clock_late - self.clock_soon - self.fresh
                - self.working - self.annulled)

    @classmethod
    def of(cls, total: int, overdue_share: float, due_soon: int) -> Groups:
        overdue = round(total * overdue_share)
        groups = cls(total, overdue, due_soon, round(total * FRESH_SHARE), round(total * WORKING_SHARE),
                     round(total * ANNULLED_SHARE))
        if groups.closed < 0:
            raise SystemExit(f"{total} complaints are too few for {overdue} overdue and {due_soon} due soon")
        return groups


# Every complaint gets its group from its index i (1..N); the bounds are cumulative counts.
_SEED_COMPLAINTS = """
WITH g AS (
    SELECT i,
           CASE WHEN i <= :b_overdue THEN 'overdue'
                WHEN i <= :b_soon THEN 'soon'
                WHEN i <= :b_clock_late THEN 'clock_late'
                WHEN i <= :b_clock_soon THEN 'clock_soon'
                WHEN i <= :b_fresh THEN 'fresh'
                WHEN i <= :b_working THEN 'working'
                WHEN i <= :b_annulled THEN 'annulled'
                ELSE 'closed' END AS grp,
           random() AS r1, random() AS r2, random() AS r3
    FROM generate_series(1, :total) AS i
), t AS (
    SELECT g.*,
           CASE grp
               -- first response due 1 min .. 24 h ago
               WHEN 'overdue' THEN CAST(:seed_at AS timestamptz) - :frh * interval '1 hour'
                                   - interval '1 minute' - r1 * interval '24 hours'
               -- warning time passed, first response due in 2 .. 6 h
               WHEN 'soon' THEN CAST(:seed_at AS timestamptz) - :frh * interval '1 hour'
                                + interval '2 hours' + r1 * interval '4 hours'
               -- warning time 2 .. 18 h away
               WHEN 'fresh' THEN CAST(:seed_at AS timestamptz) - :warn_h * interval '1 hour'
                                 + interval '2 hours' + r1 * (:warn_h - 2) * interval '1 hour'
               -- resolution warning 2 .. 54 h away
               WHEN 'working' THEN CAST(:seed_at AS timestamptz) - :res_warn_h * interval '1 hour'
                                   + interval '2 hours' + r1 * (:res_warn_h - 2) * interval '1 hour'
               -- the escalating clock due 1 min .. 48 h ago (:late_span: the longest it can run)
               WHEN 'clock_late' THEN CAST(:seed_at AS timestamptz) - CAST(:late_span AS interval)
                                      - interval '1 minute' - r1 * interval '24 hours'
               -- its warning passed, due more than 2 h from now
               WHEN 'clock_soon' THEN CAST(:seed_at AS timestamptz) - CAST(:soon_lo AS interval)
                                      - r1 * (CAST(:soon_hi AS interval) - CAST(:soon_lo AS interval))
               ELSE CAST(:seed_at AS timestamptz) - interval '10 days' - r1 * interval '290 days'
           END AS registered_at
    FROM g
), n AS (
    SELECT t.*,
           CAST(extract(year FROM registered_at AT TIME ZONE :tz) AS integer) AS year,
           row_number() OVER (PARTITION BY extract(year FROM registered_at AT TIME ZONE :tz)
                              ORDER BY registered_at, i) AS seq
    FROM t
), v AS (
    SELECT n.*,
           year || '/' || (CASE WHEN seq < 1000000 THEN lpad(seq::text, 6, '0') ELSE seq::text END) AS number,
           registered_at + :frh * interval '1 hour' AS first_due,
           CASE WHEN grp IN ('working', 'closed', 'clock_late', 'clock_soon')
                THEN registered_at + least(:frh * interval '1 hour', CAST(:seed_at AS timestamptz) - registered_at)
                     * (0.1 + 0.8 * r2) END AS responded_at,
           CASE WHEN grp IN ('clock_late', 'clock_soon') THEN CAST(:seed_at AS timestamptz) - r3 * interval '1 day'
                ELSE registered_at END AS restarted_at,
           CASE WHEN grp = 'closed' THEN registered_at + interval '1 day' + r2 * interval '8 days' END AS decided_at,
           o.ids[1 + (i % array_length(o.ids, 1))] AS officer
    FROM n CROSS JOIN (
        SELECT array_agg(id ORDER BY id) AS ids FROM users WHERE role = 'officer' AND tier = 1
    ) AS o
)
INSERT INTO complaints (
    year, seq, number, slug, access_code, personal_salt, status, channel, registered_at, received_at, first_response_due,
    full_name, email, phone, postal_address, category, subject, description, desired_outcome, language,
    signature_name, declaration_confirmed, registered_by_id,
    owner_id, tier, resolution_started_at, transfer_count, contact_count, first_responded_at,
    first_response_warned_at, first_response_breached_at, resolution_due, resolution_warned_at,
    resolution, resolved_at, closed_at, next_check_at
)
SELECT
    year, seq, number, replace(number, '/', '-'),
    translate(upper(substr(md5(i::text || 'access'), 1, 12)), '01', 'GH'),
    md5(i::text || 'salt'),
    CASE grp WHEN 'overdue' THEN (CASE WHEN i % 2 = 0 THEN 'registered' ELSE 'in_progress' END)
             WHEN 'soon' THEN 'registered'
             WHEN 'clock_late' THEN 'in_progress'
             WHEN 'clock_soon' THEN (CASE WHEN i % 2 = 0 THEN 'in_progress' ELSE 'responded' END)
             WHEN 'fresh' THEN (CASE WHEN i % 2 = 0 THEN 'registered' ELSE 'in_progress' END)
             WHEN 'working' THEN (ARRAY['in_progress', 'waiting', 'responded'])[1 + i % 3]
             WHEN 'annulled' THEN 'annulled'
             ELSE (CASE WHEN i % 10 = 0 THEN 'resolved' ELSE 'closed' END) END,
    'web', registered_at, registered_at, first_due,
    (ARRAY['Ana-Maria', 'Ion', 'Elena', 'Vasile', 'Natalia', 'Sergiu', 'Olga', 'Dmitri'])[1 + i % 8]
        || ' ' || (ARRAY['Ștefănescu', 'Popescu', 'Rusu', 'Ciobanu', 'Lungu', 'Moraru', 'Cebotari',
                         'Smirnov', 'Țurcanu', 'Munteanu', 'Rotaru'])[1 + i % 11],
    'client' || i || '@' || (ARRAY['example.md', 'mail.example.com', 'example.ro'])[1 + i % 3],
    CASE WHEN i % 3 = 0 THEN '+3736' || lpad((i % 10000000)::text, 7, '0') END,
    CASE WHEN i % 4 = 0 THEN 'str. Mihai Eminescu ' || (1 + i % 120) || ', Chișinău' END,
    'payments',
    'Retragerea de ' || (50 * (1 + i % 40)) || ' MDL nu a ajuns',
    'Am cerut retragerea a ' || (50 * (1 + i % 40)) || ' MDL pe ' || to_char(registered_at - interval '2 days', 'DD.MM.YYYY')
        || '; banii nu au ajuns pe card. Referința ' || upper(substr(md5(i::text), 1, 9)) || '.',
    'Plata retragerii și explicația întârzierii.',
    (ARRAY['ro', 'ru', 'en', 'uk'])[1 + i % 4],
    'Semnătura ' || i, true, NULL,
    CASE WHEN grp IN ('working', 'closed', 'clock_late', 'clock_soon') OR (grp IN ('overdue', 'fresh') AND i % 2 = 1)
         THEN officer END,
    CASE WHEN grp IN ('clock_late', 'clock_soon') THEN 2 ELSE 1 END, restarted_at, 0, 1,
    responded_at,
    CASE grp WHEN 'overdue' THEN registered_at + :warn_h * interval '1 hour' END,
    NULL,
    CASE WHEN grp IN ('overdue', 'soon', 'fresh', 'working') THEN registered_at + :res_days * interval '1 day'
         WHEN grp IN ('clock_late', 'clock_soon') THEN restarted_at + :res2_days * interval '1 day' END,
    NULL,
    CASE WHEN grp = 'closed' THEN (ARRAY['upheld', 'partly_upheld', 'rejected'])[1 + i % 3] END,
    decided_at,
    CASE WHEN grp = 'closed' AND i % 10 <> 0 THEN decided_at + interval '2 days' END,
    CASE grp WHEN 'overdue' THEN first_due
             WHEN 'soon' THEN registered_at + :warn_h * interval '1 hour'
             WHEN 'fresh' THEN registered_at + :warn_h * interval '1 hour'
             WHEN 'working' THEN registered_at + :res_warn_h * interval '1 hour'
             -- the clocks' alarms are added by the clock benchmark's seeding
             WHEN 'clock_late' THEN restarted_at + :res2_warn_h * interval '1 hour'
             WHEN 'clock_soon' THEN restarted_at + :res2_warn_h * interval '1 hour' END
FROM v
ORDER BY year, seq
"""

# A placeholder intake entry per complaint, in number order; digest(p) is made up from p.
_SEED_ENTRIES = """
INSERT INTO registry_entries (position, kind, complaint_id, recorded_at, payload, prev_digest, digest,
                              signature, key_id)
SELECT p, 'intake', id, registered_at,
       json_build_object('type', 'complaint', 'number', number, 'year', year, 'seq', seq,
                         'placeholder', 'deadline benchmark')::text,
       CASE WHEN p = 1 THEN :genesis ELSE md5('d' || (p - 1)) || md5('e' || (p - 1)) END,
       md5('d' || p) || md5('e' || p),
       md5('s' || p) || md5('t' || p) || md5('u' || p) || md5('v' || p),
       :key_id
FROM (SELECT id, number, year, seq, registered_at, row_number() OVER (ORDER BY year, seq) AS p
      FROM complaints) AS c
"""


def secondary_indexes(connection: Any, table: str) -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of the indexes of `table` that no constraint owns."""
    return [tuple(row) for row in connection.execute(text("""
        SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.schemaname = 'public' AND i.tablename = :t
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = to_regclass(quote_ident(i.indexname)))
        ORDER BY i.indexname"""), {"t": table})]


@contextmanager
def bulk_load(tables: tuple[str, ...]) -> Iterator[Any]:
    """A connection for loading `tables` at full speed: their secondary indexes dropped (built
    again at the end), no triggers (replica role: neither FK checks nor the dashboard's copy),
    a fixed random seed. Yields the connection; commits when the block ends."""
    with db.engine.connect() as connection:
        connection.execute(text("SET maintenance_work_mem = '1GB'"))
        connection.execute(text("SET session_replication_role = replica"))
        connection.execute(text("SELECT setseed(0.2026)"))
        dropped = {table: secondary_indexes(connection, table) for table in tables}
        for indexes in dropped.values():
            for name, _ in indexes:
                connection.execute(text(f'DROP INDEX "{name}"'))
        yield connection
        step = time.perf_counter()
        for indexes in dropped.values():
            for _, definition in indexes:
                connection.execute(text(definition))
        connection.execute(text("SET session_replication_role = DEFAULT"))
        connection.commit()
        print(f"  {sum(map(len, dropped.values()))} secondary indexes built: {time.perf_counter() - step:.1f} s",
              flush=True)


def settle(tables: tuple[str, ...]) -> None:
    """VACUUM ANALYZE and CHECKPOINT, as autovacuum and the checkpointer would after a bulk load,
    so that neither lands in a measurement."""
    db.session.remove()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in tables:
            connection.execute(text(f"VACUUM ANALYZE {table}"))
        connection.execute(text("CHECKPOINT"))


def seed(groups: Groups, policy: TierPolicy, seed_at: datetime, timezone_name: str, key_id: str, *,
         spans: Mapping[str, timedelta] | None = None, clocks: Callable[[Any], None] | None = None) -> float:
    """Load the complaints and their placeholder intake entries; returns the seconds it took.

    The clock benchmark (benchmarks/clocks.py) passes `spans` (how long ago its `clock_late` and
    `clock_soon` groups were received: `late_span`, `soon_lo`, `soon_hi`) and `clocks`, which
    loads the complaints' clocks on the same connection, before the dashboard's copy is built."""
    began = time.perf_counter()
    for tier in (1, 2, 3):
        for k in range(1, OFFICERS_PER_TIER + 1):
            create_user(username=f"bench-officer-{tier}-{k}", full_name=f"Officer {tier}.{k}",
                        password="bench-officer-password", role=Role.OFFICER, tier=tier,
                        email=f"officer{tier}{k}@example.md")
    db.session.commit()
    db.session.remove()
    warn_h = policy.first_response_hours * policy.due_soon_fraction
    res_days = policy.tier(1).resolution_days
    bounds = {}
    running = 0
    for name in ("overdue", "soon", "clock_late", "clock_soon", "fresh", "working", "annulled"):
        running += {"overdue": groups.overdue, "soon": groups.due_soon, "clock_late": groups.clock_late,
                    "clock_soon": groups.clock_soon, "fresh": groups.fresh, "working": groups.working,
                    "annulled": groups.annulled}[name]
        bounds[f"b_{name}"] = running
    params = {
        **bounds, "total": groups.total, "seed_at": seed_at, "tz": timezone_name,
        "frh": policy.first_response_hours, "warn_h": warn_h, "res_days": res_days,
        "res_warn_h": res_days * 24 * policy.due_soon_fraction,
        "res2_days": policy.tier(2).resolution_days,
        "res2_warn_h": policy.tier(2).resolution_days * 24 * policy.due_soon_fraction,
        **{"late_span": timedelta(0), "soon_lo": timedelta(0), "soon_hi": timedelta(0), **(spans or {})},
    }
    tables = ("complaints", "registry_entries") + (("complaint_clocks",) if clocks else ())
    with bulk_load(tables) as connection:
        step = time.perf_counter()
        connection.execute(text(_SEED_COMPLAINTS), params)
        print(f"  complaints inserted: {time.perf_counter() - step:.1f} s", flush=True)
        step = time.perf_counter()
        connection.execute(text(_SEED_ENTRIES), {"genesis": GENESIS_DIGEST, "key_id": key_id})
        connection.execute(text("""
            INSERT INTO registry_chain_head (id, position, digest)
            SELECT 1, position, digest FROM registry_entries ORDER BY position DESC LIMIT 1
            ON CONFLICT (id) DO UPDATE SET position = excluded.position, digest = excluded.digest"""))
        connection.execute(text("""
            INSERT INTO number_counters (scope, last_value)
            SELECT 'incoming:' || year, max(seq) FROM complaints GROUP BY year"""))
        print(f"  intake entries inserted: {time.perf_counter() - step:.1f} s", flush=True)
        if clocks:
            step = time.perf_counter()
            clocks(connection)
            print(f"  clocks inserted, complaints' alarms set: {time.perf_counter() - step:.1f} s", flush=True)
        step = time.perf_counter()
        # The dashboard's copy (its triggers are off for the load): enforcement updates it too.
        connection.execute(facts.rebuild_statement())
        print(f"  dashboard facts: {time.perf_counter() - step:.1f} s", flush=True)
    settle(SETTLED_TABLES)
    return time.perf_counter() - began


#: What a seed and a pass write: vacuumed and checkpointed before anything is timed.
SETTLED_TABLES = ("complaints", "registry_entries", "registry_chain_head", "breaches", "escalations",
                  "notifications", "complaint_facts", "complaint_clocks")


def undo_pass(policy: TierPolicy, base_position: int) -> None:
    """Put the database back as seeded: the breached and warned complaints get their seeded
    deadline columns again, and the rows and entries the pass wrote are deleted."""
    res_days = policy.tier(1).resolution_days
    warn_h = policy.first_response_hours * policy.due_soon_fraction
    with db.engine.begin() as connection:
        connection.execute(text("""
            UPDATE complaints c SET tier = 1, first_response_breached_at = NULL,
                   resolution_started_at = c.registered_at,
                   resolution_due = c.registered_at + :res_days * interval '1 day',
                   resolution_warned_at = NULL, next_check_at = c.first_response_due
            FROM breaches b WHERE b.complaint_id = c.id"""), {"res_days": res_days})
        connection.execute(text("""
            UPDATE complaints SET first_response_warned_at = NULL,
                   next_check_at = registered_at + :warn_h * interval '1 hour'
            WHERE id IN (SELECT complaint_id FROM notifications WHERE kind = 'due_soon')"""), {"warn_h": warn_h})
        for table in ("escalations", "breaches", "notifications"):
            connection.execute(text(f"DELETE FROM {table}"))
        connection.execute(text("DELETE FROM registry_entries WHERE position > :p"), {"p": base_position})
        connection.execute(text("""
            UPDATE registry_chain_head SET position = :p,
                   digest = coalesce((SELECT digest FROM registry_entries WHERE position = :p), :genesis)
            WHERE id = 1"""), {"p": base_position, "genesis": GENESIS_DIGEST})
    settle(SETTLED_TABLES)


# --- measuring ---------------------------------------------------------------------------------


_TABLE = re.compile(r"^\s*(?:SELECT\b.*?\bFROM|INSERT INTO|UPDATE|DELETE FROM)\s+(\w+)", re.S | re.I)


def label(statement: str) -> str:
    match = _TABLE.match(statement)
    verb = statement.split(None, 1)[0].upper() if statement.strip() else "?"
    return f"{verb} {match.group(1)}" if match else verb


@dataclass
class Timings:
    """What the SQLAlchemy events saw during a pass."""

    sql_s: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    sql_calls: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))
    commit_s: float = 0.0
    commits: list[float] = field(default_factory=list)  # perf_counter at each commit's end
    due_rows: list[int] = field(default_factory=list)  # rows each due-rows SELECT returned
    _started: float = 0.0
    _commit_started: float = 0.0


class Recorder:
    """Per-statement and per-commit timings through engine and session events (cheap: a dozen
    statements per batch)."""

    def __init__(self) -> None:
        self.current: Timings | None = None
        event.listen(db.engine, "before_cursor_execute", self._before)
        event.listen(db.engine, "after_cursor_execute", self._after)
        event.listen(db.engine, "commit", self._commit)
        event.listen(db.session, "after_commit", self._committed)

    def _before(self, _conn: Any, _cursor: Any, _statement: str, _params: Any, _context: Any, _many: bool) -> None:
        if self.current is not None:
            self.current._started = time.perf_counter()

    def _after(self, _conn: Any, cursor: Any, statement: str, _params: Any, _context: Any, _many: bool) -> None:
        if self.current is None:
            return
        name = label(statement)
        if name == "SELECT complaints" and "FOR UPDATE" in statement:
            name = "SELECT complaints ... FOR UPDATE SKIP LOCKED (due rows)"
            self.current.due_rows.append(cursor.rowcount)
        self.current.sql_s[name] += time.perf_counter() - self.current._started
        self.current.sql_calls[name] += 1

    def _commit(self, _conn: Any) -> None:
        if self.current is not None:
            self.current._commit_started = time.perf_counter()

    def _committed(self, _session: Any) -> None:
        if self.current is not None and self.current._commit_started:
            now = time.perf_counter()
            self.current.commit_s += now - self.current._commit_started
            self.current.commits.append(now)
            self.current._commit_started = 0.0


@dataclass
class Pass:
    seconds: float
    load: float  # 1-minute load average just before the pass (the machine may be shared)
    report: EnforcementReport
    timings: Timings
    started: float
    notifications: int
    entries: int


def counts() -> tuple[int, int]:
    """(notifications queued, chain head position)."""
    return (db.session.scalar(text("SELECT count(*) FROM notifications")),
            db.session.scalar(text("SELECT coalesce(max(position), 0) FROM registry_chain_head")))


def one_pass(recorder: Recorder, batch_size: int, profiler: cProfile.Profile | None = None) -> Pass:
    notifications_before, head_before = counts()
    db.session.remove()  # no transaction open: the pass starts from nothing, like the CLI
    recorder.current = timings = Timings()
    load = os.getloadavg()[0]
    at = now_utc()
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    try:
        report = enforce(at, current_policy(), batch_size=batch_size)
    finally:
        if profiler:
            profiler.disable()
        seconds = time.perf_counter() - started
        recorder.current = None
    notifications_after, head_after = counts()
    db.session.remove()
    return Pass(seconds, load, report, timings, started, notifications_after - notifications_before,
                head_after - head_before)


def show_pass(run: Pass, title: str) -> None:
    r, t = run.report, run.timings
    print(f"\n{title}: {run.seconds:.3f} s wall clock, {r.batches} batches (load average before: {run.load:.2f})")
    print(f"  breaches {r.breaches:,}, escalations {r.escalations:,}, due-soon warnings {r.warnings:,}, "
          f"notifications queued {run.notifications:,}, registry entries appended {run.entries:,}")
    sql_total = sum(t.sql_s.values())
    print(f"  time in SQL statements {sql_total:.3f} s, in COMMIT {t.commit_s:.3f} s, "
          f"the rest (Python: planning, JSON, SHA-256, Ed25519, parameter handling) "
          f"{run.seconds - sql_total - t.commit_s:.3f} s")
    for name, seconds in sorted(t.sql_s.items(), key=lambda item: -item[1]):
        print(f"    {seconds:7.3f} s  {t.sql_calls[name]:5d} calls  {name}")
    if t.commits:
        ends = [run.started, *t.commits]
        batch_s = [b - a for a, b in zip(ends, ends[1:], strict=False)]
        rows = ", ".join(f"{n:,}" for n in t.due_rows)
        print(f"  per batch (s): {', '.join(f'{s:.3f}' for s in batch_s)}")
        print(f"  due rows per batch: {rows}")


def verify(groups: Groups, run: Pass, base_position: int) -> list[str]:
    """Everything the pass had to do, exactly once; answers the problems found."""
    problems = []
    r = run.report
    expect = {
        "breaches (report)": (r.breaches, groups.overdue),
        "escalations (report)": (r.escalations, groups.overdue),
        "due-soon warnings (report)": (r.warnings, groups.due_soon),
        "notifications queued": (run.notifications, 2 * groups.overdue + groups.due_soon),
        "registry entries appended": (run.entries, groups.overdue),
    }
    queries = {
        "breach rows": ("SELECT count(*) FROM breaches WHERE kind = 'first_response' AND tier = 1",
                        groups.overdue),
        "escalation rows 1 -> 2 (first_response_breach)": (
            "SELECT count(*) FROM escalations WHERE from_tier = 1 AND to_tier = 2 "
            "AND reason = 'first_response_breach'", groups.overdue),
        "complaints breached (one breach each)": ("SELECT count(DISTINCT complaint_id) FROM breaches",
                                                  groups.overdue),
        "complaints now at tier 2, breach time set": (
            "SELECT count(*) FROM complaints WHERE tier = 2 AND first_response_breached_at IS NOT NULL",
            groups.overdue),
        "event entries (deadline_breached), one per complaint": (
            "SELECT count(DISTINCT complaint_id) FROM registry_entries WHERE position > :base AND kind = 'event' "
            "AND payload::json->>'type' = 'deadline_breached'", groups.overdue),
        "escalations pointing at their complaint's entry": (
            "SELECT count(*) FROM escalations e JOIN registry_entries r ON r.position = e.entry_position "
            "AND r.complaint_id = e.complaint_id", groups.overdue),
        "entries not linked to their predecessor": (
            "SELECT count(*) FROM registry_entries r JOIN registry_entries p ON p.position = r.position - 1 "
            "WHERE r.position > :base AND r.prev_digest <> p.digest", 0),
        "breach notifications": ("SELECT count(*) FROM notifications WHERE kind = 'breach'", groups.overdue),
        "of them to the owner (the taken half)": (
            "SELECT count(*) FROM notifications WHERE kind = 'breach' AND audience = 'user'", (groups.overdue + 1) // 2),
        "escalated notifications (to tier 2)": (
            "SELECT count(*) FROM notifications WHERE kind = 'escalated' AND tier = 2", groups.overdue),
        "due-soon notifications": ("SELECT count(*) FROM notifications WHERE kind = 'due_soon'", groups.due_soon),
    }
    for name, (sql, wanted) in queries.items():
        expect[name] = (db.session.scalar(text(sql), {"base": base_position}), wanted)
    for name, (got, wanted) in expect.items():
        status = "ok" if got == wanted else "WRONG"
        print(f"  {status:5} {name}: {got:,} (expected {wanted:,})")
        if got != wanted:
            problems.append(f"{name}: {got} != {wanted}")
    # Recompute the digest and check the signature of a sample of the new entries.
    signer = get_signer()
    sample = db.session.scalars(
        select(RegistryEntry).where(RegistryEntry.position > base_position).order_by(RegistryEntry.position)
    ).all()[:: max(1, groups.overdue // 200)]
    bad = [e.position for e in sample
           if digest_of(e) != e.digest or not signer.verify(bytes.fromhex(e.digest), bytes.fromhex(e.signature))]
    print(f"  {'ok' if not bad else 'WRONG':5} digests and signatures recomputed for {len(sample)} sampled entries"
          + (f": bad at {bad[:5]}" if bad else ""))
    if bad:
        problems.append(f"bad digest or signature at {bad[:5]}")
    db.session.remove()
    return problems


def nothing_due(recorder: Recorder, batch_size: int, passes: int) -> tuple[list[float], list[str]]:
    times, problems = [], []
    for index in range(passes):
        run = one_pass(recorder, batch_size)
        times.append(run.seconds * 1000)
        r = run.report
        if r.breaches or r.warnings or r.escalations or run.notifications or run.entries or r.batches != 1:
            problems.append(f"pass {index + 1} after the first did something: {r}")
    return times, problems


def explain_due_rows(batch_size: int) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of the first batch's due-rows query, rolled back."""
    statement = (
        select(*_READ).where(COMPLAINTS.c.next_check_at <= now_utc())
        .order_by(COMPLAINTS.c.next_check_at, COMPLAINTS.c.id).limit(batch_size)
        .with_for_update(skip_locked=True, of=COMPLAINTS)
    )
    compiled = statement.compile(dialect=db.engine.dialect)
    with db.engine.connect() as connection:
        plan = connection.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + compiled.string, compiled.params).all()
        connection.rollback()
    for (line,) in plan:
        print(f"    {line}")


# --- main --------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--complaints", type=int, default=1_000_000, help="complaints to seed")
    parser.add_argument("--overdue-share", type=float, default=0.01,
                        help="share of the complaints whose first response is overdue")
    parser.add_argument("--due-soon", type=int, default=300, help="complaints the pass must warn (due soon)")
    parser.add_argument("--batch-size", type=int, default=None,
                        help="complaints per enforcement transaction (default: ENFORCEMENT_BATCH_SIZE)")
    parser.add_argument("--compare-batch-sizes", default="",
                        help="comma-separated batch sizes to time one more pass each with, e.g. 1000,2000,5000")
    parser.add_argument("--nothing-due-passes", type=int, default=20, help="passes timed after the first")
    parser.add_argument("--profile", action="store_true", help="one more pass under cProfile (top functions)")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the due-rows query before the pass")
    parser.add_argument("--postgres-url", default=os.environ.get(
        "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--keep", action="store_true", help="do not drop the database at the end")
    args = parser.parse_args()
    if not 0 <= args.overdue_share < 1:
        parser.error("--overdue-share must be in [0, 1)")
    compare = [int(size) for size in args.compare_batch_sizes.split(",") if size.strip()]

    database = f"{PREFIX}{os.getpid()}"
    admin = create_engine(args.postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{database}"'))
    url = make_url(args.postgres_url).set(database=database).render_as_string(hide_password=False)
    instance = Path(tempfile.mkdtemp(prefix=f"{database}-"))
    app = create_app(config_class(
        SQLALCHEMY_DATABASE_URI=url,
        INSTANCE_PATH=str(instance),
        REGISTRY_KEY_PATH=str(instance / "registry_ed25519.pem"),
        ATTACHMENTS_DIR=str(instance / "attachments"),
        MAIL_OUTBOX_DIR=str(instance / "outbox"),
    ))
    failed = True
    try:
        with app.app_context():
            failed = run(app, args, database, compare)
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        if args.keep:
            print(f"kept database {database} (drop it with: DROP DATABASE \"{database}\")")
        else:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()
        shutil.rmtree(instance, ignore_errors=True)
    sys.exit(1 if failed else 0)


def run(app: Any, args: argparse.Namespace, database: str, compare: list[int]) -> bool:
    """Everything inside the app context; True when something was wrong."""
    batch_size = args.batch_size or app.config["ENFORCEMENT_BATCH_SIZE"]
    groups = Groups.of(args.complaints, args.overdue_share, args.due_soon)
    print(f"== deadline enforcement benchmark: database {database}")
    began = time.perf_counter()
    flask_migrate.upgrade()
    print(f"schema (flask db upgrade): {time.perf_counter() - began:.1f} s")
    policy = current_policy()  # read from the settings, which live in the database

    seed_at = now_utc()
    print(f"seeding {groups.total:,} complaints: {groups.overdue:,} overdue, {groups.due_soon:,} due soon, "
          f"{groups.fresh:,} fresh, {groups.working:,} working, {groups.annulled:,} annulled, "
          f"{groups.closed:,} closed/resolved ...", flush=True)
    seconds = seed(groups, policy, seed_at, app.config["REGISTRY_TIMEZONE"], get_signer().key_id)
    size = db.session.scalar(text("SELECT pg_size_pretty(pg_database_size(current_database()))"))
    alarms = db.session.scalar(text("SELECT count(*) FROM complaints WHERE next_check_at IS NOT NULL"))
    due = db.session.scalar(text("SELECT count(*) FROM complaints WHERE next_check_at <= now()"))
    base_position = db.session.scalar(text("SELECT position FROM registry_chain_head"))
    version = db.session.scalar(text("SHOW server_version"))
    db.session.remove()
    print(f"seeded in {seconds:.1f} s (with VACUUM ANALYZE and CHECKPOINT); database {size}; "
          f"{alarms:,} complaints with an alarm set, {due:,} due now; chain head at {base_position:,}")
    assert due == groups.overdue + groups.due_soon, (due, groups)

    if args.explain:
        print(f"\ndue-rows query of the first batch (batch size {batch_size}), before the pass:")
        explain_due_rows(batch_size)

    recorder = Recorder()
    first = one_pass(recorder, batch_size)
    show_pass(first, f"enforcement pass, batch size {batch_size}")
    print("\nchecks:")
    problems = verify(groups, first, base_position)

    idle_ms, idle_problems = nothing_due(recorder, batch_size, args.nothing_due_passes)
    problems += idle_problems
    print(f"\n{len(idle_ms)} passes with nothing due, right after (ms): "
          f"{', '.join(f'{ms:.1f}' for ms in idle_ms)}")
    idle_median, idle_max = statistics.median(idle_ms), max(idle_ms)
    print(f"  median {idle_median:.1f} ms, max {idle_max:.1f} ms (first {idle_ms[0]:.1f} ms); "
          f"{'each did nothing' if not idle_problems else 'SOME DID SOMETHING'}")
    print("  due-rows query with nothing due:")
    explain_due_rows(batch_size)

    comparisons = []
    for size_ in compare:
        print(f"\nundoing the pass for batch size {size_} ...", flush=True)
        undo_pass(policy, base_position)
        run_ = one_pass(recorder, size_)
        show_pass(run_, f"enforcement pass, batch size {size_}")
        wrong = run_.report.escalations != groups.overdue or run_.report.warnings != groups.due_soon
        if wrong:
            problems.append(f"batch size {size_}: {run_.report}")
        comparisons.append((size_, run_))

    if args.profile:
        print("\nundoing the pass for a profiled one ...", flush=True)
        undo_pass(policy, base_position)
        profiler = cProfile.Profile()
        profiled = one_pass(recorder, batch_size, profiler)
        print(f"\nprofiled pass (batch size {batch_size}): {profiled.seconds:.3f} s under cProfile")
        for order in ("tottime", "cumulative"):
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(25)
            print(f"--- top 25 by {order} ---")
            print("\n".join(line for line in out.getvalue().splitlines() if line.strip()))

    print("\n== results")
    pass_ok = first.seconds < TARGET_PASS_S
    idle_ok = idle_max < TARGET_IDLE_MS
    print(f"one pass, {groups.overdue:,} overdue of {groups.total:,}: {first.seconds:.2f} s "
          f"(target < {TARGET_PASS_S:.0f} s: {'met' if pass_ok else 'NOT met'})")
    print(f"pass with nothing due: median {idle_median:.1f} ms, max {idle_max:.1f} ms "
          f"(target < {TARGET_IDLE_MS:.0f} ms: {'met' if idle_ok else 'NOT met'})")
    for size_, run_ in comparisons:
        print(f"batch size {size_:>5}: {run_.seconds:.2f} s, {run_.report.batches} batches")
    print(f"checks: {'all passed' if not problems else '; '.join(problems)}")
    print(f"Machine: {machine()}; PostgreSQL {version}")
    print(f"\nSummary: deadline enforcement on PostgreSQL {version.split()[0]}, {groups.total:,} complaints "
          f"({groups.overdue:,} overdue): one pass recorded {first.report.breaches:,} breaches and "
          f"{first.report.escalations:,} escalations with {first.entries:,} signed events and "
          f"{first.notifications:,} queued notifications in {first.seconds:.2f} s "
          f"(batch size {batch_size}, target < {TARGET_PASS_S:.0f} s); a pass with nothing due took "
          f"{idle_median:.1f} ms median, {idle_max:.1f} ms max (target < {TARGET_IDLE_MS:.0f} ms); "
          f"{machine()}")
    return bool(problems)


if __name__ == "__main__":
    main()

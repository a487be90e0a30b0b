"""Deadline enforcement follows the due work, not the registry: one pass with D due complaints
among N, the same D among N / 10, and a bare SQL script doing the same writes, on PostgreSQL.

Run from the project root:

    .venv/bin/python benchmarks/deadlines.py [--complaints 1000000] [--overdue 10000] [--due-soon 300]
        [--rounds 2] [--batch-size N] [--nothing-due-passes 20] [--profile] [--explain]
        [--postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres] [--keep]

Target (from the issue): a pass with 10,000 overdue among 1,000,000 complaints takes at most
1.3 x the same pass with 10,000 overdue among 100,000, and at most 2 x a bare SQL script doing
the same writes (the UPDATE of the due rows, the breach, escalation, entry and notification
inserts) measured in the same run; a pass with nothing due stays in milliseconds (< 100 ms).

Creates two PostgreSQL databases, `bench_deadlines_<pid>_big` (--complaints) and
`bench_deadlines_<pid>_small` (a tenth), builds each schema with `flask db upgrade`, adds a few
officers (tiers 1-3), and seeds the complaints with set-based SQL (INSERT ... SELECT FROM
generate_series, secondary indexes dropped during the load and built again afterwards,
foreign-key triggers off for the load: the rows are consistent by construction). Registration
is not used: it signs each record and would take minutes. The deadline columns follow
app/workflow/deadlines.py (`registration_clock`, `next_alarm`); the due groups have the same
size in both databases, the others are shares of N:

  overdue    --overdue, tier 1, first response due 1 min to 24 h ago, already warned, not
             answered; half registered (nobody owns them), half taken by an officer (in
             progress): the pass must breach and escalate each once
  due soon   --due-soon, registered 18-22 h ago, not warned yet: the pass warns them
  fresh      0.5 %, registered (or taken) in the last 16 h: alarm (the warning) in 2-18 h
  working    0.5 %, first response sent, resolution running: alarm in 2-54 h
  annulled   0.2 %, older than 10 days, no alarm
  closed     the rest, 10-300 days old, closed (90 %) or resolved, owner and decision set,
             no alarm

Each complaint also gets a placeholder intake entry on the registry chain (positions 1..N,
made-up digests and signatures: the chain does not verify, but the table and its indexes have
their real size), and the chain head points at the last one; the dashboard's copy
(complaint_facts) is built. VACUUM ANALYZE and CHECKPOINT follow, as autovacuum and the
checkpointer would after a bulk load, so neither runs during the measurement.

Measured in one run (`compare`), --rounds times, alternating: (a) one `enforce(now,
current_policy())` pass on the big database, wall clock, with a per-statement breakdown
(SQLAlchemy cursor events; COPY is not a cursor execute and counts as "the rest") and per-batch
times; (b) the same on the small one; (c) a bare SQL script doing the writes of (a) (captured
from (a)'s first round): one transaction run by psql, UPDATE ... FROM (VALUES ...) for the
complaints (and clocks), COPY ... FROM STDIN (rows inline, as pg_dump writes them) of the
notifications, the registry entries with their digests and signatures precomputed, the
breaches and the escalations, the chain head moved; the same triggers fire as for the pass. Before each, the database is put back as seeded (from a snapshot of the
due rows), vacuumed and checkpointed. After (a)'s first round: the checks (exactly one breach,
one escalation, two notifications and one signed, chained event entry per overdue complaint,
one warning per due-soon complaint, a sample of digests and signatures recomputed) and (d)
--nothing-due-passes passes right after, each of which must do nothing. --profile: one more
pass on the big database under cProfile; --explain: EXPLAIN (ANALYZE, BUFFERS) of the due-rows
query before the pass and with nothing due (rolled back).

benchmarks/clocks.py measures the same with the regulatory clocks due instead (its Bench
subclasses this one's). The machine, the PostgreSQL version and the load average before and
after end the output. The databases are dropped at the end, also on failure, unless --keep.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import os
import pstats
import re
import shutil
import statistics
import subprocess
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

TARGET_RATIO_TENTH = 1.3
TARGET_RATIO_BARE = 2.0
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
    def of(cls, total: int, overdue: int, due_soon: int) -> Groups:
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
    cpu_s: float = 0.0  # CPU time of this process (the pass's Python and the driver), not the server's
    gc_s: float = 0.0  # wall-clock time in Python's garbage collector during the pass
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
    collecting = [0.0]

    def collector(phase: str, _info: dict) -> None:
        if phase == "start":
            collecting[0] = time.perf_counter()
        else:
            timings.gc_s += time.perf_counter() - collecting[0]

    gc.callbacks.append(collector)
    at = now_utc()
    cpu = time.process_time()
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    try:
        report = enforce(at, current_policy(), batch_size=batch_size)
    finally:
        if profiler:
            profiler.disable()
        seconds = time.perf_counter() - started
        timings.cpu_s = time.process_time() - cpu
        gc.callbacks.remove(collector)
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
          f"the rest (Python: planning, JSON, SHA-256, Ed25519, parameter handling; and COPY) "
          f"{run.seconds - sql_total - t.commit_s:.3f} s")
    print(f"  CPU time of the pass's process (Python and the driver, not the server) {t.cpu_s:.3f} s; "
          f"garbage-collector pauses (wall clock) {t.gc_s:.3f} s")
    for name, seconds in sorted(t.sql_s.items(), key=lambda item: -item[1]):
        print(f"    {seconds:7.3f} s  {t.sql_calls[name]:5d} calls  {name}")
    if t.commits:
        ends = [run.started, *t.commits]
        batch_s = [b - a for a, b in zip(ends, ends[1:], strict=False)]
        rows = ", ".join(f"{n:,}" for n in t.due_rows)
        print(f"  per batch (s): {', '.join(f'{s:.3f}' for s in batch_s)}")
        print(f"  due rows per batch: {rows}")


# --- one database ------------------------------------------------------------------------------

#: The columns a pass writes (app/workflow/enforcement._WRITTEN and _UPDATE_CLOCK).
COMPLAINT_COLUMNS = ("tier", "resolution_started_at", "resolution_due", "resolution_warned_at",
                     "first_response_warned_at", "first_response_breached_at", "next_check_at")
CLOCK_COLUMNS = ("warned_at", "breached_at", "next_check_at")


class Bench:
    """One seeded database with its app: seeding, a snapshot of the due rows (to put them back),
    passes, checks, and the bare SQL script that makes a pass's writes. benchmarks/clocks.py
    subclasses it for complaints whose regulatory clock is due."""

    def __init__(self, name: str, url: str, groups: Groups, **config: Any) -> None:
        self.name, self.groups, self.url = name, groups, url
        self.database = make_url(url).database
        self.instance = Path(tempfile.mkdtemp(prefix=f"{self.database}-"))
        self.app = create_app(config_class(
            SQLALCHEMY_DATABASE_URI=url,
            INSTANCE_PATH=str(self.instance), REGISTRY_KEY_PATH=str(self.instance / "registry_ed25519.pem"),
            ATTACHMENTS_DIR=str(self.instance / "attachments"), MAIL_OUTBOX_DIR=str(self.instance / "outbox"),
            **config,
        ))
        self.recorder: Recorder | None = None
        self.base_position = 0
        self.seed_at: datetime | None = None
        self.batch_size = self.app.config["ENFORCEMENT_BATCH_SIZE"]

    # --- seeding: what a subclass changes -------------------------------------------------------

    def describe(self) -> str:
        g = self.groups
        return (f"{g.overdue:,} overdue, {g.due_soon:,} due soon, {g.fresh:,} fresh, {g.working:,} working, "
                f"{g.annulled:,} annulled, {g.closed:,} closed/resolved")

    def seed_options(self, seed_at: datetime, zone: str) -> dict[str, Any]:
        """Keyword arguments of `seed` beyond the groups (the clock benchmark's clocks)."""
        return {}

    def after_seed(self) -> list[str]:
        """Checks of the seeded rows (answers the problems found)."""
        return []

    @property
    def due(self) -> int:
        """Complaints due right after seeding."""
        g = self.groups
        return g.overdue + g.due_soon + g.clock_late + g.clock_soon

    def setup(self) -> list[str]:
        with self.app.app_context():
            began = time.perf_counter()
            flask_migrate.upgrade()
            print(f"[{self.name}] schema: {time.perf_counter() - began:.1f} s", flush=True)
            self.seed_at = seed_at = now_utc()
            print(f"[{self.name}] seeding {self.groups.total:,} complaints: {self.describe()} ...", flush=True)
            zone = self.app.config["REGISTRY_TIMEZONE"]
            seconds = seed(self.groups, current_policy(), seed_at, zone, get_signer().key_id,
                           **self.seed_options(seed_at, zone))
            size, due, self.base_position = db.session.execute(text("""
                SELECT pg_size_pretty(pg_database_size(current_database())),
                       (SELECT count(*) FROM complaints WHERE next_check_at <= now()),
                       (SELECT position FROM registry_chain_head)""")).one()
            db.session.remove()
            print(f"[{self.name}] seeded in {seconds:.1f} s (with VACUUM ANALYZE and CHECKPOINT); database {size}; "
                  f"{due:,} complaints due now; chain head at {self.base_position:,}", flush=True)
            problems = self.after_seed()
            if due != self.due:
                problems.append(f"[{self.name}] {due} complaints due after seeding, not {self.due}")
            self.snapshot()
            self.recorder = Recorder()
            return problems

    # --- putting it back ------------------------------------------------------------------------

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

    # --- passes and checks ----------------------------------------------------------------------

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

    def expectations(self, run: Pass) -> tuple[dict[str, tuple[int, int]], dict[str, tuple[str, int]]]:
        """What the pass must have done: (name: (got, wanted)) from its report, and (name: (SQL,
        wanted)) read from the database. Here the overdue first responses (breach, escalation
        1 -> 2, signed event, two notifications each) and the due-soon warnings."""
        g, r = self.groups, run.report
        report = {
            "breaches (report)": (r.breaches, g.overdue),
            "escalations (report)": (r.escalations, g.overdue),
            "due-soon warnings (report)": (r.warnings, g.due_soon),
            "notifications queued": (run.notifications, 2 * g.overdue + g.due_soon),
            "registry entries appended": (run.entries, g.overdue),
        }
        queries = {
            "breach rows": ("SELECT count(*) FROM breaches WHERE kind = 'first_response' AND tier = 1", g.overdue),
            "escalation rows 1 -> 2 (first_response_breach)": (
                "SELECT count(*) FROM escalations WHERE from_tier = 1 AND to_tier = 2 "
                "AND reason = 'first_response_breach'", g.overdue),
            "complaints breached (one breach each)": ("SELECT count(DISTINCT complaint_id) FROM breaches", g.overdue),
            "complaints now at tier 2, breach time set": (
                "SELECT count(*) FROM complaints WHERE tier = 2 AND first_response_breached_at IS NOT NULL",
                g.overdue),
            "event entries (deadline_breached), one per complaint": (
                "SELECT count(DISTINCT complaint_id) FROM registry_entries WHERE position > :base AND kind = 'event' "
                "AND payload::json->>'type' = 'deadline_breached'", g.overdue),
            "breach notifications": ("SELECT count(*) FROM notifications WHERE kind = 'breach'", g.overdue),
            "of them to the owner (the taken half)": (
                "SELECT count(*) FROM notifications WHERE kind = 'breach' AND audience = 'user'", (g.overdue + 1) // 2),
            "escalated notifications (to tier 2)": (
                "SELECT count(*) FROM notifications WHERE kind = 'escalated' AND tier = 2", g.overdue),
            "due-soon notifications": ("SELECT count(*) FROM notifications WHERE kind = 'due_soon'", g.due_soon),
        }
        return report, queries

    def verify(self, run: Pass) -> list[str]:
        """Everything the pass had to do, exactly once; answers the problems found."""
        expect, queries = self.expectations(run)
        queries = {
            **queries,
            "escalations pointing at their complaint's entry": (
                "SELECT count(*) FROM escalations e JOIN registry_entries r ON r.position = e.entry_position "
                "AND r.complaint_id = e.complaint_id", run.report.escalations),
            "breaches pointing at their complaint's entry": (
                "SELECT count(*) FROM breaches b JOIN registry_entries r ON r.position = b.entry_position "
                "AND r.complaint_id = b.complaint_id", run.report.breaches),
            "entries not linked to their predecessor": (
                "SELECT count(*) FROM registry_entries r JOIN registry_entries p ON p.position = r.position - 1 "
                "WHERE r.position > :base AND r.prev_digest <> p.digest", 0),
            "complaints still due": ("SELECT count(*) FROM complaints WHERE next_check_at <= now()", 0),
        }
        problems = []
        with self.app.app_context():
            for name, (sql, wanted) in queries.items():
                got = db.session.scalar(text(sql), {"base": self.base_position, "seed_at": self.seed_at})
                expect[name] = (got, wanted)
            signer = get_signer()
            sample = db.session.scalars(
                select(RegistryEntry).where(RegistryEntry.position > self.base_position).order_by(RegistryEntry.position)
            ).all()[:: max(1, run.entries // 200)]
            bad = [e.position for e in sample if digest_of(e) != e.digest
                   or not signer.verify(bytes.fromhex(e.digest), bytes.fromhex(e.signature))]
            db.session.remove()
        for name, (got, wanted) in expect.items():
            status = "ok" if got == wanted else "WRONG"
            print(f"  {status:5} {name}: {got:,} (expected {wanted:,})")
            if got != wanted:
                problems.append(f"[{self.name}] {name}: {got} != {wanted}")
        print(f"  {'ok' if not bad else 'WRONG':5} digests and signatures recomputed for {len(sample)} sampled entries"
              + (f": bad at {bad[:5]}" if bad else ""))
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

    def explain_due_rows(self) -> None:
        """EXPLAIN (ANALYZE, BUFFERS) of the first batch's due-rows query, rolled back."""
        with self.app.app_context():
            statement = (
                select(*_READ).where(COMPLAINTS.c.next_check_at <= now_utc())
                .order_by(COMPLAINTS.c.next_check_at, COMPLAINTS.c.id).limit(self.batch_size)
                .with_for_update(skip_locked=True, of=COMPLAINTS)
            )
            compiled = statement.compile(dialect=db.engine.dialect)
            with db.engine.connect() as connection:
                plan = connection.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + compiled.string,
                                                  compiled.params).all()
                connection.rollback()
        for (line,) in plan:
            print(f"    {line}")

    # --- the bare SQL script ---------------------------------------------------------------

    def bare_script(self, path: Path) -> int:
        """Write the SQL script that makes the same writes as the pass just did (read back from
        the database), as literal values; answers its size in bytes. The updates are one UPDATE
        ... FROM (VALUES ...) per table; the inserts are COPY ... FROM STDIN with their rows
        inline (as pg_dump writes them), the fastest way in for thousands of rows."""
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
                if values:
                    parts.append(f"UPDATE {table} AS t SET " + ", ".join(f"{c} = v.{c}" for c in columns)
                                 + f" FROM (VALUES\n{values}) AS v(id, {', '.join(columns)}) WHERE t.id = v.id;")
            cursor = connection.connection.driver_connection.cursor()
            for table, where in (("notifications", "true"), ("registry_entries", f"position > {self.base_position}"),
                                 ("breaches", "true"), ("escalations", "true")):
                with cursor.copy(f"COPY (SELECT * FROM {table} WHERE {where} ORDER BY 1) TO STDOUT") as copy:
                    data = b"".join(bytes(block) for block in copy)
                if data:
                    parts.append(f"COPY {table} FROM STDIN;\n{data.decode()}\\.")
            head = connection.execute(text("SELECT position, digest FROM registry_chain_head WHERE id = 1")).one()
            parts.append(f"UPDATE registry_chain_head SET position = {head.position}, digest = '{head.digest}' "
                         "WHERE id = 1;")
            for table in ("breaches", "escalations", "notifications"):
                parts.append(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                             f"(SELECT coalesce(max(id), 1) FROM {table}));")
            parts.append("COMMIT;")
            connection.rollback()
            db.session.remove()
        path.write_text("\n".join(parts))
        return path.stat().st_size

    def run_script(self, path: Path) -> float:
        """Run the bare script with psql; answers the wall-clock seconds."""
        u = make_url(self.url)
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


# --- the comparison ----------------------------------------------------------------------------


def databases(prefix: str, postgres_url: str, sizes: dict[str, Groups],
              make: Callable[[str, str, Groups], Bench]) -> tuple[Any, list[Bench]]:
    """Create one database per entry of `sizes` (name: groups) and its Bench; answers the admin
    engine (to drop them) and the benches, in order."""
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    benches = []
    for name, groups in sizes.items():
        database = f"{prefix}{os.getpid()}_{name}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{database}"'))
        url = make_url(postgres_url).set(database=database).render_as_string(hide_password=False)
        benches.append(make(name, url, groups))
    return admin, benches


def compare(big: Bench, small: Bench, *, rounds: int, idle_passes: int, profile: bool, explain: bool = False,
            due_work: str) -> list[str]:
    """The measurement the issue states, in one run, `rounds` times, alternating: (a) one pass on
    the big database; (b) the same due work on the small one; (c) a bare SQL script doing (a)'s
    writes (captured from (a)'s first round), by psql in one transaction; each on a database put
    back as seeded, vacuumed and checkpointed. After (a)'s first round its checks and (d)
    `idle_passes` passes with nothing due. Prints the results; answers the problems found."""
    load_before = os.getloadavg()
    print(f"== enforcement: {big.database} and {small.database}; "
          f"load average before {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}", flush=True)
    problems: list[str] = []
    for bench in (big, small):
        problems += bench.setup()
    with big.app.app_context():
        version = db.session.scalar(text("SHOW server_version"))
        db.session.remove()
    if explain:
        print(f"\n[{big.name}] due-rows query of the first batch (batch size {big.batch_size}), before the pass:")
        big.explain_due_rows()
    script = big.instance / "bare.sql"
    a: list[Pass] = []
    b: list[Pass] = []
    c: list[float] = []
    idle_ms: list[float] = []
    wanted: dict[str, int] = {}
    for round_ in range(1, rounds + 1):
        print(f"\n--- round {round_} of {rounds}", flush=True)
        (big.settle if round_ == 1 else big.undo)()
        run_a = big.one_pass()
        show_pass(run_a, f"(a) pass over {big.groups.total:,} complaints [{big.name}]")
        a.append(run_a)
        if round_ == 1:
            print("checks:")
            problems += big.verify(run_a)
            idle_ms, idle_problems = big.nothing_due(idle_passes)
            problems += idle_problems
            print(f"(d) {len(idle_ms)} passes with nothing due, right after (ms): "
                  f"{', '.join(f'{ms:.1f}' for ms in idle_ms)}"
                  + ("" if not idle_problems else f"; SOME DID SOMETHING: {idle_problems[:2]}"))
            if explain:
                print("  due-rows query with nothing due:")
                big.explain_due_rows()
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
        b.append(run_b)
        if round_ == 1:
            print("checks:")
            problems += small.verify(run_b)
        big.undo()
        load = os.getloadavg()[0]
        seconds = big.run_script(script)
        print(f"\n(c) bare SQL script (psql, one transaction): {seconds:.3f} s (load average before: {load:.2f})")
        c.append(seconds)
        got = big.written()
        if got != wanted:
            problems.append(f"round {round_}: the bare script wrote {got}, not {wanted}")
            print(f"  WRONG: the script wrote {got}, the pass {wanted}")
        else:
            print(f"  ok    the script wrote what the pass did: {got}")

    if profile:
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
    a_s, b_s = [p.seconds for p in a], [p.seconds for p in b]
    ratios_tenth = [x / y for x, y in zip(a_s, b_s, strict=True)]
    ratios_bare = [x / y for x, y in zip(a_s, c, strict=True)]
    tenth_ok = statistics.median(ratios_tenth) <= TARGET_RATIO_TENTH
    bare_ok = statistics.median(ratios_bare) <= TARGET_RATIO_BARE
    idle_median, idle_max = statistics.median(idle_ms), max(idle_ms)
    idle_ok = idle_max < TARGET_IDLE_MS
    print("\n== results")
    print(f"due work D: {due_work}")
    print(f"(a) pass, {big.groups.total:,} complaints: " + ", ".join(f"{x:.3f} s" for x in a_s)
          + "  (load " + ", ".join(f"{p.load:.2f}" for p in a) + ")")
    print(f"(b) pass, {small.groups.total:,} complaints: " + ", ".join(f"{x:.3f} s" for x in b_s)
          + "  (load " + ", ".join(f"{p.load:.2f}" for p in b) + ")")
    print("(c) bare SQL script: " + ", ".join(f"{x:.3f} s" for x in c))
    print(f"(d) nothing due: median {idle_median:.1f} ms, max {idle_max:.1f} ms "
          f"(target < {TARGET_IDLE_MS:.0f} ms: {'met' if idle_ok else 'NOT met'})")
    print(f"(a)/(b): {', '.join(f'{r:.2f}' for r in ratios_tenth)} (target <= {TARGET_RATIO_TENTH}: "
          f"{'met' if tenth_ok else 'NOT met'} on the median)")
    print(f"(a)/(c): {', '.join(f'{r:.2f}' for r in ratios_bare)} (target <= {TARGET_RATIO_BARE}: "
          f"{'met' if bare_ok else 'NOT met'} on the median)")
    print(f"load average before {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}, "
          f"after {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}")
    print(f"checks: {'all passed' if not problems else '; '.join(problems)}")
    print(f"Machine: {machine()}; PostgreSQL {version}")
    return problems


# --- main --------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--complaints", type=int, default=1_000_000, help="complaints in the big database")
    parser.add_argument("--overdue", type=int, default=10_000,
                        help="complaints whose first response is overdue (the same in both databases)")
    parser.add_argument("--due-soon", type=int, default=300, help="complaints the pass must warn (due soon)")
    parser.add_argument("--rounds", type=int, default=2, help="times (a), (b) and (c) are measured, alternating")
    parser.add_argument("--batch-size", type=int, default=None,
                        help="complaints per enforcement transaction (default: ENFORCEMENT_BATCH_SIZE)")
    parser.add_argument("--nothing-due-passes", type=int, default=20, help="passes timed after the first")
    parser.add_argument("--profile", action="store_true", help="one more pass on the big database under cProfile")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the due-rows query")
    parser.add_argument("--postgres-url", default=os.environ.get(
        "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--keep", action="store_true", help="do not drop the databases at the end")
    args = parser.parse_args()

    sizes = {name: Groups.of(total, args.overdue, args.due_soon)
             for name, total in (("big", args.complaints), ("small", args.complaints // 10))}

    def make(name: str, url: str, groups: Groups) -> Bench:
        bench = Bench(name, url, groups)
        bench.batch_size = args.batch_size or bench.batch_size
        return bench

    admin, benches = None, []
    failed = True
    try:
        admin, benches = databases(PREFIX, args.postgres_url, sizes, make)
        big, small = benches
        problems = compare(big, small, rounds=args.rounds, idle_passes=args.nothing_due_passes,
                           profile=args.profile, explain=args.explain,
                           due_work=f"{args.overdue:,} overdue first responses (breach, signed event, escalation "
                                    f"1 -> 2, 2 notifications each) + {args.due_soon:,} due soon (warning); "
                                    f"batch size {big.batch_size}")
        failed = bool(problems)
    finally:
        for bench in benches:
            bench.drop(admin, args.keep)
        if admin is not None:
            admin.dispose()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

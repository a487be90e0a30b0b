"""Every staff and public page and export at two registry sizes, on SQLite and PostgreSQL.

Run from the project root:

    .venv/bin/python benchmarks/pages.py [--db sqlite|postgresql|both]
        [--sqlite-sizes 10000,100000] [--postgresql-sizes 100000,1000000]
        [--requests 20] [--warm-up 2] [--only SUBSTRING]
        [--database NAME] [--sqlite-file PATH] [--keep] [--same-intake]
        [--postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

Targets (issue 18), as ratios measured in one run:
  growth  every page's p95 at the large size is at most 1.5 x its p95 at the small size
          (10 x the complaints: 10,000 -> 100,000 on SQLite, 100,000 -> 1,000,000 on PostgreSQL);
  weight  at the large size every page's p95 is at most 6 x the case page's p95.

Seeding. Each size is seeded once in PostgreSQL by benchmarks/dashboard.py's set-based seeding
(the same year of workflow the dashboard benchmark measures: states mostly closed, some resolved,
open at every age and annulled; a response, a decision and some disputes per complaint;
escalations, breaches, transfers, officers per tier and a manager; the placeholder registry
entries; complaint_facts and the figure rollups computed from scratch). With --same-intake the
large size of each pair is seeded over large / small x 365 days instead (ten years for 10 x),
so both sizes have the same complaints a day, the same open work and the same complaints in any
period of the last year: the large registry is larger because it is older (see
benchmarks/dashboard.py for what the longer history keeps alike). Then

  PostgreSQL  served as it is (`flask figures rebuild` is run again after a fresh seeding, so
              rollups a newer checkout adds are computed by the checkout's own code; then
              `flask figures roll`, as every enforcement pass of a registry in use does);
  SQLite      copied row by row into a fresh file built by `flask db upgrade`, in foreign-key
              order, with the SQLite triggers ON, so complaint_facts and every table the
              triggers keep are written by the checkout's own triggers exactly as in use;
              then `flask figures rebuild` and `flask figures roll`. Tables the triggers
              write, and tables the migrations fill already (settings, weeks), are not copied.

A few complaints also get a request for information (an outgoing letter) on PostgreSQL before
the copy, so the case page and the journal show that kind too; and issue 19's tools get their
share, set-based like the rest (each signed row with its placeholder registry entry): a
complainant's rating on a quarter of the closed complaints (and the invitation on every closed
one with an e-mail address), one complaint in 200 joined to the one before it and the one before
that linked to a related one, the demo's four answer templates (app/journal/demo_texts.py, by the
real operation) with a third of the first answers of their categories started from them, and a
webhook endpoint (the real operation) with a delivery of every registration of the last 90 days,
a few of them failed. No regulator clocks are seeded:
the default clock policy (`current`) runs none (complaint_clocks stays empty, as in use).

Databases are `NAME_<size>` (NAME defaults to bench_pages_<pid>; `NAME_<size>_<days>d` for a
history other than 365 days) and SQLite files `PATH_<size>.sqlite3` (`PATH_<size>_<days>d.sqlite3`); with --keep they are kept and reused by the next run with the same
names (not seeded again; migrated to this checkout's head first and rolled by its rolling pass), else dropped at the end, also on failure.

Measuring. For each database and size: gunicorn (2 sync workers, `wsgi:app`, development
settings, rate limits raised far above the run) on a loopback port; sign in over HTTP as an
officer of tier 1 (queue, staff API by bearer token), a manager (journal, case page, dashboard,
analysis, escalation desk and review, answer templates, mail tray, returns, exports) and an
administrator (admin pages, staff accounts, webhooks, audit trail); anonymous for the public pages. Each page is requested once to check it answers
200 (pages that do not are listed and left out), then --warm-up uncounted rounds and --requests
counted rounds, one request of each page per round in turn, so machine noise hits every page
alike. A request's time is the whole HTTP exchange, body read.

Prints, per database, page | p50/p95 small | p50/p95 large | growth | weight, flagging those
over target, with the load average at the start and end of each run and the machine.
"""

from __future__ import annotations

import argparse
import html
import os
import re
import shutil
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import flask_migrate  # noqa: E402
from sqlalchemy import create_engine, func, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from app import create_app  # noqa: E402
from app.auth.models import User  # noqa: E402
from app.auth.operations import create_user  # noqa: E402
from app.auth.permissions import Role  # noqa: E402
from app.auth.tokens import create_token  # noqa: E402
from app.clock import now_utc  # noqa: E402
from app.complaints.models import Complaint  # noqa: E402
from app.extensions import db  # noqa: E402
from benchmarks import dashboard  # noqa: E402
from benchmarks.harness import flask_command, free_port, machine, serve  # noqa: E402
from tests._support import config_class  # noqa: E402

GROWTH_TARGET, WEIGHT_TARGET = 1.5, 6.0
PREFIX = "bench_pages_"
OFFICER, OFFICER_PASSWORD = "bench-officer-1-1", "bench-officer-password"
MANAGER, MANAGER_PASSWORD = dashboard.MANAGER, dashboard.PASSWORD
ADMIN, ADMIN_PASSWORD = "bench-admin", "bench-admin-password"
CASE_PAGE = "case page"
REQUEST_TIMEOUT_S = 600
COPY_BATCH = 5000

def _signed_rows(picked: str, event: str, insert_rows: str, *, numbered: bool = False) -> str:
    """One statement: the rows `picked` selects (each with `complaint_id` and `at`, and `year`
    if `numbered`), each given a placeholder registry entry of type `event` at the end of the
    chain (`position`) and, if `numbered`, the next outgoing number of its year (`seq`), then
    `insert_rows` (an INSERT ... SELECT ... FROM positioned)."""
    seq = (",\n           n.last_value + row_number() OVER (PARTITION BY year ORDER BY at, complaint_id) AS seq"
           if numbered else "")
    counters = " JOIN number_counters n ON n.scope = 'outgoing:' || picked.year" if numbered else ""
    return f"""
WITH picked AS ({picked}),
positioned AS (
    SELECT picked.*, (SELECT max(position) FROM registry_entries) + row_number() OVER (ORDER BY at, complaint_id)
           AS position{seq}
    FROM picked{counters}
), entries AS (
    INSERT INTO registry_entries (position, kind, complaint_id, recorded_at, payload, prev_digest, digest,
                                  signature, key_id)
    SELECT position, 'event', complaint_id, at,
           json_build_object('type', '{event}', 'placeholder', 'pages benchmark')::text,
           md5('d' || (position - 1)) || md5('e' || (position - 1)), md5('d' || position) || md5('e' || position),
           md5('s' || position) || md5('t' || position) || md5('u' || position) || md5('v' || position), :key_id
    FROM positioned
    RETURNING position
)
{insert_rows}
"""


# Requests for information on 3 % of the complaints answered (an outgoing letter, numbered,
# between registration and the response), with their placeholder registry entries.
_SEED_INFORMATION_REQUESTS = _signed_rows("""
    SELECT complaint_id, owner_id, at, CAST(extract(year FROM at AT TIME ZONE :tz) AS integer) AS year
    FROM (SELECT c.id AS complaint_id, c.owner_id, c.registered_at + (c.first_responded_at - c.registered_at) / 2 AS at
          FROM complaints c
          WHERE c.first_responded_at IS NOT NULL AND c.owner_id IS NOT NULL AND c.id % 33 = 7) AS answered""",
    "information_request", """
INSERT INTO case_messages (complaint_id, kind, body, created_at, author_id, consulted_id, outgoing_year,
                           outgoing_seq, outgoing_number, entry_position)
SELECT complaint_id, 'information_request', 'Vă rugăm să ne trimiteți extrasul de cont.', at, owner_id, NULL,
       year, seq, 'O-' || year || '/' || seq, position
FROM positioned""", numbered=True)


# Issue 19's rows (see the module's docstring); :now is the seeding's moment, :by the manager.
_SEED_RATINGS = _signed_rows("""
    SELECT c.id AS complaint_id, c.closed_at + LEAST(interval '2 days', (:now - c.closed_at) / 2) AS at, 1 + (c.id * 7) % 5 AS score,
           c.category, c.tier, c.owner_id
    FROM complaints c WHERE c.status = 'closed' AND c.closed_at IS NOT NULL AND c.id % 4 = 1""", "rated", """
INSERT INTO complaint_ratings (complaint_id, score, reason, rated_at, category, tier, owner_id, entry_position)
SELECT complaint_id, score,
       (ARRAY['Nimeni nu m-a ascultat.', 'Lent și neclar.', 'Corect, dar cu întârziere.', 'Rezolvat corect.',
              'Rapid și clar, banii au ajuns a doua zi.'])[score],
       at, category, tier, owner_id, position
FROM positioned""")
_SEED_RATING_REQUESTS = """
INSERT INTO rating_requests (complaint_id, requested_at)
SELECT id, closed_at FROM complaints WHERE status = 'closed' AND closed_at IS NOT NULL AND email IS NOT NULL
"""
_SEED_JOINS = _signed_rows("""
    SELECT c.id AS complaint_id, c.registered_at + interval '1 hour' AS at, c.id - 1 AS main_id,
           coalesce(c.owner_id, :by) AS by_id
    FROM complaints c JOIN complaints m ON m.id = c.id - 1
    WHERE c.id % 200 = 3 AND c.status <> 'annulled' AND m.status <> 'annulled'""", "joined", """
INSERT INTO complaint_joins (complaint_id, main_id, joined_at, by_id, entry_position)
SELECT complaint_id, main_id, at, by_id, position FROM positioned""")
_SEED_LINKS = _signed_rows("""
    SELECT c.id AS complaint_id, c.registered_at + interval '2 hours' AS at, c.id - 10 AS related_id
    FROM complaints c JOIN complaints r ON r.id = c.id - 10
    WHERE c.id % 200 = 2 AND c.status <> 'annulled' AND r.status <> 'annulled'""", "linked", """
INSERT INTO complaint_links (complaint_id, related_id, linked, note, created_at, by_id, entry_position)
SELECT complaint_id, related_id, true, 'Același incident la furnizorul de plăți în aceeași săptămână.', at, :by,
       position
FROM positioned""")
_SEED_TEMPLATE_USES = """
INSERT INTO answer_template_uses (version_id, message_id, used_at, used_by_id)
SELECT v.id, m.id, m.created_at, m.author_id
FROM case_messages m
JOIN complaints c ON c.id = m.complaint_id
JOIN answer_templates t ON t.category = c.category
JOIN answer_template_versions v ON v.template_id = t.id AND v.number = 1
WHERE m.kind = 'response' AND m.author_id IS NOT NULL AND m.id % 3 = 0
"""
_SEED_WEBHOOK_DELIVERIES = """
INSERT INTO webhook_deliveries (endpoint_id, position, event, body, created_at, status, attempts, next_attempt_at,
                                delivered_at, response_status, last_error)
SELECT :endpoint, e.position, 'registered',
       json_build_object('event', 'registered', 'number', c.number, 'position', e.position)::text,
       e.recorded_at, CASE WHEN e.position % 97 = 0 THEN 'failed' ELSE 'sent' END,
       CASE WHEN e.position % 97 = 0 THEN 8 ELSE 1 END, e.recorded_at,
       CASE WHEN e.position % 97 = 0 THEN NULL ELSE e.recorded_at + interval '2 seconds' END,
       CASE WHEN e.position % 97 = 0 THEN 503 ELSE 200 END,
       CASE WHEN e.position % 97 = 0 THEN 'HTTP 503 Service Unavailable' END
FROM registry_entries e JOIN complaints c ON c.id = e.complaint_id
WHERE e.kind = 'intake' AND e.recorded_at >= CAST(:now AS timestamptz) - interval '90 days'
"""


# --- databases ---------------------------------------------------------------------------------


def app_for(url: str, instance: Path) -> Any:
    instance.mkdir(parents=True, exist_ok=True)
    return create_app(config_class(
        SQLALCHEMY_DATABASE_URI=url,
        INSTANCE_PATH=str(instance),
        REGISTRY_KEY_PATH=str(instance / "registry_ed25519.pem"),
        ATTACHMENTS_DIR=str(instance / "attachments"),
        MAIL_OUTBOX_DIR=str(instance / "outbox"),
        DOCUMENTS_DIR=str(instance / "documents"),
    ))


def app_environment(url: str, instance: Path) -> dict[str, str]:
    """What gunicorn and `flask` run with: development settings on `url`, the seeding's key."""
    return {
        **os.environ,
        "APP_ENV": "development",
        "DATABASE_URL": url,
        "INSTANCE_PATH": str(instance),
        "REGISTRY_KEY_PATH": str(instance / "registry_ed25519.pem"),
        "ATTACHMENTS_DIR": str(instance / "attachments"),
        "MAIL_OUTBOX_DIR": str(instance / "outbox"),
        "DOCUMENTS_DIR": str(instance / "documents"),
        # One client address makes every request: lift the limits far above the run (still counted).
        "TRACKING_RATE_LIMIT": "100000000 per minute",
        "VERIFY_RATE_LIMIT": "100000000 per minute",
        "LOGIN_RATE_LIMIT": "100000000 per minute",
        "COMPLAINT_RATE_LIMIT": "100000000 per hour",
    }


@dataclass
class Postgres:
    """The seeded PostgreSQL databases of this run, by size; dropped at the end unless kept."""

    admin_url: str
    base: str
    keep: bool
    created: dict[tuple[int, int], str] = field(default_factory=dict)
    fresh: set[tuple[int, int]] = field(default_factory=set)  # the (size, days) seeded by this run

    def __post_init__(self) -> None:
        self.admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")

    def name(self, size: int, days: int = 365) -> str:
        return f"{self.base}_{size}" + ("" if days == 365 else f"_{days}d")

    def url(self, size: int, days: int = 365) -> str:
        return make_url(self.admin_url).set(database=self.name(size, days)).render_as_string(hide_password=False)

    def instance(self, size: int, days: int = 365) -> Path:
        return Path(tempfile.gettempdir()) / f"{self.name(size, days)}-instance"

    def seeded(self, size: int, days: int = 365) -> str:
        """The URL of a database holding `size` complaints seeded over `days` days (seeded now
        if need be)."""
        name = self.name(size, days)
        with self.admin.connect() as connection:
            exists = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
        self.created[(size, days)] = name
        app = app_for(self.url(size, days), self.instance(size, days))
        with app.app_context():
            try:
                flask_migrate.upgrade()
                have = db.session.scalar(select(func.count()).select_from(Complaint))
                if have:
                    print(f"  [{name}] reusing its {have:,} complaints", flush=True)
                else:
                    print(f"  [{name}] seeding {size:,} complaints over {days:,} days "
                          f"(benchmarks/dashboard.py's seeding) ...", flush=True)
                    seconds = dashboard.seed(size, now_utc(), app.config["REGISTRY_TIMEZONE"], days)
                    seconds += seed_extras(app)
                    self.fresh.add((size, days))
                    print(f"  [{name}] seeded in {seconds:.1f} s", flush=True)
                print("  seeded: " + ", ".join(dashboard.shape()), flush=True)
            finally:
                db.session.remove()
                db.engine.dispose()
        return self.url(size, days)

    def drop(self, size: int, days: int = 365) -> None:
        name = self.created.pop((size, days), None)
        if name is None:
            return
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        shutil.rmtree(self.instance(size, days), ignore_errors=True)

    def close(self) -> None:
        if self.keep:
            for (size, days), name in self.created.items():
                print(f"kept database {name} ({size:,} complaints over {days:,} days; reuse with "
                      f"--database {self.base} --keep)")
        else:
            for size, days in list(self.created):
                self.drop(size, days)
        self.admin.dispose()


def seed_extras(app: Any) -> float:
    """What dashboard.seed leaves out: requests for information, the administrator, and issue
    19's ratings, joins, links, answer templates and a webhook endpoint with its deliveries."""
    began = time.perf_counter()
    from app.answers.operations import create_template
    from app.journal.demo_texts import TEMPLATES
    from app.registry.chain import get_signer  # the key the seeding signed its placeholders with
    from app.webhooks.events import WebhookEvent
    from app.webhooks.operations import create_endpoint

    manager = db.session.scalar(select(User).where(User.username == MANAGER))
    admin = create_user(username=ADMIN, full_name="Bench Administrator", password=ADMIN_PASSWORD,
                        role=Role.ADMINISTRATOR)
    for category, texts in TEMPLATES:
        create_template(category=category, texts=texts, by=manager)
    db.session.commit()
    at = {"now": now_utc(), "by": manager.id, "key_id": get_signer().key_id}
    with db.engine.begin() as connection:  # with the triggers on, as the app writes a message
        connection.execute(text(_SEED_INFORMATION_REQUESTS),
                           {"tz": app.config["REGISTRY_TIMEZONE"], "key_id": get_signer().key_id})
        for statement in (_SEED_RATINGS, _SEED_RATING_REQUESTS, _SEED_JOINS, _SEED_LINKS, _SEED_TEMPLATE_USES):
            connection.execute(text(statement), at)
        connection.execute(text("""
            UPDATE number_counters n SET last_value = m.top
            FROM (SELECT outgoing_year, max(outgoing_seq) AS top FROM case_messages
                  WHERE outgoing_year IS NOT NULL GROUP BY outgoing_year) m
            WHERE n.scope = 'outgoing:' || m.outgoing_year"""))
        connection.execute(text("""
            UPDATE registry_chain_head SET position = h.position, digest = h.digest
            FROM (SELECT position, digest FROM registry_entries ORDER BY position DESC LIMIT 1) h"""))
    endpoint = create_endpoint(url="https://crm.example.md/hooks/complaints", description="CRM",
                               events=[event.value for event in WebhookEvent], by=admin)
    db.session.commit()
    db.session.execute(text(_SEED_WEBHOOK_DELIVERIES), {"endpoint": endpoint.id, "now": at["now"]})
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in ("case_messages", "registry_entries", "complaint_ratings", "rating_requests", "complaint_joins",
                      "complaint_links", "answer_template_uses", "webhook_deliveries"):
            connection.execute(text(f"VACUUM ANALYZE {table}"))
    return time.perf_counter() - began


#: Tables the migrations fill that the copy replaces with the source's rows: the audit trail's
#: head, which must follow the audit events copied (the webhook endpoint's creation is audited).
_REPLACED = frozenset({"audit_chain_head"})

_WRITES = re.compile(r"(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|(?<!DO\s)UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM)\s+\"?(\w+)", re.I)


def copy_to_sqlite(source_url: str, path: Path, instance: Path, log: Path) -> float:
    """A fresh SQLite file by `flask db upgrade`, then every table of the source the triggers do
    not write and the migrations left empty (or that `_REPLACED` names), copied in foreign-key
    order with the triggers on."""
    began = time.perf_counter()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    env = app_environment(url, instance)
    if flask_command(env, log, "db", "upgrade").returncode != 0:
        raise RuntimeError(f"flask db upgrade failed:\n{log.read_text()[-3000:]}")
    target = create_engine(url)
    source = create_engine(source_url)
    with target.connect() as connection:
        triggers = connection.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger'").scalars().all()
        # The tables written in each trigger's body (its header names the table it watches).
        bodies = [re.split(r"\bBEGIN\b", sql or "", maxsplit=1, flags=re.I)[-1] for sql in triggers]
        written = {m.lower() for body in bodies for m in _WRITES.findall(body)}
        filled = {name for (name,) in connection.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table'").all()
                  if connection.exec_driver_sql(f'SELECT 1 FROM "{name}" LIMIT 1').first()}
    print(f"  SQLite triggers write {', '.join(sorted(written)) or 'nothing'}; the migrations filled "
          f"{', '.join(sorted(filled))}", flush=True)
    from app import models  # noqa: F401  every model's table in the metadata

    with target.begin() as out, source.connect() as into:
        out.exec_driver_sql("PRAGMA foreign_keys = OFF")
        out.exec_driver_sql("PRAGMA synchronous = OFF")
        for table in db.metadata.sorted_tables:
            if table.name in written or (table.name in filled and table.name not in _REPLACED) \
                    or table.name == "alembic_version":
                continue
            if table.name in _REPLACED:
                out.execute(table.delete())
            step, rows = time.perf_counter(), 0
            result = into.execution_options(yield_per=COPY_BATCH).execute(select(table))
            for batch in result.mappings().partitions(COPY_BATCH):
                out.execute(insert(table), [dict(row) for row in batch])
                rows += len(batch)
            if rows:
                print(f"  copied {table.name}: {rows:,} rows in {time.perf_counter() - step:.1f} s", flush=True)
    with target.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
    target.dispose()
    source.dispose()
    return time.perf_counter() - began


# --- pages -------------------------------------------------------------------------------------


@dataclass
class Page:
    name: str
    role: str  # officer, manager, admin, api, anonymous
    url: str
    kind: str = "page"  # page, export, public


def sample(url: str, zone_name: str) -> dict[str, Any]:
    """The complaints and periods the pages are asked about (alike at every size)."""
    engine = create_engine(url)
    with engine.connect() as connection:
        newest = connection.scalar(text("SELECT max(registered_at) FROM complaints"))
        if isinstance(newest, str):
            from datetime import datetime
            newest = datetime.fromisoformat(newest)
        if newest.tzinfo is None:
            from datetime import UTC
            newest = newest.replace(tzinfo=UTC)
        # A decided case with an escalation, a dispute and a request for information if there is
        # one, registered about 100 days before the newest: the same shape at every size.
        case = connection.execute(text("""
            SELECT c.slug, c.number, c.access_code, c.id FROM complaints c
            WHERE c.status = 'closed' AND c.tier >= 2
              AND EXISTS (SELECT 1 FROM case_messages m WHERE m.complaint_id = c.id AND m.kind = 'dispute')
            ORDER BY c.id LIMIT 1""")).first() or connection.execute(text(
            "SELECT slug, number, access_code, id FROM complaints WHERE status = 'closed' ORDER BY id LIMIT 1")).first()
        first_seq, year = connection.execute(text(
            "SELECT min(seq), year FROM complaints WHERE year = (SELECT max(year) FROM complaints) "
            "GROUP BY year")).first()
        # Issue 19's: the first complaint with a join and a link, the first open one escalated (on
        # the escalation desk), the first answer template and webhook endpoint (None: not seeded).
        joined = connection.scalar(text("""
            SELECT c.slug FROM complaints c
            WHERE EXISTS (SELECT 1 FROM complaint_joins j WHERE j.main_id = c.id)
              AND EXISTS (SELECT 1 FROM complaint_links l WHERE l.complaint_id = c.id OR l.related_id = c.id)
            ORDER BY c.id LIMIT 1"""))
        escalated = connection.scalar(text("""
            SELECT c.slug FROM complaints c
            WHERE c.status IN ('registered', 'in_progress', 'waiting', 'responded', 'reopened')
              AND EXISTS (SELECT 1 FROM escalations e WHERE e.complaint_id = c.id)
            ORDER BY c.id LIMIT 1"""))
        template = connection.scalar(text("SELECT min(id) FROM answer_templates"))
        endpoint = connection.scalar(text("SELECT min(id) FROM webhook_endpoints"))
    engine.dispose()
    local = newest.astimezone(ZoneInfo(zone_name))
    month_year, month = (local.year, local.month - 1) if local.month > 1 else (local.year - 1, 12)
    import calendar
    last = calendar.monthrange(month_year, month)[1]
    return {
        "case": case,
        "joined": joined,
        "escalated": escalated,
        "template": template,
        "endpoint": endpoint,
        "whole_year": f"date_from={(local - timedelta(days=364)).date()}&date_to={local.date()}",
        "month": f"month={month_year}-{month:02d}",
        "one_month": f"date_from={month_year}-{month:02d}-01&date_to={month_year}-{month:02d}-{last}",
        "one_day": f"date_from={(local - timedelta(days=30)).date()}&date_to={(local - timedelta(days=30)).date()}",
        "numbers": f"year={year}&number_from={first_seq}&number_to={first_seq + 199}",
        "numbers_1000": f"year={year}&number_from={first_seq}&number_to={first_seq + 999}",
    }


def pages(s: dict[str, Any], dashboard_tables: tuple[str, ...]) -> list[Page]:
    case = s["case"]
    ref, code = case.slug, case.access_code
    every = "category=bonuses&channel=phone&tier=2"
    listed = [
        Page("queue, default", "officer", "/staff/queue"),
        Page("queue, all open overdue", "officer", "/staff/queue?show=all&due=overdue"),
        Page("queue, all open, 2nd page", "officer", "NEXT:/staff/queue?show=all"),
        Page("staff API queue", "api", "/api/v1/staff/complaints"),
        Page("staff API case", "api", f"/api/v1/staff/complaints/{ref}"),
        Page("staff home", "manager", "/staff/"),
        Page("journal", "manager", "/staff/registry"),
        Page("journal, 2nd page", "manager", "NEXT:/staff/registry"),
        Page("journal, name search", "manager", "/staff/registry?name=Popescu"),
        Page("journal, e-mail search", "manager", "/staff/registry?email=client7%40example.md"),
        Page("journal, one month", "manager", f"/staff/registry?{s['one_month']}"),
        Page(CASE_PAGE, "manager", f"/staff/complaints/{ref}"),
        Page("dashboard, default", "manager", "/manage/"),
        Page("dashboard, whole year", "manager", f"/manage/?{s['whole_year']}"),
        Page("dashboard, one month", "manager", f"/manage/?{s['one_month']}"),
        Page("dashboard, every filter", "manager", f"/manage/?{s['whole_year']}&{every}"),
        Page("analysis, whole year", "manager", f"/manage/analysis/?{s['whole_year']}"),
        Page("analysis, one month", "manager", f"/manage/analysis/?{s['one_month']}"),
        Page("escalation desk", "manager", "/manage/escalations/"),
        Page("mail tray", "manager", "/staff/mail/"),
        Page("letters to post", "manager", "/staff/complaints/to-post"),
        Page("returns page", "manager", "/manage/returns"),
        Page("staff settings", "manager", "/staff/settings"),
        Page("API tokens", "manager", "/staff/tokens"),
        Page("audit trail", "admin", "/staff/audit/"),
        *[Page(f"admin {name or 'index'}", "admin", f"/admin/{name}")
          for name in ("", "accounts", "categories", "categories/payments", "clocks", "mail", "notifications",
                       "numbering", "organisation", "ratings", "tiers")],
        Page("journal CSV, 1,000 numbers", "manager", f"/staff/registry/export.csv?{s['numbers_1000']}", "export"),
        Page("journal CSV, one day", "manager", f"/staff/registry/export.csv?{s['one_day']}", "export"),
        Page("journal PDF, 200 numbers", "manager", f"/staff/registry/export.pdf?{s['numbers']}", "export"),
        *[Page(f"dashboard CSV {t}", "manager", f"/manage/{t}.csv?{s['whole_year']}", "export")
          for t in dashboard_tables],
        Page("dashboard XLSX", "manager", f"/manage/reports/dashboard.xlsx?{s['whole_year']}", "export"),
        Page("monthly PDF", "manager", f"/manage/reports/monthly.pdf?{s['month']}", "export"),
        *[Page(f"return {kind} {fmt}", "manager", f"/manage/returns/{kind}.{fmt}", "export")
          for kind in ("fca", "ukgc") for fmt in ("csv", "xlsx", "pdf")],
        # Issue 19's pages (those whose rows were not seeded are left out).
        Page("staff accounts", "admin", "/admin/staff/"),
        Page("webhooks", "admin", "/admin/webhooks"),
        *([Page("webhook endpoint, deliveries", "admin", f"/admin/webhooks/{s['endpoint']}")] if s["endpoint"] else []),
        Page("answer templates", "manager", "/manage/templates/"),
        *([Page("answer template", "manager", f"/manage/templates/{s['template']}")] if s["template"] else []),
        *([Page("escalation review", "manager", f"/manage/escalations/{s['escalated']}/review")]
          if s["escalated"] else []),
        *([Page("case page, joins and links", "manager", f"/staff/complaints/{s['joined']}"),
           Page("staff API case, joins and links", "api", f"/api/v1/staff/complaints/{s['joined']}")]
          if s["joined"] else []),
        Page("journal, words in the correspondence", "manager", "/staff/registry?correspondence=extrasul"),
        Page("public form", "anonymous", "/", "public"),
        Page("tracking form", "anonymous", "/track", "public"),
        Page("tracking page", "anonymous", f"/track/{ref}?code={code}", "public"),
        Page("confirmation", "anonymous", f"/complaints/{ref}/confirmation?code={code}", "public"),
        Page("receipt check form", "anonymous", "/verify", "public"),
        Page("public API complaint", "anonymous", f"/api/v1/complaints/{ref}?code={code}", "public"),
        Page("public API categories", "anonymous", "/api/v1/categories", "public"),
        Page("/health", "anonymous", "/health", "public"),
    ]
    return listed


def registered_pages(base: str) -> list[Page]:
    """The receipt's PDF and its check need a genuinely signed intake entry (the seeded ones are
    placeholders): one complaint is registered through the API now, and those two pages ask
    about it. (A reused database gains one complaint per run.)"""
    from tests._support import valid_payload

    payload = valid_payload(declaration=True)
    response = requests.post(f"{base}/api/v1/complaints", json=payload, timeout=60)
    if response.status_code != 201:
        print(f"  registering the receipt's complaint answered {response.status_code}: {response.text[:300]}")
        return []
    body = response.json()
    receipt = body.get("receipt_url", "")
    path = "/" + receipt.split("/", 3)[3] if receipt.startswith("http") else receipt
    return [Page("receipt PDF", "anonymous", path, "public"),
            Page("receipt check", "anonymous", f"/verify?number={quote(body['number'])}&fingerprint={body['fingerprint']}",
                 "public")]


def signed_in(base: str, username: str, password: str) -> requests.Session:
    session = requests.Session()
    form = session.get(f"{base}/staff/login", timeout=60)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form.text)
    data = {"username": username, "password": password}
    if token:
        data["csrf_token"] = token.group(1)
    response = session.post(f"{base}/staff/login", data=data, allow_redirects=False, timeout=60)
    if response.status_code != 302:
        raise RuntimeError(f"signing in as {username} answered {response.status_code}")
    return session


def next_link(session: requests.Session, base: str, url: str) -> str | None:
    body = session.get(base + url, timeout=REQUEST_TIMEOUT_S).text
    found = re.search(r'rel="next" href="([^"]+)"', body)
    return html.unescape(found.group(1)) if found else None


def percentiles(times: list[float]) -> tuple[float, float]:
    return dashboard.percentiles(times)


@dataclass
class Target:
    """One seeded database to serve: its size, URL, gunicorn environment and API token."""

    size: int
    url: str
    env: dict[str, str]
    token: str


def serve_and_sign_in(target: Target, log: Path, stack: ExitStack, only: str | None, zone: str) -> dict[str, Any]:
    """gunicorn on `target` (2 sync workers, `wsgi:app`), signed-in sessions, the pages that answer."""
    from app.manage.dashboard import TABLES

    listed = [p for p in pages(sample(target.url, zone), tuple(TABLES))
              if not only or only in p.name or p.name == CASE_PAGE]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2",
               "--worker-class", "sync", "--timeout", str(REQUEST_TIMEOUT_S), "--graceful-timeout", "10",
               "wsgi:app"]
    stack.enter_context(serve(command, target.env, port, log))
    sessions = {"officer": signed_in(base, OFFICER, OFFICER_PASSWORD),
                "manager": signed_in(base, MANAGER, MANAGER_PASSWORD),
                "admin": signed_in(base, ADMIN, ADMIN_PASSWORD),
                "anonymous": requests.Session(), "api": requests.Session()}
    sessions["api"].headers["Authorization"] = f"Bearer {target.token}"
    if not only or "receipt" in only:
        listed += registered_pages(base)
    ready, skipped = {}, []
    for page in listed:
        session = sessions[page.role]
        if page.url.startswith("NEXT:"):
            found = next_link(session, base, page.url.removeprefix("NEXT:"))
            if not found:
                skipped.append((page.name, "no next page"))
                continue
            page.url = found
        response = session.get(base + page.url, timeout=REQUEST_TIMEOUT_S, allow_redirects=False)
        if response.status_code != 200:
            skipped.append((page.name, f"answered {response.status_code}"))
            continue
        ready[page.name] = page
    print(f"  {target.size:,}: {len(ready)} pages answer 200; left out: "
          + ("; ".join(f"{n} ({why})" for n, why in skipped) or "none"), flush=True)
    return {"base": base, "sessions": sessions, "ready": ready, "skipped": skipped}


def measure(targets: list[Target], log: Path, zone: str, rounds: int, warm_up: int,
            only: str | None) -> dict[int, dict[str, Any]]:
    """Serve every target at once and time every page, one request of each page at each size
    per round (so a change in the machine's load hits both sizes alike); per size: the
    percentiles by page, the pages left out, and the load average before and after."""
    with ExitStack() as stack:
        served = {t.size: serve_and_sign_in(t, log, stack, only, zone) for t in targets}
        names = list(dict.fromkeys(name for run in served.values() for name in run["ready"]))
        times: dict[int, dict[str, list[float]]] = {size: {} for size in served}
        load_start = os.getloadavg()
        for round_ in range(warm_up + rounds):
            for name in names:
                for size, run in served.items():
                    page = run["ready"].get(name)
                    if page is None:
                        continue
                    began = time.perf_counter()
                    response = run["sessions"][page.role].get(run["base"] + page.url, timeout=REQUEST_TIMEOUT_S,
                                                              allow_redirects=False)
                    _ = response.content  # the whole body read
                    ms = (time.perf_counter() - began) * 1000
                    if response.status_code != 200:
                        raise RuntimeError(f"{name} {page.url} at {size:,} answered {response.status_code}")
                    if round_ >= warm_up:
                        times[size].setdefault(name, []).append(ms)
            if round_ == warm_up - 1 or (round_ + 1) % 5 == 0:
                print(f"  round {round_ + 1}/{warm_up + rounds} done, load {os.getloadavg()[0]:.2f}", flush=True)
        load_end = os.getloadavg()
    return {size: {"results": {name: percentiles(t) for name, t in times[size].items()},
                   "skipped": run["skipped"], "pages": list(run["ready"].values()), "load": (load_start, load_end)}
            for size, run in served.items()}


def prepare_users(url: str, instance: Path) -> str:
    """The administrator (if the database lacks one) and a fresh API token for the officer."""
    app = app_for(url, instance)
    with app.app_context():
        try:
            if db.session.scalar(select(User.id).where(User.username == ADMIN)) is None:
                create_user(username=ADMIN, full_name="Bench Administrator", password=ADMIN_PASSWORD,
                            role=Role.ADMINISTRATOR)
            officer = db.session.scalar(select(User).where(User.username == OFFICER))
            secret = create_token(officer, f"bench pages {os.getpid()} {time.time():.0f}").secret
            db.session.commit()
            return secret
        finally:
            db.session.remove()
            db.engine.dispose()


def figures_command(env: dict[str, str], log: Path, action: str) -> None:
    """`flask figures <action>`, timed: `rebuild` after a fresh seeding or copy; `roll`, the
    rolling pass every enforcement pass of a registry in use runs (a seeded registry had none)."""
    began = time.perf_counter()
    if flask_command(env, log, "figures", action).returncode != 0:
        raise RuntimeError(f"flask figures {action} failed:\n{log.read_text()[-3000:]}")
    print(f"  flask figures {action}: {time.perf_counter() - began:.1f} s", flush=True)


# --- report ------------------------------------------------------------------------------------


def fmt(pair: tuple[float, float] | None) -> str:
    return f"{pair[0]:,.0f} / {pair[1]:,.0f}" if pair else "-"


def table(dialect: str, small: int, large: int, runs: dict[int, dict[str, Any]]) -> list[str]:
    a, b = runs.get(small), runs.get(large)
    names = list(dict.fromkeys([p.name for r in (a, b) if r for p in r["pages"]]))
    case95 = b["results"].get(CASE_PAGE, (0, 0))[1] if b else 0
    lines = [f"\n=== {dialect}: {small:,} -> {large:,} complaints "
             f"(p50 / p95 ms; growth = p95 large / p95 small, target <= {GROWTH_TARGET}; "
             f"weight = p95 / case page p95 at {large:,}, target <= {WEIGHT_TARGET:.0f})",
             f"| page | {small:,} | {large:,} | growth | weight |", "|---|---:|---:|---:|---:|"]
    over_growth, over_weight = [], []
    for name in names:
        x = a["results"].get(name) if a else None
        y = b["results"].get(name) if b else None
        growth = y[1] / x[1] if x and y and x[1] else None
        weight = y[1] / case95 if y and case95 else None
        g_flag = growth is not None and growth > GROWTH_TARGET
        w_flag = weight is not None and weight > WEIGHT_TARGET
        if g_flag:
            over_growth.append(name)
        if w_flag:
            over_weight.append(name)
        lines.append(f"| {name} | {fmt(x)} | {fmt(y)} | "
                     f"{'-' if growth is None else f'{growth:.2f}'}{' **over**' if g_flag else ''} | "
                     f"{'-' if weight is None else f'{weight:.1f}'}{' **over**' if w_flag else ''} |")
    lines.append(f"over the growth target ({len(over_growth)}): {', '.join(over_growth) or 'none'}")
    lines.append(f"over the weight target ({len(over_weight)}): {', '.join(over_weight) or 'none'}")
    run = b or a
    if run:
        (s1, s5, s15), (e1, e5, e15) = run["load"]
        lines.append(f"load average during the timing: start {s1:.2f} {s5:.2f} {s15:.2f}, end {e1:.2f} {e5:.2f} {e15:.2f}")
    for size, run in ((small, a), (large, b)):
        if run and run["skipped"]:
            lines.append(f"left out at {size:,}: {'; '.join(f'{n} ({w})' for n, w in run['skipped'])}")
    return lines


# --- main --------------------------------------------------------------------------------------


def sizes(value: str) -> tuple[int, int]:
    small, large = (int(v.replace("_", "")) for v in value.split(","))
    return small, large


def history_days(size: int, pair: tuple[int, int], same_intake: bool) -> int:
    """The days of history `size` is seeded over: a year, or with --same-intake the large size
    of the pair over large / small years, so both sizes have the same complaints a day."""
    small, _ = pair
    return round(365 * size / small) if same_intake and size != small else 365


def history_line(dialect: str, pair: tuple[int, int], same_intake: bool) -> str:
    small, large = pair
    days = [history_days(size, pair, same_intake) for size in pair]
    return (f"{dialect}: {small:,} over {days[0]:,} days, {large:,} over {days[1]:,} days "
            f"({small / days[0]:,.0f} and {large / days[1]:,.0f} complaints a day; "
            + ("--same-intake: the large registry is larger because it is older)" if same_intake
               else "one year each: the large registry has large / small x the intake)"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--sqlite-sizes", type=sizes, default=(10_000, 100_000), help="small,large")
    parser.add_argument("--postgresql-sizes", type=sizes, default=(100_000, 1_000_000), help="small,large")
    parser.add_argument("--requests", type=int, default=20, help="counted rounds (one request of each page)")
    parser.add_argument("--warm-up", type=int, default=2, help="uncounted rounds")
    parser.add_argument("--only", help="time only the pages whose name contains this (and the case page)")
    parser.add_argument("--postgres-url", default=os.environ.get(
        "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--database", default=f"{PREFIX}{os.getpid()}",
                        help="PostgreSQL databases are NAME_<size>")
    parser.add_argument("--sqlite-file", default=str(Path(tempfile.gettempdir()) / f"{PREFIX}{os.getpid()}"),
                        help="SQLite files are PATH_<size>.sqlite3")
    parser.add_argument("--keep", action="store_true", help="keep the databases and files (reused next time)")
    parser.add_argument("--same-intake", action="store_true",
                        help="seed the large size over large/small x 365 days (the same complaints a day "
                             "at both sizes: ten times the history, not ten times the intake)")
    args = parser.parse_args()

    print(f"== pages at scale, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; machine: {machine()}")
    for dialect, pair in (("SQLite", args.sqlite_sizes), ("PostgreSQL", args.postgresql_sizes)):
        if args.db in (dialect.lower(), "both"):
            print("history: " + history_line(dialect, pair, args.same_intake))
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    workdir = Path(tempfile.mkdtemp(prefix="bench_pages_"))
    log = workdir / "server.log"
    print(f"logs: {log}")
    postgres = Postgres(args.postgres_url, args.database, args.keep)
    drop_leftovers(postgres)
    sqlite_files: list[Path] = []
    report: list[str] = []
    zone = os.environ.get("REGISTRY_TIMEZONE", "Europe/Chisinau")
    try:
        if args.db in ("sqlite", "both"):
            targets = []
            for size in args.sqlite_sizes:
                days = history_days(size, args.sqlite_sizes, args.same_intake)
                suffix = "" if days == 365 else f"_{days}d"
                path = Path(f"{args.sqlite_file}_{size}{suffix}.sqlite3")
                instance = Path(f"{args.sqlite_file}_{size}{suffix}.sqlite3-instance")
                url = f"sqlite:///{path}"
                print(f"\n== SQLite, {size:,} complaints over {days:,} days: {path}", flush=True)
                sqlite_files.append(path)
                if not (args.keep and path.exists()):
                    source = postgres.seeded(size, days)
                    shutil.copytree(postgres.instance(size, days), instance, dirs_exist_ok=True)  # the signing key
                    seconds = copy_to_sqlite(source, path, instance, log)
                    print(f"  copied to SQLite in {seconds:.1f} s", flush=True)
                    for action in ("rebuild", "roll"):
                        figures_command(app_environment(url, instance), log, action)
                    needed_by_postgresql = args.db == "both" and size in args.postgresql_sizes and days == \
                        history_days(size, args.postgresql_sizes, args.same_intake)
                    if not args.keep and not needed_by_postgresql:
                        postgres.drop(size, days)
                elif flask_command(app_environment(url, instance), log, "db", "upgrade").returncode != 0:
                    # a kept file gets the migrations this checkout added, as a kept PostgreSQL database does
                    raise RuntimeError(f"flask db upgrade failed:\n{log.read_text()[-3000:]}")
                else:  # and this checkout's rolling pass, as a kept PostgreSQL database does
                    figures_command(app_environment(url, instance), log, "roll")
                targets.append(Target(size, url, app_environment(url, instance), prepare_users(url, instance)))
            print(f"\n== SQLite: timing {len(targets)} sizes side by side", flush=True)
            runs = measure(targets, log, zone, args.requests, args.warm_up, args.only)
            report += table("SQLite", *args.sqlite_sizes, runs)
            report.append(history_line("SQLite", args.sqlite_sizes, args.same_intake))
            print("\n".join(report), flush=True)
        if args.db in ("postgresql", "both"):
            targets = []
            for size in args.postgresql_sizes:
                days = history_days(size, args.postgresql_sizes, args.same_intake)
                print(f"\n== PostgreSQL, {size:,} complaints over {days:,} days: {postgres.name(size, days)}",
                      flush=True)
                url = postgres.seeded(size, days)
                env = app_environment(url, postgres.instance(size, days))
                if (size, days) in postgres.fresh:  # rollups a newer checkout adds, by its own code
                    figures_command(env, log, "rebuild")
                figures_command(env, log, "roll")
                engine = create_engine(url, isolation_level="AUTOCOMMIT")
                with engine.connect() as connection:
                    connection.exec_driver_sql("VACUUM ANALYZE")
                engine.dispose()
                targets.append(Target(size, url, env, prepare_users(url, postgres.instance(size, days))))
            with create_engine(args.postgres_url).connect() as connection:
                version = connection.scalar(text("SHOW server_version"))
            print(f"\n== PostgreSQL: timing {len(targets)} sizes side by side", flush=True)
            runs = measure(targets, log, zone, args.requests, args.warm_up, args.only)
            report += table(f"PostgreSQL {version.split()[0]}", *args.postgresql_sizes, runs)
            report.append(history_line("PostgreSQL", args.postgresql_sizes, args.same_intake))
    finally:
        postgres.close()
        if not args.keep:
            for path in sqlite_files:
                for suffix in ("", "-wal", "-shm", ".write-lock"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)
                shutil.rmtree(f"{path}-instance", ignore_errors=True)
    print("\n".join(report))
    print(f"\nload average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"machine: {machine()}; gunicorn 2 sync workers; {args.requests} counted rounds after {args.warm_up} "
          f"warm-up round(s), one request of each page per round")
    shutil.rmtree(workdir, ignore_errors=True)


def drop_leftovers(postgres: Postgres) -> None:
    """Drop bench_pages_<pid>_<size> databases whose process is gone (a run that was killed);
    databases named by --database are never touched."""
    with postgres.admin.connect() as connection:
        names = connection.scalars(text("SELECT datname FROM pg_database WHERE datname LIKE :p"),
                                   {"p": PREFIX + "%"}).all()
        for name in names:
            found = re.fullmatch(PREFIX + r"(\d+)_(\d+)(?:_\d+d)?", name)
            if found and not Path(f"/proc/{found.group(1)}").exists() and not name.startswith(postgres.base + "_"):
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                print(f"dropped {name}, left behind by an earlier run")


if __name__ == "__main__":
    main()

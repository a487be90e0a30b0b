"""The staff queue at two registry sizes, against the case page in the same run.

Run from the project root:

    .venv/bin/python benchmarks/queue_pages.py [--sizes 10000,100000] [--open-share 0.1] [--requests 30]
        [--warm-up 3] [--postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
        [--explain] [--keep DIR]

Without --postgres-url each size is a SQLite file; with it, a PostgreSQL database
(`bench_queue_<size>_<pid>`, dropped at the end). For each size: `flask db upgrade`, 8 officers
per tier, `--size` demo complaints loaded with the loader of `flask registry seed-demo` (numbered,
signed, hash-chained), then made into a mix of states with plain SQL: `--open-share` of them open
(the youngest mostly, plus a few old ones left overdue: registered, in progress, waiting,
responded, reopened; owned by the officers at tiers 1-3; 1 % with a regulatory clock's due), the
rest closed with a decision. Then ANALYZE (VACUUM ANALYZE on PostgreSQL, as autovacuum would
after a load; also when a kept database is reused), and through the Flask test client as a signed-in
tier-1 officer (the whole request: sign-in check, form, queries, template) the queue's default
view, every open complaint, its second page, the overdue and due-soon filters, the unassigned,
"mine" and a tier, and the case page of an open complaint, --requests times each after
--warm-up uncounted ones, every view at every size in turn (one request each per round, so a
change in the machine's load falls on all alike). Prints p50 / p95 per view and size, the growth (p95 at the largest
size over p95 at the smallest) and each view's p95 over the case page's p95 at the largest.

--explain prints the plan of every statement the queue's default view and "all open" run, at
the largest size. --keep DIR keeps the SQLite files in DIR (and the signing keys), or the
PostgreSQL databases `bench_queue_<size>`, and reuses them (not seeded again); drop them by hand.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from statistics import quantiles
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import flask_migrate  # noqa: E402
from sqlalchemy import create_engine, event, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from app import create_app  # noqa: E402
from app.auth.operations import create_user  # noqa: E402
from app.auth.permissions import Role  # noqa: E402
from app.complaints.models import Complaint  # noqa: E402
from app.extensions import db  # noqa: E402
from app.journal.seed import seed_demo  # noqa: E402
from benchmarks.harness import machine  # noqa: E402
from config import Config  # noqa: E402

PASSWORD = "bench-officer-password"
OFFICER = "bench-officer-1-1"

VIEWS = [
    ("default view", "/staff/queue"),
    ("all open", "/staff/queue?show=all"),
    ("all open, page 2", None),  # the "next" link of "all open"
    ("overdue", "/staff/queue?show=all&due=overdue"),
    ("due soon", "/staff/queue?show=all&due=due_soon"),
    ("unassigned", "/staff/queue?show=unassigned"),
    ("mine", "/staff/queue?show=mine"),
    ("tier 2", "/staff/queue?show=all&tier=2"),
    ("case page", None),
]

# Statuses of the open ones, in turn; owners among the officers of the complaint's tier.
_MIX = """
UPDATE complaints SET
  status = CASE WHEN id % 10 IN (0, 1, 2) AND id % 50 <> 0 THEN 'registered'
                WHEN id % 10 IN (3, 4, 5) THEN 'in_progress' WHEN id % 10 = 6 THEN 'waiting'
                WHEN id % 10 IN (7, 8) THEN 'responded' ELSE 'reopened' END,
  tier = CASE WHEN id % 10 IN (0, 1, 2) AND id % 50 <> 0 THEN 1 ELSE 1 + (id / 10) % 3 END,
  owner_id = CASE WHEN id % 10 IN (0, 1, 2) AND id % 50 <> 0 THEN NULL
                  ELSE (SELECT min(u.id) FROM users u WHERE u.username = 'bench-officer-1-1') + (id / 30) % 24 END,
  first_responded_at = CASE WHEN id % 10 IN (7, 8, 9) THEN registered_at ELSE NULL END,
  clock_due = CASE WHEN id % 100 = 5 THEN first_response_due ELSE NULL END
WHERE id >= :young OR id % 97 = 0
"""
_CLOSE = """
UPDATE complaints SET status = 'closed', owner_id = (SELECT min(u.id) FROM users u
    WHERE u.username = 'bench-officer-1-1') + id % 24,
  first_responded_at = registered_at, resolution = 'upheld', resolved_at = registered_at,
  closed_at = registered_at, resolution_due = NULL, resolution_warned_at = NULL, next_check_at = NULL
WHERE NOT (id >= :young OR id % 97 = 0) AND status <> 'annulled'
"""


def settings(url: str, instance: Path) -> type[Config]:
    return type("BenchConfig", (Config,), {
        "SQLALCHEMY_DATABASE_URI": url,
        "INSTANCE_PATH": str(instance),
        "REGISTRY_KEY_PATH": str(instance / "registry_ed25519.pem"),
        "ATTACHMENTS_DIR": str(instance / "attachments"),
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
    })


def percentiles(times: list[float]) -> tuple[float, float]:
    cuts = quantiles(times, n=100, method="inclusive")
    return cuts[49], cuts[94]


def settle() -> None:
    """Statistics, and on PostgreSQL the visibility map, as autovacuum leaves them after a load."""
    db.session.remove()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE" if connection.dialect.name == "postgresql" else "ANALYZE"))


def seed(size: int, open_share: float) -> None:
    flask_migrate.upgrade()
    if db.session.scalar(select(func.count()).select_from(Complaint)) >= size:
        print(f"  reusing {size:,} complaints", flush=True)
        settle()
        return
    for tier in (1, 2, 3):
        for k in range(1, 9):
            create_user(username=f"bench-officer-{tier}-{k}", full_name=f"Officer {tier}.{k}",
                        password=PASSWORD, role=Role.OFFICER, tier=tier)
    db.session.commit()
    began = time.perf_counter()
    seed_demo(size, batch_size=10_000, days=365, annul_share=0.0)
    young = int(size * (1 - open_share * 0.8))
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # The dashboard's copy and rollups (kept by triggers) are not what this measures:
            # firing them for every row would take longer than the load itself.
            connection.execute(text("SET LOCAL session_replication_role = replica"))
        connection.execute(text(_MIX), {"young": young})
        connection.execute(text(_CLOSE), {"young": young})
    settle()
    print(f"  seeded {size:,} complaints in {time.perf_counter() - began:.0f} s", flush=True)


def explain(app: Any, urls: list[str], client: Any) -> None:
    statements: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if "complaints" in statement and statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", capture)
    try:
        for url in urls:
            client.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    with app.app_context(), engine.connect() as connection:
        raw = connection.connection.driver_connection
        for statement, parameters in statements:
            print("\n---", " ".join(statement.split())[:400])
            if engine.dialect.name == "sqlite":
                for row in raw.execute("EXPLAIN QUERY PLAN " + statement, parameters).fetchall():
                    print("   ", row[-1])
            else:
                cursor = raw.cursor()
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
                for (line,) in cursor.fetchall():
                    print("   ", line)


def prepare(app: Any, label: str) -> tuple[Any, dict[str, str]]:
    """A signed-in client and the URL of every view at this size."""
    client = app.test_client()
    response = client.post("/staff/login", data={"username": OFFICER, "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    with app.app_context():
        slug = db.session.scalar(select(Complaint.slug).where(Complaint.status == "in_progress").limit(1))
        open_count = db.session.scalar(select(func.count()).select_from(Complaint).where(
            Complaint.status.in_(["registered", "in_progress", "waiting", "responded", "reopened"])))
        db.session.remove()
    page = client.get("/staff/queue?show=all").get_data(as_text=True)
    marker = 'rel="next" href="'
    second = page[page.index(marker) + len(marker):].split('"', 1)[0].replace("&amp;", "&")
    extra = {"all open, page 2": second, "case page": f"/staff/complaints/{slug}"}
    print(f"  {label}: {open_count:,} open", flush=True)
    return client, {name: url or extra[name] for name, url in VIEWS}


def measure(clients: dict[str, tuple[Any, dict[str, str]]], args: argparse.Namespace) -> dict[str, dict[str, tuple[float, float]]]:
    """Every view at every size, one request of each in turn per round (so a change in the
    machine's load falls on all of them alike), after --warm-up uncounted rounds."""
    times: dict[str, dict[str, list[float]]] = {size: {name: [] for name, _ in VIEWS} for size in clients}
    for round_ in range(args.warm_up + args.requests):
        for name, _ in VIEWS:
            for size, (client, urls) in clients.items():
                began = time.perf_counter()
                response = client.get(urls[name])
                response.get_data()
                elapsed = (time.perf_counter() - began) * 1000
                assert response.status_code == 200, (urls[name], response.status_code)
                if round_ >= args.warm_up:
                    times[size][name].append(elapsed)
    return {size: {name: percentiles(t) for name, t in views.items()} for size, views in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--open-share", type=float, default=0.1)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--warm-up", type=int, default=3)
    parser.add_argument("--postgres-url", default=None)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--keep", default=None, help="a directory to keep (and reuse) the SQLite files in")
    args = parser.parse_args()
    args.sizes = [s.strip() for s in args.sizes.split(",")]
    apps: dict[str, Any] = {}
    cleanup: list[Any] = []
    admin = create_engine(args.postgres_url, isolation_level="AUTOCOMMIT") if args.postgres_url else None
    try:
        for size in args.sizes:
            instance = Path(args.keep) / f"queue-{size}" if args.keep else Path(tempfile.mkdtemp(prefix="bench-queue-"))
            instance.mkdir(parents=True, exist_ok=True)
            if admin is not None:
                database = f"bench_queue_{size}" if args.keep else f"bench_queue_{size}_{os.getpid()}"
                with admin.connect() as connection:
                    if not connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": database}):
                        connection.execute(text(f'CREATE DATABASE "{database}"'))
                if not args.keep:
                    cleanup.append(database)
                url = make_url(args.postgres_url).set(database=database).render_as_string(hide_password=False)
            else:
                url = f"sqlite:///{instance / 'queue.sqlite'}"
            if not args.keep:
                cleanup.append(instance)
            app = apps[size] = create_app(settings(url, instance))
            print(f"== {size} complaints on {url.split(':')[0]}", flush=True)
            with app.app_context():
                seed(int(size), args.open_share)
        clients = {size: prepare(app, size) for size, app in apps.items()}
        results = measure(clients, args)
        if args.explain:
            large = args.sizes[-1]
            client, urls = clients[large]
            explain(apps[large], [urls["default view"], urls["all open"], urls["all open, page 2"]], client)
    finally:
        for app in apps.values():
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
        for item in cleanup:
            if isinstance(item, Path):
                shutil.rmtree(item, ignore_errors=True)
            else:
                with admin.connect() as connection:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{item}" WITH (FORCE)'))
        if admin is not None:
            admin.dispose()

    small, large = args.sizes[0], args.sizes[-1]
    case = results[large]["case page"][1]
    print(f"\n| view | {small} p50 / p95 ms | {large} p50 / p95 ms | growth (p95) | p95 / case page |")
    print("|---|---:|---:|---:|---:|")
    for name, _url in VIEWS:
        a, b = results[small][name], results[large][name]
        print(f"| {name} | {a[0]:.1f} / {a[1]:.1f} | {b[0]:.1f} / {b[1]:.1f} | {b[1] / a[1]:.2f}× | {b[1] / case:.2f}× |")
    print(f"\nMachine: {machine()}; load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()

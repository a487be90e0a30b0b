"""Registry journal page times with a million complaints in PostgreSQL.

Run from the project root:

    .venv/bin/python benchmarks/journal.py [--count 1000000] [--requests 60]
        [--postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
        [--database NAME] [--keep]

Creates a PostgreSQL database (`bench_journal_<pid>` unless `--database` names one), builds the
schema with `flask db upgrade`, loads `--count` demo complaints with the same loader as
`flask registry seed-demo` (numbered, signed, hash-chained; its rate is printed), runs
VACUUM ANALYZE as autovacuum would after a bulk load, signs in as a clerk and times the
journal through the Flask test client (the whole request: sign-in check, form, query,
template), after a few uncounted warm-up requests:

  first page      /staff/registry
  deep page       the page after the middle complaint (keyset cursor)
  newest page     the last page (newest=1)
  filtered        category + status + a name fragment (Romanian diacritics)
  filtered, deep  the same, after the middle complaint
  free text       a common word of the subjects and descriptions
  free text, rare a reference that only one complaint mentions
  e-mail          a fragment of an e-mail address
  date range      one month in the middle, its first page and one further in
  rare combination  channel + category that together match 0.15 %
  name + channel  a Cyrillic surname fragment and a channel (0.08 %)
  annulled        status = annulled (about 0.2 % of the complaints)

Prints p50/p95 per case against the 100 ms target, the time of a CSV export of that month,
and the machine. The database is dropped at the end unless `--keep`; a kept database (with
its signing key, in the temporary directory) is reused by the next run with the same
`--database` and not seeded again when it holds enough complaints.
"""

from __future__ import annotations

import argparse
import calendar
import os
import platform
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path
from statistics import quantiles
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import flask_migrate  # noqa: E402
from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from app import create_app  # noqa: E402
from app.auth.models import User  # noqa: E402
from app.auth.operations import create_user  # noqa: E402
from app.auth.permissions import Role  # noqa: E402
from app.complaints.models import Complaint  # noqa: E402
from app.extensions import db  # noqa: E402
from app.journal.seed import seed_demo  # noqa: E402
from config import Config  # noqa: E402

TARGET_MS = 100.0
CLERK, PASSWORD = "bench-clerk", "bench-clerk-password"


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()}, {platform.system()} {platform.release()}"


def settings(url: str, instance: Path) -> type[Config]:
    return type("BenchConfig", (Config,), {
        "SQLALCHEMY_DATABASE_URI": url,
        "INSTANCE_PATH": str(instance),
        "REGISTRY_KEY_PATH": str(instance / "registry_ed25519.pem"),
        "ATTACHMENTS_DIR": str(instance / "attachments"),
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
    })


def timed(client, url: str, requests: int, warm_up: int) -> list[float]:
    for _ in range(warm_up):
        assert client.get(url).status_code == 200, url
    times = []
    for _ in range(requests):
        began = time.perf_counter()
        response = client.get(url)
        response.get_data()
        times.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return times


def percentiles(times: list[float]) -> tuple[float, float]:
    cuts = quantiles(times, n=100, method="inclusive")
    return cuts[49], cuts[94]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1_000_000, help="complaints to load")
    parser.add_argument("--requests", type=int, default=60, help="measured requests per case")
    parser.add_argument("--warm-up", type=int, default=5, help="uncounted requests per case")
    parser.add_argument("--batch", type=int, default=10_000, help="complaints per loader transaction")
    parser.add_argument("--postgres-url", default=os.environ.get(
        "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--database", default=f"bench_journal_{os.getpid()}")
    parser.add_argument("--keep", action="store_true", help="keep the database for the next run")
    args = parser.parse_args()

    admin = create_engine(args.postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": args.database})
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{args.database}"'))
    url = make_url(args.postgres_url).set(database=args.database).render_as_string(hide_password=False)
    instance = Path(tempfile.gettempdir()) / f"{args.database}-instance"
    instance.mkdir(exist_ok=True)
    app = create_app(settings(url, instance))
    try:
        with app.app_context():
            run(app, args)
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        if not args.keep:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)'))
            shutil.rmtree(instance, ignore_errors=True)
        admin.dispose()


def run(app, args: argparse.Namespace) -> None:
    print(f"== registry journal benchmark: database {args.database}")
    flask_migrate.upgrade()
    if db.session.scalar(select(User.id).where(User.username == CLERK)) is None:
        create_user(username=CLERK, full_name="Bench Clerk", password=PASSWORD, role=Role.CLERK)
        db.session.commit()

    have = db.session.scalar(select(func.count()).select_from(Complaint))
    if have < args.count:
        print(f"loading {args.count - have:,} demo complaints (batches of {args.batch:,}) ...")
        report = seed_demo(
            args.count - have, batch_size=args.batch, append=have > 0,
            progress=lambda done, s: print(f"  {done:>9,} loaded  {s:7.1f} s  {done / s:8,.0f}/s", flush=True)
            if done % (args.batch * 10) == 0 else None,
        )
        print(f"loaded {report.created:,} complaints in {report.seconds:.1f} s "
              f"({report.created / report.seconds:,.0f}/s), {report.annulled} annulled")
        began = time.perf_counter()
        db.session.remove()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE complaints"))
            connection.execute(text("VACUUM ANALYZE registry_entries"))
        print(f"VACUUM ANALYZE after the load: {time.perf_counter() - began:.1f} s")
    else:
        print(f"reusing {have:,} complaints already loaded")

    total = db.session.scalar(select(func.count()).select_from(Complaint))
    middle = db.session.execute(
        select(Complaint.year, Complaint.seq, Complaint.registered_at)
        .order_by(Complaint.year, Complaint.seq).offset(total // 2).limit(1)
    ).one()
    described = db.session.scalar(
        select(Complaint.description).order_by(Complaint.year, Complaint.seq).offset(total // 3).limit(1)
    )
    rare_ref = re.search(r"\b[A-Z]\d{8}\b", described)[0]  # the loader's made-up reference
    email = db.session.scalar(
        select(Complaint.email).where(Complaint.email.is_not(None))
        .order_by(Complaint.year, Complaint.seq).offset(total // 4).limit(1)
    )
    month = middle.registered_at.strftime("%Y-%m")
    month_start = middle.registered_at.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    in_month = db.session.execute(
        select(Complaint.year, Complaint.seq).where(Complaint.registered_at >= month_start)
        .order_by(Complaint.registered_at).limit(1)
    ).one()
    last_day = calendar.monthrange(middle.registered_at.year, middle.registered_at.month)[1]
    version = db.session.scalar(text("SHOW server_version"))
    size = db.session.scalar(text("SELECT pg_size_pretty(pg_database_size(current_database()))"))
    db.session.remove()

    cursor = f"{middle.year}-{middle.seq}"
    filtered = {"category": "payments", "status": "registered", "name": "Ștef"}
    cases = [
        ("first page", {}),
        ("deep page", {"after": cursor}),
        ("newest page", {"newest": "1"}),
        ("filtered", filtered),
        ("filtered, deep", {**filtered, "after": cursor}),
        ("free text", {"text": "retragerea"}),
        ("free text, rare", {"text": rare_ref}),
        ("e-mail", {"email": email.split("@")[0][:-2]}),
        ("date range", {"date_from": f"{month}-01", "date_to": f"{month}-{last_day}"}),
        ("date range, deep", {"date_from": f"{month}-01", "date_to": f"{month}-{last_day}",
                              "after": f"{in_month.year}-{in_month.seq + 20_000}"}),
        ("rare combination", {"channel": "in_person", "category": "other"}),
        ("name + channel", {"name": "Смирнова", "channel": "post"}),
        ("annulled", {"status": "annulled"}),
    ]

    client = app.test_client()
    response = client.post("/staff/login", data={"username": CLERK, "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    print(f"\n{total:,} complaints, database {size}; {args.requests} requests per case after {args.warm_up} "
          f"warm-up, through the Flask test client as a signed-in clerk\n")
    print(f"| case | query | p50 ms | p95 ms | p95 < {TARGET_MS:.0f} ms |")
    print("|---|---|---:|---:|---|")
    worst = 0.0
    for name, query in cases:
        url = "/staff/registry" + ("?" + urlencode(query, quote_via=quote) if query else "")
        p50, p95 = percentiles(timed(client, url, args.requests, args.warm_up))
        worst = max(worst, p95)
        shown = "&".join(f"{k}={v}" for k, v in query.items()) or "(none)"
        print(f"| {name} | `{shown}` | {p50:.1f} | {p95:.1f} | {'yes' if p95 < TARGET_MS else 'NO'} |", flush=True)

    began = time.perf_counter()
    export = client.get("/staff/registry/export.csv?" + urlencode(dict(cases)["date range"]))
    lines = export.get_data().count(b"\n") - 1
    seconds = time.perf_counter() - began
    print(f"\nCSV export of {month} ({lines:,} lines): {seconds:.2f} s ({lines / seconds:,.0f} lines/s)")
    print(f"target p95 < {TARGET_MS:.0f} ms for every case: {'met' if worst < TARGET_MS else 'NOT met'}")
    print(f"Machine: {machine()}; PostgreSQL {version}")
    if args.keep:
        print(f"kept database {args.database} (rerun with --database {args.database} --keep to reuse it)")


if __name__ == "__main__":
    main()

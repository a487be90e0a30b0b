"""`flask registry verify` on a large registry: the full check, the incremental check after a
verified checkpoint, and the bare cryptography of a full check as the baseline.

Run from the project root:

    .venv/bin/python benchmarks/verify.py [--db postgresql|sqlite|both] [--count 1000000]
        [--append 1000] [--batch 10000] [--profile] [--top 15]
        [--postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/test]
        [--database NAME] [--keep]

For each database this builds a fresh one (a new PostgreSQL database `bench_verify_<pid>` made
from `--postgres-url`, or an SQLite file in a temporary directory) with `flask db upgrade`, adds
a clerk (so the loader annuls its usual 0.2 %, with their signed annulment events) and loads
`--count` demo complaints with the loader of `flask registry seed-demo` (numbered, signed,
hash-chained, each intake entry with its private part in registry_private); on PostgreSQL,
VACUUM ANALYZE follows, as autovacuum would after a bulk load. Then, each measurement in a
fresh Python process on that database (so that `resource.getrusage` maxrss is the measured
step's own peak, not the loader's):

  stream       the floor under the floor: every registry_entries row read with a plain DBAPI
               cursor (server-side on PostgreSQL), nothing computed
  crypto       the baseline: the same rows, and for each its digest recomputed
               (app.registry.digest.entry_digest), compared with the stored one, its link to the
               entry before it, and its Ed25519 signature verified: the unavoidable work of
               any full check
  full         verify_registry(since=None, files=False): everything `flask registry verify
               --full --no-files` does
  incremental  after the full check, as the CLI does after a clean run: a checkpoint of the
               heads written (current_checkpoint + write_checkpoint, REGISTRY_CHECKPOINT_DIR in
               the temporary directory) and marked verified (record_verified); then `--append`
               more complaints loaded (seed-demo's loader with append) and
               verify_registry(since=newest_verified_checkpoint(), files=False) timed

Printed: seconds, the step's CPU seconds (its own process, not the database server's; the
steadier figure on a shared machine), entries per second, peak memory (maxrss) of each step and what the process
held before it, the share of the full check that the baseline accounts for, the load average
before each step, and the machine. `--profile` runs the full check once more under cProfile
and prints the `--top` functions by cumulative time (and by own time).

The database is dropped at the end, also on failure, unless `--keep`; a kept database (its
signing key, checkpoints and SQLite file in `<tmp>/<database>-instance`) is reused by the next
run with the same `--database` and not loaded again when it holds `--count` complaints.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from benchmarks import harness  # noqa: E402

DATABASE_TITLES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
CLERK = "bench-clerk"


# --- machine ---------------------------------------------------------------------------------


def machine() -> str:
    return f"{harness.machine()}, SQLite {sqlite3.sqlite_version}"


def load() -> str:
    return "/".join(f"{value:.2f}" for value in os.getloadavg())


def maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# --- the app on the benchmark's database -----------------------------------------------------


def make_app(url: str, instance: Path):
    from app import create_app
    from config import Config

    settings = type("BenchConfig", (Config,), {
        "SQLALCHEMY_DATABASE_URI": url,
        "INSTANCE_PATH": str(instance),
        "REGISTRY_KEY_PATH": str(instance / "registry_ed25519.pem"),
        "REGISTRY_CHECKPOINT_DIR": str(instance / "checkpoints"),
        "ATTACHMENTS_DIR": str(instance / "attachments"),
        "MAIL_SEND_AFTER_COMMIT": False,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
    })
    return create_app(settings)


# --- the steps, each in its own process ------------------------------------------------------


def step_stream(crypto: bool) -> dict[str, Any]:
    """Every registry_entries row through a plain DBAPI cursor; with `crypto`, each digest
    recomputed and compared, each link checked, each signature verified."""
    from app.extensions import db
    from app.registry.chain import get_signer
    from app.registry.digest import GENESIS_DIGEST, entry_digest

    signer = get_signer()
    public_key, key_id = signer.public_key, signer.key_id
    sqlite = db.engine.dialect.name == "sqlite"
    raw = db.engine.raw_connection()
    query = ("SELECT position, kind, recorded_at, prev_digest, payload, key_id, digest, signature"
             " FROM registry_entries ORDER BY position")
    began = time.perf_counter()
    if sqlite:
        cursor = raw.driver_connection.cursor()
        cursor.arraysize = 2000
        cursor.execute(query)
    else:
        cursor = raw.driver_connection.cursor(name="bench_verify_stream")  # server-side
        cursor.itersize = 2000
        cursor.execute(query)
    rows = bad = 0
    previous = GENESIS_DIGEST
    for position, kind, recorded_at, prev_digest, payload, row_key, digest, signature in cursor:
        rows += 1
        if not crypto:
            continue
        if sqlite:
            recorded_at = datetime.fromisoformat(recorded_at).replace(tzinfo=UTC)
        ok = row_key == key_id and prev_digest == previous and entry_digest(
            position=position, kind=kind, recorded_at=recorded_at, prev_digest=prev_digest, payload=payload,
            key_id=row_key) == digest
        try:
            public_key.verify(bytes.fromhex(signature), bytes.fromhex(digest))
        except Exception:  # noqa: BLE001  (InvalidSignature: counted as bad)
            ok = False
        bad += not ok
        previous = digest
    seconds = time.perf_counter() - began
    cursor.close()
    raw.close()
    return {"seconds": seconds, "entries": rows, "bad": bad}


def step_full(profile: bool, top: int) -> dict[str, Any]:
    from app.registry.verify import verify_registry

    began = time.perf_counter()
    if profile:
        profiler = cProfile.Profile()
        report = profiler.runcall(verify_registry, since=None, files=False)
    else:
        report = verify_registry(since=None, files=False)
    seconds = time.perf_counter() - began
    result = {"seconds": seconds, "entries": report.entries_checked, "complaints": report.complaints_checked,
              "problems": [str(p) for p in report.problems[:5]], "problem_count": len(report.problems)}
    if profile:
        for order in ("cumulative", "tottime"):
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order).print_stats(top)
            result[f"profile_{order}"] = out.getvalue()
    return result


def step_incremental() -> dict[str, Any]:
    from app.registry.checkpoints import newest_verified_checkpoint
    from app.registry.verify import verify_registry

    since = newest_verified_checkpoint()
    if since is None:
        raise RuntimeError("no verified checkpoint to start from")
    began = time.perf_counter()
    report = verify_registry(since=since, files=False)
    seconds = time.perf_counter() - began
    return {"seconds": seconds, "entries": report.entries_checked, "complaints": report.complaints_checked,
            "since": since.position, "last": report.last_position,
            "problems": [str(p) for p in report.problems[:5]], "problem_count": len(report.problems)}


def run_step(args: argparse.Namespace) -> None:
    """The hidden `--step`: one measurement in this fresh process, its result as JSON on the last line."""
    app = make_app(args.url, Path(args.instance))
    with app.app_context():
        from app.extensions import db

        db.session.execute(text("SELECT 1"))  # connected, the app's modules imported
        before = {"rss_before_mib": rss_mib(), "maxrss_before_mib": maxrss_mib(), "load": load()}
        cpu = time.process_time()
        if args.step == "stream":
            result = step_stream(crypto=False)
        elif args.step == "crypto":
            result = step_stream(crypto=True)
        elif args.step == "full":
            result = step_full(args.profile, args.top)
        else:
            result = step_incremental()
        result["cpu_s"] = time.process_time() - cpu  # this process only, not the database server's
        db.session.remove()
    line = json.dumps({"step": args.step, **before, **result, "maxrss_mib": maxrss_mib(), "load_after": load()})
    with (Path(args.instance) / "steps.jsonl").open("a") as log:  # every step's figures, for the record
        log.write(line + "\n")
    print(line)


def in_child(step: str, url: str, instance: Path, args: argparse.Namespace, profile: bool = False) -> dict[str, Any]:
    command = [sys.executable, __file__, "--step", step, "--url", url, "--instance", str(instance),
               "--top", str(args.top)] + (["--profile"] if profile else [])
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"step {step} failed:\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- one database ----------------------------------------------------------------------------


def seed(app, count: int, batch: int) -> None:
    import flask_migrate

    from app.auth.models import User
    from app.auth.operations import create_user
    from app.auth.permissions import Role
    from app.complaints.models import Complaint
    from app.extensions import db
    from app.journal.seed import seed_demo

    with app.app_context():
        flask_migrate.upgrade()
        if db.session.scalar(select(User.id).where(User.username == CLERK)) is None:
            create_user(username=CLERK, full_name="Bench Clerk", password="bench-clerk-password", role=Role.CLERK)
            db.session.commit()
        have = db.session.scalar(select(func.count()).select_from(Complaint))
        if have >= count:
            print(f"reusing {have:,} complaints already loaded")
            return
        print(f"loading {count - have:,} demo complaints (batches of {batch:,}), load {load()} ...", flush=True)
        report = seed_demo(
            count - have, batch_size=batch, append=have > 0,
            progress=lambda done, s: print(f"  {done:>9,} loaded  {s:7.1f} s  {done / s:8,.0f}/s", flush=True)
            if done % (batch * 20) == 0 else None,
        )
        print(f"loaded {report.created:,} complaints in {report.seconds:.1f} s "
              f"({report.created / report.seconds:,.0f}/s), {report.annulled} annulled; load {load()}", flush=True)
        db.session.remove()
        if db.engine.dialect.name == "postgresql":
            began = time.perf_counter()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("VACUUM ANALYZE"))
            print(f"VACUUM ANALYZE after the load: {time.perf_counter() - began:.1f} s", flush=True)


def checkpoint_and_append(app, append: int) -> str:
    """As `flask registry verify` does after a clean run: a checkpoint of the heads written and
    marked verified; then `append` more complaints registered."""
    from dataclasses import replace

    from app.extensions import db
    from app.journal.seed import seed_demo
    from app.registry.checkpoints import current_checkpoint, record_verified, write_checkpoint

    with app.app_context():
        checkpoint = current_checkpoint()
        path = write_checkpoint(checkpoint)
        record_verified(replace(checkpoint, name=path.name))
        report = seed_demo(append, batch_size=append, append=True)
        db.session.remove()
        return (f"checkpoint at #{checkpoint.position} written and marked verified; {report.created:,} complaints "
                f"appended in {report.seconds:.1f} s ({report.annulled} annulled)")


def mib(value: float) -> str:
    return f"{value:,.0f} MiB"


def run_database(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    name = args.database or f"bench_verify_{os.getpid()}"
    instance = Path(tempfile.gettempdir()) / f"{name}-{kind}-instance"
    instance.mkdir(exist_ok=True)
    admin = None
    if kind == "sqlite":
        url = f"sqlite:///{instance / 'registry.sqlite3'}"
    else:
        admin = create_engine(args.postgres_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            if not connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
                connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(args.postgres_url).set(database=name).render_as_string(hide_password=False)
    print(f"\n== {DATABASE_TITLES[kind]}: {url if kind == 'sqlite' else name}; load {load()}", flush=True)
    try:
        app = make_app(url, instance)
        seed(app, args.count, args.batch)
        results: dict[str, Any] = {}
        for step in ("stream", "crypto", "full"):
            results[step] = in_child(step, url, instance, args)
            print(f"  {step:<12} {results[step]['seconds']:8.1f} s  (CPU {results[step]['cpu_s']:.1f} s)  "
                  f"{results[step]['entries']:>10,} entries  "
                  f"maxrss {mib(results[step]['maxrss_mib'])} (before: rss {mib(results[step]['rss_before_mib'])}, "
                  f"maxrss {mib(results[step]['maxrss_before_mib'])})"
                  f"  load before {results[step]['load']}", flush=True)
        if results["crypto"]["bad"]:
            print(f"  WARNING: the baseline found {results['crypto']['bad']} entries that do not verify")
        if results["full"]["problem_count"]:
            print(f"  WARNING: the full check found {results['full']['problem_count']} problems: "
                  f"{results['full']['problems']}")
        note = checkpoint_and_append(app, args.append)
        print(f"  {note}", flush=True)
        results["incremental"] = in_child("incremental", url, instance, args)
        step = results["incremental"]
        print(f"  {'incremental':<12} {step['seconds']:8.1f} s  (CPU {step['cpu_s']:.1f} s)  {step['entries']:>10,} entries "
              f"(#{step['since'] + 1}..#{step['last']}), {step['complaints']:,} complaints  "
              f"maxrss {mib(step['maxrss_mib'])}  load before {step['load']}", flush=True)
        if step["problem_count"]:
            print(f"  WARNING: the incremental check found {step['problem_count']} problems: {step['problems']}")
        if args.profile:
            profiled = in_child("full", url, instance, args, profile=True)
            print(f"\n  full check under cProfile: {profiled['seconds']:.1f} s (load before {profiled['load']})")
            print(profiled["profile_cumulative"])
            print(profiled["profile_tottime"])
        if kind == "postgresql":
            with admin.connect() as connection:
                results["size"] = connection.scalar(text("SELECT pg_size_pretty(pg_database_size(:n))"), {"n": name})
                results["version"] = "PostgreSQL " + connection.scalar(text("SHOW server_version")).split()[0]
        else:
            results["size"] = f"{(instance / 'registry.sqlite3').stat().st_size / 2**20:,.0f} MB"
            results["version"] = f"SQLite {sqlite3.sqlite_version}"
        return results
    finally:
        if not args.keep:
            if admin is not None:
                with admin.connect() as connection:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            shutil.rmtree(instance, ignore_errors=True)
        if admin is not None:
            admin.dispose()


def print_summary(kind: str, results: dict[str, Any], args: argparse.Namespace) -> None:
    full = results["full"]
    print(f"\n---- {DATABASE_TITLES[kind]} ({results['version']}), {full['entries']:,} entries "
          f"({args.count:,} complaints), database {results['size']}, {time.strftime('%Y-%m-%d %H:%M')} ----")
    print("| step | seconds | CPU s (this process) | entries | entries/s | × crypto | maxrss after (before) | load before |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    crypto = results["crypto"]["seconds"]
    for step, label in (("stream", "stream the rows (plain cursor)"),
                        ("crypto", "baseline: digest + link + Ed25519 per row"),
                        ("full", "full check `verify_registry(since=None, files=False)`"),
                        ("incremental", f"incremental after a verified checkpoint (+{args.append:,})")):
        r = results[step]
        print(f"| {label} | {r['seconds']:.1f} | {r['cpu_s']:.1f} | {r['entries']:,} | {r['entries'] / r['seconds']:,.0f} | "
              f"{r['seconds'] / crypto:.2f} | {mib(r['maxrss_mib'])} ({mib(r['maxrss_before_mib'])}) | {r['load']} |")
    share, cpu_share = crypto / full["seconds"], results["crypto"]["cpu_s"] / full["cpu_s"]
    print(f"The baseline (stream + crypto) is {share:.0%} of the full check's time ({cpu_share:.0%} of its CPU "
          f"in this process, which leaves out the database server's); the rest "
          f"({full['seconds'] - crypto:.1f} s) is the comparison of rows, the facts, numbering and the rest.")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="postgresql")
    parser.add_argument("--count", type=int, default=1_000_000, help="complaints to load")
    parser.add_argument("--append", type=int, default=1000, help="complaints added after the checkpoint")
    parser.add_argument("--batch", type=int, default=10_000, help="complaints per loader transaction")
    parser.add_argument("--profile", action="store_true", help="also run the full check under cProfile")
    parser.add_argument("--top", type=int, default=15, help="functions shown by --profile")
    parser.add_argument("--postgres-url", default=os.environ.get(
        "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
        help="a database to connect to while creating and dropping the benchmark's own")
    parser.add_argument("--database", help="name of the database (and its instance folder) to create or reuse")
    parser.add_argument("--keep", action="store_true", help="keep the database for the next run")
    parser.add_argument("--step", choices=["stream", "crypto", "full", "incremental"], help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--instance", help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if args.step:
        run_step(args)
        return
    print(f"== registry verify benchmark: {args.count:,} complaints; machine: {machine()}")
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    for kind in kinds:
        print_summary(kind, run_database(kind, args), args)


if __name__ == "__main__":
    main()

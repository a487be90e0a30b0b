"""Complaints registered per second through HTTP, beside the bare numbering transaction.

Run from the project root:

    .venv/bin/python benchmarks/intake_http.py [--seconds 10] [--clients 16]
        [--workers 2] [--threads 1] [--db sqlite|postgresql|both] [--rate-limit-storage auto|URI]

For each database this builds a fresh one (an SQLite file in a temporary directory, or a new
PostgreSQL database made from `--postgres-url` and dropped at the end) with `flask db upgrade`,
starts gunicorn on a free loopback port serving `benchmarks.bench_wsgi:app` (the real app plus
`POST /_bench/bare`), waits until it answers, and drives both endpoints with `--clients`
threads, each holding one keep-alive connection (http.client) and posting back to back:

  intake  POST /api/v1/complaints  `valid_payload()` with a varied subject: validation, number,
                                   complaint row, signed hash-chain entry, commit, answer
  bare    POST /_bench/bare        the same JSON body: number, one complaint-shaped row made
                                   from its fields in a copy of the complaints table (same
                                   columns, unique constraints and indexes), commit

`BENCH_BARE_TABLE=plain` makes bare store the raw body in a narrow table without secondary
indexes instead (the earlier, harsher baseline: it leaves the complaints' index pages to intake).

Bare runs inside the full app here (its request frame, logging and rate-limit hooks included),
which hides what every request pays: benchmarks/intake_peers.py measures the app against an
independent bare Flask app (benchmarks/bare_flask_app.py) and django-helpdesk instead.

Each endpoint is warmed up for `--warm-up` seconds (not counted), then measured for
`--seconds` in two halves, intake-bare-bare-intake, so that a drift in the machine's
background load or in the database's size favours neither. On PostgreSQL the database is
vacuumed and analysed after the warm-ups, as autovacuum would (benchmarks/harness.py
`vacuum_analyze`).

The default server is gunicorn's sync worker, one process per core (2 here): with threads,
a request holding the SQLite write lock or a PostgreSQL row lock waits for the GIL behind
its neighbours' validation, which lowered both rates and stretched p95 several times over.
Sync workers close the connection after each answer; http.client then reconnects.

The rate-limit counters (the registration limit is counted on every request, lifted far above
what the run sends) go to a local Redis when one answers, as a deployment with several workers
must have them (`memory://` counts per worker), else in process; `memory://` starts a timer
thread on most counts, which costs intake about 15 % of its rate.

Printed per database: the rate of 2xx answers (req/s), p50/p95 latency of those answers,
errors (non-2xx answers and broken connections), the share of a CPU the load generator
used, the ratio intake/bare (target: at least 0.7), whether the journal is gap-free
(complaint seqs 1..N, chain positions 1..N, one entry per complaint, as many complaints as
201 answers), and what the server logged about retries and errors. A summary to paste into
docs/performance.md ends the run. The load generator shares the machine with gunicorn and the
database, which the summary states with the load average seen before measuring.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import platform
import re
import signal
import socket
import sqlite3
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from benchmarks.harness import cpu_model, free_port, fresh_database, migrate, serve, vacuum_analyze  # noqa: E402
from tests._support import valid_payload  # noqa: E402

TARGET_RATIO = 0.7
HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}
DATABASE_TITLES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


@dataclass(frozen=True)
class Endpoint:
    name: str
    path: str


ENDPOINTS = (
    Endpoint("intake", "/api/v1/complaints"),
    Endpoint("bare", "/_bench/bare"),
)


@dataclass
class LoadResult:
    """What one endpoint did under load: successful latencies, failures, time spent."""

    seconds: float = 0.0
    client_cpu_s: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    failures: Counter[str] = field(default_factory=Counter)

    def add(self, other: LoadResult) -> None:
        self.seconds += other.seconds
        self.client_cpu_s += other.client_cpu_s
        self.latencies_ms.extend(other.latencies_ms)
        self.failures.update(other.failures)

    @property
    def ok(self) -> int:
        return len(self.latencies_ms)

    @property
    def errors(self) -> int:
        return sum(self.failures.values())

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def percentile_ms(self, fraction: float) -> float:
        ordered = sorted(self.latencies_ms)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]

    def line(self, endpoint: Endpoint) -> str:
        failures = (
            f" ({', '.join(f'{k}: {v}' for k, v in self.failures.most_common())})" if self.failures else ""
        )
        return (
            f"{endpoint.name:<7} POST {endpoint.path:<20} {self.rate:8.1f} req/s  "
            f"p50 {self.percentile_ms(0.5):7.1f} ms  p95 {self.percentile_ms(0.95):7.1f} ms  "
            f"errors {self.errors}{failures}  (load generator: {self.client_cpu_s / self.seconds:.0%} of a CPU)"
        )


@dataclass
class DatabaseRun:
    """Everything printed about one database."""

    kind: str
    version: str
    results: dict[str, LoadResult]
    journal: str
    journal_ok: bool
    server_log: str
    load_average: float

    @property
    def ratio(self) -> float:
        bare = self.results["bare"].rate
        return self.results["intake"].rate / bare if bare else float("nan")


def request_body(index: int) -> bytes:
    """The complaint both endpoints receive; the subject varies so no two are alike."""
    payload = valid_payload(subject=f"Retragerea de 500 MDL nu a ajuns (cererea {index})")
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


def drive(
    port: int, endpoint: Endpoint, clients: int, seconds: float, numbering: Iterator[int]
) -> LoadResult:
    """`clients` threads, one keep-alive connection each, posting back to back for `seconds`."""
    result = LoadResult()
    lock = threading.Lock()
    stop = threading.Event()
    window: dict[str, float] = {}
    start_together = threading.Barrier(
        clients,
        action=lambda: window.update(
            start=time.perf_counter(), end=time.perf_counter() + seconds, cpu=time.process_time()
        ),
    )

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        latencies: list[float] = []
        failures: Counter[str] = Counter()
        start_together.wait()
        while not stop.is_set() and time.perf_counter() < window["end"]:
            body = request_body(next(numbering))
            began = time.perf_counter()
            try:
                connection.request("POST", endpoint.path, body, HEADERS)
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException) as error:
                connection.close()  # reopened by the next request
                failures[type(error).__name__] += 1
                continue
            if 200 <= response.status < 300:
                latencies.append((time.perf_counter() - began) * 1000)
            else:
                failures[f"HTTP {response.status}"] += 1
        connection.close()
        with lock:
            result.latencies_ms.extend(latencies)
            result.failures.update(failures)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            thread.join()
    finally:
        stop.set()
    result.seconds = time.perf_counter() - window["start"]
    result.client_cpu_s = time.process_time() - window["cpu"]
    return result


def measure(
    port: int, args: argparse.Namespace, numbering: Iterator[int], database_url: str
) -> tuple[dict[str, LoadResult], int]:
    """Warm each endpoint up (and on PostgreSQL vacuum and analyse, as autovacuum would), then
    measure them in halves, intake-bare-bare-intake, so that a drift in the machine's background
    load or the database's size favours neither.
    Returns the measurements and how many complaints were registered in all."""
    warm_ups = {
        endpoint.name: drive(port, endpoint, args.clients, args.warm_up, numbering) for endpoint in ENDPOINTS
    }
    if make_url(database_url).get_backend_name() == "postgresql":
        vacuum_analyze(database_url)
    results = {endpoint.name: LoadResult() for endpoint in ENDPOINTS}
    for endpoint in (*ENDPOINTS, *reversed(ENDPOINTS)):
        results[endpoint.name].add(drive(port, endpoint, args.clients, args.seconds / 2, numbering))
    return results, warm_ups["intake"].ok + results["intake"].ok


#: Where the rate-limit counters go with `--rate-limit-storage auto` when a Redis server answers.
LOCAL_REDIS = "redis://127.0.0.1:6379/15"


def rate_limit_storage(choice: str) -> str:
    """`auto`: Redis on loopback when one answers (as the deployment with several workers must
    use: in-process counters are per worker), else the in-process `memory://`."""
    if choice != "auto":
        return choice
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5) as connection:
            connection.sendall(b"PING\r\n")
            return LOCAL_REDIS if connection.recv(16).startswith(b"+PONG") else "memory://"
    except OSError:
        return "memory://"


def app_environment(database_url: str, workdir: Path, storage: str = "memory://") -> dict[str, str]:
    """Development settings (the key is created on first start) on the fresh database."""
    instance = workdir / "instance"
    return {
        **os.environ,
        "RATELIMIT_STORAGE_URI": storage,
        "APP_ENV": "development",
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(instance),
        "REGISTRY_KEY_PATH": str(instance / "registry_ed25519.pem"),
        "ATTACHMENTS_DIR": str(instance / "attachments"),
        # All the load comes from one address: lift the per-address registration limit (still
        # counted, so its cost stays in the figures) far above what the run can send.
        "COMPLAINT_RATE_LIMIT": "100000000 per hour",
    }


def gunicorn_command(port: int, workers: int, threads: int) -> list[str]:
    return [
        sys.executable, "-m", "gunicorn",
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers),
        "--worker-class", "gthread" if threads > 1 else "sync",
        "--threads", str(threads),
        "--graceful-timeout", "10",
        "benchmarks.bench_wsgi:app",
    ]  # fmt: skip


def check_journal(database_url: str, created: int) -> tuple[bool, str]:
    """Seqs 1..N per year, chain positions 1..N, one entry per complaint, N = 201 answers."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            years = connection.execute(
                text(
                    "SELECT c.year, count(*), min(c.seq), max(c.seq), n.last_value"
                    " FROM complaints c LEFT JOIN number_counters n"
                    " ON n.scope = 'incoming:' || CAST(c.year AS VARCHAR(4))"
                    " GROUP BY c.year, n.last_value ORDER BY c.year"
                )
            ).all()
            entries, first, last, linked = connection.execute(
                text(
                    "SELECT count(*), coalesce(min(position), 0), coalesce(max(position), 0),"
                    " count(DISTINCT complaint_id) FROM registry_entries"
                )
            ).one()
            # Bare's rows: one table or the other, per BENCH_BARE_TABLE; its counter is "bench:<year>".
            bench_rows, bench_last = connection.execute(
                text(
                    "SELECT (SELECT count(*) FROM bench_rows) + (SELECT count(*) FROM bench_complaints),"
                    " coalesce((SELECT sum(last_value) FROM number_counters WHERE scope LIKE 'bench:%'), 0)"
                )
            ).one()
    finally:
        engine.dispose()
    complaints = sum(count for _, count, *_ in years)
    seqs_ok = all(low == 1 and high == count == counter for _, count, low, high, counter in years)
    chain_ok = entries == complaints == linked and (entries == 0 or (first == 1 and last == entries))
    ok = seqs_ok and chain_ok and complaints == created and bench_rows == bench_last
    ranges = ", ".join(f"{year}: seqs 1..{high}" for year, _, _, high, _ in years) or "none"
    summary = (
        f"{'gap-free' if ok else 'NOT gap-free'}: {complaints} complaints ({ranges}) for {created} HTTP 201s; "
        f"{entries} signed entries at positions {first}..{last} for {linked} complaints; "
        f"{bench_rows} bench rows, counter at {bench_last}"
    )
    return ok, summary


def server_log_summary(log: Path) -> str:
    """What the server said that matters for a benchmark: retries, locks, errors."""
    content = log.read_text(errors="replace")
    counts = {
        "retries": len(re.findall(r"transient database conflict", content)),
        "'database is locked'": content.count("database is locked"),
        "tracebacks": content.count("Traceback"),
        "worker timeouts": content.count("WORKER TIMEOUT"),
    }
    return ", ".join(f"{count} {what}" for what, count in counts.items())


def database_version(kind: str, database_url: str) -> str:
    if kind == "sqlite":
        return f"SQLite {sqlite3.sqlite_version}"
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return "PostgreSQL " + connection.execute(text("SHOW server_version")).scalar_one().split()[0]
    finally:
        engine.dispose()


def run_database(kind: str, args: argparse.Namespace) -> DatabaseRun:
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=f"bench_intake_{kind}_")))
        database_url = stack.enter_context(fresh_database(kind, workdir, args.postgres_url))
        env = app_environment(database_url, workdir, args.rate_limit_storage)
        log = workdir / "server.log"
        migrate(env, log)
        port = free_port()
        stack.enter_context(serve(gunicorn_command(port, args.workers, args.threads), env, port, log))
        load_average = os.getloadavg()[0]
        results, registered = measure(port, args, itertools.count(1), database_url)
        journal_ok, journal = check_journal(database_url, registered)
        return DatabaseRun(
            kind=kind,
            version=database_version(kind, database_url),
            results=results,
            journal=journal,
            journal_ok=journal_ok,
            server_log=server_log_summary(log),
            load_average=load_average,
        )


def server_description(args: argparse.Namespace) -> str:
    worker = (
        f"gthread, {args.workers} workers x {args.threads} threads"
        if args.threads > 1
        else f"sync, {args.workers} workers"
    )
    return f"gunicorn {version('gunicorn')} ({worker})"


def print_database(run: DatabaseRun, args: argparse.Namespace) -> None:
    print(
        f"\n== {run.version}: {server_description(args)}; {args.clients} clients, "
        f"{args.seconds:g} s per endpoint; load average {run.load_average:.2f} before measuring"
    )
    for endpoint in ENDPOINTS:
        print(run.results[endpoint.name].line(endpoint))
    verdict = "met" if run.ratio >= TARGET_RATIO else "NOT met"
    print(f"ratio intake/bare {run.ratio:.2f} (target >= {TARGET_RATIO}: {verdict})")
    print(f"journal: {run.journal}")
    print(f"server log: {run.server_log}")


def print_summary(runs: list[DatabaseRun], args: argparse.Namespace) -> None:
    versions = ", ".join(run.version for run in runs)
    print("\n---- summary ----")
    print(
        f"`benchmarks/intake_http.py --seconds {args.seconds:g} --clients {args.clients}"
        f" --workers {args.workers} --threads {args.threads}`, {time.strftime('%Y-%m-%d')}"
    )
    load = ", ".join(f"{DATABASE_TITLES[run.kind]} {run.load_average:.2f}" for run in runs)
    print(
        f"Machine: {len(os.sched_getaffinity(0))} CPUs ({cpu_model()}), Python {platform.python_version()}, {versions}; "
        f"{server_description(args)}; rate-limit counters in {args.rate_limit_storage}. The load generator ({args.clients} threads, one http.client "
        f"connection each) runs on the same machine; 1-minute load average before measuring: {load}."
    )
    print()
    print("| database | endpoint | req/s | p50 ms | p95 ms | errors | load generator CPU | intake/bare |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for run in runs:
        for endpoint in ENDPOINTS:
            result = run.results[endpoint.name]
            ratio = f"{run.ratio:.2f}" if endpoint.name == "intake" else ""
            print(
                f"| {DATABASE_TITLES[run.kind]} | {endpoint.name} | {result.rate:.0f} | "
                f"{result.percentile_ms(0.5):.1f} | {result.percentile_ms(0.95):.1f} | {result.errors} | "
                f"{result.client_cpu_s / result.seconds:.0%} | {ratio} |"
            )
    print()
    for run in runs:
        print(f"{DATABASE_TITLES[run.kind]} journal {run.journal}.")
    print(f"Target: intake >= {TARGET_RATIO} x bare.")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10, help="measured seconds per endpoint")
    parser.add_argument("--warm-up", type=float, default=2, help="uncounted seconds of load before each")
    parser.add_argument("--clients", type=int, default=16, help="concurrent client threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=1, help="threads per worker (1: sync workers)")
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--rate-limit-storage", default="auto",
                        help="RATELIMIT_STORAGE_URI for the server; auto: local Redis if it answers, else memory://")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
        help="a database to connect to while creating and dropping the benchmark's own",
    )
    return parser.parse_args()


def stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main() -> None:
    args = parse_args()
    args.rate_limit_storage = rate_limit_storage(args.rate_limit_storage)
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    runs = []
    try:
        for kind in kinds:
            run = run_database(kind, args)
            print_database(run, args)
            runs.append(run)
    except KeyboardInterrupt:
        sys.exit("interrupted; server stopped and temporary databases removed")
    print_summary(runs, args)
    if not all(run.journal_ok for run in runs):
        sys.exit("the journal is NOT gap-free: see above")


if __name__ == "__main__":
    main()

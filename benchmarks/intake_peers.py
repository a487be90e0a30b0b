"""Registrations per second through HTTP: the app beside an independent bare Flask endpoint and
django-helpdesk's public ticket form, under the same gunicorn settings, in one interleaved run.

Run from the project root:

    .venv/bin/python benchmarks/intake_peers.py [--seconds 8] [--connections 4,16]
        [--workers 2] [--db sqlite|postgresql|both] [--systems app,bare-signed,bare,helpdesk]
        [--base-root TREE]

For each database, every system gets a fresh database of its own (an SQLite file in a temporary
directory, or a new PostgreSQL database made from `--postgres-url`, dropped at the end), is
prepared (the app: `flask db upgrade`; bare: its two tables; django-helpdesk: `django migrate`
and a public queue) and served by gunicorn with the same command line (benchmarks/peers.py:
sync workers, `--workers`, no control socket), one system after the other so that each one's
time to its first answer is its own. Then, for each connection count, each endpoint is warmed up
for `--warm-up` seconds and measured for `--seconds` in two halves, in the order
app, ..., helpdesk, helpdesk, ..., app, so that drift in the machine's load or in the tables'
size favours none. Clients are threads, each with one http.client connection, posting back to
back (sync workers close the connection after each answer; the client reconnects).

  app       POST /api/v1/complaints  JSON, `valid_payload()` with a varied subject       (201)
  app-form  POST /                   the public filing form, urlencoded, with its CSRF token and a
                                     fresh submission token each time                   (303)
  bare      POST /complaints         the same JSON: number + one complaint-shaped row   (201)
  bare-signed POST /complaints       bare plus the rest of what issue 18 names as the registering
                                     transaction: the fields checked, a hash-chained Ed25519-signed
                                     entry and an outbox row (bare_flask_app.py, BARE_SIGNED=1):
                                     the least a registration keeping the record's promise pays (201)
  helpdesk  POST /tickets/submit/    title, body, e-mail, with its CSRF token            (302)
  app-base  POST /api/v1/complaints  as `app`, served from another checkout (`--base-root`, e.g. a
                                     `git worktree` of main with .venv and the compiled catalogues):
                                     before and after a change in one interleaved run  (201)

On PostgreSQL every system's database is vacuumed and analysed after each warm-up, as
autovacuum would do in production (benchmarks/harness.py `vacuum_analyze`: this machine's server runs
without it).
The app's rate-limit counters go to a local Redis when one answers (as intake_http.py does).
Printed: rates, p50/p95, errors per system and connection count; the ratios app/bare (target
>= 0.65) and app/helpdesk (target >= 3); each server's first answer and its workers' resident and
peak resident memory after the run; whether every system's numbers are gap-free (one row per
success); the load average before each measurement. Durability is each system's own as
configured to match the app's: see bare_flask_app.py and helpdesk_site/settings.py.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import os
import platform
import re
import secrets
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from benchmarks.harness import cpu_model, free_port, fresh_database, vacuum_analyze  # noqa: E402
from benchmarks.intake_http import (  # noqa: E402
    DATABASE_TITLES,
    LoadResult,
    database_version,
    rate_limit_storage,
    request_body,
    stop_on_sigterm,
)
from benchmarks.peers import HELPDESK_VERSION, Peer, Server, app_peer, bare_peer, helpdesk_peer, started  # noqa: E402
from tests._support import valid_payload  # noqa: E402

TARGET_BARE = 0.65
TARGET_HELPDESK = 3.0
JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}
FORM = "application/x-www-form-urlencoded"


class Client:
    """How one client thread posts to one system: `open` once per thread, then `request` per post."""

    path = ""
    ok_status = 201

    def __init__(self, port: int) -> None:
        self.port = port

    def open(self, connection: http.client.HTTPConnection) -> None:
        """Fetch what every post needs (a form's CSRF token and cookie)."""

    def request(self, index: int) -> tuple[bytes, dict[str, str]]:
        raise NotImplementedError


class JsonClient(Client):
    def request(self, index: int) -> tuple[bytes, dict[str, str]]:
        return request_body(index), JSON_HEADERS


class AppApi(JsonClient):
    path = "/api/v1/complaints"


class Bare(JsonClient):
    path = "/complaints"


def _form_page(connection: http.client.HTTPConnection, path: str, token_name: str) -> tuple[str, str]:
    """GET a form: its CSRF token and the cookies set with it."""
    connection.request("GET", path, headers={"Accept": "text/html"})
    response = connection.getresponse()
    page = response.read().decode("utf-8", "replace")
    if response.status != 200:
        raise RuntimeError(f"GET {path}: {response.status}")
    match = re.search(rf'name="{token_name}"[^>]*value="([^"]+)"', page) or re.search(
        rf'value="([^"]+)"[^>]*name="{token_name}"', page
    )
    if match is None:
        raise RuntimeError(f"GET {path}: no {token_name} in the page")
    cookies = "; ".join(c.split(";", 1)[0] for c in response.headers.get_all("Set-Cookie") or [])
    return match.group(1), cookies


class AppForm(Client):
    """The public filing form: the fields `valid_payload()` has, its CSRF token, a fresh submission token."""

    path = "/"
    ok_status = 303

    def open(self, connection: http.client.HTTPConnection) -> None:
        self.token, self.cookies = _form_page(connection, self.path, "csrf_token")

    def request(self, index: int) -> tuple[bytes, dict[str, str]]:
        payload = valid_payload(subject=f"Retragerea de 500 MDL nu a ajuns (cererea {index})")
        fields = {k: ("y" if v is True else v) for k, v in payload.items() if v not in (None, False)}
        fields |= {"csrf_token": self.token, "submission_token": secrets.token_urlsafe(24)}
        return urlencode(fields).encode(), {"Content-Type": FORM, "Cookie": self.cookies}


class Helpdesk(Client):
    """django-helpdesk's public ticket form: title, body and e-mail from the same payload."""

    path = "/tickets/submit/"
    ok_status = 302

    def open(self, connection: http.client.HTTPConnection) -> None:
        self.token, self.cookies = _form_page(connection, self.path, "csrfmiddlewaretoken")

    def request(self, index: int) -> tuple[bytes, dict[str, str]]:
        payload = valid_payload(subject=f"Retragerea de 500 MDL nu a ajuns (cererea {index})")
        fields = {
            "csrfmiddlewaretoken": self.token,
            "title": payload["subject"],
            "body": payload["description"],
            "submitter_email": payload["email"],
        }
        return urlencode(fields).encode(), {"Content-Type": FORM, "Cookie": self.cookies}


CLIENTS: dict[str, type[Client]] = {
    "app": AppApi, "app-form": AppForm, "bare": Bare, "bare-signed": Bare, "helpdesk": Helpdesk, "app-base": AppApi,
}


def drive(client_type: type[Client], port: int, clients: int, seconds: float, numbering: Iterator[int]) -> LoadResult:
    """`clients` threads, one connection each, posting back to back for `seconds`."""
    result = LoadResult()
    lock = threading.Lock()
    window: dict[str, float] = {}
    start_together = threading.Barrier(
        clients,
        action=lambda: window.update(
            start=time.perf_counter(), end=time.perf_counter() + seconds, cpu=time.process_time()
        ),
    )

    def run() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        client = client_type(port)
        client.open(connection)
        latencies: list[float] = []
        failures: dict[str, int] = {}
        start_together.wait()
        while time.perf_counter() < window["end"]:
            body, headers = client.request(next(numbering))
            began = time.perf_counter()
            try:
                connection.request("POST", client.path, body, headers)
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException) as error:
                connection.close()
                failures[type(error).__name__] = failures.get(type(error).__name__, 0) + 1
                continue
            if response.status == client.ok_status:
                latencies.append((time.perf_counter() - began) * 1000)
            else:
                failures[f"HTTP {response.status}"] = failures.get(f"HTTP {response.status}", 0) + 1
        connection.close()
        with lock:
            result.latencies_ms.extend(latencies)
            result.failures.update(failures)

    threads = [threading.Thread(target=run, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - window["start"]
    result.client_cpu_s = time.process_time() - window["cpu"]
    return result


@dataclass
class Round:
    """One connection count on one database: each system's measurement and the load before it."""

    connections: int
    load_average: float
    results: dict[str, LoadResult] = field(default_factory=dict)

    def ratio(self, a: str, b: str) -> float:
        if a not in self.results or b not in self.results or not self.results[b].rate:
            return float("nan")
        return self.results[a].rate / self.results[b].rate


@dataclass
class DatabaseRun:
    kind: str
    version: str
    rounds: list[Round]
    startup_s: dict[str, float]
    memory_mib: dict[str, list[tuple[float, float]]]
    checks: dict[str, str]
    ok: bool


def make_peer(system: str, database_url: str, workdir: Path, storage: str, base_root: Path | None = None) -> Peer:
    if system in ("app", "app-form"):
        return app_peer(database_url, workdir / "app", storage)
    if system == "app-base":
        if base_root is None:
            raise SystemExit("--systems app-base needs --base-root")
        peer = app_peer(database_url, workdir / "app-base", storage)
        flask = str(Path(sys.executable).parent / "flask")
        return Peer("app-base", peer.python, peer.target, base_root, peer.env | {"PYTHONPATH": str(base_root)},
                    [[flask, "--app", "wsgi", "db", "upgrade"]])
    if system in ("bare", "bare-signed"):
        return bare_peer(database_url, signed=system == "bare-signed")
    return helpdesk_peer(database_url, workdir)


#: Per system, the query telling (rows, first number, last number, counter) of what it stored.
CHECKS: dict[str, str] = {
    "app": (
        "SELECT count(*), coalesce(min(seq), 0), coalesce(max(seq), 0),"
        " (SELECT coalesce(sum(last_value), 0) FROM number_counters WHERE scope LIKE 'incoming:%'),"
        " (SELECT count(*) FROM registry_entries WHERE kind = 'intake') FROM complaints"
    ),
    "bare": (
        "SELECT count(*), coalesce(min(seq), 0), coalesce(max(seq), 0),"
        " (SELECT coalesce(sum(last_value), 0) FROM bare_counters), count(*) FROM bare_complaints"
    ),
    "bare-signed": (
        "SELECT count(*), coalesce(min(seq), 0), coalesce(max(seq), 0),"
        " (SELECT coalesce(sum(last_value), 0) FROM bare_counters), (SELECT count(*) FROM bare_entries) FROM bare_complaints"
    ),
    "helpdesk": "SELECT count(*), coalesce(min(id), 0), coalesce(max(id), 0), count(*), count(*) FROM helpdesk_ticket",
}


def check_stored(system: str, database_url: str, successes: int) -> tuple[bool, str]:
    """One stored row per success, numbered 1..N without gaps (and, for the app, one intake entry each)."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            query = CHECKS["app" if system in ("app-form", "app-base") else system]
            rows, first, last, counter, entries = connection.execute(text(query)).one()
    finally:
        engine.dispose()
    ok = rows == successes == counter == entries and (rows == 0 or (first == 1 and last == rows))
    return ok, f"{'ok' if ok else 'NOT ok'}: {rows} rows numbered {first}..{last} for {successes} successes"


def run_database(kind: str, args: argparse.Namespace, numbering: Iterator[int]) -> DatabaseRun:
    systems = args.systems
    stored_by = {s: ("app" if s == "app-form" else s) for s in systems}  # app-form files into the app's database
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=f"bench_peers_{kind}_")))
        log = workdir / "server.log"
        urls: dict[str, str] = {}
        servers: dict[str, Server] = {}
        for system in systems:
            owner = stored_by[system]
            if owner not in urls:
                urls[owner] = stack.enter_context(fresh_database(kind, workdir, args.postgres_url, owner))
                peer = make_peer(owner, urls[owner], workdir, args.rate_limit_storage, args.base_root)
                peer.prepare(log)
                servers[owner] = stack.enter_context(started(peer, free_port(), log, args.workers))
        rounds = []
        warm = dict.fromkeys(urls, 0)  # the warm-ups' registrations, stored all the same
        for connections in args.connections:
            round_ = Round(connections, os.getloadavg()[0])
            for system in systems:  # warm-up, not counted
                port = servers[stored_by[system]].port
                warm[stored_by[system]] += drive(CLIENTS[system], port, connections, args.warm_up, numbering).ok
            if kind == "postgresql":
                for url in urls.values():
                    vacuum_analyze(url)
            for system in (*systems, *reversed(systems)):
                port = servers[stored_by[system]].port
                measured = drive(CLIENTS[system], port, connections, args.seconds / 2, numbering)
                round_.results.setdefault(system, LoadResult()).add(measured)
            rounds.append(round_)
        memory = {owner: server.worker_memory() for owner, server in servers.items()}
        checks, ok = {}, True
        for owner, url in urls.items():
            measured = sum(r.results[s].ok for r in rounds for s in systems if stored_by[s] == owner)
            system_ok, checks[owner] = check_stored(owner, url, measured + warm[owner])
            ok = ok and system_ok
        return DatabaseRun(kind, database_version(kind, next(iter(urls.values()))), rounds,
                           {owner: s.first_answer_s for owner, s in servers.items()}, memory, checks, ok)


def ratio_text(value: float, target: float) -> str:
    return f"{value:.2f} ({'met' if value >= target else 'NOT met'}, target >= {target:g})"


def print_database(run: DatabaseRun, args: argparse.Namespace) -> None:
    title = DATABASE_TITLES[run.kind]
    print(f"\n== {run.version}: gunicorn {version('gunicorn')} (sync, {args.workers} workers)")
    for round_ in run.rounds:
        print(f"-- {round_.connections} connections, {args.seconds:g} s each; load average {round_.load_average:.2f} before")
        for system, result in round_.results.items():
            print(f"{system:<9} POST {CLIENTS[system].path:<20} {result.rate:8.1f}/s  p50 {result.percentile_ms(0.5):7.1f} ms"
                  f"  p95 {result.percentile_ms(0.95):7.1f} ms  errors {result.errors}"
                  + (f" ({dict(result.failures)})" if result.failures else ""))
        if "app-base" in round_.results and "app" in round_.results:
            print(f"{title} {round_.connections} conns: app/app-base {round_.ratio('app', 'app-base'):.2f}")
        for name in ("app", "app-form", "app-base"):
            if name in round_.results:
                print(f"{title} {round_.connections} conns: {name}/bare {ratio_text(round_.ratio(name, 'bare'), TARGET_BARE)};"
                      f" {name}/helpdesk {ratio_text(round_.ratio(name, 'helpdesk'), TARGET_HELPDESK)}")
        if "bare-signed" in round_.results:
            print(f"{title} {round_.connections} conns: bare-signed/bare {round_.ratio('bare-signed', 'bare'):.2f};"
                  f" app/bare-signed {round_.ratio('app', 'bare-signed'):.2f}")
    for owner, seconds in run.startup_s.items():
        memory = ", ".join(f"{rss:.0f} (peak {peak:.0f})" for rss, peak in run.memory_mib[owner])
        print(f"{owner:<9} first answer {seconds:5.2f} s; workers' RSS after the run, MiB: {memory}")
    for owner, summary in run.checks.items():
        print(f"{owner:<9} stored {summary}")


def print_summary(runs: list[DatabaseRun], args: argparse.Namespace) -> None:
    print("\n---- summary ----")
    print(f"`benchmarks/intake_peers.py --seconds {args.seconds:g} --connections {','.join(map(str, args.connections))}"
          f" --workers {args.workers} --systems {','.join(args.systems)}`, {time.strftime('%Y-%m-%d')}")
    print(f"Machine: {len(os.sched_getaffinity(0))} CPUs ({cpu_model()}), Python {platform.python_version()}, "
          f"{', '.join(run.version for run in runs)}; gunicorn {version('gunicorn')} sync, {args.workers} workers for every system; "
          f"django-helpdesk {HELPDESK_VERSION}; app rate-limit counters in {args.rate_limit_storage}.")
    print()
    base = "app-base" in args.systems
    signed = "bare-signed" in args.systems
    print("| database | conns | load | " + " | ".join(f"{s} /s (p95 ms)" for s in args.systems)
          + " | app/bare | app/helpdesk |" + (" form/helpdesk |" if "app-form" in args.systems else "")
          + (" app-base/bare | app-base/helpdesk | app/app-base |" if base else "")
          + (" bare-signed/bare | app/bare-signed |" if signed else ""))
    print("|---|---:|---:|" + "---:|" * (len(args.systems) + 2 + ("app-form" in args.systems) + 3 * base + 2 * signed))
    for run in runs:
        for round_ in run.rounds:
            cells = " | ".join(f"{round_.results[s].rate:.0f} ({round_.results[s].percentile_ms(0.95):.0f})" for s in args.systems)
            form = f" {round_.ratio('app-form', 'helpdesk'):.2f} |" if "app-form" in args.systems else ""
            before = (f" {round_.ratio('app-base', 'bare'):.2f} | {round_.ratio('app-base', 'helpdesk'):.2f} |"
                      f" {round_.ratio('app', 'app-base'):.2f} |") if base else ""
            floor = f" {round_.ratio('bare-signed', 'bare'):.2f} | {round_.ratio('app', 'bare-signed'):.2f} |" if signed else ""
            print(f"| {DATABASE_TITLES[run.kind]} | {round_.connections} | {round_.load_average:.2f} | {cells} | "
                  f"{round_.ratio('app', 'bare'):.2f} | {round_.ratio('app', 'helpdesk'):.2f} |{form}{before}{floor}")
    print()
    print("| database | system | first answer s | worker RSS after the run, MiB (peak) |")
    print("|---|---|---:|---|")
    for run in runs:
        for owner, seconds in run.startup_s.items():
            memory = ", ".join(f"{rss:.0f} ({peak:.0f})" for rss, peak in run.memory_mib[owner])
            print(f"| {DATABASE_TITLES[run.kind]} | {owner} | {seconds:.2f} | {memory} |")
    print()
    for run in runs:
        for owner, summary in run.checks.items():
            print(f"{DATABASE_TITLES[run.kind]} {owner}: {summary}.")
    print(f"Targets: app >= {TARGET_BARE} x bare, app >= {TARGET_HELPDESK:g} x helpdesk.")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=8, help="measured seconds per system and connection count")
    parser.add_argument("--warm-up", type=float, default=2, help="uncounted seconds of load before each")
    parser.add_argument("--connections", default="4,16", help="comma-separated connection counts")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers, every system alike")
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--systems", default="app,bare-signed,bare,helpdesk", help=f"some of {','.join(CLIENTS)}")
    parser.add_argument("--rate-limit-storage", default="auto",
                        help="the app's RATELIMIT_STORAGE_URI; auto: local Redis if it answers, else memory://")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
        help="a database to connect to while creating and dropping the benchmark's own",
    )
    parser.add_argument("--base-root", type=Path, default=None,
                        help="another checkout served as system app-base (before/after in one run)")
    args = parser.parse_args()
    if args.base_root is not None:
        args.base_root = args.base_root.resolve()
    args.connections = [int(n) for n in args.connections.split(",")]
    args.systems = args.systems.split(",")
    unknown = set(args.systems) - set(CLIENTS)
    if unknown:
        parser.error(f"unknown systems: {', '.join(sorted(unknown))}")
    return args


def main() -> None:
    args = parse_args()
    args.rate_limit_storage = rate_limit_storage(args.rate_limit_storage)
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    numbering = itertools.count(1)
    runs = []
    try:
        for kind in ["sqlite", "postgresql"] if args.db == "both" else [args.db]:
            run = run_database(kind, args, numbering)
            print_database(run, args)
            runs.append(run)
    except KeyboardInterrupt:
        sys.exit("interrupted; servers stopped and temporary databases removed")
    print_summary(runs, args)
    if not all(run.ok for run in runs):
        sys.exit("a system stored other than one gap-free row per success: see above")


if __name__ == "__main__":
    main()

"""Load and fault test: 50 clients filing complaints against gunicorn + PostgreSQL, once
undisturbed and once with PostgreSQL stopped and started again in the middle.

Run from the project root (as root, or as a user who may run PostgreSQL's binaries):

    .venv/bin/python benchmarks/load_fault.py [--clients 50] [--seconds 60]
        [--outage-at 25] [--outage 5] [--run normal|fault|both] [--workers N]

Bounded, loopback only, and it stops by itself (a whole-run alarm, `--budget`, default 900 s).
It never touches the shared PostgreSQL server: it starts its own private cluster (initdb into a
temporary directory, run as the `postgres` OS user when started as root, listening on
127.0.0.1 and a unix socket inside that directory, on a free port), and removes it at the end.

Each run gets a fresh database on that cluster, set up the way docs/deployment.md says: a
registry key made with `python -m app.registry.signing`, `flask db upgrade`, then gunicorn
with the project's gunicorn.conf.py and APP_ENV=production (JSON logs) on a loopback port.
`--clients` threads then post complaints to `POST /api/v1/complaints` for `--seconds`, each on
its own keep-alive connection, every complaint with its own `Idempotency-Key`. A client that
gets anything but 201 (a 503, a broken connection) waits `--retry-delay` (0.2 s; shorter than
the Retry-After the app sends, so that recovery is measured to a fraction of a second) and
sends the same complaint with the same key again, until it gets its 201: an answer lost in the
outage is then replayed by the app, never registered twice.

The fault run stops PostgreSQL (`pg_ctl stop -m fast`: running transactions are cut, every
connection dropped) `--outage-at` seconds into the load, keeps it down `--outage` seconds and
starts it again (`pg_ctl start -w`); gunicorn is left alone.

Checked afterwards, and printed with the figures (exit status 1 if any check fails):
- no answer other than 201 (and, in the fault run, 503) and no broken connection; every 503
  is clear: JSON {"error", "message"} with a Retry-After header;
- every complaint a client sent was answered 201 in the end, with a number of its own;
- the database holds exactly the complaints answered 201 (none half-registered, none without
  its signed entry, none stored without its client hearing of it), numbers 1..N without a gap,
  chain positions 1..N;
- `flask registry verify` passes;
- in the fault run: requests succeed again after the restart with the same gunicorn master
  and workers (no worker was restarted), and gunicorn logged no traceback.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from benchmarks.harness import cpu_model, flask_command, free_port, migrate, serve  # noqa: E402
from tests._support import valid_payload  # noqa: E402

PATH = "/api/v1/complaints"
POSTGRES_BIN = Path("/usr/lib/postgresql/15/bin")
#: Requests sent this long after PostgreSQL accepts connections again must all succeed.
RECOVERY_GRACE_S = 5.0


# -- the private PostgreSQL cluster ----------------------------------------------------------

class PrivateCluster:
    """A PostgreSQL cluster of our own in `workdir`, on 127.0.0.1:`port` and a unix socket in
    `workdir`, so stopping it disturbs nobody."""

    def __init__(self, bindir: Path, workdir: Path, port: int) -> None:
        self.bindir = bindir
        self.port = port
        self.home = workdir / "postgres"
        self.data = self.home / "data"
        self.log = self.home / "postgres.log"
        self._as_postgres = os.geteuid() == 0  # PostgreSQL refuses to run as root

    def _run(self, program: str, *args: str) -> None:
        owner = {"user": "postgres", "group": "postgres"} if self._as_postgres else {}
        completed = subprocess.run(
            [str(self.bindir / program), *args], cwd=self.home, capture_output=True, text=True, **owner
        )
        if completed.returncode != 0:
            raise RuntimeError(f"{program} {' '.join(args)} failed:\n{completed.stdout}{completed.stderr}")

    def init(self) -> None:
        self.home.mkdir()
        if self._as_postgres:
            shutil.chown(self.home, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--no-instructions")  # fmt: skip

    def start(self) -> None:
        options = f"-p {self.port} -k {self.home} -c listen_addresses=127.0.0.1"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def version(self) -> str:
        engine = create_engine(self.url())
        try:
            with engine.connect() as connection:
                return connection.execute(text("SHOW server_version")).scalar_one().split()[0]
        finally:
            engine.dispose()

    def create_database(self, name: str) -> str:
        engine = create_engine(self.url(), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            engine.dispose()
        return self.url(name)


@contextmanager
def private_cluster(bindir: Path, workdir: Path) -> Iterator[PrivateCluster]:
    cluster = PrivateCluster(bindir, workdir, free_port())
    cluster.init()
    cluster.start()
    try:
        yield cluster
    finally:
        try:
            cluster.stop("immediate")
        except RuntimeError:
            pass  # already stopped (e.g. interrupted during the outage)


# -- the load --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Attempt:
    """One request: when it was sent and answered (seconds from the start), and how it ended."""

    sent: float
    done: float
    outcome: str  # "201", "503", "HTTP 500", "ConnectionResetError", ...
    clear: bool = True  # a 503 with Retry-After and a JSON error
    replayed: bool = False


@dataclass
class Load:
    attempts: list[Attempt] = field(default_factory=list)
    numbers: dict[str, str] = field(default_factory=dict)  # Idempotency-Key -> number answered
    unfinished: list[str] = field(default_factory=list)  # keys never answered 201
    seconds: float = 0.0
    client_cpu_s: float = 0.0


def request_body(client: int, index: int) -> bytes:
    payload = valid_payload(subject=f"Retragerea de 500 MDL nu a ajuns (client {client}, cererea {index})")
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


def drive(port: int, clients: int, seconds: float, retry_delay: float, finish_within: float,
          on_start: Callable[[float], None]) -> Load:  # fmt: skip
    """`clients` threads posting complaints for `seconds`; each retries its complaint (same
    Idempotency-Key) until it is answered 201, for at most `finish_within` more seconds.
    `on_start` gets the perf_counter moment the clients start (attempt times count from it)."""
    load = Load()
    lock = threading.Lock()
    window: dict[str, float] = {}

    def begin() -> None:
        window.update(start=time.perf_counter(), cpu=time.process_time())
        on_start(window["start"])

    start_together = threading.Barrier(clients, action=begin)

    def client(number: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        attempts: list[Attempt] = []
        numbers: dict[str, str] = {}
        unfinished: list[str] = []
        start_together.wait()
        start = window["start"]
        key: str | None = None
        body = b""
        index = 0
        while True:
            now = time.perf_counter() - start
            if key is None:
                if now >= seconds:
                    break
                index += 1
                key = f"load-{number}-{index}"
                body = request_body(number, index)
            elif now >= seconds + finish_within:
                unfinished.append(key)
                break
            headers = {"Content-Type": "application/json", "Accept": "application/json", "Idempotency-Key": key}
            sent = time.perf_counter() - start
            try:
                connection.request("POST", PATH, body, headers)
                response = connection.getresponse()
                data = response.read()
            except (OSError, http.client.HTTPException) as error:
                connection.close()  # reopened by the next request
                attempts.append(Attempt(sent, time.perf_counter() - start, type(error).__name__))
                time.sleep(retry_delay)
                continue
            done = time.perf_counter() - start
            if response.status == 201:
                numbers[key] = json.loads(data)["number"]
                replayed = response.getheader("Idempotent-Replayed") == "true"
                attempts.append(Attempt(sent, done, "201", replayed=replayed))
                key = None
                continue
            clear = True
            if response.status == 503:
                try:
                    clear = "error" in json.loads(data) and response.getheader("Retry-After") is not None
                except ValueError:
                    clear = False
            attempts.append(Attempt(sent, done, str(response.status) if response.status == 503
                                    else f"HTTP {response.status}", clear=clear))  # fmt: skip
            time.sleep(retry_delay)
        connection.close()
        with lock:
            load.attempts.extend(attempts)
            load.numbers.update(numbers)
            load.unfinished.extend(unfinished)

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(1, clients + 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    load.seconds = seconds
    load.client_cpu_s = time.process_time() - window["cpu"]
    return load


@dataclass
class Outage:
    """When PostgreSQL was stopped and ready again, in seconds from the start of the load."""

    down: float  # seconds between the stop and the start command
    stop_sent: float = float("nan")
    stopped: float = float("nan")
    ready: float = float("nan")


def restart_midway(cluster: PrivateCluster, started: threading.Event, start_box: dict[str, float],
                   at: float, outage: Outage) -> None:  # fmt: skip
    started.wait()
    start = start_box["start"]
    time.sleep(max(0.0, start + at - time.perf_counter()))
    outage.stop_sent = time.perf_counter() - start
    cluster.stop("fast")
    outage.stopped = time.perf_counter() - start
    time.sleep(outage.down)
    cluster.start()  # -w: returns once the server accepts connections
    outage.ready = time.perf_counter() - start


# -- checks ----------------------------------------------------------------------------------

@dataclass
class Journal:
    complaints: int
    years: list[tuple[int, int, int, int]]  # year, count, min seq, max seq
    entries: int
    first_position: int
    last_position: int
    without_entry: int
    keys: int
    numbers: set[str]


def read_journal(database_url: str) -> Journal:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            years = [tuple(row) for row in connection.execute(text(
                "SELECT year, count(*), min(seq), max(seq) FROM complaints GROUP BY year ORDER BY year"
            ))]  # fmt: skip
            entries, first, last = connection.execute(text(
                "SELECT count(*), coalesce(min(position), 0), coalesce(max(position), 0) FROM registry_entries"
            )).one()  # fmt: skip
            without_entry = connection.execute(text(
                "SELECT count(*) FROM complaints c WHERE NOT EXISTS"
                " (SELECT 1 FROM registry_entries e WHERE e.complaint_id = c.id AND e.kind = 'intake')"
            )).scalar_one()  # fmt: skip
            keys = connection.execute(text("SELECT count(*) FROM idempotency_keys")).scalar_one()
            numbers = set(connection.execute(text("SELECT number FROM complaints")).scalars())
    finally:
        engine.dispose()
    return Journal(sum(y[1] for y in years), years, entries, first, last, without_entry, keys, numbers)


@dataclass
class Run:
    name: str
    load: Load
    outage: Outage | None
    journal: Journal
    verify_ok: bool
    verify_line: str
    workers_booted: int
    tracebacks: int
    server_alive: bool
    load_average: float
    checks: list[tuple[str, bool]] = field(default_factory=list)


def phase(attempt: Attempt, outage: Outage | None) -> str:
    """before / during / after the outage (a request that overlaps it counts as during)."""
    if outage is None or attempt.done < outage.stop_sent:
        return "before"
    return "during" if attempt.sent < outage.ready else "after"


def judge(run: Run, workers: int) -> None:
    load, outage, journal = run.load, run.outage, run.journal
    outcomes = Counter(a.outcome for a in load.attempts)
    allowed = {"201", "503"} if outage else {"201"}
    answered = set(load.numbers.values())
    seqs_ok = all(low == 1 and high == count for _, count, low, high in journal.years)
    checks = [
        ("no answer but 201" + (" or 503" if outage else "") + ", no broken connection",
         set(outcomes) <= allowed),
        ("every 503 is clear (JSON error, Retry-After)", all(a.clear for a in load.attempts)),
        ("every complaint sent was answered 201 in the end", not load.unfinished),
        ("each 201 has a number of its own", len(answered) == len(load.numbers)),
        ("stored = answered: the same numbers, none more, none fewer", journal.numbers == answered),
        ("numbers 1..N per year without a gap", seqs_ok),
        ("one signed intake entry per complaint, positions 1..N",
         journal.without_entry == 0 and journal.entries == journal.complaints
         and journal.first_position == (1 if journal.entries else 0) and journal.last_position == journal.entries),
        ("one idempotency key per complaint", journal.keys == journal.complaints),
        ("flask registry verify passes", run.verify_ok),
        ("gunicorn logged no traceback", run.tracebacks == 0),
        ("gunicorn still running, no worker restarted", run.server_alive and run.workers_booted == workers),
    ]  # fmt: skip
    if outage:
        after = [a for a in load.attempts if phase(a, outage) == "after"]
        checks.append(("503s during the outage", any(a.outcome == "503" for a in load.attempts)))
        checks.append(("recovered by itself: 201s after the restart", any(a.outcome == "201" for a in after)))
        settled = [a for a in after if a.sent >= outage.ready + RECOVERY_GRACE_S]
        checks.append((f"only 201s for requests sent {RECOVERY_GRACE_S:g} s after the restart and later",
                       bool(settled) and all(a.outcome == "201" for a in settled)))  # fmt: skip
    run.checks = checks


# -- one run ---------------------------------------------------------------------------------

def production_environment(database_url: str, workdir: Path, port: int, workers: int | None) -> dict[str, str]:
    instance = workdir / "instance"
    env = {
        **os.environ,
        "APP_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(instance),
        "REGISTRY_KEY_PATH": str(instance / "registry_ed25519.pem"),
        "DOCUMENT_SIGNING_KEY_PATH": str(instance / "document_signing_key.pem"),
        "DOCUMENT_CERTIFICATE_PATH": str(instance / "document_signing_certificate.pem"),
        "ATTACHMENTS_DIR": str(instance / "attachments"),
        "MAIL_OUTBOX_DIR": str(instance / "outbox"),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",  # production requires it (the links in mail and PDFs)
        # All 50 clients come from one loopback address; the per-address registration limit
        # (COMPLAINT_RATE_LIMIT, 20 per hour) is for the public, not for this load.
        "COMPLAINT_RATE_LIMIT": "100000000 per hour",
    }
    env.pop("LOG_FORMAT", None)  # the production default: JSON lines
    if workers:
        env["GUNICORN_WORKERS"] = str(workers)
    return env


def gunicorn_workers(env: dict[str, str]) -> int:
    """How many workers gunicorn.conf.py asks for in this environment."""
    completed = subprocess.run(
        [sys.executable, "-c", "import runpy; print(runpy.run_path('gunicorn.conf.py')['workers'])"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    )
    return int(completed.stdout.strip())


def count_in_log(log: Path, *needles: str) -> int:
    content = log.read_text(errors="replace")
    return sum(content.count(needle) for needle in needles)


def run_once(name: str, cluster: PrivateCluster, workdir: Path, args: argparse.Namespace) -> Run:
    rundir = workdir / name
    rundir.mkdir()
    database_url = cluster.create_database(f"load_{name}")
    port = free_port()
    env = production_environment(database_url, rundir, port, args.workers)
    log = rundir / "server.log"
    subprocess.run([sys.executable, "-m", "app.registry.signing", env["REGISTRY_KEY_PATH"]],
                   cwd=ROOT, env=env, check=True, capture_output=True)  # fmt: skip
    subprocess.run([sys.executable, "-m", "app.documents.signature", env["DOCUMENT_SIGNING_KEY_PATH"],
                    env["DOCUMENT_CERTIFICATE_PATH"], "Load test"],
                   cwd=ROOT, env=env, check=True, capture_output=True)  # fmt: skip
    migrate(env, log)
    workers = gunicorn_workers(env)
    command = [sys.executable, "-m", "gunicorn", "--config", str(ROOT / "gunicorn.conf.py")]
    with serve(command, env, port, log) as server:
        load_average = os.getloadavg()[0]
        started = threading.Event()
        start_box: dict[str, float] = {}
        outage = Outage(down=args.outage) if name == "fault" else None
        controller = None
        if outage is not None:
            controller = threading.Thread(
                target=restart_midway, args=(cluster, started, start_box, args.outage_at, outage), daemon=True
            )
            controller.start()

        def on_start(moment: float) -> None:
            start_box["start"] = moment
            started.set()

        load = drive(port, args.clients, args.seconds, args.retry_delay, args.finish_within, on_start)
        if controller is not None:
            controller.join()
        server_alive = server.poll() is None
    workers_booted = count_in_log(log, "Booting worker")
    tracebacks = count_in_log(log, "Traceback")
    verify = flask_command(env, rundir / "verify.log", "registry", "verify")
    verify_lines = (rundir / "verify.log").read_text(errors="replace").strip().splitlines()
    run = Run(
        name=name, load=load, outage=outage, journal=read_journal(database_url),
        verify_ok=verify.returncode == 0, verify_line=verify_lines[-1] if verify_lines else "",
        workers_booted=workers_booted, tracebacks=tracebacks, server_alive=server_alive,
        load_average=load_average,
    )  # fmt: skip
    judge(run, workers)
    if args.keep_logs:
        shutil.copytree(rundir, Path(args.keep_logs) / name, dirs_exist_ok=True)
    return run


# -- the report ------------------------------------------------------------------------------

def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def figures(run: Run) -> dict[str, str]:
    load, outage = run.load, run.outage
    ok = [a for a in load.attempts if a.outcome == "201"]
    latencies = [(a.done - a.sent) * 1000 for a in ok]
    in_window = [a for a in ok if a.sent < load.seconds]
    statuses = Counter(a.outcome for a in load.attempts)
    row = {
        "requests": f"{len(load.attempts):,}",
        "complaints registered": f"{len(load.numbers):,}",
        "req/s (201s)": f"{len(in_window) / load.seconds:.0f}",
        "p50 ms": f"{percentile(latencies, 0.5):.1f}",
        "p95 ms": f"{percentile(latencies, 0.95):.1f}",
        "p99 ms": f"{percentile(latencies, 0.99):.1f}",
        "statuses": ", ".join(f"{k}: {v:,}" for k, v in sorted(statuses.items())),
        "replayed 201s": f"{sum(a.replayed for a in ok):,}",
    }
    if outage is not None:
        during = Counter(a.outcome for a in load.attempts if phase(a, outage) == "during")
        first_ok = min((a.done for a in ok if a.done > outage.ready), default=float("nan"))
        last_bad = max((a.done for a in load.attempts if a.outcome != "201"), default=float("nan"))
        bad_503 = [a for a in load.attempts if a.outcome == "503"]
        row.update({
            "during the outage": ", ".join(f"{k}: {v:,}" for k, v in sorted(during.items())),
            "PostgreSQL down (stop sent → ready)": f"{outage.ready - outage.stop_sent:.2f} s "
            f"(stop took {outage.stopped - outage.stop_sent:.2f} s, start {outage.ready - outage.stopped - outage.down:.2f} s)",
            "503s answered": f"{min(a.done for a in bad_503):.2f} s → {max(a.done for a in bad_503):.2f} s"
            if bad_503 else "none",
            "first 201 answered after ready": f"+{(first_ok - outage.ready) * 1000:.0f} ms",
            "last non-201 answered": f"+{(last_bad - outage.ready) * 1000:.0f} ms after ready"
            if last_bad > outage.ready else "before ready (none after)",
            "503 latency p50 / max ms": f"{percentile([(a.done - a.sent) * 1000 for a in bad_503], 0.5):.1f} / "
            f"{max((a.done - a.sent) * 1000 for a in bad_503):.1f}" if bad_503 else "-",
        })  # fmt: skip
    return row


def print_run(run: Run) -> None:
    title = "fault: PostgreSQL stopped and started during the load" if run.outage else "normal load"
    print(f"\n== {title} (1-minute load average {run.load_average:.2f} before)")
    for name, value in figures(run).items():
        print(f"  {name:<38} {value}")
    print(f"  {'journal':<38} {run.journal.complaints:,} complaints, "
          + ", ".join(f"{year}: seqs {low}..{high}" for year, _, low, high in run.journal.years)
          + f"; {run.journal.entries:,} signed entries at positions {run.journal.first_position}..{run.journal.last_position}")
    print(f"  {'flask registry verify':<38} {run.verify_line}")
    for description, passed in run.checks:
        print(f"  [{'ok' if passed else 'FAILED'}] {description}")


def print_summary(runs: list[Run], args: argparse.Namespace, postgres_version: str, workers: int) -> None:
    print("\n---- summary ----")
    print(
        f"`benchmarks/load_fault.py --clients {args.clients} --seconds {args.seconds:g} "
        f"--outage-at {args.outage_at:g} --outage {args.outage:g}`, {time.strftime('%Y-%m-%d')}. "
        f"Machine: {len(os.sched_getaffinity(0))} CPUs ({cpu_model()}), shared; Python {platform.python_version()}, "
        f"PostgreSQL {postgres_version} (a private cluster, default settings), gunicorn {version('gunicorn')} "
        f"(gunicorn.conf.py: {workers} sync workers), APP_ENV=production, JSON logs. The load generator "
        f"({args.clients} threads) runs on the same machine."
    )
    keys = list(dict.fromkeys(k for run in runs for k in figures(run)))
    print()
    print("| | " + " | ".join(run.name for run in runs) + " |")
    print("|---|" + "---|" * len(runs))
    for key in keys:
        print(f"| {key} | " + " | ".join(figures(run).get(key, "") for run in runs) + " |")
    print("| load generator CPU | " + " | ".join(f"{run.load.client_cpu_s / run.load.seconds:.0%}" for run in runs) + " |")
    print("| all checks | " + " | ".join("pass" if all(p for _, p in run.checks) else "FAIL" for run in runs) + " |")


# -- main ------------------------------------------------------------------------------------

def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60, help="seconds of load per run")
    parser.add_argument("--run", choices=["normal", "fault", "both"], default="both")
    parser.add_argument("--outage-at", type=float, default=25, help="seconds into the fault run's load")
    parser.add_argument("--outage", type=float, default=5, help="seconds PostgreSQL stays down")
    parser.add_argument("--retry-delay", type=float, default=0.2, help="a client's wait before resending")
    parser.add_argument("--finish-within", type=float, default=30,
                        help="seconds after the load a client may still retry its last complaint")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: gunicorn.conf.py's)")
    parser.add_argument("--postgres-bin", type=Path, default=POSTGRES_BIN)
    parser.add_argument("--budget", type=int, default=900, help="the whole run stops after this many seconds")
    parser.add_argument("--keep-logs", default=None, help="copy each run's server and verify logs here")
    return parser.parse_args()


def over_budget(signum: int, frame: FrameType | None) -> None:
    raise TimeoutError("the run took longer than --budget; stopped")


def interrupted(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main() -> None:
    args = parse_args()
    if args.run != "normal" and args.outage_at + args.outage >= args.seconds:
        sys.exit("--outage-at + --outage must end before --seconds")
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGALRM, over_budget)
    signal.alarm(args.budget)
    names = ["normal", "fault"] if args.run == "both" else [args.run]
    runs: list[Run] = []
    try:
        with ExitStack() as stack:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="load_fault_")))
            workdir.chmod(0o755)  # the postgres user works in a directory below
            cluster = stack.enter_context(private_cluster(args.postgres_bin, workdir))
            postgres_version = cluster.version()
            for name in names:
                run = run_once(name, cluster, workdir, args)
                print_run(run)
                runs.append(run)
            workers = gunicorn_workers(production_environment("", workdir, 0, args.workers))
    except (KeyboardInterrupt, TimeoutError) as stop:
        sys.exit(f"{stop or 'interrupted'}; gunicorn and the private cluster stopped, temporary files removed")
    finally:
        signal.alarm(0)
    print_summary(runs, args, postgres_version, workers)
    if not all(passed for run in runs for _, passed in run.checks):
        sys.exit("some checks FAILED: see above")


if __name__ == "__main__":
    main()

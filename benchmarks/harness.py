"""What the HTTP benchmarks share: a free loopback port, `flask db upgrade` on a fresh database,
gunicorn started and waited for (and always stopped), and a description of the machine.

Used by intake_http.py (throughput beside the bare numbering transaction) and load_fault.py
(50 clients against the production gunicorn settings, with a PostgreSQL restart in the middle).
"""

from __future__ import annotations

import http.client
import os
import platform
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STARTUP_TIMEOUT_S = 60.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def flask_command(env: dict[str, str], log: Path, *args: str) -> subprocess.CompletedProcess:
    """`flask --app wsgi ARGS` in the project root, its output appended to `log`."""
    flask = Path(sys.executable).parent / "flask"
    with log.open("ab") as output:
        return subprocess.run([str(flask), "--app", "wsgi", *args], cwd=ROOT, env=env, stdout=output, stderr=output)


def migrate(env: dict[str, str], log: Path) -> None:
    if flask_command(env, log, "db", "upgrade").returncode != 0:
        raise RuntimeError(f"flask db upgrade failed:\n{log.read_text()[-3000:]}")


@contextmanager
def serve(command: list[str], env: dict[str, str], port: int, log: Path) -> Iterator[subprocess.Popen]:
    """gunicorn (`command`) answering on `port` when the block starts, stopped when it ends."""
    with log.open("ab") as output:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=output)
    try:
        wait_until_answering(server, port, log)
        yield server
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def wait_until_answering(server: subprocess.Popen, port: int, log: Path) -> None:
    """Until the server answers GET /api/v1/categories with 200 (the warm-up wakes the rest)."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}:\n{log.read_text()[-3000:]}")
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            connection.request("GET", "/api/v1/categories")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.1)
        finally:
            connection.close()
    raise RuntimeError(
        f"gunicorn did not answer within {STARTUP_TIMEOUT_S:.0f} s:\n{log.read_text()[-3000:]}"
    )


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def machine() -> str:
    """The machine in one line, for a benchmark's report: CPUs, model, memory, Python, OS."""
    model, memory = "unknown CPU", "unknown RAM"
    try:
        model = cpu_model()
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB RAM"
                break
    except OSError:
        pass
    return (f"{os.cpu_count()} CPUs ({model}), {memory}, Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}")


@contextmanager
def fresh_database(kind: str, workdir: Path, postgres_url: str, name: str = "registry") -> Iterator[str]:
    """The URL of an empty database called `name` for the duration of the block: an SQLite file
    in `workdir`, or a new PostgreSQL database made from `postgres_url` and dropped at the end."""
    if kind == "sqlite":
        yield f"sqlite:///{workdir / (name + '.sqlite3')}"
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    database = f"bench_{os.getpid()}_{name}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{database}"'))
        try:
            yield make_url(postgres_url).set(database=database).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    finally:
        admin.dispose()


def vacuum_analyze(url: str) -> None:
    """VACUUM ANALYZE the database, as autovacuum does in production within its minute.

    This machine's PostgreSQL runs with autovacuum off (a CI setting), so without it nothing
    ever updates a table's statistics: a plan a backend cached while the database was empty
    stays. The foreign-key checks are such plans: PostgreSQL prepares each one once per
    connection, and prepared on a near-empty `complaints` it scans the whole table for every
    row that refers to a complaint, so the app's registrations slowed by 0.3 ms of server CPU
    per thousand complaints through a run (bare has no foreign keys). The intake benchmarks do
    it on PostgreSQL after each warm-up, for every system's database alike."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text("VACUUM ANALYZE"))
    finally:
        engine.dispose()

"""The systems the intake is compared with, ready to serve under the same gunicorn settings:
the app itself, an independent bare Flask endpoint (benchmarks/bare_flask_app.py) and
django-helpdesk's public ticket form (benchmarks/helpdesk_site/), with their start-up (time to
the first answer) and each worker's resident memory.

Reusable by other benchmarks:

    from benchmarks.peers import app_peer, bare_peer, helpdesk_env, helpdesk_peer, started

    python, command = helpdesk_env(port=8123)         # the venv's python, a gunicorn command line
    peer = helpdesk_peer(database_url, workdir)      # or bare_peer(url) / app_peer(url, workdir)
    peer.prepare(log)                                # migrate / create tables, once per database
    with started(peer, port, log, workers=2) as server:
        server.first_answer_s, server.worker_memory()  # seconds; [(rss MiB, peak rss MiB)] per worker

django-helpdesk lives in its own virtual environment outside the repository,
`~/.cache/registry-bench/helpdesk-venv` (`BENCH_CACHE_DIR` moves it), made on first use with
`python3 -m venv` and `pip install django-helpdesk==2.6.1 gunicorn==<the app's version>
psycopg[binary]==<the app's version>` from PyPI (Django 5.2 comes with it); `python
benchmarks/peers.py --install` does only that. Its site (settings, urls, the public queue) is
benchmarks/helpdesk_site/, run from benchmarks/ with that environment's python.

Every server is started as `python -m gunicorn --bind 127.0.0.1:PORT --workers N
--worker-class sync --config benchmarks/gunicorn_peers.conf.py --no-control-socket
--graceful-timeout 10 MODULE:APP` with its own environment's python: the app is `wsgi:app`,
without the project's gunicorn.conf.py (an empty config file instead), so that all of them run
with the same settings.
"""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "benchmarks"
CACHE = Path(os.environ.get("BENCH_CACHE_DIR", "~/.cache/registry-bench")).expanduser()
HELPDESK_VENV = CACHE / "helpdesk-venv"
HELPDESK_VERSION = "2.6.1"
STARTUP_TIMEOUT_S = 60.0


def helpdesk_requirements() -> list[str]:
    """django-helpdesk, and the app's own gunicorn and psycopg versions (same server, same driver)."""
    return [
        f"django-helpdesk=={HELPDESK_VERSION}",
        f"gunicorn=={version('gunicorn')}",
        f"psycopg[binary]=={version('psycopg')}",
    ]


def ensure_helpdesk_venv() -> Path:
    """The python of django-helpdesk's own virtual environment, made and filled on first use."""
    python = HELPDESK_VENV / "bin" / "python"
    marker = HELPDESK_VENV / ".installed"
    wanted = " ".join(helpdesk_requirements())
    if marker.exists() and marker.read_text() == wanted:
        return python
    CACHE.mkdir(parents=True, exist_ok=True)
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(HELPDESK_VENV)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", *helpdesk_requirements()], check=True)
    marker.write_text(wanted)
    return python


def gunicorn_command(python: Path | str, target: str, port: int, workers: int = 2, threads: int = 1) -> list[str]:
    """The one gunicorn command line every system is served with."""
    return [
        str(python), "-m", "gunicorn",
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers),
        "--worker-class", "gthread" if threads > 1 else "sync",
        "--threads", str(threads),
        "--config", str(BENCHMARKS / "gunicorn_peers.conf.py"),  # not ./gunicorn.conf.py
        "--no-control-socket",
        "--graceful-timeout", "10",
        target,
    ]  # fmt: skip


def helpdesk_env(port: int, workers: int = 2, threads: int = 1) -> tuple[Path, list[str]]:
    """django-helpdesk's python and the gunicorn command serving it (run in benchmarks/, with
    the environment of `helpdesk_peer(...).env`)."""
    python = ensure_helpdesk_venv()
    return python, gunicorn_command(python, "helpdesk_site.wsgi:application", port, workers, threads)


@dataclass
class Peer:
    """One system under test: how to prepare its database and how to serve it."""

    name: str
    python: Path
    target: str  # MODULE:APP for gunicorn
    cwd: Path
    env: dict[str, str]
    prepare_steps: list[list[str]] = field(default_factory=list)
    prepare_call: Callable[[], None] | None = None
    health_path: str = "/health"

    def command(self, port: int, workers: int = 2, threads: int = 1) -> list[str]:
        return gunicorn_command(self.python, self.target, port, workers, threads)

    def prepare(self, log: Path) -> None:
        """Create its tables (migrations, the public queue), once per fresh database."""
        if self.prepare_call is not None:
            self.prepare_call()
        for step in self.prepare_steps:
            with log.open("ab") as output:
                done = subprocess.run(step, cwd=self.cwd, env=self.env, stdout=output, stderr=output)
            if done.returncode != 0:
                raise RuntimeError(f"{self.name}: {' '.join(step)} failed:\n{log.read_text()[-3000:]}")


def app_peer(database_url: str, workdir: Path, rate_limit_storage: str = "memory://") -> Peer:
    """The app as shipped (`wsgi:app`), development settings on `database_url`."""
    from benchmarks.intake_http import app_environment

    env = app_environment(database_url, workdir, rate_limit_storage)
    flask = str(Path(sys.executable).parent / "flask")
    return Peer("app", Path(sys.executable), "wsgi:app", ROOT, env, [[flask, "--app", "wsgi", "db", "upgrade"]])


def bare_peer(database_url: str, signed: bool = False) -> Peer:
    """The independent bare Flask endpoint on `database_url` (its own tables); `signed`: with the
    checks, the signed entry and the outbox row besides (system `bare-signed`)."""
    from benchmarks.bare_flask_app import create_tables

    env = {**os.environ, "BARE_DATABASE_URL": database_url, "BARE_SIGNED": "1" if signed else "0", "PYTHONPATH": str(ROOT)}
    return Peer("bare-signed" if signed else "bare", Path(sys.executable), "benchmarks.bare_flask_app:create_app()",
                ROOT, env, prepare_call=lambda: create_tables(database_url))


def helpdesk_peer(database_url: str, workdir: Path) -> Peer:
    """django-helpdesk on `database_url` (its migrations and a public queue 'complaints')."""
    python = ensure_helpdesk_venv()
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")},
        "DJANGO_SETTINGS_MODULE": "helpdesk_site.settings",
        "HELPDESK_DATABASE_URL": database_url,
        "HELPDESK_MEDIA_ROOT": str(workdir / "helpdesk-media"),
    }
    steps = [[str(python), "-m", "django", "migrate", "--noinput"], [str(python), "-m", "helpdesk_site.setup_queue"]]
    return Peer("helpdesk", python, "helpdesk_site.wsgi:application", BENCHMARKS, env, steps)


@dataclass
class Server:
    """A started gunicorn: its process, the seconds from launch to the first 200 answer."""

    process: subprocess.Popen
    port: int
    first_answer_s: float

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def worker_memory(self) -> list[tuple[float, float]]:
        """(resident MiB, peak resident MiB) of each worker, now."""
        return [process_memory(pid) for pid in self.worker_pids()]


def process_memory(pid: int) -> tuple[float, float]:
    """VmRSS and VmHWM of a process, in MiB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)


@contextmanager
def started(peer: Peer, port: int, log: Path, workers: int = 2, threads: int = 1) -> Iterator[Server]:
    """`peer` under gunicorn on `port`, answering when the block starts, stopped when it ends."""
    launched = time.perf_counter()
    with log.open("ab") as output:
        process = subprocess.Popen(peer.command(port, workers, threads), cwd=peer.cwd, env=peer.env,
                                   stdout=output, stderr=output)
    try:
        first_answer_s = wait_for_answer(process, port, peer.health_path, log) - launched
        yield Server(process, port, first_answer_s)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for_answer(process: subprocess.Popen, port: int, path: str, log: Path) -> float:
    """The moment (perf_counter) the server first answered `path` with 200."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            if response.status == 200:
                return time.perf_counter()
        except OSError:
            time.sleep(0.02)
        finally:
            connection.close()
    raise RuntimeError(f"gunicorn did not answer within {STARTUP_TIMEOUT_S:.0f} s:\n{log.read_text()[-3000:]}")


if __name__ == "__main__":
    if sys.argv[1:] == ["--install"]:
        print(ensure_helpdesk_venv())
    else:
        sys.exit("usage: python benchmarks/peers.py --install   (makes django-helpdesk's environment)")

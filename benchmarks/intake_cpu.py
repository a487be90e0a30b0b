"""CPU per registration in process: `POST /api/v1/complaints` through the app's WSGI callable,
no server, no network, so what the app itself costs a registration can be compared between two
checkouts (or profiled) without the noise of gunicorn and HTTP clients.

Run from the project root (or with `--root TREE` for another checkout):

    .venv/bin/python benchmarks/intake_cpu.py [--db sqlite|postgresql] [--count 300] [--runs 5]
        [--storage auto|memory://|redis://...] [--profile FILE] [--root TREE ...]

Each checkout is measured in a subprocess of its own (the package is `app` in every tree), on a
fresh database migrated with `flask db upgrade`; with several `--root`s the runs alternate
(A B A B ...), and the best and median per checkout are printed. The clock is the process's CPU
time (`time.process_time`) around each batch of `--count` registrations, divided by the count;
SQLite's own work runs in the process and is included, PostgreSQL's server work is not. The
environment is the benchmarks' (benchmarks/intake_http.py `app_environment`): development
settings, the rate limit lifted but counted, Redis counters when one answers.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _environ(body: bytes, index: int) -> dict:
    return {
        "REQUEST_METHOD": "POST",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/api/v1/complaints",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_ACCEPT": "application/json",
        "HTTP_HOST": "127.0.0.1:8000",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


def child(args: argparse.Namespace) -> None:
    """In the checkout's own process: build the app as wsgi.py does, post, print the figures."""
    import logging

    sys.path.insert(0, os.getcwd())
    import wsgi  # the app as served: settled, collector on
    from tests._support import valid_payload

    logging.getLogger().setLevel(logging.WARNING)  # the request log line costs the same in both; not its I/O
    app = wsgi.app
    bodies = [json.dumps(valid_payload(subject=f"Plata {i} nu a ajuns")).encode() for i in range(args.count)]
    status: list[str] = []

    def start_response(s: str, headers: list, exc_info: object = None) -> None:
        status.append(s)

    def batch() -> float:
        status.clear()
        started = time.process_time()
        for index, body in enumerate(bodies):
            for _chunk in app(_environ(body, index), start_response):
                pass
        spent = time.process_time() - started
        assert all(s.startswith("201") for s in status), set(status)
        return spent / len(bodies) * 1000

    batch()  # warm up: the year's counter, caches, the first connection
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
        batch()
        profiler.disable()
        profiler.dump_stats(args.profile)
    print(json.dumps([batch() for _ in range(args.batches)]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--count", type=int, default=300, help="registrations per batch")
    parser.add_argument("--batches", type=int, default=1, help="batches per run")
    parser.add_argument("--runs", type=int, default=5, help="runs per checkout (alternating)")
    parser.add_argument("--storage", default="auto", help="RATELIMIT_STORAGE_URI (auto: Redis if it answers)")
    parser.add_argument("--root", action="append", type=Path, help="checkouts to compare (default: this one)")
    parser.add_argument("--profile", help="write a cProfile of one batch to this file (first checkout)")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
        help="a database to connect to while creating and dropping the benchmark's own",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    sys.path.insert(0, str(ROOT))
    from benchmarks.harness import fresh_database
    from benchmarks.intake_http import app_environment, rate_limit_storage

    roots = [r.resolve() for r in (args.root or [ROOT])]
    storage = rate_limit_storage(args.storage)
    results: dict[Path, list[float]] = {root: [] for root in roots}
    with tempfile.TemporaryDirectory(prefix="intake-cpu-") as tmp:
        for run in range(args.runs):
            for number, root in enumerate(roots):
                workdir = Path(tmp) / f"{number}-{run}"
                workdir.mkdir()
                with fresh_database(args.db, workdir, args.postgres_url, f"cpu_{number}_{run}") as url:
                    env = app_environment(url, workdir, storage) | {"PYTHONPATH": str(root)}
                    flask = str(Path(sys.executable).parent / "flask")
                    subprocess.run([flask, "--app", "wsgi", "db", "upgrade"], cwd=root, env=env, check=True,
                                   capture_output=True)
                    command = [sys.executable, str(Path(__file__).resolve()), "--child", "--count", str(args.count),
                               "--batches", str(args.batches)]
                    if args.profile and run == 0 and number == 0:
                        command += ["--profile", str(Path(args.profile).resolve())]
                    out = subprocess.run(command, cwd=root, env=env, check=True, capture_output=True, text=True)
                    figures = json.loads(out.stdout.strip().splitlines()[-1])
                results[root].append(min(figures))
                print(f"run {run + 1} {root}: {min(figures):.3f} ms CPU per registration", flush=True)
    print(f"{args.db}, {args.count} registrations a batch, storage {storage}, load {os.getloadavg()[0]:.2f}")
    for root, values in results.items():
        print(f"  {root}: best {min(values):.3f} ms, median {statistics.median(values):.3f} ms "
              f"({', '.join(f'{v:.3f}' for v in values)})")


if __name__ == "__main__":
    main()

"""Start-up, memory and the per-request floor: the registry beside a bare Flask app
(benchmarks/bare_flask.py: plain Flask + SQLAlchemy Core), both under this project's
gunicorn.conf.py and on the same SQLite database, measured in one interleaved run.

    .venv/bin/python benchmarks/startup.py [--rounds 3] [--requests 200] [--root TREE]

Per server configuration (GUNICORN_WORKERS=2; the shipped worker count, 2 x CPUs + 1; each
without and with GUNICORN_PRELOAD=1), for each app:

- first answer: seconds from starting gunicorn to the first 200 on GET /health, and the CPU
  seconds the master and its workers had used by then (steadier than the wall clock on a
  loaded machine; workers still loading count what they did so far);
- respawn: seconds from killing one worker of a one-worker server to the next 200 (what a
  crash, a timeout or max_requests costs);
- per request: p50 / p95 of GET /health and of a GET page (the registry's /track form; the
  bare app's /page), one new connection per request, as a proxy makes them;
- memory: after the pages were exercised (public form, tracking, the API, a signed-in queue
  and case page), each worker's RSS and PSS (/proc/PID/smaps_rollup), the largest and the mean.

`--bytecode cached` (the default) lets Python keep compiled modules (outside the tree), as a
deployment does; `--bytecode none` compiles every module in every process, as this project's
sandbox does (PYTHONDONTWRITEBYTECODE=1), which adds ≈ 0.9 s of CPU to each registry process.
`--root TREE` measures another checkout of the project (e.g. the commit before a change, in a
`git worktree`), with this tree's bare app, so before and after come from one machine and day.
Ratios (registry / bare) come first; absolute times on a shared 2-CPU machine vary by 2x.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import free_port, machine  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
#: "shipped": the worker count gunicorn.conf.py ships with (2 x CPUs + 1). Preloading is set
#: either way, so that trees whose default differs are measured alike.
CONFIGS = {
    "2 workers": {"GUNICORN_WORKERS": "2", "GUNICORN_PRELOAD": "0"},
    "shipped": {"GUNICORN_PRELOAD": "0"},
    "2 workers + preload": {"GUNICORN_WORKERS": "2", "GUNICORN_PRELOAD": "1"},
    "shipped + preload": {"GUNICORN_PRELOAD": "1"},
}


def _get(port: int, path: str, cookie: str | None = None, timeout: float = 10) -> tuple[int, bytes, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = connection.getresponse()
        return response.status, response.read(), dict(response.getheaders())
    finally:
        connection.close()


def _wait_for(port: int, server: subprocess.Popen, started: float, limit: float = 90) -> float:
    while time.perf_counter() - started < limit:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}")
        try:
            if _get(port, "/health", timeout=5)[0] == 200:
                return time.perf_counter() - started
        except OSError:
            pass
        time.sleep(0.01)
    raise RuntimeError("no answer")


def _start(app_spec: str, root: Path, env: dict[str, str], port: int, log: Path) -> tuple[subprocess.Popen, float]:
    # The bare app always runs under this tree's settings, so that it is the same in every run.
    settings = root if app_spec == "wsgi:app" else ROOT
    command = [GUNICORN, "-c", str(settings / "gunicorn.conf.py"), "--bind", f"127.0.0.1:{port}",
               "--pythonpath", f"{root},{HERE}", app_spec]
    with log.open("ab") as output:
        started = time.perf_counter()
        server = subprocess.Popen(command, cwd=root, env=env, stdout=output, stderr=output)
    return server, _wait_for(port, server, started)


def _cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu_to_answer(server: subprocess.Popen) -> float:
    """CPU the master and its workers used to start and give the first answer: unlike the wall
    clock, it does not grow with what else the machine runs. The workers that answered later
    are still loading, so this is read at once and counts part of their start too."""
    return _cpu(server.pid) + sum(_cpu(pid) for pid in _workers(server.pid))


def _stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def _workers(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


def _memory(pid: int) -> tuple[float, float]:
    """(RSS, PSS) in MiB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:])
    return int(fields["Rss"].split()[0]) / 1024, int(fields["Pss"].split()[0]) / 1024


def _sign_in(port: int) -> str:
    status, body, headers = _get(port, "/staff/login")
    cookie = headers["Set-Cookie"].split(";", 1)[0]
    token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', body).group(1).decode()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("POST", "/staff/login", body=f"csrf_token={token}&username=officer&password=officer-demo-pass",
                       headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
    response = connection.getresponse()
    response.read()
    connection.close()
    if response.status not in (302, 303):
        raise RuntimeError(f"sign-in answered {response.status}")
    return response.getheader("Set-Cookie").split(";", 1)[0]


def _exercise(port: int, registry: bool) -> None:
    """Every worker serves each page a few times (sync workers take connections in turn)."""
    paths = ["/health", "/", "/track", "/api/v1/categories"] if registry else ["/health", "/page"]
    for _ in range(12):
        for path in paths:
            _get(port, path)
    if registry:
        cookie = _sign_in(port)
        status, body, _ = _get(port, "/staff/queue", cookie)
        case = re.search(rb'href="(/staff/complaints/[^"?#]+)"', body)
        for _ in range(12):
            _get(port, "/staff/queue", cookie)
            if case:
                _get(port, case.group(1).decode(), cookie)


def _timed(port: int, path: str, count: int) -> list[float]:
    times = []
    for _ in range(count):
        started = time.perf_counter()
        status, _, _ = _get(port, path)
        times.append((time.perf_counter() - started) * 1000)
        if status != 200:
            raise RuntimeError(f"GET {path}: {status}")
    return sorted(times)


def _respawn(app_spec: str, root: Path, env: dict[str, str], log: Path) -> float:
    port = free_port()
    server, _ = _start(app_spec, root, {**env, "GUNICORN_WORKERS": "1"}, port, log)
    try:
        [worker] = _workers(server.pid)
        started = time.perf_counter()
        os.kill(worker, signal.SIGKILL)
        while True:  # until the dead worker is replaced and the new one answers
            try:
                if _workers(server.pid) != [worker] and _get(port, "/health", timeout=5)[0] == 200:
                    return time.perf_counter() - started
            except OSError:
                pass
            time.sleep(0.005)
    finally:
        _stop(server)


#: In one process, no server: each app's own entry point (the registry's wsgi.py, whatever it does
#: after create_app), N requests per path through the WSGI call; CPU per request, wall p50 / p99
#: / max, and the garbage collector's full (generation 2) passes with the longest one.
INPROCESS = r"""
import gc, json, sys, time, logging
module, paths, count = sys.argv[1], sys.argv[2].split(","), int(sys.argv[3])
app = __import__(module).app
from werkzeug.test import EnvironBuilder
logging.getLogger("app.requests").disabled = True
pauses, started = [], {}
def watch(phase, info):
    if phase == "start":
        started["t"] = time.perf_counter()
    elif info["generation"] == 2:
        pauses.append((time.perf_counter() - started["t"]) * 1000)
gc.callbacks.append(watch)
out = {}
for path in paths:
    environ = EnvironBuilder(path=path, headers={"Accept-Language": "ro,en;q=0.5"}).get_environ()
    def call():
        body = app(dict(environ), lambda *a: None)
        b"".join(body)
        getattr(body, "close", lambda: None)()
    for _ in range(50):
        call()
    wall, cpu0 = [], time.process_time()
    for _ in range(count):
        t = time.perf_counter(); call(); wall.append((time.perf_counter() - t) * 1000)
    cpu = (time.process_time() - cpu0) / count * 1000
    wall.sort()
    out[path] = {"cpu": cpu, "p50": wall[count // 2], "p99": wall[int(count * 0.99)], "max": wall[-1]}
out["gen2"] = {"count": len(pauses), "max": max(pauses, default=0.0)}
print(json.dumps(out))
"""


def _in_process(module: str, paths: list[str], root: Path, env: dict[str, str], count: int) -> dict:
    result = subprocess.run([sys.executable, "-c", INPROCESS, module, ",".join(paths), str(count)], cwd=root,
                            env={**env, "PYTHONPATH": f"{root}:{HERE}"}, capture_output=True, check=True)
    return json.loads(result.stdout.decode().strip().splitlines()[-1])


def _pct(values: list[float], fraction: float) -> float:
    return values[min(len(values) - 1, int(len(values) * fraction))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--root", type=Path, default=ROOT, help="the project tree to measure (default: this one)")
    parser.add_argument("--bytecode", choices=("cached", "none"), default="cached",
                        help="cached: .pyc written once and reused, as deployed (default); none: compiled from "
                             "source in every process, as under PYTHONDONTWRITEBYTECODE")
    parser.add_argument("--in-process", type=int, default=2000, help="requests per path in one process (0: skip)")
    parser.add_argument("--configs", default=",".join(CONFIGS), help="comma-separated subset of: " + ", ".join(CONFIGS))
    args = parser.parse_args()
    root = args.root.resolve()
    configs = [name.strip() for name in args.configs.split(",")]

    with tempfile.TemporaryDirectory(prefix="startup-bench-") as tmp:
        tmp_path = Path(tmp)
        log = tmp_path / "bench.log"
        env = {**os.environ, "INSTANCE_PATH": str(tmp_path / "instance"),
               "DATABASE_URL": f"sqlite:///{tmp_path / 'registry.db'}", "APP_ENV": "development",
               "LOG_FORMAT": "text"}
        env.pop("GUNICORN_WORKERS", None)
        if args.bytecode == "cached":
            # As deployed: modules are compiled once and read from .pyc afterwards (kept outside
            # the tree). "none" is how a sandbox with PYTHONDONTWRITEBYTECODE runs: every process
            # compiles the app's ~190 modules from source (≈ 0.9 s of CPU), the bare app's one.
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = str(tmp_path / "pycache")
        else:
            env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.pop("GUNICORN_PRELOAD", None)
        for step in (("db", "upgrade"), ("users", "demo"), ("registry", "seed-demo")):
            result = subprocess.run([str(Path(sys.executable).parent / "flask"), "--app", "wsgi", *step],
                                    cwd=root, env=env, capture_output=True)
            if result.returncode != 0:
                raise RuntimeError(f"flask {' '.join(step)} failed:\n{result.stderr.decode()[-2000:]}")

        subprocess.run([sys.executable, "-c", "import bare_flask"], cwd=root,  # its bytecode, like the registry's
                       env={**env, "PYTHONPATH": f"{root}:{HERE}"}, check=True, capture_output=True)
        results: dict[tuple[str, str], dict[str, list[float]]] = {}
        inprocess: dict[str, dict[str, list[float]]] = {}
        apps = {"registry": "wsgi:app", "bare": "bare_flask:app"}
        for round_ in range(args.rounds):
            for config in configs:
                for name, spec in apps.items():
                    cell = results.setdefault((config, name), {})
                    config_env = {**env, **CONFIGS[config]}
                    port = free_port()
                    server, first = _start(spec, root, config_env, port, log)
                    try:
                        cell.setdefault("first", []).append(first)
                        cell.setdefault("first_cpu", []).append(_cpu_to_answer(server))
                        _exercise(port, name == "registry")
                        page = "/track" if name == "registry" else "/page"
                        if round_ == 0 or config == configs[0]:
                            health = _timed(port, "/health", args.requests)
                            pages = _timed(port, page, args.requests)
                            cell.setdefault("health50", []).append(_pct(health, 0.5))
                            cell.setdefault("health95", []).append(_pct(health, 0.95))
                            cell.setdefault("page50", []).append(_pct(pages, 0.5))
                            cell.setdefault("page95", []).append(_pct(pages, 0.95))
                        memory = [_memory(pid) for pid in _workers(server.pid)]
                        cell.setdefault("rss_max", []).append(max(rss for rss, _ in memory))
                        cell.setdefault("rss_mean", []).append(statistics.mean(rss for rss, _ in memory))
                        cell.setdefault("pss_mean", []).append(statistics.mean(pss for _, pss in memory))
                        cell.setdefault("workers", []).append(len(memory))
                    finally:
                        _stop(server)
                    if config.startswith("2 workers"):
                        cell.setdefault("respawn", []).append(_respawn(spec, root, config_env, log))
                print(f"round {round_ + 1}/{args.rounds}: {config} done", file=sys.stderr, flush=True)
            if args.in_process:
                for name, module, paths in (("registry", "wsgi", ["/health", "/track"]),
                                            ("bare", "bare_flask", ["/health", "/page"])):
                    measured = _in_process(module, paths, root, env, args.in_process)
                    cell = inprocess.setdefault(name, {})
                    for label, path in zip(("health", "page"), paths, strict=True):
                        for key, value in measured[path].items():
                            cell.setdefault(f"{label}_{key}", []).append(value)
                    cell.setdefault("gen2_count", []).append(measured["gen2"]["count"])
                    cell.setdefault("gen2_max", []).append(measured["gen2"]["max"])

    load = os.getloadavg()
    print(f"# Start-up and memory: {root.name} vs bare Flask ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})")
    print(f"machine: {machine()}; load average at the end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
          f"{args.rounds} rounds, medians of the rounds; bytecode {args.bytecode}")
    med = statistics.median

    def row(label: str, key: str, fmt: str) -> None:
        for config in configs:
            ours, bare = results[(config, "registry")].get(key), results[(config, "bare")].get(key)
            if not ours or not bare:
                continue
            print(f"| {label} | {config} | {med(ours) / med(bare):.2f}x | {fmt.format(med(ours))} | {fmt.format(med(bare))} |")

    print("\n| figure | gunicorn | registry / bare | registry | bare |\n|---|---|---:|---:|---:|")
    row("first answer", "first", "{:.2f} s")
    row("CPU of master + workers at the first answer", "first_cpu", "{:.2f} s")
    row("worker respawn to answer", "respawn", "{:.3f} s")
    row("GET /health p50", "health50", "{:.1f} ms")
    row("GET /health p95", "health95", "{:.1f} ms")
    row("GET page p50 (/track; bare /page)", "page50", "{:.1f} ms")
    row("GET page p95", "page95", "{:.1f} ms")
    row("RSS per worker, largest", "rss_max", "{:.0f} MiB")
    row("PSS per worker, mean", "pss_mean", "{:.0f} MiB")
    if inprocess:
        print(f"\nIn one process, no server ({args.in_process} requests per path; page: /track, bare /page):\n")
        print("| figure | registry / bare | registry | bare |\n|---|---:|---:|---:|")
        ours, bare = inprocess["registry"], inprocess["bare"]
        for key, label in (("health_cpu", "GET /health, CPU per request"), ("health_p50", "GET /health p50"),
                           ("health_p99", "GET /health p99"), ("page_cpu", "GET page, CPU per request"),
                           ("page_p50", "GET page p50"), ("page_p99", "GET page p99"), ("page_max", "GET page max")):
            print(f"| {label} | {med(ours[key]) / med(bare[key]):.2f}x | {med(ours[key]):.3f} ms | {med(bare[key]):.3f} ms |")
        print(f"| full GC passes (generation 2) | | {med(ours['gen2_count']):.0f}, longest {med(ours['gen2_max']):.1f} ms "
              f"| {med(bare['gen2_count']):.0f}, longest {med(bare['gen2_max']):.1f} ms |")
    workers = {config: int(med(results[(config, 'registry')]['workers'])) for config in configs}
    print("\nworkers: " + ", ".join(f"{config} {count}" for config, count in workers.items()))


if __name__ == "__main__":
    main()

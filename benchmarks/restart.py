"""What a deploy's restart costs the requests arriving meanwhile, under this project's
gunicorn.conf.py: a client opens a new connection for GET /health every few milliseconds while
gunicorn is stopped (SIGTERM, as `systemctl restart` sends it) and started again.

    .venv/bin/python benchmarks/restart.py [--restarts 3] [--workers 2]

Three ways, measured in turn:
- restart a preloading server that binds the port itself: between the old master closing it and
  the new one opening it, connections are refused (a proxy answers 502);
- restart a preloading server whose port is held across the restart by a parent process and
  handed to gunicorn as systemd's socket activation does (LISTEN_FDS, fd 3; docs/deployment.md's
  `registry.socket`): connections arriving while no gunicorn runs wait in the socket's queue and
  are answered by the new one;
- HUP a server that does not preload (`systemctl reload`): new workers load the new code while
  the old ones finish.

Prints, per way: requests answered 200, failed (refused, reset or any other error), the longest
wait for an answer, and the longest restart (signal to the new server's or workers' first answer).
"""

from __future__ import annotations

import argparse
import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import free_port, machine  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = str(Path(sys.executable).parent / "gunicorn")


class Client(threading.Thread):
    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self.port, self.stop, self.ok, self.failed, self.longest = port, threading.Event(), 0, 0, 0.0

    def run(self) -> None:
        while not self.stop.is_set():
            started = time.perf_counter()
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                connection.request("GET", "/health")
                status = connection.getresponse().status
                connection.close()
            except OSError:
                status = None
            self.longest = max(self.longest, time.perf_counter() - started)
            if status == 200:
                self.ok += 1
            else:
                self.failed += 1
                time.sleep(0.005)
            time.sleep(0.005)


def _answers(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", "/health")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def _start(env: dict[str, str], port: int, held: socket.socket | None, log: Path) -> subprocess.Popen:
    command = [GUNICORN, "-c", str(ROOT / "gunicorn.conf.py"), "--bind", f"127.0.0.1:{port}"]
    if held is None:
        with log.open("ab") as output:
            return subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=output)
    # As systemd passes a socket: as fd 3, with LISTEN_FDS=1 and LISTEN_PID = gunicorn's own pid.
    fd = held.fileno()
    command = ["/bin/sh", "-c", 'LISTEN_PID=$$ LISTEN_FDS=1 exec "$@"', "sh", *command]
    with log.open("ab") as output:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=output, pass_fds=(fd,),
                                preexec_fn=lambda: os.dup2(fd, 3))  # noqa: PLW1509


def _wait(port: int, server: subprocess.Popen, log: Path, limit: float = 120) -> None:
    started = time.perf_counter()
    while not _answers(port):
        if server.poll() is not None or time.perf_counter() - started > limit:
            raise RuntimeError(f"no answer; gunicorn's log ends:\n{log.read_text()[-3000:]}")
        time.sleep(0.01)


def _workers(master: int) -> set[int]:
    return {int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()}


def _hup(server: subprocess.Popen, port: int, log: Path) -> None:
    """Reload as `systemctl reload` does (HUP): until every old worker is gone and one answers."""
    old = _workers(server.pid)
    server.send_signal(signal.SIGHUP)
    while _workers(server.pid) & old or not _workers(server.pid):
        time.sleep(0.01)
    _wait(port, server, log)


#: (label, preload, how: "restart" with the port bound by gunicorn, "held" restart, "hup")
WAYS = (
    ("restart, gunicorn binds the port", "1", "restart"),
    ("restart, socket held by systemd", "1", "held"),
    ("HUP reload, no preloading", "0", "hup"),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--restarts", type=int, default=3)
    parser.add_argument("--workers", default="2")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="restart-bench-") as tmp:
        tmp_path = Path(tmp)
        log = tmp_path / "gunicorn.log"
        base_env = {**os.environ, "INSTANCE_PATH": str(tmp_path / "instance"), "APP_ENV": "development",
                    "DATABASE_URL": f"sqlite:///{tmp_path / 'registry.db'}", "LOG_FORMAT": "text",
                    "GUNICORN_WORKERS": args.workers, "PYTHONPYCACHEPREFIX": str(tmp_path / "pycache")}
        base_env.pop("PYTHONDONTWRITEBYTECODE", None)
        subprocess.run([str(Path(sys.executable).parent / "flask"), "--app", "wsgi", "db", "upgrade"],
                       cwd=ROOT, env=base_env, check=True, capture_output=True)
        rows = []
        for label, preload, how in WAYS:
            env = {**base_env, "GUNICORN_PRELOAD": preload}
            port = free_port()
            listener = socket.create_server(("127.0.0.1", port), backlog=2048) if how == "held" else None
            server = _start(env, port, listener, log)
            _wait(port, server, log)
            client = Client(port)
            client.start()
            durations = []
            for _ in range(args.restarts):
                time.sleep(1)
                started = time.perf_counter()
                if how == "hup":
                    _hup(server, port, log)
                else:
                    server.send_signal(signal.SIGTERM)
                    server.wait(timeout=60)
                    server = _start(env, port, listener, log)
                    _wait(port, server, log)
                durations.append(time.perf_counter() - started)
            time.sleep(0.5)
            client.stop.set()
            client.join()
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)
            if listener is not None:
                listener.close()
            rows.append((label, preload, client.ok, client.failed, client.longest, max(durations)))
    load = os.getloadavg()
    print(f"# Deploying new code while requests arrive ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})")
    print(f"machine: {machine()}; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
          f"{args.restarts} restarts or reloads each, {args.workers} workers\n")
    print("| way | GUNICORN_PRELOAD | answered 200 | failed | longest wait | longest restart |\n"
          "|---|---|---:|---:|---:|---:|")
    for label, preload, ok, failed, longest, duration in rows:
        print(f"| {label} | {preload} | {ok} | {failed} | {longest:.2f} s | {duration:.2f} s |")


if __name__ == "__main__":
    main()

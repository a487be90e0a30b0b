"""gunicorn settings for production, read from the environment.

    APP_ENV=production gunicorn wsgi:app      (gunicorn reads ./gunicorn.conf.py by itself)

Meant to run behind a reverse proxy (nginx, see docs/deployment.md), which buffers slow
clients, so gunicorn's plain sync workers serve one request each at a time. Every setting can
be changed without editing this file:

  GUNICORN_BIND              127.0.0.1:8000   where to listen (the proxy connects here)
  GUNICORN_WORKERS           2 x CPUs + 1     worker processes
  GUNICORN_THREADS           1                threads per worker (> 1 switches to gthread)
  GUNICORN_TIMEOUT           60               seconds a request may run before its worker is replaced
  GUNICORN_GRACEFUL_TIMEOUT  30               seconds running requests get to finish on stop / reload
  GUNICORN_KEEPALIVE         5                seconds an idle keep-alive connection stays open (gthread)
  GUNICORN_MAX_REQUESTS      0                replace a worker after this many requests (0: never)
  GUNICORN_PRELOAD           1                the master loads the app once and forks its workers
                                              from it: they start in a fraction of a second and
                                              share its memory. A HUP then does NOT load new code:
                                              deploy with a restart (docs/deployment.md). 0: each
                                              worker loads the app itself (and a HUP loads new code)
  FORWARDED_ALLOW_IPS        127.0.0.1,::1    proxies whose X-Forwarded-Proto gunicorn believes
  GUNICORN_LOG_LEVEL         info
  GUNICORN_ACCESS_LOG        (off)            "-" adds gunicorn's own access lines on stderr

The application writes one line per request itself (app/serving/logs.py: request id, path
without the query string, status, duration, user), so gunicorn's access log is off by default:
its request line would include the query string, where tracking links carry access codes.
gunicorn's own messages go to stderr, as JSON lines when the app's LOG_FORMAT is json.
"""

from __future__ import annotations

import os


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


_cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)

wsgi_app = "wsgi:app"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")
workers = _int("GUNICORN_WORKERS", 2 * _cpus + 1)
threads = _int("GUNICORN_THREADS", 1)
worker_class = "gthread" if threads > 1 else "sync"
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
max_requests = _int("GUNICORN_MAX_REQUESTS", 0)
max_requests_jitter = max_requests // 10
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") == "1"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
proc_name = "complaint-registry"

loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
errorlog = "-"
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms "%({x-request-id}o)s"'  # path only, never the query

_production = os.environ.get("APP_ENV") == "production"
if os.environ.get("LOG_FORMAT", "json" if _production else "text") == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "app.serving.logs.json_formatter"}},
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"},
        },
        "root": {"level": "INFO", "handlers": []},  # the app adds its own JSON handler to the root
        "loggers": {
            "gunicorn.error": {"handlers": ["stderr"], "level": loglevel.upper(), "propagate": False},
            # A logging config turns gunicorn's access log on; keep it off unless asked for.
            "gunicorn.access": {
                "handlers": ["stderr"] if accesslog else [],
                "level": "INFO" if accesslog else "WARNING",
                "propagate": False,
            },
        },
    }


def on_reload(server):  # noqa: ANN001  (gunicorn's hook signature)
    """A HUP re-reads these settings and replaces the workers, but a preloading master forks the
    new ones from the application it loaded when it started: say so where the operator looks."""
    if server.cfg.preload_app:
        server.log.warning("HUP: the new workers run the code loaded when the server started; "
                           "restart the server to load new code (docs/deployment.md)")

"""A long-running server process: what is done once the app is built (`settle`), and what a
worker forked from a master that already built it must make its own (`after_fork`).

`wsgi.py` calls `settle` after `create_app`; gunicorn.conf.py calls `after_fork` in each worker
when GUNICORN_PRELOAD=1 (`preload_app`: the master imports and builds the app once, and its
workers start as copies of it, sharing its memory until they write to it).
"""

from __future__ import annotations

import gc

from flask import Flask

from ..extensions import db


def settle() -> None:
    """Move every object made while starting (modules, classes, the app, its templates' code)
    out of the cyclic garbage collector's sight: they live as long as the process, so scanning
    them in every full collection only costs time (a pause of tens to hundreds of milliseconds
    in the request that triggers it), and, in a preloaded master, writing to their headers
    would copy the memory its workers share."""
    gc.collect()
    gc.freeze()


def after_fork(app: object) -> None:
    """In a worker just forked from a master that built `app`: forget the master's database
    connections without closing them (they are the master's, which may still hold them), so
    the worker opens its own. Nothing else needs doing: the rate limiter's in-memory storage
    starts its expiry timer again on its first count (threads do not survive a fork, and the
    master serves no request), a Redis client reconnects in a new process by itself, and the
    settings each worker reads are checked against the table as in any process. Any other
    WSGI app (a benchmark's bare one) is left alone."""
    if not isinstance(app, Flask) or "sqlalchemy" not in app.extensions:
        return
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)

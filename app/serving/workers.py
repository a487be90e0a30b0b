"""A long-running server process: what is done once the app is built (`settle`).

`wsgi.py` calls `settle` after `create_app`. gunicorn preloads (`preload_app`, the default;
GUNICORN_PRELOAD=0 turns it off): the master imports and builds the app once, and its workers
start as copies of it, sharing its memory until they write to it. Building the app opens no
connection, file, socket or thread for the workers to share (tests/test_workers.py), and a
worker never uses a pooled database connection another process opened
(`app.database.configure_pool`). Nothing else needs doing in a fresh worker: the rate
limiter's in-memory storage starts its expiry timer again on its first count (threads do not
survive a fork, and the master serves no request), a Redis client reconnects in a new process
by itself, and the settings each worker reads are checked against the table as in any process.
"""

from __future__ import annotations

import gc


def settle() -> None:
    """Move every object made while starting (modules, classes, the app, its templates' code)
    out of the cyclic garbage collector's sight: they live as long as the process, so scanning
    them in every full collection only costs time (a pause of tens to hundreds of milliseconds
    in the request that triggers it), and, in a preloaded master, writing to their headers
    would copy the memory its workers share. Turns the collector on (wsgi.py keeps it off while
    the app is imported and built).

    No collection first (Python's recipe for fork without exec: disable early, freeze before
    forking): start-up leaves about 650 unreachable objects (≈ 0.2 MiB, frozen with the rest),
    and collecting them would scan all ≈ 215,000 for 60–80 ms of every start."""
    gc.freeze()
    gc.enable()

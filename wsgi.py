"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi run`."""

import gc

# Start-up makes ≈ 215,000 objects that live as long as the process and almost no garbage, yet
# the collector would scan them all a few times while they are made (≈ 0.1 s of a worker's
# start-up CPU). It stays off until `settle` has frozen them and turned it back on.
gc.disable()

from app import create_app  # noqa: E402
from app.serving.workers import settle  # noqa: E402

try:
    app = create_app()
finally:
    settle()  # what start-up made stays out of the garbage collector's full passes

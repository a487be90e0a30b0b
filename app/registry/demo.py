"""Whether this registry holds demo data, and whether it may: demo complaints (app/journal/seed.py,
app/journal/demo.py) are never loaded in production, and a registry that received some says so on
every page for good.

The mark is a counter of its own (`DEMO_SCOPE`), moved on in the same unit of work as the demo
complaints it counts: nothing in the app takes it back, as nothing takes complaints out.
"""

from __future__ import annotations

import os
from contextlib import suppress

from flask import current_app
from sqlalchemy.exc import SQLAlchemyError

from ..database import in_unit_of_work
from ..extensions import db
from .models import ChainHead, NumberCounter
from .numbering import take_numbers

#: The counter of demo complaints loaded: its row marks the registry as a demonstration one.
DEMO_SCOPE = "demo"


class DemoDataRefused(Exception):
    """Demo data is never loaded here (production, or DEMO_DATA_ALLOWED is off)."""

    def __init__(self) -> None:
        super().__init__(
            "Demo data is never loaded into a production registry (APP_ENV=production or DEMO_DATA_ALLOWED "
            "is off): its numbers and signed entries would stay in the official record for good."
        )


def demo_data_allowed() -> bool:
    """Whether this installation may load demo data: never in production."""
    return bool(current_app.config.get("DEMO_DATA_ALLOWED")) and os.environ.get("APP_ENV") != "production"


def count_demo_complaints(count: int) -> None:
    """Record, in the caller's unit of work, that `count` more demo complaints were loaded."""
    take_numbers(DEMO_SCOPE, count)


def holds_demo_data() -> bool:
    """Whether demo complaints were ever loaded into this registry (one key lookup; once true,
    remembered by the process, and so is false where demo data cannot be loaded: production)."""
    known = current_app.extensions.get("holds_demo_data")
    if known or (known is not None and not demo_data_allowed()):
        return bool(known)
    try:
        found = db.session.get(NumberCounter, DEMO_SCOPE) is not None
    except SQLAlchemyError:
        if in_unit_of_work():
            raise  # the unit of work's own error: it rolls back and retries or fails (app/database.py)
        # The database cannot be reached: the page that says so (app/serving/outage.py) goes without the ribbon.
        with suppress(SQLAlchemyError):
            db.session.rollback()
        return False
    current_app.extensions["holds_demo_data"] = found
    return found


def suggest_demo_data() -> bool:
    """Whether staff pages offer the command that loads the demo: nothing signed yet (so no
    complaint either), where demo data may be loaded."""
    if not demo_data_allowed():
        return False
    head = db.session.get(ChainHead, 1)
    return head is None or head.position == 0

"""The one place where deadlines are computed. Deadlines are stored on the complaint, so
whether it is overdue can be read from the row at any moment."""

from __future__ import annotations

from datetime import datetime, timedelta


def first_response_due(registered_at: datetime, hours: int) -> datetime:
    """When the complainant must have had a first substantive response (calendar hours)."""
    return registered_at + timedelta(hours=hours)

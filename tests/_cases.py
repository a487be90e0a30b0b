"""Helpers for the case workflow tests: act as a user at a moment, read back what happened."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.auth.models import User
from app.clock import frozen_clock
from app.complaints.access import find_by_reference
from app.complaints.models import Complaint
from app.database import commit_with_retry
from app.extensions import db
from app.notifications.models import Notification
from app.registry.models import EntryKind, EntryPrivate, RegistryEntry

#: The moment test complaints are registered (a Monday morning in Chișinău).
T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def act(app, number: str, operation, *, by: int | None, at: datetime = T0 + timedelta(hours=1), **kwargs):
    """Run one operation as user `by` at `at`, in its own committed unit of work."""
    with app.app_context(), frozen_clock(at):
        complaint = find_by_reference(number)
        user = db.session.get(User, by) if by is not None else None
        extra = {"by": user} if by is not None else {}
        for name, value in list(kwargs.items()):
            if name in ("to", "colleague") and isinstance(value, int):
                kwargs[name] = db.session.get(User, value)
        return commit_with_retry(lambda: operation(complaint, **extra, **kwargs))


def load(app, number: str) -> Complaint:
    with app.app_context():
        return find_by_reference(number)


def events(app, number: str) -> list[dict]:
    with app.app_context():
        complaint = find_by_reference(number)
        return [json.loads(e.payload) for e in db.session.scalars(
            select(RegistryEntry).where(RegistryEntry.complaint_id == complaint.id,
                                        RegistryEntry.kind == EntryKind.EVENT).order_by(RegistryEntry.position))]


def private_parts(app, number: str) -> list[dict]:
    """The private parts (free text, letters as issued) of the complaint's signed events, in order."""
    with app.app_context():
        complaint = find_by_reference(number)
        return [json.loads(data) for data in db.session.scalars(
            select(EntryPrivate.data).join(RegistryEntry, RegistryEntry.position == EntryPrivate.position)
            .where(RegistryEntry.complaint_id == complaint.id, RegistryEntry.kind == EntryKind.EVENT)
            .order_by(RegistryEntry.position))]


def notifications(app, number: str) -> list[tuple[str, str, int | None, int | None]]:
    with app.app_context():
        complaint = find_by_reference(number)
        return [(n.kind.value, n.audience.value, n.user_id, n.tier) for n in db.session.scalars(
            select(Notification).where(Notification.complaint_id == complaint.id).order_by(Notification.id))]


def enforce_at_once(app, at: datetime, passes: int = 3, **kwargs) -> list:
    """Run `passes` enforcement passes at `at` at the same moment, each in its own thread with
    its own session (the clock, one for the process, frozen meanwhile); their reports. Any
    exception in a pass fails the test."""
    import threading

    from app.settings.store import current_policy
    from app.workflow.enforcement import enforce

    results, errors = [], []
    start = threading.Barrier(passes)

    def worker():
        try:
            start.wait()
            with app.app_context():
                results.append(enforce(at, current_policy(), **kwargs))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(passes)]
    with frozen_clock(at):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    return results


def post(client, path: str, data: dict, at: datetime = T0 + timedelta(hours=1)):
    """POST a form at `at` (an hour after the tests' complaints are registered: when the tests'
    administrator saves a change)."""
    with frozen_clock(at):
        return client.post(path, data=data)

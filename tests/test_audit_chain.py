"""The audit trail is a hash chain: untouched it verifies; an edited, removed or reordered event
is reported; concurrent writers form one unbroken chain; the migration links existing events."""

from __future__ import annotations

import os
import threading
import uuid
from datetime import UTC, datetime, timedelta

import flask_migrate
import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from _support import config_class
from app import create_app
from app.audit.chain import digest_of_event
from app.audit.models import AuditAction, AuditChainHead, AuditEvent
from app.audit.service import record
from app.audit.verify import verify_audit_trail
from app.clock import frozen_clock
from app.database import commit_with_retry
from app.extensions import db
from app.registry.digest import GENESIS_DIGEST

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")


def _record_events(app, count: int) -> None:
    with app.app_context():
        for n in range(count):
            with frozen_clock(T0 + timedelta(minutes=n)):
                commit_with_retry(lambda n=n: record(
                    AuditAction.LOGIN_FAILED, username=f"user{n}", details={"n": n, "name": "Ștefan"}))


def _problems(app) -> list[str]:
    with app.app_context():
        return [str(problem) for problem in verify_audit_trail()]


def _sql(app, statement: str, **params) -> None:
    with app.app_context():
        db.session.execute(text(statement), params)
        db.session.commit()


def test_an_untouched_trail_verifies_and_each_event_links_to_the_one_before(app):
    _record_events(app, 4)
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.position)).all()
        head = db.session.get(AuditChainHead, 1)
        assert [e.position for e in events] == [1, 2, 3, 4]
        assert events[0].prev_digest == GENESIS_DIGEST
        assert [e.prev_digest for e in events[1:]] == [e.digest for e in events[:-1]]
        assert all(digest_of_event(e) == e.digest for e in events)
        assert (head.position, head.digest) == (4, events[-1].digest)
    assert _problems(app) == []


def test_signing_in_and_out_are_chained_like_every_other_event(app, client, login):
    login(client, "clerk", "irina")
    client.post("/staff/logout")
    app.test_client().post("/staff/login", data={"username": "irina", "password": "wrong password!"})
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.position)).all()
    assert AuditAction.LOGIN in actions and AuditAction.LOGIN_FAILED in actions
    assert _problems(app) == []


def test_a_rolled_back_event_leaves_no_gap_in_the_chain(app):
    _record_events(app, 1)
    with app.app_context():
        def failing() -> None:
            record(AuditAction.EXPORT, target="journal")
            raise RuntimeError("the action failed after its audit event")

        with pytest.raises(RuntimeError):
            commit_with_retry(failing)
    _record_events(app, 1)
    with app.app_context():
        assert db.session.scalars(select(AuditEvent.position).order_by(AuditEvent.position)).all() == [1, 2]
    assert _problems(app) == []


@pytest.mark.parametrize("column, value", [
    ("username", "someone-else"), ("details", '{"n": 99}'), ("action", "login"), ("ip", "10.0.0.66"),
    ("user_id", "a user"), ("target", "2026/000001"),
])
def test_an_edited_event_is_reported(app, make_user, column, value):
    if value == "a user":
        value = make_user("someone")
    _record_events(app, 3)
    _sql(app, f"UPDATE audit_events SET {column} = :value WHERE position = 2", value=value)  # noqa: S608
    assert [p.split(" (")[0] for p in _problems(app)] == [
        "entry #2: audit trail: altered: the event's content does not match its digest"]


def test_an_edited_time_is_reported(app):
    _record_events(app, 3)
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.position == 3))
        event.at = event.at - timedelta(days=1)
        db.session.commit()
    assert [p.split(" (")[0] for p in _problems(app)] == [
        "entry #3: audit trail: altered: the event's content does not match its digest"]


def test_an_event_deleted_in_the_middle_is_reported(app):
    _record_events(app, 4)
    _sql(app, "DELETE FROM audit_events WHERE position = 2")
    problems = _problems(app)
    assert problems[0] == "entry #2: audit trail: events #2..#2 were removed"
    assert problems[1].startswith("entry #3: audit trail: the event does not follow the one before it")
    assert len(problems) == 2


def test_events_deleted_at_the_end_are_reported_by_the_head(app):
    _record_events(app, 5)
    _sql(app, "DELETE FROM audit_events WHERE position >= 4")
    assert [p.split(" (")[0] for p in _problems(app)] == [
        "entry #5: audit trail: the trail ends at event #3 but its head names #5: "
        "events at the end were removed or replaced"]


def test_every_event_deleted_with_the_head_left_is_reported(app):
    _record_events(app, 2)
    _sql(app, "DELETE FROM audit_events")
    assert len(_problems(app)) == 1


def test_a_removed_head_is_reported(app):
    _record_events(app, 2)
    _sql(app, "DELETE FROM audit_chain_head")
    assert _problems(app) == ["audit trail: its head is missing, though the trail reaches event #2"]


def test_events_whose_positions_were_swapped_are_reported(app):
    _record_events(app, 4)
    _sql(app, "UPDATE audit_events SET position = -position WHERE position IN (2, 3)")
    _sql(app, "UPDATE audit_events SET position = CASE position WHEN -2 THEN 3 ELSE 2 END WHERE position < 0")
    problems = _problems(app)
    assert any(p.startswith("entry #2: audit trail: the event does not follow") for p in problems)
    assert any(p.startswith("entry #2: audit trail: altered") for p in problems)
    assert any(p.startswith("entry #3: audit trail: altered") for p in problems)


def test_events_whose_ids_were_swapped_are_reported(app):
    _record_events(app, 3)
    with app.app_context():
        first, second = db.session.scalars(
            select(AuditEvent.id).where(AuditEvent.position.in_([1, 2])).order_by(AuditEvent.position)).all()
    _sql(app, "UPDATE audit_events SET id = -id WHERE id IN (:a, :b)", a=first, b=second)
    _sql(app, "UPDATE audit_events SET id = CASE id WHEN -:a THEN :b ELSE :a END WHERE id < 0", a=first, b=second)
    assert [p.split(" (")[0].split(" id ")[0] for p in _problems(app)] == ["entry #2: audit trail: the event's"]


def test_threads_writing_audit_events_at_once_form_one_unbroken_chain(app):
    threads, per_thread, errors = 8, 6, []
    start = threading.Barrier(threads)

    def worker(index: int) -> None:
        try:
            with app.app_context():
                start.wait()
                for i in range(per_thread):
                    commit_with_retry(lambda i=i: record(AuditAction.LOGIN_FAILED, username=f"t{index}-{i}"))
                db.session.remove()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    assert errors == []
    with app.app_context():
        positions = db.session.scalars(select(AuditEvent.position).order_by(AuditEvent.id)).all()
        assert positions == list(range(1, threads * per_thread + 1))
    assert _problems(app) == []


@pytest.fixture
def fresh_database_url(tmp_path):
    """An empty database of the kind the suite runs on, dropped afterwards."""
    if not POSTGRES_URL:
        yield f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
        return
    name = f"registry_audit_migration_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_the_migration_links_the_events_written_before_it_in_id_order(base_settings, fresh_database_url):
    app = create_app(config_class(**{**base_settings, "SQLALCHEMY_DATABASE_URI": fresh_database_url}))
    with app.app_context():
        try:
            flask_migrate.upgrade(revision="7d4e2a9c1f05")
            for n, action in enumerate(["login", "login_failed", "logout"]):  # written later, dated earlier
                db.session.execute(
                    text("INSERT INTO audit_events (at, username, action, details) VALUES (:at, :u, :a, :d)"),
                    {"at": (T0 - timedelta(seconds=n)).replace(tzinfo=None), "u": f"u{n}", "a": action,
                     "d": '{"x": "ă"}'},
                )
            db.session.commit()
            flask_migrate.upgrade()
            events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.position)).all()
            assert [(e.position, e.username) for e in events] == [(1, "u0"), (2, "u1"), (3, "u2")]
            assert [e.id for e in events] == sorted(e.id for e in events)
            assert verify_audit_trail() == []
            record(AuditAction.LOGIN, username="after")
            db.session.commit()
            assert db.session.get(AuditChainHead, 1).position == 4
            assert verify_audit_trail() == []
        finally:
            db.session.remove()
            db.engine.dispose()

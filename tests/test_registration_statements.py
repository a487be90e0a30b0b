"""What one registration through the API sends to the database: a fixed, short list of
statements, none of them twice and none that the transaction does not need.

A registration holds the number lock from its first statement to its commit, so every
statement it sends is paid by every registration queued behind it. Counted at the driver
(each statement the DBAPI cursor executes, whether SQLAlchemy or a precompiled statement sent
it), on a second registration of the year (the first one also creates the year's counter).
"""

from __future__ import annotations

import fcntl
import os
import re
import sqlite3
from typing import Any

import pytest

from _support import valid_payload
from app.database import sqlite_write_lock_path
from app.extensions import db
from app.intake import operations

#: Each statement as the tables it writes, in order.
SQLITE = [
    # No pool pre-ping: an SQLite file has no server to lose (app.database.engine_options).
    ["BEGIN IMMEDIATE"],  # the write lock, taken before the number
    ["UPDATE number_counters"],  # the number
    ["UPDATE registry_chain_head"],  # the entry's place on the chain
    ["INSERT INTO complaints"],
    ["INSERT INTO notifications"],  # the acknowledgement, sent after the commit
    ["INSERT INTO registry_entries"],  # the signed intake entry
    ["INSERT INTO registry_private"],  # its private part
    ["UPDATE registry_chain_head"],  # the head names the new entry's digest
]
POSTGRESQL = [
    # No round trip to check the pooled connection: its socket is looked at (app.database.configure_pool).
    ["UPDATE number_counters", "UPDATE registry_chain_head"],  # the number and the place, one round trip
    ["INSERT INTO complaints", "INSERT INTO notifications", "INSERT INTO registry_entries",
     "INSERT INTO registry_private", "UPDATE registry_chain_head"],  # everything else, one round trip
]

_WRITE = re.compile(r"\b(UPDATE \w+|INSERT INTO \w+)")


def _shape(statement: str) -> list[str]:
    writes = _WRITE.findall(statement)
    return writes or [statement.strip()]


def _counting_connect_args(dialect: str, sent: list[str], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Connection arguments whose cursors note each statement they execute (on PostgreSQL with
    the raw cursors that precompiled statements run on, app.database.Precompiled)."""
    if dialect == "sqlite":

        class SqliteCursor(sqlite3.Cursor):
            def execute(self, sql: str, *args: Any) -> Any:
                sent.append(sql)
                return super().execute(sql, *args)

        class SqliteConnection(sqlite3.Connection):
            def cursor(self, factory: Any = SqliteCursor) -> Any:
                return super().cursor(factory)

        return {"factory": SqliteConnection}
    import psycopg

    def counted(execute: Any) -> Any:
        def execute_counted(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
            sent.append(query if isinstance(query, str) else str(query))
            return execute(self, query, *args, **kwargs)

        return execute_counted

    class PostgresCursor(psycopg.Cursor):
        execute = counted(psycopg.Cursor.execute)

    monkeypatch.setattr(psycopg.RawCursor, "execute", counted(psycopg.RawCursor.execute), raising=False)
    return {"cursor_factory": PostgresCursor}


@pytest.fixture
def counting(app, make_app, monkeypatch) -> tuple[str, Any, list[str]]:
    """(the database's dialect, a test client of an app whose driver lists every statement it
    sends, that list), after one registration has made the year's counter."""
    with app.app_context():
        dialect = db.engine.dialect.name
        engine_options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
    sent: list[str] = []
    client = make_app(
        SQLALCHEMY_ENGINE_OPTIONS=engine_options | {"connect_args": _counting_connect_args(dialect, sent, monkeypatch)}
    ).test_client()
    assert client.post("/api/v1/complaints", json=valid_payload()).status_code == 201  # the year's counter
    sent.clear()
    return dialect, client, sent


def test_one_registration_sends_only_what_its_transaction_needs(counting):
    dialect, client, sent = counting
    answer = client.post("/api/v1/complaints", json=valid_payload(subject="A second complaint"))
    assert answer.status_code == 201
    assert answer.get_json()["number"].endswith("2")
    expected = {"sqlite": SQLITE, "postgresql": POSTGRESQL}[dialect]
    assert [_shape(statement) for statement in sent] == expected
    assert len(sent) == {"sqlite": 8, "postgresql": 2}[dialect]


def test_a_registration_with_an_idempotency_key_adds_its_claim_and_record_only(counting):
    dialect, client, sent = counting
    answer = client.post("/api/v1/complaints", json=valid_payload(), headers={"Idempotency-Key": "one-key"})
    assert answer.status_code == 201
    plain = {"sqlite": SQLITE, "postgresql": POSTGRESQL}[dialect]
    begun = {"sqlite": 1, "postgresql": 0}[dialect]  # SQLite's BEGIN IMMEDIATE; psycopg's BEGIN is implicit
    # the claim comes first in the transaction, the record last
    assert [_shape(statement) for statement in sent] == [
        *plain[:begun], ["INSERT INTO idempotency_keys"], *plain[begun:], ["UPDATE idempotency_keys"],
    ]


def _queue_free(lock_path: str) -> bool:
    """True when another SQLite writer could take the write queue's lock now (taken and let go)."""
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


def test_an_sqlite_registration_holds_the_write_queue_from_its_begin_to_its_commit_only(app, monkeypatch):
    """Other writers wait for a registration only while its transaction is open: not while it
    makes its complaint (before its first statement), not after it committed or failed."""
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite's write queue; PostgreSQL queues registrations on the counter row")
        lock_path = sqlite_write_lock_path(db.engine)
        assert lock_path is not None
    seen: list[tuple[str, bool]] = []
    take_number, append = operations._number, operations.append_intake_entry

    def numbering(*args: Any) -> Any:
        seen.append(("prepared", _queue_free(lock_path)))
        return take_number(*args)

    def appending(*args: Any, **kwargs: Any) -> Any:
        seen.append(("numbered", _queue_free(lock_path)))
        if fail:
            raise RuntimeError("disk full while signing")
        return append(*args, **kwargs)

    monkeypatch.setattr(operations, "_number", numbering)
    monkeypatch.setattr(operations, "append_intake_entry", appending)
    client = app.test_client()
    fail = False
    assert client.post("/api/v1/complaints", json=valid_payload()).status_code == 201
    assert seen == [("prepared", True), ("numbered", False)]
    assert _queue_free(lock_path)  # committed
    seen.clear()
    fail = True
    with pytest.raises(RuntimeError):  # the test client lets the error through
        client.post("/api/v1/complaints", json=valid_payload())
    assert seen == [("prepared", True), ("numbered", False)]
    assert _queue_free(lock_path)  # rolled back

"""Database plumbing shared by every feature: column types, SQLite setup, insert-if-absent,
and the one place where a unit of work is committed and, on a transient conflict, retried.
"""

from __future__ import annotations

import enum
import fcntl
import logging
import os
import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from select import POLLIN, POLLPRI, poll
from typing import Any, TypeVar

from flask import current_app
from msgspec import Struct
from sqlalchemy import DateTime, Enum, Float, event, func, insert, inspect, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.sql import Executable
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator

from .extensions import db

log = logging.getLogger(__name__)
T = TypeVar("T")


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every database.

    PostgreSQL keeps the offset itself; SQLite has no time zones, so values are stored as
    naive UTC and made aware again on the way out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class epoch_ms(FunctionElement):
    """Milliseconds since 1970 of a timestamp, as a number the database can do sums with (the one
    piece of time arithmetic that differs between SQLite and PostgreSQL)."""

    type = Float()
    inherit_cache = True


@compiles(epoch_ms, "postgresql")
def _epoch_ms_postgresql(element: epoch_ms, compiler: Any, **kw: Any) -> str:
    return f"(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) * 1000)"


@compiles(epoch_ms, "sqlite")
def _epoch_ms_sqlite(element: epoch_ms, compiler: Any, **kw: Any) -> str:
    # SQLite keeps times to the millisecond; rounding undoes the Julian day's float error.
    return f"ROUND((julianday({compiler.process(element.clauses, **kw)}) - 2440587.5) * 86400000.0)"


def enum_column(enum_cls: type[enum.Enum], length: int) -> Enum:
    """Store an enum as its value in a VARCHAR with a CHECK, the same on every database."""
    return Enum(
        enum_cls,
        native_enum=False,
        create_constraint=True,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class RetryableConflict(Exception):
    """Raised by an operation that found the world changed under it; the unit of work is re-run."""


#: Set while `commit_with_retry` runs a unit of work: its transaction will write.
_writing: ContextVar[bool] = ContextVar("writing", default=False)
#: The SQLite write queue's lock a unit of work holds (a file descriptor), in a list the unit
#: of work owns: taken by its transaction's BEGIN IMMEDIATE, let go once it commits or rolls back.
_queue_place: ContextVar[list[int] | None] = ContextVar("queue_place", default=None)


def in_unit_of_work() -> bool:
    """True while `commit_with_retry` runs a unit of work (its errors are its own to handle)."""
    return _writing.get()


#: How a database server's pooled connection is checked as a request takes it (DATABASE_POOL_CHECK):
#: "socket" looks at the connection's socket, no round trip (see `configure_pool`);
#: "ping" sends the server an empty statement and waits for its answer, for a server behind a
#: connection pooler such as PgBouncer, whose own connections to the app stay open when the
#: server restarts.
POOL_CHECKS = ("socket", "ping")


def engine_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """The engine's options: never SQLAlchemy's own pre-ping, which would
    ping a connection before `configure_pool` could see that it is another process's (a ping
    on a socket two processes share is what must not happen). `configure_pool` checks each
    connection instead, pinging it only when asked (DATABASE_POOL_CHECK=ping) or when its socket
    says the server may have closed it; an SQLite file, which has no server to lose, never."""
    return {**options, "pool_pre_ping": False}


def configure_pool(engine: Engine, pool_check: str = "socket") -> None:
    """Check each pooled connection as a request takes it: it must belong to this process, and
    a database server's must still be open, both without a round trip (unless `pool_check` is
    "ping": then a server's connection is pinged every time, after the first check).

    **This process's own.** A connection is a socket to the server (or an open SQLite file)
    that a process shares with every child it forks. A worker forked from a preloading master
    that had used the engine (a benchmark's table set-up, anything run while the app was
    built) would find the master's connection in its pool; two processes talking on one socket
    read each other's answers, so statements get another statement's results. A connection
    opened by another process is dropped without being closed (closing it would end the session
    of the process that owns it) and the pool opens a new one (SQLAlchemy's recipe for pools and
    `os.fork`).

    **Still open.** A database server's connection waiting in the pool has nothing to read:
    the server only speaks when asked. When it ends the session (a restart,
    `pg_terminate_backend`, an idle timeout) it writes its reason and closes the socket, so the
    socket turns readable. Looking at it with `poll` and a zero timeout costs one system call.
    Only a readable connection is pinged, and one that does not answer is given up
    (DisconnectionError in the pool's checkout: SQLAlchemy closes it and takes a fresh
    connection); whatever else might make an idle connection readable (a parameter the server
    reports after reloading its configuration, a TLS record) costs that one ping. A connection
    that dies after the check fails its statement; the unit of work answers 503 and the pool
    drops it with every older one (app/serving/outage.py), as it did with a ping before every
    request. An SQLite file has no server to lose and is not looked at."""
    if pool_check not in POOL_CHECKS:
        raise ValueError(f"DATABASE_POOL_CHECK must be one of {', '.join(POOL_CHECKS)}, not {pool_check!r}")
    dialect = engine.dialect
    server = dialect.name != "sqlite"
    always_ping = pool_check == "ping"

    @event.listens_for(engine, "connect")
    def _on_connect(_dbapi_connection: Any, record: Any) -> None:
        record.info["pid"] = os.getpid()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        if record.info.get("pid") != os.getpid():
            record.dbapi_connection = proxy.dbapi_connection = None  # the other process's: not closed here
            raise DisconnectionError("a pooled connection opened by another process")
        if server and (always_ping or closed_by_server(dbapi_connection)) and not _answers(dialect, dbapi_connection):
            raise DisconnectionError("the database server closed this pooled connection")


def _answers(dialect: Dialect, dbapi_connection: Any) -> bool:
    """The server answers a ping on this connection (the pool's pre-ping, done once)."""
    try:
        return bool(dialect.do_ping(dbapi_connection))
    except dialect.loaded_dbapi.Error:
        return False


def closed_by_server(dbapi_connection: Any) -> bool:
    """True when an idle connection's socket has something to read: the server ended it."""
    poller = poll()
    poller.register(dbapi_connection.fileno(), POLLIN | POLLPRI)
    return bool(poller.poll(0))


def configure_sqlite(engine: Engine, busy_timeout_s: int) -> None:
    """Make SQLite safe for several threads and processes writing at once.

    A unit of work (see `commit_with_retry`) starts with BEGIN IMMEDIATE, so a writer takes the
    write lock before it reads what it will change (no upgrade deadlock, no 'database is
    locked' mid-transaction); a busy database is waited on for `busy_timeout_s`. Reads start
    with a plain BEGIN and, thanks to WAL, run beside a writer.

    Writers of a file database also queue on a lock file (`_join_queue`), taken just before
    BEGIN IMMEDIATE: what a unit of work prepares before its first statement (a registration's
    complaint, its access code and salt) is done outside the queue, so the queue moves at the
    pace of the writes themselves.
    """
    lock_path = sqlite_write_lock_path(engine)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if not _writing.get():
            connection.exec_driver_sql("BEGIN")
            return
        place = _queue_place.get()
        if lock_path is not None and place is not None and not place:
            place.append(_join_queue(lock_path))
        connection.exec_driver_sql("BEGIN IMMEDIATE")


#: SQLite's planner statistics (sqlite_stat1) are taken again when the table they are judged by
#: holds STATISTICS_GROWTH times the rows they were taken at, or STATISTICS_FROM rows and none
#: were taken: otherwise a registry that grew from empty keeps what the migrations found, empty
#: tables, and SQLite plans for tables of unknown size (the queue then sorts every open complaint
#: instead of reading its index in order; docs/performance.md).
STATISTICS_FROM = 100
STATISTICS_GROWTH = 2
#: Entries of each index that ANALYZE reads to estimate its statistics (PRAGMA analysis_limit):
#: ≈ 8 ms for the whole database at 100,000 complaints, against 0.4 s for a full ANALYZE.
ANALYSIS_LIMIT = 1000
_TABLE_EXISTS = text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :name")
#: The rows the statistics were taken at: the largest count among the table's index lines.
_ROWS_AT = text("SELECT max(CAST(stat AS INTEGER)) FROM sqlite_stat1 WHERE tbl = :table")


def sqlite_has_table(name: str) -> bool:
    """The SQLite database has a table `name` (one that a migration makes only where SQLite
    can, or one SQLite makes itself, such as sqlite_stat1)."""
    return db.session.execute(_TABLE_EXISTS, {"name": name}).first() is not None


def refresh_statistics(table: str) -> bool:
    """On SQLite, take the planner's statistics of the whole database again (sampled) when
    `table` has grown enough since they were taken (see STATISTICS_GROWTH); True if it did.
    Called by every enforcement pass with the complaints; PostgreSQL's autovacuum does the
    same by itself."""
    if db.session.get_bind().dialect.name != "sqlite":
        return False
    rows = db.session.execute(text(f"SELECT coalesce(max(rowid), 0) FROM {table}")).scalar_one()  # noqa: S608
    taken_at = db.session.execute(_ROWS_AT, {"table": table}).scalar() if sqlite_has_table("sqlite_stat1") else None
    db.session.rollback()  # the reads' transaction: the analysis is a unit of work of its own
    if rows < (STATISTICS_FROM if not taken_at else taken_at * STATISTICS_GROWTH):
        return False

    def analyse() -> None:
        db.session.execute(text(f"PRAGMA analysis_limit = {ANALYSIS_LIMIT}"))
        try:
            db.session.execute(text("ANALYZE"))
        finally:
            db.session.execute(text("PRAGMA analysis_limit = 0"))

    commit_with_retry(analyse)
    return True


def sqlite_write_lock_path(engine: Engine) -> str | None:
    """The lock file that queues SQLite writers (None for an in-memory database)."""
    database = engine.url.database
    return f"{database}.write-lock" if database and database != ":memory:" else None


def _join_queue(lock_path: str) -> int:
    """Wait for, then hold, an exclusive OS lock on `lock_path`; answers the descriptor that
    holds it (closing it lets go: `_leave_queue`).

    SQLite's own busy handler polls with sleeps of up to 100 ms, so a writer waiting for a
    2 ms transaction often sleeps far longer than it had to. Writers that queue on a file
    lock are woken by the kernel the moment the previous one finishes.
    """
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _leave_queue() -> None:
    """Let go of the write queue's lock, if this unit of work holds it."""
    place = _queue_place.get()
    while place:
        os.close(place.pop())  # closing the descriptor releases the lock


def insert_if_absent(model: type, **values: Any) -> bool:
    """INSERT a row unless one with the same key exists; True when this call inserted it.

    On PostgreSQL a conflicting row that is not yet committed is waited for, so of two
    concurrent callers exactly one inserts and the other sees the outcome.
    """
    dialect = db.session.get_bind().dialect.name
    dialect_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = model.__table__
    statement = (
        dialect_insert(table).values(**values).on_conflict_do_nothing().returning(*table.primary_key.columns)
    )
    return db.session.execute(statement).first() is not None


class _Rendered(Struct, frozen=True):
    """A statement as one dialect runs it."""

    sql: str
    order: tuple[str, ...] | None  # parameter names in placeholder order; None: named placeholders
    fixed: dict[str, Any]  # values written into the statement (e.g. the 1 of `position + 1`)
    processors: dict[str, Callable[[Any], Any]]  # each parameter's type conversion (enums, UTC times)
    raw: bool = False  # `$1` placeholders, run on psycopg's raw cursor


def _dollar_placeholders(dialect: Dialect) -> Dialect:
    """A dialect of the same kind as `dialect` that writes `$1, $2, ...` placeholders."""
    return type(dialect)(paramstyle="numeric_dollar")


def _raw_cursor(connection: Any) -> Any:
    """A psycopg cursor that sends the statement as written (`$1` placeholders), unparsed."""
    from psycopg import RawCursor  # the driver is imported only where PostgreSQL is used

    return RawCursor(connection)


class Precompiled:
    """A Core statement compiled once per dialect and run on the session's DBAPI connection.

    For the few short statements a registration runs while the others queue behind its number
    lock: SQLAlchemy's per-execution work (cache key, execution context, result wrapping) costs
    several times more than SQLite itself needs for them. Parameters still go through the
    columns' own type conversions, so what is stored is exactly what `session.execute` would
    store; DBAPI errors are wrapped as SQLAlchemy's, so `is_transient` and callers see the
    usual exceptions. Rows come back as the driver gives them: return only plain columns
    (integers, strings), never ones whose type converts results.

    With psycopg the statement is written with PostgreSQL's own `$1` placeholders and run on a
    raw cursor: psycopg parses a `%(name)s` statement on every execution when it has more than
    50 parameters (its cache stops there), and a registration's one statement has about 60:
    ≈ 0.13 ms of CPU a registration.
    """

    def __init__(self, statement: Executable, *, column_keys: Sequence[str] | None = None) -> None:
        self._statement = statement
        self._column_keys = list(column_keys) if column_keys is not None else None
        self._by_dialect: dict[str, _Rendered] = {}

    def _rendered(self, dialect: Dialect) -> _Rendered:
        rendered = self._by_dialect.get(dialect.name)
        if rendered is None:  # two threads may both compile once; they get the same result
            raw = dialect.driver == "psycopg"
            compiled = self._statement.compile(dialect=_dollar_placeholders(dialect) if raw else dialect,
                                               column_keys=self._column_keys)
            if compiled.escaped_bind_names or "POSTCOMPILE" in compiled.string:
                raise ValueError("Precompiled takes plain bound parameters only")
            processors = {}
            fixed = {}
            for name, bind in compiled.binds.items():
                process = bind.type.dialect_impl(dialect).bind_processor(dialect)
                if process is not None:
                    processors[name] = process
                if not bind.required:
                    fixed[name] = process(bind.value) if process else bind.value
            # Columns left out get their Python-side defaults, as `session.execute` would give.
            for column, default in [
                *((c, c.default) for c in compiled.insert_prefetch),
                *((c, c.onupdate) for c in compiled.update_prefetch),
            ]:
                if default is None or not default.is_scalar:
                    raise ValueError(f"Precompiled gives scalar column defaults only, not {column}'s")
                process = processors.get(column.key)
                fixed[column.key] = process(default.arg) if process else default.arg
            order = tuple(compiled.positiontup) if compiled.positional else None
            rendered = _Rendered(compiled.string, order, fixed, processors, raw)
            self._by_dialect[dialect.name] = rendered
        return rendered

    def rows(self, params: Mapping[str, Any]) -> list[tuple]:
        """Run the statement in the session's transaction; the rows it returns, if any."""
        connection = db.session.connection()  # begins the transaction (BEGIN IMMEDIATE on SQLite)
        dialect = connection.dialect
        rendered = self._rendered(dialect)
        values = dict(rendered.fixed)
        processors = rendered.processors
        for name, value in params.items():
            process = processors.get(name)
            values[name] = process(value) if process is not None and value is not None else value
        arguments: Any = values if rendered.order is None else [values[name] for name in rendered.order]
        cursor = _raw_cursor(connection.connection.driver_connection) if rendered.raw else connection.connection.cursor()
        try:
            cursor.execute(rendered.sql, arguments)
            return cursor.fetchall() if cursor.description else []
        except dialect.loaded_dbapi.Error as error:
            raise DBAPIError.instance(
                rendered.sql, arguments, error, dialect.loaded_dbapi.Error, dialect=dialect
            ) from error
        finally:
            cursor.close()


#: INSERT statements by table and columns given (a hot path always gives the same ones).
_INSERTS: dict[tuple[str, tuple[str, ...]], Precompiled] = {}


def insert_row(table: Any, values: dict[str, Any]) -> tuple:
    """INSERT one row of `table` with a precompiled statement (columns left out get their
    defaults); answers its primary key."""
    key = (table.name, tuple(values))
    statement = _INSERTS.get(key)
    if statement is None:
        returning = insert(table).returning(*table.primary_key.columns)
        statement = _INSERTS.setdefault(key, Precompiled(returning, column_keys=key[1]))
    return statement.rows(values)[0]


def new_row(instance: Any) -> dict[str, Any]:
    """The column values set on a new mapped object: the row its INSERT stores."""
    state = inspect(instance)
    values = state.dict
    return {prop.key: values[prop.key] for prop in state.mapper.column_attrs if prop.key in values}


def as_stored(instance: Any, key: tuple) -> None:
    """Put a new mapped object whose row was INSERTed with primary key `key` into the session,
    persistent and unchanged, as `session.add()` and a flush would have left it (columns left
    out are read from the database if asked for). New objects in its relationships are
    cascaded into the session as usual and written by the next flush."""
    mapper = inspect(instance).mapper
    for column, value in zip(mapper.local_table.primary_key.columns, key, strict=True):
        setattr(instance, mapper.get_property_by_column(column).key, value)
    make_transient_to_detached(instance)
    db.session.add(instance)


_SQLITE_TRANSIENT = ("database is locked", "database is busy", "database table is locked")
_POSTGRES_TRANSIENT = {"40001", "40P01", "55P03"}  # serialization failure, deadlock, lock not available


def is_transient(error: BaseException) -> bool:
    """True when re-running the same unit of work may succeed."""
    if isinstance(error, RetryableConflict):
        return True
    if not isinstance(error, DBAPIError):
        return False
    sqlstate = getattr(error.orig, "sqlstate", None)
    if sqlstate in _POSTGRES_TRANSIENT:
        return True
    message = str(error.orig).lower()
    return any(text in message for text in _SQLITE_TRANSIENT)


def commit_with_retry(work: Callable[[], T]) -> T:
    """Run `work` (which flushes but never commits), commit once, and return its result.

    Any exception rolls the whole unit back, so nothing is half-written and no number is
    consumed. Transient conflicts (a busy SQLite file, a PostgreSQL deadlock) are retried
    with jittered backoff; the user sees a slow answer, never 'database is locked'.
    """
    attempts = current_app.config["DATABASE_RETRIES"]
    if db.session().in_transaction():
        db.session.commit()  # end the request's read-only transaction; the work starts its own
    token = _writing.set(True)
    place = _queue_place.set([])
    try:
        return _run_with_retry(work, attempts)
    finally:
        _leave_queue()
        _queue_place.reset(place)
        _writing.reset(token)


def _run_with_retry(work: Callable[[], T], attempts: int) -> T:
    for attempt in range(1, attempts + 1):
        try:
            result = work()
            db.session.commit()
            return result
        except Exception as error:
            db.session.rollback()
            _leave_queue()  # before the backoff: other writers go on meanwhile
            if attempt == attempts or not is_transient(error):
                raise
            delay = min(1.0, 0.01 * 2**attempt) * random.uniform(0.5, 1.5)
            log.warning("transient database conflict (attempt %d): %s; retrying", attempt, error)
            time.sleep(delay)
    raise AssertionError("unreachable")


@contextmanager
def rows_into(table: Any, columns: tuple[str, ...]) -> Iterator[Callable[[dict[str, Any]], None]]:
    """A function that stores one row (a dict) of `table` in the session's transaction: sent at
    once by COPY on PostgreSQL (the server works on it while the caller makes the next), collected
    for one executemany INSERT elsewhere."""
    if db.session.get_bind().dialect.name != "postgresql":
        rows: list[dict[str, Any]] = []
        yield rows.append
        if rows:
            db.session.execute(insert(table), rows)
        return
    cursor = db.session.connection().connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        yield lambda row: copy.write_row([
            value.value if isinstance(value, enum.Enum) else value for value in map(row.__getitem__, columns)
        ])


def reserve_ids(table: Any, count: int) -> list[int]:
    """`count` new values of `table`'s integer primary key `id`, for rows written with their ids
    (by COPY): drawn from its sequence on PostgreSQL; after the largest on SQLite, where the
    unit of work holds the write lock."""
    if db.session.get_bind().dialect.name == "postgresql":
        return list(db.session.scalars(
            text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"),
            {"table": table.name, "n": count},
        ))
    first = (db.session.scalar(select(func.max(table.c.id))) or 0) + 1
    return list(range(first, first + count))


def allow_bulk_load_memory() -> None:
    """PostgreSQL, for this transaction: room to merge the GIN indexes' pending entries in
    memory rather than in many small runs, for a load of thousands of rows."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL work_mem = '256MB'"))


#: Below this many rows a plain INSERT beats setting up a COPY.
_COPY_FROM_ROWS = 50


def bulk_insert(table: Any, rows: list[dict[str, Any]]) -> None:
    """INSERT many rows with the same keys, by COPY on PostgreSQL when there are enough of them
    (several times faster than executemany for thousands of rows)."""
    if not rows:
        return
    if len(rows) == 1:
        insert_row(table, rows[0])
        return
    if len(rows) < _COPY_FROM_ROWS or db.session.get_bind().dialect.name != "postgresql":
        db.session.execute(insert(table), rows)
        return
    with rows_into(table, tuple(rows[0])) as write:
        for row in rows:
            write(row)

"""An independent bare Flask endpoint registering a complaint: the floor the intake is measured against.

    gunicorn 'benchmarks.bare_flask_app:create_app()'      (BARE_DATABASE_URL names the database)

Plain Flask and SQLAlchemy Core, no extensions and nothing of the app imported (so its start-up
and memory are a bare Flask app's too). `POST /complaints` takes a JSON object and, in one
transaction, does what a registration cannot do without:

  - takes the next number of the year from a counter row (`UPDATE ... SET last_value =
    last_value + 1 ... RETURNING`, the row locked until the commit: gap-free, as
    app/registry/numbering.py does it);
  - inserts one complaint-shaped row made from the request's fields (the complaint's columns,
    its unique number, slug and (year, seq), and its plain indexes on the registration moment,
    the first-response deadline, the e-mail and the phone);
  - commits, and answers 201 with the number.

No validation, no signature, no hash chain, no outbox, no rate limit, no session or CSRF.
Durability is the app's: on SQLite WAL with `synchronous = FULL`, `BEGIN IMMEDIATE` for the
writing transaction and the same busy timeout; on PostgreSQL the server's `synchronous_commit`
(the app does not change it: `on` unless the server says otherwise), READ COMMITTED.

`GET /health` answers 200 for start-up checks. `create_tables(url)` creates the two tables and
this year's and next year's counters once, before the server starts.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

from flask import Flask, jsonify, request
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    bindparam,
    create_engine,
    event,
    insert,
    select,
    update,
)

BUSY_TIMEOUT_S = int(os.environ.get("DATABASE_BUSY_TIMEOUT", "30"))  # the app's default

metadata = MetaData()
counters = Table(
    "bare_counters",
    metadata,
    Column("scope", String(40), primary_key=True),
    Column("last_value", BigInteger, nullable=False),
)
complaints = Table(
    "bare_complaints",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("year", Integer, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("number", String(40), nullable=False, unique=True),
    Column("slug", String(40), nullable=False, unique=True),
    Column("status", String(20), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("registered_at", DateTime(timezone=True), nullable=False, index=True),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("first_response_due", DateTime(timezone=True), nullable=False, index=True),
    Column("full_name", String(200)),
    Column("email", String(254), index=True),
    Column("phone", String(32), index=True),
    Column("postal_address", String(500)),
    Column("category", String(50)),
    Column("subject", String(200)),
    Column("description", Text),
    Column("desired_outcome", Text),
    Column("language", String(5)),
    Column("signature_name", String(200)),
    Column("declaration_confirmed", Boolean, nullable=False),
    UniqueConstraint("year", "seq"),
)
Index("ix_bare_complaints_status_year_seq", complaints.c.status, complaints.c.year, complaints.c.seq)

INCREMENT = (
    update(counters)
    .where(counters.c.scope == bindparam("counter_scope"))
    .values(last_value=counters.c.last_value + 1)
    .returning(counters.c.last_value)
)
INSERT = insert(complaints)


def make_engine(url: str) -> Engine:
    """An engine with the app's durability: on SQLite WAL, synchronous FULL, BEGIN IMMEDIATE."""
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def pragmas(dbapi_connection, record):  # noqa: ANN001
            dbapi_connection.isolation_level = None  # BEGIN is ours
            cursor = dbapi_connection.cursor()
            cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_S * 1000}")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = FULL")
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def begin(connection):  # noqa: ANN001
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def create_tables(url: str) -> None:
    """The tables and the counters of this year and the next, before any worker starts."""
    engine = make_engine(url)
    try:
        metadata.create_all(engine)
        year = datetime.now(UTC).year
        with engine.begin() as connection:
            for scope in (f"bare:{year}", f"bare:{year + 1}"):
                if connection.execute(select(counters.c.scope).where(counters.c.scope == scope)).first() is None:
                    connection.execute(insert(counters).values(scope=scope, last_value=0))
    finally:
        engine.dispose()


def create_app(url: str | None = None) -> Flask:
    """The app on `url` (default: BARE_DATABASE_URL, else DATABASE_URL)."""
    app = Flask(__name__)
    engine = make_engine(url or os.environ.get("BARE_DATABASE_URL") or os.environ["DATABASE_URL"])

    @app.get("/health")
    def health() -> tuple[str, int]:
        return "ok", 200

    @app.post("/complaints")
    def register() -> tuple[object, int]:
        fields = request.get_json(silent=True)
        if not isinstance(fields, dict):
            return jsonify(error="send a JSON object"), 422
        moment = datetime.now(UTC)
        year = moment.year
        with engine.begin() as connection:
            seq = connection.execute(INCREMENT, {"counter_scope": f"bare:{year}"}).scalar_one()
            number = f"{year}/{seq:06d}"
            connection.execute(INSERT, {
                "year": year, "seq": seq, "number": number, "slug": number.replace("/", "-"),
                "status": "registered", "channel": "api", "registered_at": moment, "received_at": moment,
                "first_response_due": moment + timedelta(days=15),
                "full_name": fields.get("full_name"), "email": fields.get("email"), "phone": fields.get("phone"),
                "postal_address": fields.get("postal_address"), "category": fields.get("category"),
                "subject": fields.get("subject"), "description": fields.get("description"),
                "desired_outcome": fields.get("desired_outcome"), "language": fields.get("language"),
                "signature_name": fields.get("signature"), "declaration_confirmed": bool(fields.get("declaration")),
            })  # fmt: skip
        return jsonify(number=number), 201

    return app

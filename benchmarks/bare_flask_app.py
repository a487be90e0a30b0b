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

With `signed=True` (`BARE_SIGNED=1`; intake_peers.py's system `bare-signed`) it also does the
rest of what issue 18 names as the registering transaction, still in plain Flask and Core, so
that the app can be measured against the least any registration keeping the registry's
promise must pay:

  - checks the fields (required texts present and within their lengths, an e-mail's shape, the
    category among the known ones, the declaration confirmed), answering 422 with the fields
    at fault;
  - appends an entry to a hash chain: the chain's head row moved on (`UPDATE ... RETURNING`
    its position and the previous digest), the entry's canonical JSON (sorted keys), its
    SHA-256 digest over the previous digest, an Ed25519 signature of the digest, the entry row
    inserted and the head's digest written;
  - inserts an outbox row (the acknowledgement to send to the complainant's e-mail).

Durability is the app's: on SQLite WAL with `synchronous = FULL`, `BEGIN IMMEDIATE` for the
writing transaction and the same busy timeout; on PostgreSQL the server's `synchronous_commit`
(the app does not change it: `on` unless the server says otherwise), READ COMMITTED.

`GET /health` answers 200 for start-up checks. `create_tables(url)` creates the two tables and
this year's and next year's counters once, before the server starts.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask, jsonify, request
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
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
chain = Table(
    "bare_chain",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("position", BigInteger, nullable=False),
    Column("digest", String(64), nullable=False),
)
entries = Table(
    "bare_entries",
    metadata,
    Column("position", BigInteger, primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("complaint_number", String(40), nullable=False, index=True),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("body", Text, nullable=False),
    Column("previous_digest", String(64), nullable=False),
    Column("digest", String(64), nullable=False, unique=True),
    Column("signature", String(128), nullable=False),
)
outbox = Table(
    "bare_outbox",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("complaint_number", String(40), nullable=False, index=True),
    Column("recipient", String(254), nullable=False),
    Column("template", String(40), nullable=False),
    Column("language", String(5)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False),
)
Index("ix_bare_outbox_status_created", outbox.c.status, outbox.c.created_at)

INCREMENT = (
    update(counters)
    .where(counters.c.scope == bindparam("counter_scope"))
    .values(last_value=counters.c.last_value + 1)
    .returning(counters.c.last_value)
)
INSERT = insert(complaints)
MOVE_HEAD = update(chain).where(chain.c.id == 1).values(position=chain.c.position + 1).returning(
    chain.c.position, chain.c.digest
)
WRITE_HEAD = update(chain).where(chain.c.id == 1).values(digest=bindparam("head_digest"))
INSERT_ENTRY = insert(entries)
INSERT_OUTBOX = insert(outbox)

GENESIS = "0" * 64
CATEGORIES = frozenset({"payments", "account", "bonus", "betting_rules", "responsible_gambling", "service", "other"})
REQUIRED = {"full_name": 200, "subject": 200, "description": 10_000, "signature": 200, "category": 50}
OPTIONAL = {"email": 254, "phone": 32, "postal_address": 500, "desired_outcome": 5_000, "language": 5}
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def check_fields(fields: dict) -> dict[str, str]:
    """The fields at fault, by name: what any registration must refuse before it takes a number."""
    errors = {}
    for name, limit in (REQUIRED | OPTIONAL).items():
        value = fields.get(name)
        if value is None or value == "":
            if name in REQUIRED:
                errors[name] = "required"
        elif not isinstance(value, str) or len(value) > limit or "\x00" in value:
            errors[name] = f"a text of at most {limit} characters"
    if "category" not in errors and fields.get("category") not in CATEGORIES:
        errors["category"] = "not a known category"
    if "email" not in errors and fields.get("email") and not EMAIL.fullmatch(fields["email"]):
        errors["email"] = "not an e-mail address"
    if fields.get("declaration") is not True:
        errors["declaration"] = "must be confirmed"
    return errors


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
            if connection.execute(select(chain.c.id)).first() is None:
                connection.execute(insert(chain).values(id=1, position=0, digest=GENESIS))
    finally:
        engine.dispose()


def append_entry(connection: Connection, key: Ed25519PrivateKey, number: str, moment: datetime, record: dict) -> None:
    """The intake entry on the hash chain, signed; the chain's head moved on and its digest written."""
    position, previous = connection.execute(MOVE_HEAD).one()
    body = json.dumps({"kind": "intake", "number": number, "recorded_at": moment.isoformat(), "record": record},
                      sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.sha256(previous.encode() + body.encode()).hexdigest()
    connection.execute(INSERT_ENTRY, {
        "position": position, "kind": "intake", "complaint_number": number, "recorded_at": moment, "body": body,
        "previous_digest": previous, "digest": digest, "signature": key.sign(bytes.fromhex(digest)).hex(),
    })  # fmt: skip
    connection.execute(WRITE_HEAD, {"head_digest": digest})


def create_app(url: str | None = None, signed: bool | None = None) -> Flask:
    """The app on `url` (default: BARE_DATABASE_URL, else DATABASE_URL); `signed` (default: BARE_SIGNED=1)
    adds the checks, the signed entry and the outbox row."""
    app = Flask(__name__)
    engine = make_engine(url or os.environ.get("BARE_DATABASE_URL") or os.environ["DATABASE_URL"])
    if signed is None:
        signed = os.environ.get("BARE_SIGNED") == "1"
    key = Ed25519PrivateKey.generate()

    @app.get("/health")
    def health() -> tuple[str, int]:
        return "ok", 200

    @app.post("/complaints")
    def register() -> tuple[object, int]:
        fields = request.get_json(silent=True)
        if not isinstance(fields, dict):
            return jsonify(error="send a JSON object"), 422
        if signed and (errors := check_fields(fields)):
            return jsonify(errors=errors), 422
        moment = datetime.now(UTC)
        year = moment.year
        with engine.begin() as connection:
            seq = connection.execute(INCREMENT, {"counter_scope": f"bare:{year}"}).scalar_one()
            number = f"{year}/{seq:06d}"
            record = {
                "year": year, "seq": seq, "number": number, "slug": number.replace("/", "-"),
                "status": "registered", "channel": "api", "registered_at": moment, "received_at": moment,
                "first_response_due": moment + timedelta(days=15),
                "full_name": fields.get("full_name"), "email": fields.get("email"), "phone": fields.get("phone"),
                "postal_address": fields.get("postal_address"), "category": fields.get("category"),
                "subject": fields.get("subject"), "description": fields.get("description"),
                "desired_outcome": fields.get("desired_outcome"), "language": fields.get("language"),
                "signature_name": fields.get("signature"), "declaration_confirmed": bool(fields.get("declaration")),
            }  # fmt: skip
            connection.execute(INSERT, record)
            if signed:
                append_entry(connection, key, number, moment, {
                    name: value.isoformat() if isinstance(value, datetime) else value for name, value in record.items()
                })
                if record["email"]:
                    connection.execute(INSERT_OUTBOX, {
                        "complaint_number": number, "recipient": record["email"], "template": "acknowledgement",
                        "language": record["language"], "created_at": moment, "status": "pending", "attempts": 0,
                    })  # fmt: skip
        return jsonify(number=number), 201

    return app

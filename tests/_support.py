"""Helpers shared by the fixtures and by worker processes spawned from tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, event, text

from app.database import sqlite_has_table
from app.extensions import db
from app.manage.models import FIXED_TABLES
from config import Config


def config_class(**overrides: Any) -> type[Config]:
    """A settings class for tests: the development defaults with `overrides` applied."""
    defaults = {
        "TESTING": True,
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": None,
        "DATABASE_RETRIES": 20,
        "RATELIMIT_ENABLED": False,  # the test that checks throttling turns it on
        "MAIL_SEND_AFTER_COMMIT": False,  # tests deliver the outbox themselves, when they mean to
        # Still scrypt, at a cost hundreds of accounts can afford (tests/test_enumeration.py,
        # which times sign-ins, uses the real one).
        "PASSWORD_HASH_METHOD": "scrypt:1024:1:1",
    }
    return type("TestConfig", (Config,), {**defaults, **overrides})


def valid_payload(**changes: Any) -> dict[str, Any]:
    """A complaint that passes every rule; `changes` override or (with None) drop fields."""
    payload = {
        "full_name": "Ana-Maria Ștefănescu-Țurcanu",
        "email": "ana.maria@example.md",
        "phone": "+373 69 123 456",
        "postal_address": "str. Mihai Eminescu 5, ap. 12, Chișinău",
        "category": "payments",
        "subject": "Retragerea de 500 MDL nu a ajuns",
        "description": "Am cerut retragerea a 500 MDL pe 20 noiembrie; banii nu au ajuns pe card.",
        "desired_outcome": "Plata retragerii și explicația întârzierii.",
        "language": "ro",
        "signature": "Ana-Maria Ștefănescu-Țurcanu",
        "declaration": True,
    }
    for key, value in changes.items():
        if value is None:
            payload.pop(key, None)
        else:
            payload[key] = value
    return payload


def form_data(**changes: Any) -> dict[str, Any]:
    """The same complaint as the web form posts it."""
    data = valid_payload(**changes)
    if data.get("declaration") is True:
        data["declaration"] = "y"
    elif "declaration" in data:
        del data["declaration"]
    return data


#: The sequences of the emptied tables' own columns go back to their start (ids begin at 1 again).
_RESTART_SEQUENCES = text(
    "SELECT setval(s.seqrelid, s.seqstart, false) FROM pg_sequence s"
    " JOIN pg_depend d ON d.objid = s.seqrelid AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')"
    " WHERE d.refobjid = ANY(CAST(:tables AS regclass[]))"
)


_STATISTICS_OF = text("SELECT 1 FROM sqlite_stat1 WHERE tbl IN :tables LIMIT 1").bindparams(
    bindparam("tables", expanding=True))


_FORGET_STATISTICS = text("DELETE FROM sqlite_stat1 WHERE tbl IN :tables").bindparams(
    bindparam("tables", expanding=True))


def empty_database() -> None:
    """Every table but the fixed ones, emptied as TRUNCATE ... RESTART IDENTITY would, by
    DELETE: on PostgreSQL a TRUNCATE replaces each table's files, which costs most of a second
    per test, while a DELETE of the few rows a test wrote costs milliseconds."""
    tables = [t.name for t in db.metadata.sorted_tables if t.name not in FIXED_TABLES]
    postgresql = db.engine.dialect.name == "postgresql"
    if postgresql:  # the rollups' deferred triggers run at each DELETE, before their tables are emptied
        db.session.execute(text("SET CONSTRAINTS ALL IMMEDIATE"))
    for name in reversed(tables):  # rows before the rows they refer to
        db.session.execute(text(f"DELETE FROM {name}"))
    if postgresql:
        db.session.execute(_RESTART_SEQUENCES, {"tables": tables})
    elif sqlite_has_table("sqlite_stat1") and db.session.execute(_STATISTICS_OF, {"tables": tables}).first() is not None:
        # An enforcement pass may have taken SQLite's planner statistics of the emptied tables
        # (`database.refresh_statistics`): forgotten with their rows, so every test plans alike.
        db.session.execute(_FORGET_STATISTICS, {"tables": tables})
        db.session.execute(text("ANALYZE sqlite_schema"))  # reads them again
    db.session.commit()


#: ADR entities and ombudsmen (the REFERRAL_BODY setting final responses name), one per kind of regime.
FOS = {"name": "Financial Ombudsman Service", "address": "Exchange Tower, London E14 9SR",
       "website": "https://www.financial-ombudsman.org.uk", "time_limit_months": 6}
IBAS = {"name": "IBAS", "address": "PO Box 62639, London EC3P 3AS", "website": "https://www.ibas-uk.com",
        "time_limit_months": 12}
COURT = {"name": "Judecătoria Chișinău", "address": "str. Teilor 4, Chișinău", "website": "https://jc.instante.justice.md",
         "time_limit_months": 3}


def plan(statement: str, parameters: Any) -> str:
    """The plan of `statement` as one text, on this database."""
    connection = db.session.connection()
    raw = connection.connection.driver_connection
    if connection.dialect.name == "sqlite":
        return "\n".join(row[-1] for row in raw.execute("EXPLAIN QUERY PLAN " + statement, parameters))
    # A test table is tiny and its statistics depend on what ran before: with plain scans, bitmap
    # scans and sorts priced out, a plan without a sort is one the index can serve in order.
    for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
        db.session.execute(text(f"SET LOCAL {setting} = off"))
    cursor = raw.cursor()
    cursor.execute("EXPLAIN " + statement, parameters)
    return "\n".join(line for (line,) in cursor.fetchall())


def statements_of(app: Any, client: Any, url: str) -> list[tuple[str, Any]]:
    """The statements (with their parameters) a GET of `url` by `client` sends, its response
    read (and answering 200), in order."""
    sent: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        sent.append((statement, parameters))

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", capture)
        try:
            response = client.get(url)
            assert response.status_code == 200 and response.data, (url, response.status_code)
        finally:
            event.remove(db.engine, "before_cursor_execute", capture)
    return sent

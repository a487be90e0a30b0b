"""Mail intake's fetch-and-store rate: 1,000 messages put into a real IMAP mailbox (Debian's
Dovecot, as the tests start it) and taken into the tray by `flask mail fetch`'s one pass, against
baselines measured in the same run.

Run from the project root:

    .venv/bin/python benchmarks/mail_intake.py [--db sqlite|postgresql|both] [--count 1000]
        [--postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/test]

For each database: a fresh one (an SQLite file in a temporary directory, or a new PostgreSQL
database `bench_mail_<pid>`) built with `flask db upgrade`, a fresh Dovecot mailbox holding
`--count` real-shaped messages (the shapes of tests/mail/, each made unique), then:

  imap      the floor of the fetch: every message's body and date read over IMAP (STARTTLS),
            nothing stored, nothing marked
  insert    the floor of the store: each raw message INSERTed as a blob into a scratch table of
            the same database, one committed transaction per message (what "stored, then
            marked" costs at the least)
  fetch     `app.mailin.imap.fetch_once`: each message read, stored raw as a write-once file,
            its arrival signed on the hash chain, parsed, classified, put in the tray, committed,
            then marked $Registry in the mailbox: the rate the README gives

Printed: seconds and messages per second of each, the share of the fetch that the two floors
account for, the load average before each step, and the machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from harness import machine  # noqa: E402

from _imap import running_imap_server  # noqa: E402
from config import Config  # noqa: E402

SHAPES = ("windows-1251", "koi8-r", "koi8-u", "iso-8859-2", "html-only", "alternative-with-pdf", "wrong-charset")


def messages(count: int) -> list[bytes]:
    """`count` distinct real-shaped messages (a unique Message-ID and line each)."""
    shapes = [(ROOT / "tests" / "mail" / f"{name}.eml").read_bytes() for name in SHAPES]
    made = []
    for index in range(count):
        raw = shapes[index % len(shapes)]
        made.append(f"Message-ID: <bench-{index}@example.com>\r\nX-Bench: {index}\r\n".encode()
                    + raw.replace(b"Message-ID:", b"X-Original-Message-ID:", 1))
    return made


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.2f} / {five:.2f}"


def _app(database_url: str, instance: Path, imap_settings: dict):
    from app import create_app

    settings = {
        "SQLALCHEMY_DATABASE_URI": database_url, "INSTANCE_PATH": str(instance),
        "REGISTRY_KEY_PATH": str(instance / "registry_ed25519.pem"),
        "DOCUMENT_SIGNING_KEY_PATH": str(instance / "document_signing_key.pem"),
        "DOCUMENT_CERTIFICATE_PATH": str(instance / "document_signing_certificate.pem"),
        "ATTACHMENTS_DIR": str(instance / "attachments"), "MAIL_OUTBOX_DIR": str(instance / "outbox"),
        "REGISTRY_CHECKPOINT_DIR": str(instance / "checkpoints"), "MAIL_SEND_AFTER_COMMIT": False,
        **imap_settings,
    }
    return create_app(type("BenchConfig", (Config,), settings))


def _upgrade(app) -> None:
    import flask_migrate

    with app.app_context():
        flask_migrate.upgrade()


def bench_imap(server, count: int) -> float:
    """Every message's body and date read over IMAP, nothing stored or marked."""
    from imapclient import IMAPClient

    client = IMAPClient(server.host, server.port, ssl=False, timeout=60)
    client.starttls(server.client_tls)
    client.login("registry", "mailbox password 1")
    client.select_folder("INBOX", readonly=True)
    started = time.perf_counter()
    uids = client.search(["ALL"])
    client.fetch(uids, ["RFC822.SIZE", "INTERNALDATE"])
    for uid in uids:
        client.fetch([uid], ["BODY.PEEK[]"])
    elapsed = time.perf_counter() - started
    client.logout()
    assert len(uids) == count, (len(uids), count)
    return elapsed


def bench_insert(database_url: str, raws: list[bytes]) -> float:
    """Each raw message INSERTed as a blob, one committed transaction each."""
    engine = create_engine(database_url)
    blob = "BYTEA" if engine.dialect.name == "postgresql" else "BLOB"
    with engine.begin() as connection:
        connection.execute(text(f"CREATE TABLE bench_raw (id INTEGER PRIMARY KEY, raw {blob} NOT NULL)"))
    started = time.perf_counter()
    for index, raw in enumerate(raws, start=1):
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO bench_raw (id, raw) VALUES (:id, :raw)"), {"id": index, "raw": raw})
    elapsed = time.perf_counter() - started
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE bench_raw"))
    engine.dispose()
    return elapsed


def bench_fetch(app, count: int) -> float:
    from app.extensions import db
    from app.mailin.imap import Mailbox, fetch_once
    from app.mailin.models import InboundMail

    with app.app_context():
        mailbox = Mailbox.from_config(app.config)
        started = time.perf_counter()
        report = fetch_once(mailbox)
        elapsed = time.perf_counter() - started
        stored = db.session.query(InboundMail).count()
    assert report.stored == count == stored, (report, stored)
    return elapsed


def run(kind: str, count: int, postgres_url: str) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="bench-mail-"))
    admin = None
    if kind == "sqlite":
        database_url = f"sqlite:///{workdir / 'registry.sqlite3'}"
    else:
        admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
        name = f"bench_mail_{os.getpid()}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        database_url = make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    raws = messages(count)
    try:
        with running_imap_server() as server:
            app = _app(database_url, workdir / "instance", server.settings(security="starttls"))
            _upgrade(app)
            for raw in raws:
                server.deliver(raw)
            print(f"\n== {kind}: {count} messages, {sum(map(len, raws)) / 1024:.0f} KiB in all")
            print(f"  imap    {load()}", end="", flush=True)
            imap = bench_imap(server, count)
            print(f"  {imap:7.2f} s  {count / imap:8.1f} msg/s  (read over IMAP, nothing stored)")
            print(f"  insert  {load()}", end="", flush=True)
            insert = bench_insert(database_url, raws)
            print(f"  {insert:7.2f} s  {count / insert:8.1f} msg/s  (raw INSERT + COMMIT per message)")
            print(f"  fetch   {load()}", end="", flush=True)
            fetch = bench_fetch(app, count)
            print(f"  {fetch:7.2f} s  {count / fetch:8.1f} msg/s  (flask mail fetch: stored, signed, read, "
                  "in the tray, marked)")
            print(f"  the two floors together are {100 * (imap + insert) / fetch:.0f} % of the fetch")
            with app.app_context():
                from app.extensions import db

                db.engine.dispose()
    finally:
        if admin is not None:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "bench_mail_{os.getpid()}" WITH (FORCE)'))
            admin.dispose()
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    for kind in ("sqlite", "postgresql") if args.db == "both" else (args.db,):
        run(kind, args.count, args.postgres_url)


if __name__ == "__main__":
    main()

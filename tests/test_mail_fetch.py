"""`flask mail fetch` against a real IMAP server (Debian's Dovecot, tests/_imap.py): messages put
into the mailbox become tray items and are marked only after they are stored; a fetcher that
dies between the two stores nothing twice; two fetchers at once store each message once; a
mailbox that does not answer is a warning on /health and on the staff desk.

Runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest

from _cases import T0
from _imap import dovecot_missing, running_imap_server
from _mail import raw_mail, tray
from _smtp import free_port
from app.clock import frozen_clock
from app.extensions import db
from app.mailin import imap as mail_imap
from app.mailin.models import MailboxStatus, MailKind, MailSource

pytestmark = pytest.mark.skipif(dovecot_missing() is not None, reason=dovecot_missing() or "")


@pytest.fixture(scope="module")
def imap_server():
    with running_imap_server() as server:
        yield server


@pytest.fixture
def imap(imap_server):
    """The Dovecot of this module, its INBOX emptied for each test."""
    session = imap_server.client()
    try:
        for folder in ("INBOX", "Registered"):
            status, count = session.select(folder)
            if status == "OK" and int(count[0]):
                session.store("1:*", "+FLAGS.SILENT", r"(\Deleted)")
                session.expunge()
    finally:
        session.logout()
    return imap_server


def _fetch(app):
    return app.test_cli_runner().invoke(args=["mail", "fetch"])


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_a_message_put_into_the_mailbox_becomes_a_tray_item_and_is_marked_once_stored(make_app, imap, security):
    app = make_app(**imap.settings(security=security))
    imap.deliver(raw_mail("windows-1251"))
    imap.deliver(raw_mail("html-only"))
    result = _fetch(app)
    assert result.exit_code == 0, result.output
    assert "2 stored, 0 already stored" in result.output
    first, second = tray(app)
    assert (first.kind, first.source, first.sender_address) == (MailKind.NEW, MailSource.IMAP, "ivan.petrov@example.ru")
    assert second.sender_address == "elena.rusu@example.com"
    assert first.received_at.tzinfo is not None and abs(first.received_at - first.stored_at) < timedelta(minutes=5)
    assert imap.uids("UNKEYWORD $Registry") == [] and imap.uids("UNSEEN") == []
    again = _fetch(app)
    assert "0 stored, 0 already stored" in again.output and len(tray(app)) == 2
    with app.app_context():
        [status] = db.session.query(MailboxStatus).all()
        assert status.last_success_at is not None and status.last_error is None


def test_a_fetcher_killed_between_the_commit_and_the_mark_stores_the_message_once(make_app, imap, monkeypatch):
    app = make_app(**imap.settings())
    imap.deliver(raw_mail("koi8-u"))
    real_mark = mail_imap.mark

    def killed(*args, **kwargs):
        raise KeyboardInterrupt("killed after the commit, before the mailbox was marked")

    monkeypatch.setattr(mail_imap, "mark", killed)
    result = _fetch(app)
    assert result.exit_code == 1 and result.output.endswith("Aborted!\n")
    assert len(tray(app)) == 1
    assert len(imap.uids("UNKEYWORD $Registry")) == 1  # the mailbox still offers it
    monkeypatch.setattr(mail_imap, "mark", real_mark)
    result = _fetch(app)
    assert "0 stored, 1 already stored" in result.output, result.output
    assert len(tray(app)) == 1 and imap.uids("UNKEYWORD $Registry") == []


def test_two_fetchers_at_once_store_each_message_once(make_app, imap):
    app = make_app(**imap.settings())
    for index in range(12):
        imap.deliver(raw_mail("koi8-r").replace(b"<koi8r.5521.1@", f"<koi8r.{index}@".encode()))
    mailbox = mail_imap.Mailbox.from_config(app.config)
    reports, errors = [], []
    start = threading.Barrier(2)

    def fetcher():
        try:
            with app.app_context():
                start.wait()
                reports.append(mail_imap.fetch_once(mailbox))
                db.session.remove()
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=fetcher) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sum(report.stored for report in reports) == 12
    mails = tray(app)
    assert len(mails) == 12 and len({mail.sha256 for mail in mails}) == 12
    assert imap.uids("UNKEYWORD $Registry") == []


def test_a_processed_folder_takes_the_stored_messages_out_of_the_inbox(make_app, imap):
    app = make_app(**imap.settings(), MAIL_IMAP_PROCESSED_FOLDER="Registered")
    imap.deliver(raw_mail("iso-8859-2"))
    assert _fetch(app).exit_code == 0
    assert len(tray(app)) == 1 and imap.uids() == []


def test_the_watcher_stores_a_message_as_it_arrives(make_app, imap):
    app = make_app(**imap.settings())
    mailbox = mail_imap.Mailbox.from_config(app.config)
    stop = threading.Event()

    def watch():
        with app.app_context():
            mail_imap.watch(mailbox, poll_seconds=0.2, idle_seconds=0.5, stop=stop)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    try:
        imap.deliver(raw_mail("wrong-charset"))
        deadline = time.monotonic() + 20
        while not tray(app) and time.monotonic() < deadline:
            stop.wait(0.1)  # waiting for the watcher to see the mail, not for a deadline
        assert [mail.sender_address for mail in tray(app)] == ["alexei@example.ru"]
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()


def test_a_mailbox_that_does_not_answer_is_a_warning_on_health_and_on_the_staff_desk(make_app, imap, login):
    app = make_app(**imap.settings(), MAIL_IMAP_ALERT_MINUTES=30)
    client = app.test_client()
    with frozen_clock(T0):
        assert _fetch(app).exit_code == 0
        assert client.get("/health").get_json()["mailbox"] == "ok"
    closed = make_app(**{**imap.settings(security="none"), "MAIL_IMAP_PORT": free_port()}, MAIL_IMAP_ALERT_MINUTES=30)
    with frozen_clock(T0 + timedelta(minutes=10)):
        failed = _fetch(closed)
        assert failed.exit_code == 1 and "ConnectionRefusedError" in failed.output
    with frozen_clock(T0 + timedelta(minutes=20)):  # answered 20 minutes ago: not yet a warning
        assert client.get("/health").get_json()["mailbox"] == "ok"
    later = T0 + timedelta(minutes=31)
    with frozen_clock(later):
        health = client.get("/health")
        assert health.status_code == 200  # the web server itself still serves
        assert health.get_json()["status"] == "degraded" and health.get_json()["mailbox"] == "failing"
        login(client, "clerk")
        page = client.get("/staff/").get_data(as_text=True)
    assert 'data-testid="mailbox-warning"' in page
    assert "has not been reached since" in page


def test_plain_imap_to_another_machine_is_refused_before_any_password_is_sent(make_app):
    app = make_app(MAIL_IMAP_HOST="imap.example.com", MAIL_IMAP_SECURITY="none", MAIL_IMAP_USERNAME="u")
    result = _fetch(app)
    assert result.exit_code == 1
    assert "only to a mailbox on this machine" in result.output

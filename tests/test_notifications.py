"""The e-mail outbox: what each notification says, who receives it, and how delivery behaves
when the mail server accepts, refuses, is down, or two senders run at once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select, update

from _smtp import SmtpServer, free_port, password_check, running_smtp_server, self_signed_tls
from _support import valid_payload
from app.auth.models import User
from app.clock import frozen_clock, now_utc
from app.complaints.models import Complaint
from app.database import commit_with_retry
from app.extensions import db
from app.mail.compose import compose
from app.mail.delivery import CLAIM_TIMEOUT, deliver_due
from app.mail.transport import OutgoingMail, SmtpTransport, TransportUnavailable, build_message
from app.notifications.models import Audience, DeliveryStatus, Notification, NotificationKind
from app.notifications.queue import queue
from app.registry.chain import append_entry
from app.registry.models import EntryKind
from app.workflow.models import CaseMessage, MessageKind

T0 = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)  # after any registration a test makes


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server on loopback that keeps what it receives."""
    with running_smtp_server() as server:
        yield server


# Helpers -----------------------------------------------------------------------------------------


def file_complaint(app, client, **changes: Any) -> Complaint:
    """File a complaint through the API and start from an empty outbox (whatever intake queued)."""
    response = client.post("/api/v1/complaints", json=valid_payload(**changes))
    assert response.status_code == 201, response.get_data(as_text=True)
    with app.app_context():
        db.session.execute(delete(Notification))
        db.session.commit()
        return db.session.scalars(select(Complaint).where(Complaint.number == response.get_json()["number"])).one()


def queue_one(app, kind: NotificationKind, complaint: Complaint, audience: Audience = Audience.COMPLAINANT,
              **fields: Any) -> int:
    """Queue one outbox row in its own unit of work, as an operation would; return its id."""
    with app.app_context():
        commit_with_retry(lambda: queue(kind, complaint.id, audience, **fields))
        return db.session.scalars(select(Notification.id).order_by(Notification.id.desc())).first()


def row(app, notification_id: int) -> Notification:
    with app.app_context():
        return db.session.get(Notification, notification_id, populate_existing=True)


def deliver(app, at: datetime = T0, **kwargs: Any):
    with app.app_context(), frozen_clock(at):
        return deliver_due(**kwargs)


def add_message(app, complaint: Complaint, kind: MessageKind, body: str, author_id: int | None = None,
                consulted_id: int | None = None) -> int:
    """A case message as the workflow writes it (signed entry, outgoing number for letters)."""
    def work() -> int:
        from flask import current_app

        from app.auth.models import User
        from app.registry.chain import Private
        from app.settings.store import current_settings
        from app.workflow.operations import issued_letter

        seq = db.session.scalar(select(db.func.count()).select_from(CaseMessage)) + 1
        number, at, stored = f"OUT-2030/{seq:06d}", now_utc(), db.session.get(Complaint, complaint.id)
        private = {"body": body}
        if kind.outgoing:
            private["letter"] = issued_letter(
                stored, kind, number, body, by=db.session.get(User, author_id) if author_id else None, at=at,
                organisation=current_settings().organisation, timezone_name=current_app.config["REGISTRY_TIMEZONE"])
        entry = append_entry(EntryKind.EVENT, {"type": "test_message", "kind": kind.value}, complaint_id=complaint.id,
                             private=Private(stored.personal_salt, private))
        message = CaseMessage(
            complaint_id=complaint.id, kind=kind, body=body, created_at=at, author_id=author_id,
            consulted_id=consulted_id, entry_position=entry.position,
            **({"outgoing_year": 2030, "outgoing_seq": seq, "outgoing_number": number} if kind.outgoing else {}),
        )
        db.session.add(message)
        db.session.flush()
        return message.id

    with app.app_context():
        return commit_with_retry(work)


def parse(data: bytes):
    return message_from_bytes(data, policy=default_policy)


def pdf_attachments(message) -> list[tuple[str, bytes]]:
    return [(part.get_filename(), part.get_content()) for part in message.iter_attachments()
            if part.get_content_type() == "application/pdf"]


# What arrives ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("full_name", "language"),
    [("Ana-Maria Ștefănescu-Țurcanu", "ro"), ("Олена Миколаївна Коваленко", "uk"), ("Пётр Ильич Щукин", "ru")],
)
def test_the_registration_mail_reaches_the_complainant_over_smtp_with_the_receipt_link(
    make_app, smtp_server: SmtpServer, full_name: str, language: str
):
    app = make_app(**smtp_server.settings(), PUBLIC_BASE_URL="https://complaints.example.md")
    complaint = file_complaint(app, app.test_client(), full_name=full_name, signature=full_name, language=language)
    notification_id = queue_one(app, NotificationKind.REGISTERED, complaint)

    report = deliver(app)

    assert (report.sent, report.retried, report.failed, report.skipped) == (1, 0, 0, 0)
    [delivered] = smtp_server.messages
    assert delivered.rcpt_tos == ["ana.maria@example.md"]
    message = delivered.message
    assert complaint.number in message["Subject"]
    assert message["To"] == "ana.maria@example.md"
    assert message["Message-ID"] and message["Date"]
    body = message.get_body(("plain",)).get_content()
    assert full_name not in body and complaint.subject not in body  # nothing the submitter wrote
    assert f"https://complaints.example.md/track/{complaint.slug}?code={complaint.access_code}" in body
    assert f"https://complaints.example.md/complaints/{complaint.slug}/receipt.pdf?code={complaint.access_code}" in body
    assert pdf_attachments(message) == []  # the receipt carries the subject and the text: behind the code
    sent = row(app, notification_id)
    assert sent.status == DeliveryStatus.SENT and sent.sent_at == T0
    assert sent.recipients == "ana.maria@example.md" and sent.attempts == 1 and sent.last_error is None


def test_a_second_run_sends_nothing_again(make_app, smtp_server: SmtpServer):
    app = make_app(**smtp_server.settings())
    complaint = file_complaint(app, app.test_client())
    queue_one(app, NotificationKind.STATUS_CHANGED, complaint, params={"status": "in_progress"})

    assert deliver(app).sent == 1
    again = deliver(app, at=T0 + timedelta(days=30))

    assert (again.sent, again.retried, again.failed, again.skipped, again.claimed) == (0, 0, 0, 0, 0)
    assert len(smtp_server.messages) == 1


def _handlers(make_user) -> dict[str, int]:
    return {
        "ion": make_user("ion", "officer", tier=2, email="ion@op.md"),
        "maria": make_user("maria", "manager", tier=2, email="maria@op.md"),
        "retired": make_user("retired", "officer", tier=2, email="retired@op.md"),
        "no-mail": make_user("nomail", "officer", tier=2),
        "clerk": make_user("clerk2", "clerk", tier=2, email="clerk2@op.md"),  # registers, does not handle
        "desk": make_user("desk", "officer", tier=1, email="desk@op.md"),
    }


def test_a_tier_notification_goes_to_every_active_handler_of_that_tier_in_one_message(
    make_app, make_user, smtp_server: SmtpServer
):
    app = make_app(**smtp_server.settings())
    users = _handlers(make_user)
    with app.app_context():
        db.session.get(User, users["retired"]).active = False
        db.session.commit()
    complaint = file_complaint(app, app.test_client())
    notification_id = queue_one(
        app, NotificationKind.ESCALATED, complaint, Audience.TIER, tier=2,
        params={"from_tier": 1, "to_tier": 2, "reason": "first_response_breach", "note": None},
    )

    assert deliver(app).sent == 1

    [delivered] = smtp_server.messages
    assert sorted(delivered.rcpt_tos) == ["ion@op.md", "maria@op.md"]
    message = delivered.message
    assert sorted(a.strip() for a in message["To"].split(",")) == ["ion@op.md", "maria@op.md"]
    assert complaint.number in message["Subject"] and "Specialist department" in message["Subject"]
    body = message.get_content()
    assert "No first response within the deadline" in body
    assert f"/staff/complaints/{complaint.slug}" in body
    assert row(app, notification_id).recipients == "ion@op.md, maria@op.md"


def test_a_tier_with_a_shared_address_gets_that_address_only(make_app, make_user, smtp_server: SmtpServer):
    app = make_app(**smtp_server.settings(), TIER_ADDRESSES={2: "specialists@op.md"})
    _handlers(make_user)
    complaint = file_complaint(app, app.test_client())
    queue_one(app, NotificationKind.BREACH, complaint, Audience.TIER, tier=2,
              params={"deadline": "resolution", "due_at": "2030-03-01T10:00:00+00:00", "tier": 2})

    assert deliver(app).sent == 1

    [delivered] = smtp_server.messages
    assert delivered.rcpt_tos == ["specialists@op.md"]
    assert complaint.number in delivered.message["Subject"]


def test_a_tier_with_nobody_to_write_to_is_skipped_with_the_reason(make_app, make_user, smtp_server: SmtpServer):
    app = make_app(**smtp_server.settings())
    make_user("desk", "officer", tier=1, email="desk@op.md")
    complaint = file_complaint(app, app.test_client())
    notification_id = queue_one(app, NotificationKind.ESCALATED, complaint, Audience.TIER, tier=3,
                                params={"from_tier": 2, "to_tier": 3, "reason": "transfers", "note": None})

    assert deliver(app).skipped == 1

    skipped = row(app, notification_id)
    assert skipped.status == DeliveryStatus.SKIPPED
    assert "tier 3" in skipped.last_error and "no active handler" in skipped.last_error
    assert smtp_server.messages == []


def test_a_complainant_without_an_e_mail_address_is_skipped_not_an_error(make_app, smtp_server: SmtpServer):
    app = make_app(**smtp_server.settings())
    complaint = file_complaint(app, app.test_client(), email=None)
    notification_id = queue_one(app, NotificationKind.REGISTERED, complaint)

    report = deliver(app)

    assert (report.sent, report.skipped, report.failed) == (0, 1, 0)
    skipped = row(app, notification_id)
    assert skipped.status == DeliveryStatus.SKIPPED and "no e-mail address" in skipped.last_error
    assert smtp_server.messages == []


def test_a_staff_member_gets_mail_in_their_language_with_a_link_to_the_case(
    make_app, make_user, smtp_server: SmtpServer
):
    app = make_app(**smtp_server.settings(), PUBLIC_BASE_URL="https://complaints.example.md/")
    owner = make_user("ion", "officer", tier=1, email="ion@op.md", language="ro")
    complaint = file_complaint(app, app.test_client())
    queue_one(app, NotificationKind.DUE_SOON, complaint, Audience.USER, user_id=owner,
              params={"deadline": "first_response", "due_at": "2030-03-05T08:30:00+00:00"})

    assert deliver(app).sent == 1

    message = smtp_server.messages[0].message
    assert message["To"] == "ion@op.md" and message["Content-Language"] == "ro"
    body = message.get_content()
    assert f"https://complaints.example.md/staff/complaints/{complaint.slug}" in body
    assert "05.03.2030, 10:30" in body  # the deadline, in the registry's time zone, in the Romanian style


def _params_for(kind: NotificationKind, message_ids: dict[MessageKind, int]) -> dict[str, Any]:
    return {
        NotificationKind.REGISTERED: {},
        NotificationKind.STATUS_CHANGED: {"status": "waiting"},
        NotificationKind.ATTACHMENTS_REFUSED: {"mail_id": 1, "refused": [{"position": 2, "size": 31457280,
                                                                          "refusal": "too_large"}]},
        NotificationKind.ASSIGNED: {"by": "Maria Popescu", "reason": "Specialist in payments"},
        NotificationKind.CONSULTATION: {"message_id": message_ids.get(MessageKind.CONSULTATION)},
        NotificationKind.COMPLAINANT_REPLY: {"message_id": message_ids.get(MessageKind.COMPLAINANT_REPLY)},
        NotificationKind.DUE_SOON: {"deadline": "resolution", "due_at": "2030-03-05T08:30:00+00:00"},
        NotificationKind.BREACH: {"deadline": "first_response", "due_at": "2030-03-05T08:30:00+00:00", "tier": 1},
        NotificationKind.ESCALATED: {"from_tier": 1, "to_tier": 2, "reason": "owner_request", "note": "VIP"},
        NotificationKind.UNSTAFFED_ESCALATION: {"from_tier": 3, "to_tier": 4, "reason": "resolution_breach"},
        NotificationKind.RATING_REQUEST: {},
        NotificationKind.RATING_REMINDER: {},
    }[kind]


STAFF_KINDS = {NotificationKind.ASSIGNED, NotificationKind.CONSULTATION, NotificationKind.COMPLAINANT_REPLY,
               NotificationKind.DUE_SOON, NotificationKind.BREACH, NotificationKind.ESCALATED,
               NotificationKind.UNSTAFFED_ESCALATION}


@pytest.mark.parametrize("kind", [k for k in NotificationKind if k != NotificationKind.MESSAGE])
def test_every_kind_is_written_with_the_incoming_number_in_the_subject(make_app, make_user, kind):
    app = make_app()
    owner = make_user("ion", "officer", tier=1, email="ion@op.md")
    complaint = file_complaint(app, app.test_client())
    message_ids = {
        MessageKind.CONSULTATION: add_message(app, complaint, MessageKind.CONSULTATION, "Ce părere aveți?",
                                              author_id=owner, consulted_id=owner),
        MessageKind.COMPLAINANT_REPLY: add_message(app, complaint, MessageKind.COMPLAINANT_REPLY,
                                                   "Am trimis extrasul de cont."),
    }
    audience = {"audience": Audience.USER, "user_id": owner} if kind in STAFF_KINDS else {}
    notification_id = queue_one(app, kind, complaint, audience.pop("audience", Audience.COMPLAINANT),
                                params=_params_for(kind, message_ids), **audience)

    with app.app_context():
        mail = compose(db.session.get(Notification, notification_id))

    assert complaint.number in mail.subject
    assert "\n" not in mail.subject and "None" not in mail.subject
    assert "None" not in mail.body and "{{" not in mail.body and "%(" not in mail.body
    assert mail.to == (("ion@op.md",) if kind in STAFF_KINDS else ("ana.maria@example.md",))
    if kind == NotificationKind.CONSULTATION:
        assert "Ce părere aveți?" in mail.body
    if kind == NotificationKind.COMPLAINANT_REPLY:
        assert "Am trimis extrasul de cont." in mail.body


def test_a_letter_to_the_complainant_carries_the_letter_pdf(make_app, make_user, smtp_server: SmtpServer):
    pytest.importorskip("app.letters.service", reason="app/letters (the letter PDFs) is not written yet")
    app = make_app(**smtp_server.settings())
    owner = make_user("ion", "officer", tier=1, email="ion@op.md")
    complaint = file_complaint(app, app.test_client())
    message_id = add_message(app, complaint, MessageKind.RESPONSE,
                             "Plata de 500 MDL a fost efectuată astăzi; ne cerem scuze pentru întârziere.",
                             author_id=owner)
    queue_one(app, NotificationKind.MESSAGE, complaint, params={"message_id": message_id})

    assert deliver(app).sent == 1

    message = smtp_server.messages[0].message
    assert complaint.number in message["Subject"]
    assert "Plata de 500 MDL a fost efectuată astăzi" in message.get_body(("plain",)).get_content()
    [(filename, pdf)] = pdf_attachments(message)
    assert filename.endswith(".pdf") and pdf.startswith(b"%PDF")


def test_the_registration_mail_relays_nothing_the_submitter_wrote_to_the_address_they_typed(
    make_app, smtp_server: SmtpServer
):
    """The phishing relay of issue 14: anyone can type a stranger's address into the form; the
    acknowledgement must not carry their words (or a PDF with them) to that stranger."""
    lure = "Your account is blocked, log in at http://bank-login.example"
    app = make_app(**smtp_server.settings())
    complaint = file_complaint(app, app.test_client(), email="victim@example.org", full_name=lure[:60],
                               signature=lure[:60], subject=lure, description=f"{lure} {lure}",
                               desired_outcome=lure, postal_address=lure)
    queue_one(app, NotificationKind.REGISTERED, complaint)
    queue_one(app, NotificationKind.STATUS_CHANGED, complaint, params={"status": "in_progress"})

    assert deliver(app).sent == 2

    for delivered in smtp_server.messages:
        assert delivered.rcpt_tos == ["victim@example.org"]
        text = delivered.message.as_string()
        assert "bank-login" not in text and "blocked" not in text
        assert list(delivered.message.iter_attachments()) == []
        assert complaint.number in delivered.message["Subject"]


# When things go wrong ----------------------------------------------------------------------------


def test_a_dead_mail_server_means_retries_with_doubling_waits_then_failure(make_app):
    app = make_app(MAIL_TRANSPORT="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_TIMEOUT=2,
                   MAIL_MAX_ATTEMPTS=3, MAIL_RETRY_SECONDS=60)
    complaint = file_complaint(app, app.test_client())
    notification_id = queue_one(app, NotificationKind.STATUS_CHANGED, complaint, params={"status": "in_progress"})

    first = deliver(app, at=T0)
    assert (first.sent, first.retried, first.failed) == (0, 1, 0)
    waiting = row(app, notification_id)
    assert waiting.status == DeliveryStatus.QUEUED and waiting.attempts == 1
    assert waiting.next_attempt_at == T0 + timedelta(seconds=60)
    assert "cannot connect to the mail server 127.0.0.1" in waiting.last_error

    assert deliver(app, at=T0 + timedelta(seconds=59)).claimed == 0  # not due yet
    assert deliver(app, at=T0 + timedelta(seconds=60)).retried == 1
    assert row(app, notification_id).next_attempt_at == T0 + timedelta(seconds=60 + 120)

    last = deliver(app, at=T0 + timedelta(seconds=180))
    assert (last.retried, last.failed) == (0, 1)
    failed = row(app, notification_id)
    assert failed.status == DeliveryStatus.FAILED and failed.attempts == 3 and failed.sent_at is None
    assert "gave up after 3 attempts" in failed.last_error and "cannot connect" in failed.last_error
    assert deliver(app, at=T0 + timedelta(days=1)).claimed == 0


def test_the_message_goes_out_once_the_server_is_back(make_app, smtp_server: SmtpServer):
    closed = make_app(MAIL_TRANSPORT="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_TIMEOUT=2)
    complaint = file_complaint(closed, closed.test_client())
    notification_id = queue_one(closed, NotificationKind.STATUS_CHANGED, complaint, params={"status": "waiting"})
    assert deliver(closed).retried == 1

    back = make_app(**smtp_server.settings())
    assert deliver(back, at=T0 + timedelta(seconds=60)).sent == 1
    sent = row(back, notification_id)
    assert sent.status == DeliveryStatus.SENT and sent.attempts == 2 and sent.last_error is None


def test_a_recipient_the_server_refuses_for_good_fails_at_once(make_app, smtp_server: SmtpServer):
    app = make_app(**smtp_server.settings())
    smtp_server.handler.refuse.add("ana.maria@example.md")
    complaint = file_complaint(app, app.test_client())
    notification_id = queue_one(app, NotificationKind.STATUS_CHANGED, complaint, params={"status": "waiting"})

    assert deliver(app).failed == 1

    failed = row(app, notification_id)
    assert failed.status == DeliveryStatus.FAILED and failed.attempts == 1
    assert "550" in failed.last_error and "ana.maria@example.md" in failed.last_error


def test_a_claim_abandoned_by_a_dead_sender_is_taken_over_when_it_expires(make_app, smtp_server: SmtpServer):
    app = make_app(**smtp_server.settings())
    complaint = file_complaint(app, app.test_client())
    notification_id = queue_one(app, NotificationKind.STATUS_CHANGED, complaint, params={"status": "waiting"})
    with app.app_context():  # what a claim leaves behind when its sender dies before sending
        db.session.execute(update(Notification).where(Notification.id == notification_id).values(
            status=DeliveryStatus.SENDING, attempts=1, next_attempt_at=T0 + CLAIM_TIMEOUT))
        db.session.commit()

    assert deliver(app, at=T0 + CLAIM_TIMEOUT - timedelta(seconds=1)).claimed == 0
    assert deliver(app, at=T0 + CLAIM_TIMEOUT).sent == 1
    assert row(app, notification_id).attempts == 2


# Transports and concurrency ----------------------------------------------------------------------


def test_the_outbox_transport_writes_a_readable_eml_file_per_message(make_app, tmp_path: Path):
    outbox = tmp_path / "outbox"
    app = make_app(MAIL_TRANSPORT="outbox", MAIL_OUTBOX_DIR=str(outbox))
    complaint = file_complaint(app, app.test_client(), full_name="Пётр Ильич Щукин", signature="Пётр Ильич Щукин",
                         language="ru")
    queue_one(app, NotificationKind.REGISTERED, complaint)
    queue_one(app, NotificationKind.STATUS_CHANGED, complaint, params={"status": "in_progress"})

    assert deliver(app).sent == 1 + 1

    files = sorted(outbox.iterdir())
    assert [f.suffix for f in files] == [".eml", ".eml"]  # no temporary files left behind
    first, second = (parse(f.read_bytes()) for f in files)
    assert complaint.number in first["Subject"] and complaint.number in second["Subject"]
    assert complaint.access_code in first.get_body(("plain",)).get_content()
    assert first["Message-ID"] != second["Message-ID"]


@pytest.mark.parametrize("senders", [2, 4])
def test_delivery_runs_at_the_same_time_send_each_message_exactly_once(
    make_app, smtp_server: SmtpServer, senders: int
):
    app = make_app(**smtp_server.settings())
    complaint = file_complaint(app, app.test_client())
    count = 24
    with app.app_context():
        from app.notifications.queue import notification_row, queue_rows

        commit_with_retry(lambda: queue_rows([
            notification_row(NotificationKind.STATUS_CHANGED, complaint.id, Audience.COMPLAINANT,
                             params={"status": "in_progress", "n": n}, at=T0)
            for n in range(count)
        ]))
    start = threading.Barrier(senders)
    errors: list[BaseException] = []

    def sender() -> None:
        try:
            with app.app_context():  # the clock is frozen by the main thread: it is process-wide
                start.wait()
                while deliver_due(limit=3).claimed:
                    pass
                db.session.remove()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=sender) for _ in range(senders)]
    with frozen_clock(T0):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    assert errors == []
    ids = [d.message["Message-ID"] for d in smtp_server.messages]
    assert len(ids) == len(set(ids)) == count
    with app.app_context():
        rows = db.session.scalars(select(Notification)).all()
        assert {(r.status, r.attempts) for r in rows} == {(DeliveryStatus.SENT, 1)}


# The after-commit kick and the command line ------------------------------------------------------


def test_a_commit_that_queued_mail_sends_it_in_the_background(make_app, smtp_server: SmtpServer):
    quiet = make_app()
    complaint = file_complaint(quiet, quiet.test_client())
    app = make_app(**smtp_server.settings(), MAIL_SEND_AFTER_COMMIT=True)

    with app.app_context():
        commit_with_retry(lambda: queue(NotificationKind.STATUS_CHANGED, complaint.id, Audience.COMPLAINANT,
                                        params={"status": "in_progress"}))
        assert "notifications_queued" not in db.session.info
    delivered = smtp_server.handler.wait_for(1)
    assert app.extensions["notifications_sender"].wait(timeout=10)

    assert len(delivered) == 1 and complaint.number in delivered[0].message["Subject"]
    with app.app_context():
        assert db.session.scalars(select(Notification.status)).all() == [DeliveryStatus.SENT]


def test_a_rolled_back_unit_of_work_neither_keeps_the_flag_nor_sends(make_app, smtp_server: SmtpServer):
    quiet = make_app()
    complaint = file_complaint(quiet, quiet.test_client())
    app = make_app(**smtp_server.settings(), MAIL_SEND_AFTER_COMMIT=True)

    def work() -> None:
        queue(NotificationKind.STATUS_CHANGED, complaint.id, Audience.COMPLAINANT, params={"status": "waiting"})
        raise ValueError("the operation refused")

    with app.app_context():
        with pytest.raises(ValueError):
            commit_with_retry(work)
        assert "notifications_queued" not in db.session.info
        db.session.commit()  # an unrelated commit later must not start a sender
        assert db.session.scalars(select(Notification)).all() == []
    assert app.extensions["notifications_sender"].wait(timeout=10)
    assert smtp_server.messages == []


def test_a_commit_is_not_held_up_or_failed_by_a_dead_mail_server(make_app):
    quiet = make_app()
    complaint = file_complaint(quiet, quiet.test_client())
    app = make_app(MAIL_TRANSPORT="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_TIMEOUT=2,
                   MAIL_SEND_AFTER_COMMIT=True)

    with app.app_context():
        commit_with_retry(lambda: queue(NotificationKind.STATUS_CHANGED, complaint.id, Audience.COMPLAINANT,
                                        params={"status": "waiting"}))
    assert app.extensions["notifications_sender"].wait(timeout=20)

    with app.app_context():
        [left] = db.session.scalars(select(Notification)).all()
        assert left.status == DeliveryStatus.QUEUED and left.attempts == 1 and "cannot connect" in left.last_error


def test_flask_notifications_send_delivers_what_is_due_and_list_shows_it(make_app, tmp_path: Path):
    app = make_app(MAIL_TRANSPORT="outbox", MAIL_OUTBOX_DIR=str(tmp_path))
    runner = app.test_cli_runner()
    complaint = file_complaint(app, app.test_client())
    queue_one(app, NotificationKind.STATUS_CHANGED, complaint, params={"status": "in_progress"})
    queue_one(app, NotificationKind.STATUS_CHANGED, complaint, params={"status": "waiting"})

    listed = runner.invoke(args=["notifications", "list", "--status", "queued"])
    assert listed.exit_code == 0 and listed.output.count("queued") == 2 and complaint.number in listed.output

    result = runner.invoke(args=["notifications", "send"])
    assert result.exit_code == 0, result.output
    assert "2 sent, 0 to retry, 0 failed, 0 skipped" in result.output
    assert len(list(tmp_path.glob("*.eml"))) == 2

    assert runner.invoke(args=["notifications", "list", "--status", "queued"]).output.strip() == "No notifications."
    sent = runner.invoke(args=["notifications", "list"])
    assert sent.output.count(" sent ") == 2 and "ana.maria@example.md" in sent.output
    again = runner.invoke(args=["notifications", "send"])
    assert again.exit_code == 0 and "0 sent" in again.output


@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_the_smtp_transport_speaks_tls_and_logs_in(tmp_path: Path, mode: str):
    server_tls, client_tls = self_signed_tls(tmp_path)
    # (aiosmtpd counts only STARTTLS as TLS when it decides whether to offer AUTH)
    tls = ({"tls_context": server_tls, "require_starttls": True, "auth_required": True} if mode == "starttls"
           else {"ssl_context": server_tls, "auth_require_tls": False})
    mail = OutgoingMail(to=("ana.maria@example.md",), subject="2030/000001: Înregistrată — Зарегистрирована",
                        body="Ștefănescu-Țurcanu, Щукин\n", language="ro")
    with running_smtp_server(**tls, authenticator=password_check("mailer", "s3cret")) as server:
        def transport(password: str) -> SmtpTransport:
            return SmtpTransport(server.host, server.port, use_starttls=mode == "starttls", use_ssl=mode == "ssl",
                                 username="mailer", password=password, timeout=5, ssl_context=client_tls)

        with transport("s3cret") as smtp:
            assert smtp.send(build_message(mail, sender="Registry <registry@op.md>")) == ["ana.maria@example.md"]
        with transport("wrong") as smtp, pytest.raises(TransportUnavailable, match="refused the login"):
            smtp.send(build_message(mail, sender="registry@op.md"))

    [delivered] = server.messages
    assert delivered.message["Subject"] == mail.subject
    assert delivered.message.get_content() == mail.body

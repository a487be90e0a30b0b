"""Mail intake through `flask mail receive` (a mail server's pipe): the one operation that stores a
message raw, signs its arrival, reads it and acts on it. Real raw messages from tests/mail/.

Runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from _cases import T0, act, events, load
from _mail import arrival_entries, our_message_id, outbox, raw_mail, receive, tray
from _smtp import free_port
from app.clock import frozen_clock
from app.complaints.models import Channel, Complaint, ComplaintStatus
from app.extensions import db
from app.mailin import store as mail_store
from app.mailin.models import MailKind, MailOutcome
from app.registry.chain import intake_entry
from app.workflow import operations as ops
from app.workflow.models import CaseMessage, MessageKind

H = timedelta(hours=1)


def _waiting(app, register, staff, **changes) -> str:
    """A complaint whose officer asked the complainant for information: it waits for a reply."""
    number = register(**changes)
    act(app, number, ops.take_complaint, by=staff["olga"])
    act(app, number, ops.request_information, by=staff["olga"], body="Please send the payment ID.", at=T0 + 2 * H)
    return number


def test_a_new_message_waits_in_the_tray_raw_and_signed_on_arrival(app, runner):
    raw = raw_mail("windows-1251")
    with frozen_clock(T0):
        result = receive(runner, raw)
    assert result.exit_code == 0, result.output
    [mail] = tray(app)
    assert (mail.kind, mail.outcome, mail.reason) == (MailKind.NEW, MailOutcome.WAITING, None)
    assert (mail.sender_name, mail.sender_address, mail.subject) == (
        "Иван Петров", "ivan.petrov@example.ru", "Жалоба: списание 1200 леев")
    assert mail.language == "ru" and "списали 1200 леев" in mail.text
    assert mail.sha256 == hashlib.sha256(raw).hexdigest() and mail.size == len(raw)
    assert mail.received_at == T0
    [arrival] = arrival_entries(app)
    assert arrival["mail"] == {"sha256": mail.sha256, "size": len(raw), "source": "pipe",
                               "message_id": "20261123101455.1251@mail.example.ru",
                               "received_at": "2026-11-23T08:00:00.000000+00:00"}
    stored = Path(app.config["ATTACHMENTS_DIR"]) / mail.sha256[:2] / mail.sha256
    assert stored.read_bytes() == raw
    assert outbox(app) == []  # a new message is not answered until it is registered


def test_the_same_message_handed_over_twice_is_stored_once(app, runner):
    raw = raw_mail("koi8-r")
    first, second = receive(runner, raw), receive(runner, raw)
    assert (first.exit_code, second.exit_code) == (0, 0)
    assert "already stored" in second.output
    assert len(tray(app)) == 1 and len(arrival_entries(app)) == 1


def test_a_copy_with_the_same_message_id_and_other_bytes_is_kept_but_not_acted_on(app, runner):
    raw = raw_mail("koi8-u")
    receive(runner, raw)
    receive(runner, b"Delivered-To: other@registry.example\r\n" + raw)
    first, copy = tray(app)
    assert (first.kind, copy.kind) == (MailKind.NEW, MailKind.DUPLICATE)
    assert copy.reason == f"the same Message-ID as message #{first.id}, received before"


def test_a_reply_by_mail_lands_on_the_complaint_and_moves_it_as_a_reply_on_the_tracking_page_does(
    app, client, runner, register, staff
):
    by_page, by_mail = _waiting(app, register, staff), _waiting(app, register, staff)
    complaint = load(app, by_page)
    with frozen_clock(T0 + 3 * H):
        page = client.post(f"/track/{complaint.slug}/reply?code={complaint.access_code}",
                           data={"reply-body": "The payment ID is TX-55102."})
        assert page.status_code == 303
        raw = raw_mail("outlook-reply", number=by_mail)
        assert receive(runner, raw).exit_code == 0
    [mail] = tray(app)
    assert (mail.kind, mail.outcome) == (MailKind.REPLY, MailOutcome.ADDED)
    page_complaint, mail_complaint = load(app, by_page), load(app, by_mail)
    assert mail.complaint_id == mail_complaint.id
    for field in ("status", "contact_count", "owner_id", "tier"):
        assert getattr(mail_complaint, field) == getattr(page_complaint, field), field
    assert mail_complaint.status == ComplaintStatus.IN_PROGRESS
    assert [e["type"] for e in events(app, by_mail)] == [e["type"] for e in events(app, by_page)]
    reply_event = events(app, by_mail)[-1]
    assert reply_event["type"] == "complainant_replied"
    assert reply_event["mail"] == {"sha256": hashlib.sha256(raw).hexdigest(), "attachments": []}
    with app.app_context():
        message = db.session.get(CaseMessage, mail.case_message_id)
        assert message.kind == MessageKind.COMPLAINANT_REPLY
        assert message.body == ("Hello,\n\nHere is the screenshot you asked for. The payment ID is TX-55102.\n\n"
                                "Regards,\nAna-Maria")
    assert ("complainant_reply", mail_complaint.id) in outbox(app)  # the owner is told, as for the page


def test_a_reply_naming_our_e_mail_in_in_reply_to_finds_its_complaint_without_the_number(
    app, runner, register, staff
):
    number = _waiting(app, register, staff)
    raw = raw_mail("outlook-reply", number="(none)", in_reply_to=our_message_id(app, "message"))
    assert receive(runner, raw).exit_code == 0
    [mail] = tray(app)
    assert (mail.kind, mail.complaint_id) == (MailKind.REPLY, load(app, number).id)


def test_a_message_naming_a_complaint_from_another_address_is_held_unless_it_carries_the_access_code(
    app, runner, register, staff
):
    number = _waiting(app, register, staff)
    stranger = raw_mail("outlook-reply", number=number).replace(b"<Ana.Maria@example.md>", b"<mallory@example.com>")
    receive(runner, stranger)
    code = load(app, number).access_code
    with_code = stranger.replace(b"Regards,", f"My code is {code[:4]}-{code[4:8]}-{code[8:]}.\r\nRegards,".encode())
    with_code = with_code.replace(b"<AM0PR01MB1234ABCD5678EF90@", b"<AM0PR01MB9999ABCD5678EF90@")
    receive(runner, with_code)
    held, reply = tray(app)
    assert (held.kind, held.outcome) == (MailKind.HELD, MailOutcome.WAITING)
    assert held.reason == (f"mentions complaint {number} but comes from another address and does not carry its "
                           "access code")
    assert (reply.kind, reply.outcome) == (MailKind.REPLY, MailOutcome.ADDED)
    assert load(app, number).contact_count == 2


def test_a_reply_to_a_complaint_whose_status_takes_none_is_held_with_the_reason(app, runner, register, staff):
    number = register()
    act(app, number, ops.take_complaint, by=staff["olga"])
    act(app, number, ops.resolve, by=staff["olga"], resolution="upheld", reasons="Refunded in full.", at=T0 + 2 * H)
    receive(runner, raw_mail("outlook-reply", number=number))
    [mail] = tray(app)
    assert (mail.kind, mail.outcome) == (MailKind.HELD, MailOutcome.WAITING)
    assert mail.reason.startswith(f"a reply to complaint {number}, which is resolved")
    assert load(app, number).status == ComplaintStatus.RESOLVED


def test_the_auto_reply_to_our_acknowledgement_starts_no_loop(app, runner, register):
    number = register()
    before = outbox(app)
    assert before == [("registered", load(app, number).id)]
    raw = raw_mail("out-of-office", number=number, in_reply_to=our_message_id(app))
    assert receive(runner, raw).exit_code == 0
    [mail] = tray(app)
    assert (mail.kind, mail.outcome, mail.reason) == (MailKind.AUTOMATIC, MailOutcome.WAITING,
                                                      "Auto-Submitted: auto-replied")
    assert outbox(app) == before  # nothing answered
    assert load(app, number).contact_count == 1  # nothing added
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(CaseMessage)) == 0


@pytest.mark.parametrize("name", ["bounce", "out-of-office"])
def test_machines_are_never_registered_even_with_automatic_registration_on(app, runner, name):
    from app.admin.operations import save
    from app.database import commit_with_retry

    with app.app_context(), frozen_clock(T0):
        commit_with_retry(lambda: save("mail_auto_register", True, by=None))
    with frozen_clock(T0 + 24 * H):  # the setting is in force
        receive(runner, raw_mail(name))
    [mail] = tray(app)
    assert (mail.kind, mail.outcome, mail.complaint_id) == (MailKind.AUTOMATIC, MailOutcome.WAITING, None)
    assert outbox(app) == []


def test_bytes_that_are_no_e_mail_are_kept_raw_as_unreadable_with_the_reason(app, runner):
    raw = b"\x00\x01\x02 just bytes, no headers at all"
    assert receive(runner, raw).exit_code == 0
    [mail] = tray(app)
    assert mail.kind == MailKind.UNREADABLE
    assert mail.reason == "cannot be read: ValueError: no e-mail headers: this is not an e-mail message"
    assert arrival_entries(app)[0]["mail"]["sha256"] == hashlib.sha256(raw).hexdigest()


def test_a_failure_while_acting_on_a_message_keeps_it_as_unreadable_not_lost(app, runner, monkeypatch):
    def broken(parsed, mail):
        raise RuntimeError("a bug in classifying")

    monkeypatch.setattr(mail_store, "classify", broken)
    assert receive(runner, raw_mail("iso-8859-2")).exit_code == 0
    [mail] = tray(app)
    assert (mail.kind, mail.reason) == (MailKind.UNREADABLE, "could not be handled: RuntimeError: a bug in classifying")
    assert len(arrival_entries(app)) == 1  # the failed attempt left nothing behind


def test_a_database_outage_exits_75_so_the_mail_server_retries_and_the_retry_stores_it(app, runner, make_app):
    raw = raw_mail("html-only")
    down = make_app(SQLALCHEMY_DATABASE_URI=f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/registry",
                    DATABASE_RETRIES=1)
    result = down.test_cli_runner().invoke(args=["mail", "receive"], input=raw)
    assert result.exit_code == 75, result.output
    assert "4.3.0 temporary failure" in result.output
    assert tray(app) == []
    assert receive(runner, raw).exit_code == 0
    assert [m.kind for m in tray(app)] == [MailKind.NEW]


def test_a_message_above_the_hard_cap_is_returned_to_its_sender_with_69(make_app):
    app = make_app(MAIL_HARD_MAX_BYTES=1000)
    result = app.test_cli_runner().invoke(args=["mail", "receive"], input=raw_mail("alternative-with-pdf") * 2)
    assert result.exit_code == 69
    assert tray(app) == []


def test_a_message_above_the_reading_limit_is_kept_raw_as_unreadable(make_app):
    app = make_app(MAIL_MAX_MESSAGE_BYTES=1000)
    assert app.test_cli_runner().invoke(args=["mail", "receive"], input=raw_mail("alternative-with-pdf")).exit_code == 0
    [mail] = tray(app)
    assert mail.kind == MailKind.UNREADABLE and mail.reason.startswith("too large to read:")


def _with_attachment(name: str, size: int) -> bytes:
    """A real-shaped message with a PDF of `size` bytes attached (made here, not committed)."""
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"] = "Ion Popescu <ion.popescu@example.md>"
    message["To"] = "complaints@registry.example"
    message["Subject"] = "Extras de cont pentru plângere"
    message["Message-ID"] = f"<big-{size}@example.md>"
    message["Date"] = "Mon, 23 Nov 2026 10:00:00 +0200"
    message.set_content("Bună ziua, vă trimit extrasul de cont cerut. Ion Popescu")
    pdf = b"%PDF-1.4\n" + b"0" * (size - 16) + b"\n%%EOF\n"
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename=name)
    message.add_attachment(b"%PDF-1.4\nsmall\n%%EOF\n", maintype="application", subtype="pdf", filename="small.pdf")
    return message.as_bytes()


def test_a_30_mb_attachment_stays_in_the_raw_message_is_refused_as_evidence_and_the_sender_is_told(
    app, runner, login, client
):
    raw = _with_attachment("extras.pdf", 30 * 1024 * 1024)
    assert receive(runner, raw).exit_code == 0
    [mail] = tray(app)
    assert [(a.filename, a.refusal) for a in mail.attachments] == [("extras.pdf", "too_large"), ("small.pdf", None)]
    login(client, "clerk")
    with app.app_context():
        from app.auth.models import User
        from app.database import commit_with_retry
        from app.mailin.models import InboundMail

        user = db.session.scalar(select(User).where(User.username == "clerk-user"))
        item = db.session.get(InboundMail, mail.id)
        complaint = commit_with_retry(lambda: mail_store.register_from_mail(item, by=user))
        names = [(a.filename, a.content_type) for a in complaint.attachments]
        number, complaint_id = complaint.number, complaint.id
    assert names == [("small.pdf", "application/pdf"), (f"e-mail-{mail.received_at:%Y%m%d-%H%M%S}.eml", "message/rfc822")]
    assert ("attachments_refused", complaint_id) in outbox(app)
    assert load(app, number).channel == Channel.EMAIL


def test_automatic_registration_registers_a_new_message_at_once_in_its_language(app, runner):
    from app.admin.operations import save
    from app.database import commit_with_retry

    with app.app_context(), frozen_clock(T0):
        commit_with_retry(lambda: save("mail_auto_register", True, by=None))
    raw = raw_mail("alternative-with-pdf")
    with frozen_clock(T0 + 24 * H):
        assert receive(runner, raw).exit_code == 0
    [mail] = tray(app)
    assert (mail.kind, mail.outcome, mail.decided_by_id) == (MailKind.NEW, MailOutcome.REGISTERED, None)
    with app.app_context():
        complaint = db.session.get(Complaint, mail.complaint_id)
        assert complaint.channel == Channel.EMAIL
        assert (complaint.full_name, complaint.email) == ("Smith, John", "John.Smith@example.net")
        assert complaint.subject == "Withdrawal not received" and complaint.language == "en"
        assert complaint.received_at == T0 + 24 * H and complaint.registered_by_id is None
        assert [(a.filename, a.content_type) for a in complaint.attachments] == [
            ("logo.png", "image/png"), ("bank-statement.pdf", "application/pdf"),
            ("e-mail-20261124-080000.eml", "message/rfc822")]
        eml = complaint.attachments[-1]
        assert eml.sha256 == hashlib.sha256(raw).hexdigest()
        intake = json.loads(intake_entry(complaint.id).payload)
        assert {"content_type": "message/rfc822", "size": len(raw), "sha256": eml.sha256} in intake["attachments"]
        assert ("registered", complaint.id) in outbox(app)


def _verify(runner, *args: str) -> tuple[int, list[dict]]:
    result = runner.invoke(args=["registry", "verify", "--full", "--json", *args])
    return result.exit_code, json.loads(result.output)["problems"]


def test_verify_checks_each_stored_e_mail_against_its_signed_digest(app, runner, register, staff):
    number = _waiting(app, register, staff)
    receive(runner, raw_mail("windows-1251"))
    receive(runner, raw_mail("outlook-reply", number=number))
    assert _verify(runner) == (0, [])
    first = tray(app)[0]
    path = Path(app.config["ATTACHMENTS_DIR"]) / first.sha256[:2] / first.sha256
    path.write_bytes(path.read_bytes().replace(b"1200", b"9200"))
    status, [problem] = _verify(runner)
    assert status == 1
    assert problem["what"] == f"altered: the raw file of received e-mail #{first.id} differs from its signed SHA-256"
    assert problem["expected"] == first.sha256
    assert _verify(runner, "--no-files") == (0, [])
    path.unlink()
    assert _verify(runner)[1][0]["what"] == f"the raw file of received e-mail #{first.id} is missing"


def test_verify_names_a_stored_e_mail_whose_row_no_longer_says_what_was_signed(app, runner):
    receive(runner, raw_mail("koi8-r"))
    with app.app_context():
        db.session.execute(db.text("UPDATE inbound_mail SET received_at = :at"), {"at": T0 - H})
        db.session.commit()
    _status, [problem] = _verify(runner)
    assert problem["what"] == "altered: the received e-mail differs from its signed event"
    assert problem["expected"].startswith("received_at=")


def test_the_sender_is_told_which_files_were_refused_and_may_reply_by_mail(make_app, tmp_path):
    from email import message_from_bytes
    from email.policy import default

    from app.database import commit_with_retry
    from app.mail.delivery import deliver_all_due
    from app.mailin.models import InboundMail

    app = make_app(MAIL_IMAP_HOST="imap.registry.example", MAIL_IMAP_USERNAME="complaints@registry.example",
                   ATTACHMENT_MAX_BYTES=1024 * 1024, MAIL_OUTBOX_DIR=str(tmp_path))
    runner = app.test_cli_runner()
    with frozen_clock(T0):
        assert receive(runner, _with_attachment("extras.pdf", 2 * 1024 * 1024)).exit_code == 0
        with app.app_context():
            item = db.session.scalar(select(InboundMail))
            commit_with_retry(lambda: mail_store.register_from_mail(item, by=None))
            assert deliver_all_due().sent == 2
    ack, refused = (message_from_bytes(path.read_bytes(), policy=default) for path in sorted(tmp_path.glob("*.eml")))
    assert ack["Reply-To"] == refused["Reply-To"] == "complaints@registry.example"
    assert ack["Content-Language"] == refused["Content-Language"] == "ro"  # the language the sender wrote in
    body = refused.get_body().get_content()
    assert refused["Subject"] == "Fișierele e-mailului dumneavoastră privind plângerea 2026/000001 nu au fost acceptate"
    assert "- fișierul 1 (2.0 MB): mai mare de 1.0 MB" in body
    assert "extras.pdf" not in body  # the sender's own words are not echoed to the address
    assert "Puteți răspunde la acest e-mail: răspunsul dumneavoastră se adaugă la plângerea 2026/000001." in body
    assert "nu răspundeți" not in body and "nu răspundeți" not in ack.get_body().get_content()


def test_a_complaint_registered_from_an_e_mail_gets_its_kept_receipt_back_attached(app, runner, client):
    """The text came from the sender's own address, so the acknowledgement carries the receipt:
    the very file every later download serves. A web complaint's acknowledgement does not."""
    from email import message_from_bytes
    from email.policy import default as default_policy

    from app.mail.delivery import deliver_all_due

    with app.app_context(), frozen_clock(T0):
        from app.admin.operations import save
        from app.database import commit_with_retry

        commit_with_retry(lambda: save("mail_auto_register", True, by=None))
    with frozen_clock(T0 + H):
        assert receive(runner, raw_mail("alternative-with-pdf")).exit_code == 0
    [mail] = tray(app)
    outbox_dir = Path(app.config["MAIL_OUTBOX_DIR"])
    before = set(outbox_dir.glob("*.eml")) if outbox_dir.exists() else set()
    with app.app_context(), frozen_clock(T0 + 2 * H):
        assert deliver_all_due().sent == 1
        complaint = db.session.get(Complaint, mail.complaint_id)
        slug, code = complaint.slug, complaint.access_code
    [sent] = set(outbox_dir.glob("*.eml")) - before
    message = message_from_bytes(sent.read_bytes(), policy=default_policy)
    assert message["To"] == "John.Smith@example.net"
    [(name, pdf)] = [(part.get_filename(), part.get_content()) for part in message.iter_attachments()]
    assert name == f"receipt-{slug}.pdf" and pdf.startswith(b"%PDF")
    downloaded = client.get(f"/complaints/{slug}/receipt.pdf?code={code}")
    assert downloaded.status_code == 200 and downloaded.data == pdf


def test_files_sent_with_a_reply_by_e_mail_become_the_message_s_own_files_signed_and_verified(
    app, runner, register, staff, client
):
    """As with a reply on the tracking page: the file is the message's, signed in its event,
    listed on the case, downloadable, and `flask registry verify` checks it."""
    from email.message import EmailMessage

    from app.registry.verify import verify_registry

    number = _waiting(app, register, staff)
    statement = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    reply = EmailMessage()
    reply["From"] = "Ana-Maria <ana.maria@example.md>"
    reply["To"] = "complaints@example.md"
    reply["Subject"] = f"Re: complaint {number}"
    reply["Message-ID"] = "<reply-with-file@example.md>"
    reply.set_content("Here is the bank statement you asked for.")
    reply.add_attachment(statement, maintype="application", subtype="pdf", filename="extras-banca.pdf")
    with frozen_clock(T0 + 3 * H):
        assert receive(runner, reply.as_bytes()).exit_code == 0
    [mail] = tray(app)
    assert (mail.kind, mail.outcome) == (MailKind.REPLY, MailOutcome.ADDED)
    digest = hashlib.sha256(statement).hexdigest()
    event = events(app, number)[-1]
    assert event["type"] == "complainant_replied"
    assert [(a["sha256"], a["size"]) for a in event["attachments"]] == [(digest, len(statement))]
    with app.app_context():
        message = db.session.get(CaseMessage, mail.case_message_id)
        assert [(a.filename, a.sha256) for a in message.attachments] == [("extras-banca.pdf", digest)]
        report = verify_registry()
        assert report.problems == [], report.problems

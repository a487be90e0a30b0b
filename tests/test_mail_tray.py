"""The clerks' tray of received e-mail (/staff/mail): what it lists and counts, one message shown as
escaped plain text with its files and the raw .eml, and the two decisions (register, file).

Runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import json

from sqlalchemy import select

from _cases import load
from _mail import raw_mail, receive, tray
from app.audit.models import AuditAction, AuditEvent
from app.complaints.models import Channel
from app.extensions import db
from app.mailin.models import MailKind, MailOutcome


def test_the_tray_lists_what_waits_newest_first_with_counts_and_the_desk_counts_it_too(app, client, runner, login):
    for name in ("windows-1251", "html-only", "bounce"):
        assert receive(runner, raw_mail(name)).exit_code == 0
    login(client, "clerk")
    page = client.get("/staff/mail/").get_data(as_text=True)
    assert page.index("Undelivered Mail Returned to Sender") < page.index("Pariu anulat") < page.index("Жалоба")
    assert "New message: may be a complaint: 2 · Automatic message: 1" in page
    assert "Incoming e-mail: 3 messages wait" in client.get("/staff/").get_data(as_text=True)


def test_a_message_is_shown_as_escaped_text_with_its_files_and_the_raw_message_to_download(app, client, runner, login):
    raw = raw_mail("alternative-with-pdf").replace(b"Good afternoon,", b"<script>alert(1)</script>")
    assert b"<script>" in raw
    receive(runner, raw)
    [mail] = tray(app)
    login(client, "clerk")
    page = client.get(f"/staff/mail/{mail.id}").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert "bank-statement.pdf" in page and "logo.png" in page
    download = client.get(f"/staff/mail/{mail.id}/message.eml")
    assert download.data == raw and download.mimetype == "message/rfc822"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    pdf = client.get(f"/staff/mail/{mail.id}/files/2")
    assert pdf.data.startswith(b"%PDF-1.4") and pdf.headers["Content-Disposition"].startswith("attachment;")
    with app.app_context():
        targets = db.session.scalars(select(AuditEvent.target).where(
            AuditEvent.action == AuditAction.ATTACHMENT_DOWNLOAD)).all()
    assert targets == [f"mail:{mail.id}", f"mail:{mail.id}"]


def test_one_click_registers_the_message_as_a_complaint_of_the_e_mail_channel(app, client, runner, login):
    receive(runner, raw_mail("koi8-u"))
    [mail] = tray(app)
    login(client, "clerk")
    response = client.post(f"/staff/mail/{mail.id}/register")
    assert response.status_code == 303
    [mail] = tray(app)
    complaint = load(app, response.headers["Location"].rsplit("/", 1)[1])
    assert (mail.outcome, mail.complaint_id) == (MailOutcome.REGISTERED, complaint.id)
    assert (complaint.channel, complaint.language, complaint.full_name) == (Channel.EMAIL, "uk", "Олена Ковальчук")
    assert complaint.received_at == mail.received_at and complaint.registered_by_id is not None
    again = client.post(f"/staff/mail/{mail.id}/register")
    assert again.status_code == 422 and "cannot be registered" in again.get_data(as_text=True)


def test_an_automatic_message_offers_no_registration_and_refuses_one(app, client, runner, login):
    receive(runner, raw_mail("bounce"))
    [mail] = tray(app)
    login(client, "clerk")
    assert 'data-testid="register-mail"' not in client.get(f"/staff/mail/{mail.id}").get_data(as_text=True)
    refused = client.post(f"/staff/mail/{mail.id}/register")
    assert refused.status_code == 422
    assert "cannot be registered: it is automatic message" in refused.get_data(as_text=True)
    assert tray(app)[0].outcome == MailOutcome.WAITING


def test_not_a_complaint_needs_a_reason_is_audited_and_stays_listed_as_filed(app, client, runner, login):
    receive(runner, raw_mail("wrong-charset"))
    [mail] = tray(app)
    login(client, "clerk")
    assert client.post(f"/staff/mail/{mail.id}/file", data={"reason": ""}).status_code == 422
    assert client.post(f"/staff/mail/{mail.id}/file", data={"reason": "Advertising, not a complaint"}).status_code == 303
    [mail] = tray(app)
    assert (mail.outcome, mail.filed_reason, mail.kind) == (MailOutcome.FILED, "Advertising, not a complaint",
                                                            MailKind.NEW)
    assert "No messages here." in client.get("/staff/mail/").get_data(as_text=True)
    assert "alexei@example.ru" in client.get("/staff/mail/?outcome=filed").get_data(as_text=True)
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == AuditAction.MAIL_FILED))
        assert event.target == f"mail:{mail.id}"
        assert json.loads(event.details)["reason"] == "Advertising, not a complaint"


def test_the_tray_is_for_the_clerks_who_register(app, client, runner, login):
    receive(runner, raw_mail("koi8-r"))
    login(client, "officer", tier=1)
    assert client.get("/staff/mail/").status_code == 403
    assert "/staff/mail/" not in client.get("/staff/").get_data(as_text=True)

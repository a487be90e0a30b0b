"""Issue 16's journey with real parts: a complaint e-mailed to the registry's mailbox (Dovecot)
becomes a tray item, a clerk registers it with one click in Chromium, the acknowledgement with
the number leaves over SMTP (aiosmtpd); the complainant's reply by e-mail lands on the complaint,
and the auto-reply to our acknowledgement starts no loop.

Screenshots go to <artifacts>/browser/ for people to look at.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from _cases import act
from _imap import dovecot_missing, running_imap_server
from _mail import raw_mail, tray
from _smtp import running_smtp_server
from app.clock import now_utc
from app.complaints.models import ComplaintStatus
from app.extensions import db
from app.mail.delivery import deliver_all_due
from app.mailin.models import MailKind, MailOutcome
from app.workflow import operations as ops
from test_browser import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, _sync_playwright

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(dovecot_missing() is not None, reason=dovecot_missing() or "")]

MAILBOX = "complaints@registry.example"


def _fetch(app: Flask) -> str:
    result = app.test_cli_runner().invoke(args=["mail", "fetch"])
    assert result.exit_code == 0, result.output
    return result.output


def _reply_to(acknowledgement: EmailMessage, *, sender: str, text: str, auto: bool = False) -> bytes:
    """What a mail program sends when its user (or its vacation robot) answers our e-mail."""
    reply = EmailMessage()
    reply["From"] = sender
    reply["To"] = acknowledgement["Reply-To"]
    reply["Subject"] = ("Automatic reply: " if auto else "Re: ") + acknowledgement["Subject"]
    reply["Message-ID"] = f"<{'ooo' if auto else 'reply'}-{now_utc():%H%M%S%f}@example.ru>"
    reply["In-Reply-To"] = reply["References"] = acknowledgement["Message-ID"]
    reply["Date"] = "Mon, 23 Nov 2026 12:00:00 +0300"
    if auto:
        reply["Auto-Submitted"] = "auto-replied"
    reply.set_content(f"{text}\n\nOn Mon, 23 Nov 2026, Complaints registry <{MAILBOX}> wrote:\n> Your complaint is "
                      "registered\n", charset="utf-8")
    return reply.as_bytes()


def test_an_e_mailed_complaint_is_registered_in_one_click_answered_by_smtp_and_replied_to_by_mail(
    make_app: Callable[..., Flask], make_user: Callable[..., int], artifacts_dir: Path
) -> None:
    sync_playwright = _sync_playwright()
    shots = artifacts_dir / "browser"
    shots.mkdir(parents=True, exist_ok=True)
    with running_imap_server() as imap, running_smtp_server() as smtp:
        app = make_app(WTF_CSRF_ENABLED=True, **imap.settings(), **smtp.settings(),
                       MAIL_FROM=f"Complaints registry <{MAILBOX}>", MAIL_REPLY_TO=MAILBOX)
        make_user("clerk", "clerk")
        officer = make_user("olga", "officer", tier=1, email="olga@example.md")
        imap.deliver(raw_mail("windows-1251"))
        assert "1 stored" in _fetch(app)

        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{server.server_port}"
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                page = browser.new_page()
                page.set_default_timeout(TIMEOUT_MS)
                page.goto(f"{base}/staff/login")
                page.locator("#username").fill("clerk")
                page.locator("#password").fill("correct horse 1")
                page.locator("button[type=submit]").last.click()
                page.get_by_test_id("mail-tray-link").click()
                assert page.get_by_test_id("mail-item").count() == 1
                page.screenshot(path=str(shots / "mail-tray.png"), full_page=True)
                page.get_by_role("link", name="Жалоба: списание 1200 леев").click()
                assert "списали 1200 леев" in page.get_by_test_id("mail-text").inner_text()
                page.screenshot(path=str(shots / "mail-item.png"), full_page=True)
                page.get_by_test_id("register-mail").click()
                page.wait_for_url("**/staff/complaints/**")
                page.screenshot(path=str(shots / "mail-registered.png"), full_page=True)
                heading = page.locator("h1").inner_text()
                browser.close()
        finally:
            server.shutdown()
            server.server_close()
            thread.join(5)

        [mail] = tray(app)
        assert (mail.outcome, mail.kind) == (MailOutcome.REGISTERED, MailKind.NEW)
        with app.app_context():
            from app.complaints.models import Complaint

            complaint_id = mail.complaint_id
            number = db.session.get(Complaint, complaint_id).number
            assert number in heading
            assert deliver_all_due().sent == 1
        [acknowledgement] = smtp.messages
        ack = acknowledgement.message
        assert acknowledgement.rcpt_tos == ["ivan.petrov@example.ru"]
        assert number in ack["Subject"] and ack["Reply-To"] == MAILBOX and ack["Content-Language"] == "ru"
        assert "не отвечайте" not in ack.get_body().get_content()

        # The officer asks for something; the complainant answers by e-mail.
        # (a moment ago: what they queue is due at once)
        act(app, number, ops.take_complaint, by=officer, at=now_utc() - timedelta(seconds=2))
        act(app, number, ops.request_information, by=officer, body="Пришлите, пожалуйста, номер ставки.",
            at=now_utc() - timedelta(seconds=1))
        imap.deliver(_reply_to(ack, sender="Иван Петров <ivan.petrov@example.ru>", text="Номер ставки 55-1203."))
        _fetch(app)
        reply = tray(app)[-1]
        assert (reply.kind, reply.outcome, reply.complaint_id) == (MailKind.REPLY, MailOutcome.ADDED, complaint_id)
        with app.app_context():
            complaint = db.session.get(Complaint, complaint_id)
            assert complaint.status == ComplaintStatus.IN_PROGRESS and complaint.contact_count == 2
            assert deliver_all_due().sent == 3  # to the complainant: taken, the request; to the officer: the reply
        sent = len(smtp.messages)

        # The complainant's vacation robot answers our acknowledgement: nothing answers it back.
        imap.deliver(_reply_to(ack, sender="Иван Петров <ivan.petrov@example.ru>", text="Я в отпуске.", auto=True))
        _fetch(app)
        robot = tray(app)[-1]
        assert (robot.kind, robot.outcome) == (MailKind.AUTOMATIC, MailOutcome.WAITING)
        with app.app_context():
            assert deliver_all_due().sent == 0
            assert db.session.get(Complaint, complaint_id).contact_count == 2
        assert len(smtp.messages) == sent

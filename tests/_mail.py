"""Helpers for the mail-intake tests: the real-shaped raw messages of tests/mail/, filled in for a
complaint; one message handed over as the mail server would (`flask mail receive`); the tray."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from app.extensions import db
from app.mailin.models import InboundMail
from app.notifications.models import Notification
from app.registry.models import EntryKind, RegistryEntry

MAIL_DIR = Path(__file__).resolve().parent / "mail"


def raw_mail(name: str, *, number: str = "", in_reply_to: str = "no-such-message@example.invalid") -> bytes:
    """The raw bytes of tests/mail/<name>.eml, with {NUMBER} and {IN_REPLY_TO} filled in."""
    data = (MAIL_DIR / f"{name}.eml").read_bytes()
    return data.replace(b"{NUMBER}", number.encode()).replace(b"{IN_REPLY_TO}", in_reply_to.encode())


def receive(runner, raw: bytes):
    """`flask mail receive` with `raw` on standard input, as a mail server's pipe runs it."""
    return runner.invoke(args=["mail", "receive"], input=raw)


def tray(app) -> list[InboundMail]:
    """Every stored message, oldest first (detached, with their attachments loaded)."""
    with app.app_context():
        mails = db.session.scalars(select(InboundMail).order_by(InboundMail.id)).all()
        for mail in mails:
            list(mail.attachments)
        db.session.expunge_all()
        return mails


def arrival_entries(app) -> list[dict]:
    with app.app_context():
        return [json.loads(payload) for payload in db.session.scalars(
            select(RegistryEntry.payload).where(RegistryEntry.kind == EntryKind.EVENT,
                                                RegistryEntry.complaint_id.is_(None))
            .order_by(RegistryEntry.position)) if json.loads(payload)["type"] == "mail_received"]


def outbox(app) -> list[tuple[str, int]]:
    """(kind, complaint id) of every queued e-mail, in order."""
    with app.app_context():
        return [(n.kind.value, n.complaint_id) for n in db.session.scalars(select(Notification).order_by(Notification.id))]


def our_message_id(app, kind: str = "registered") -> str:
    """The Message-ID (without brackets) that the newest queued e-mail of `kind` goes out with."""
    from app.mail.compose import _message_id

    with app.app_context():
        notification = db.session.scalars(
            select(Notification).where(Notification.kind == kind).order_by(Notification.id.desc())).first()
        return _message_id(notification).strip("<>")

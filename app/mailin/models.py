"""Tables of mail intake: every message that reached the registry's mailbox, what it was found
to be and what became of it; the files it carried; the last contact with the mailbox.

A message is stored once (its raw bytes' SHA-256 is unique), the raw bytes are an evidence file
named by that digest, and a signed registry entry ("mail_received") records its arrival before
anything is read from it. Rows are never deleted: a message filed as not a complaint stays
listed as filed.
"""


from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..database import UTCDateTime, enum_column
from ..enums import TitledEnum
from ..extensions import db
from ..registry.digest import iso_utc


class MailSource(TitledEnum):
    """How the message reached the registry."""

    IMAP = "imap", _l("Fetched from the mailbox (IMAP)")
    PIPE = "pipe", _l("Handed over by the mail server")


class MailKind(TitledEnum):
    """What the message was found to be."""

    NEW = "new", _l("New message: may be a complaint")
    REPLY = "reply", _l("Reply to a complaint")
    #: Names a complaint, but could not be added to it (another sender, a status that takes no reply).
    HELD = "held", _l("Reply that could not be added to its complaint")
    #: Auto-reply, bounce, bulk or list mail, or one of our own: never answered, never registered.
    AUTOMATIC = "automatic", _l("Automatic message")
    UNREADABLE = "unreadable", _l("Could not be read")
    #: The same Message-ID as a message stored before, with other bytes (delivered twice).
    DUPLICATE = "duplicate", _l("Copy of a message received before")


#: Kinds a clerk may register as a complaint with one click.
REGISTRABLE = frozenset({MailKind.NEW, MailKind.HELD})


class MailOutcome(TitledEnum):
    """What became of the message."""

    WAITING = "waiting", _l("In the tray")
    ADDED = "added", _l("Added to its complaint")
    REGISTERED = "registered", _l("Registered as a complaint")
    FILED = "filed", _l("Filed: not a complaint")


class InboundMail(db.Model):
    """One message received by e-mail, stored raw and signed on arrival."""

    __tablename__ = "inbound_mail"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: SHA-256 of the raw bytes: names the evidence file, and a message is stored once.
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int] = mapped_column(BigInteger)
    #: The Message-ID header without its angle brackets (None: the message had none).
    message_id: Mapped[str | None] = mapped_column(String(500), index=True)
    source: Mapped[MailSource] = mapped_column(enum_column(MailSource, 10))
    #: When the message reached the mailbox (IMAP INTERNALDATE; the moment of a pipe delivery).
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    #: Salt of the commitment to the arrival entry's private part (sender, subject); never signed.
    personal_salt: Mapped[str] = mapped_column(String(32))
    #: The signed "mail_received" entry that recorded the arrival.
    entry_position: Mapped[int] = mapped_column(ForeignKey("registry_entries.position"), unique=True)

    kind: Mapped[MailKind] = mapped_column(enum_column(MailKind, 20))
    #: Why it is what it is ("Auto-Submitted: auto-replied", a parse error, "comes from another address").
    reason: Mapped[str | None] = mapped_column(Text)
    sender_name: Mapped[str | None] = mapped_column(String(200))
    sender_address: Mapped[str | None] = mapped_column(String(254))
    subject: Mapped[str | None] = mapped_column(String(500))
    #: The visible text (quoted history stripped, HTML turned into text); the raw message keeps all.
    text: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(5))

    outcome: Mapped[MailOutcome] = mapped_column(enum_column(MailOutcome, 20), default=MailOutcome.WAITING)
    #: The complaint it was added to (a reply) or registered as.
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"), index=True)
    #: The complainant's message it became (a reply).
    case_message_id: Mapped[int | None] = mapped_column(ForeignKey("case_messages.id"), unique=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The clerk who registered or filed it (None: done by itself, a reply or the automatic registration).
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: Why it is not a complaint (filed).
    filed_reason: Mapped[str | None] = mapped_column(Text)

    attachments: Mapped[list["InboundMailAttachment"]] = relationship(
        back_populates="mail", order_by="InboundMailAttachment.position"
    )
    decided_by: Mapped[User | None] = relationship()

    __table_args__ = (
        CheckConstraint("(outcome = 'waiting') = (decided_at IS NULL)", name="decided_once"),
        CheckConstraint("(outcome = 'filed') = (filed_reason IS NOT NULL)", name="filed_with_reason"),
        CheckConstraint("outcome IN ('waiting', 'filed') OR complaint_id IS NOT NULL", name="outcome_complaint"),
        CheckConstraint("(outcome = 'added') = (case_message_id IS NOT NULL)", name="added_as_message"),
        # The tray: what waits, newest first.
        Index("ix_inbound_mail_outcome_stored_at", "outcome", "stored_at"),
    )

    @property
    def registrable(self) -> bool:
        """A clerk may register it as a complaint with one click."""
        return self.outcome == MailOutcome.WAITING and self.kind in REGISTRABLE

    @property
    def fileable(self) -> bool:
        """A clerk may file it as not a complaint."""
        return self.outcome == MailOutcome.WAITING


class InboundMailAttachment(db.Model):
    """A file a message carried (attached, or an inline image), as found in the raw message;
    `refusal` says why it was not taken as evidence (it stays in the raw message)."""

    __tablename__ = "inbound_mail_attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mail_id: Mapped[int] = mapped_column(ForeignKey("inbound_mail.id"), index=True)
    #: Its place among the message's files, 1, 2, ... (the order of the MIME parts).
    position: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    inline: Mapped[bool] = mapped_column(Boolean, default=False)
    #: None: taken; else "too_large", "type" or "too_many".
    refusal: Mapped[str | None] = mapped_column(String(20))

    mail: Mapped[InboundMail] = relationship(back_populates="attachments")

    __table_args__ = (
        CheckConstraint("refusal IS NULL OR refusal IN ('too_large', 'type', 'too_many', 'no_room')",
                        name="refusal_known"),
        db.UniqueConstraint("mail_id", "position"),
    )


class MailboxStatus(db.Model):
    """The last contact with a mailbox (one row per mailbox): when it last answered, and the last
    error. /health and the staff desk warn when it has not answered for too long."""

    __tablename__ = "mailbox_status"

    #: "user@host:port/folder".
    mailbox: Mapped[str] = mapped_column(String(300), primary_key=True)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)


def arrival_facts(mail: Any) -> dict[str, Any]:
    """The facts of a stored message that its signed arrival entry states (a model, or a row):
    `flask registry verify` compares the two."""
    source = mail.source
    return {
        "sha256": mail.sha256,
        "size": mail.size,
        "message_id": mail.message_id,
        "received_at": iso_utc(mail.received_at),
        "source": source.value if isinstance(source, MailSource) else source,
    }

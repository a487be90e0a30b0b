"""Tables of the registry itself: number counters, the chain head, the signed entries and the
documents issued."""


import enum
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from ..database import UTCDateTime, enum_column
from ..extensions import db
from .digest import fingerprint_of


class NumberCounter(db.Model):
    """The last number taken in a scope (e.g. incoming complaints of 2026).

    Incremented with UPDATE ... RETURNING inside the registering transaction: the row lock
    serialises writers, and a rollback returns the number.
    """

    __tablename__ = "number_counters"

    scope: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_value: Mapped[int] = mapped_column(BigInteger, default=0)

    __table_args__ = (CheckConstraint("last_value >= 0", name="last_value_not_negative"),)


class ChainHead(db.Model):
    """The single row naming the newest entry of the hash chain; locking it orders appends."""

    __tablename__ = "registry_chain_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    position: Mapped[int] = mapped_column(BigInteger, default=0)
    digest: Mapped[str] = mapped_column(String(64))

    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)


class EntryKind(enum.StrEnum):
    """What a registry entry records."""

    INTAKE = "intake"
    ANNULMENT = "annulment"
    CORRECTION = "correction"
    #: A step of the case workflow (taken, responded, escalated, breached, a receipt printed,
    #: ...): the payload's "type" says which, and "state" the complaint's facts after it.
    EVENT = "event"
    #: A new version of an administrator's setting (organisation, categories, tiers, deadlines).
    SETTING = "setting"


class RegistryEntry(db.Model):
    """One page of the bound journal: a frozen, signed record linked to the one before it."""

    __tablename__ = "registry_entries"

    position: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[EntryKind] = mapped_column(enum_column(EntryKind, 20))
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"), index=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: Canonical JSON of what was recorded (see app.registry.digest.canonical_json).
    payload: Mapped[str] = mapped_column(Text)
    prev_digest: Mapped[str] = mapped_column(String(64))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    #: Ed25519 signature of the digest by the registry key, hex.
    signature: Mapped[str] = mapped_column(String(128))
    key_id: Mapped[str] = mapped_column(String(16))

    __table_args__ = (
        # A complaint is registered once: at most one intake entry per complaint.
        Index(
            "uq_registry_entries_intake_complaint",
            "complaint_id",
            unique=True,
            postgresql_where=text("kind = 'intake'"),
            sqlite_where=text("kind = 'intake'"),
        ),
    )

    @property
    def fingerprint(self) -> str:
        return fingerprint_of(self.digest)


class EntryPrivate(db.Model):
    """The private part of a signed entry: personal data and free text (names, contacts, the
    complaint's text, messages, reasons, a letter as issued), kept out of the signed payload,
    which holds only its salted commitment (`digest.private_commitment`). Erasing a complaint's
    personal data under a retention policy empties these rows; the chain still verifies."""

    __tablename__ = "registry_private"

    position: Mapped[int] = mapped_column(ForeignKey("registry_entries.position"), primary_key=True,
                                          autoincrement=False)
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"), index=True)
    #: Canonical JSON of the private part.
    data: Mapped[str] = mapped_column(Text)


class DocumentKind(enum.StrEnum):
    """What an issued document is."""

    #: The two-copy receipt in one language (also the desk's first print in that language).
    RECEIPT = "receipt"
    #: A reprint at the desk, marked "DUPLICATE n".
    RECEIPT_PRINT = "receipt_print"
    #: An outgoing letter (response, request for information, decision).
    LETTER = "letter"


class IssuedDocument(db.Model):
    """A document as it was first delivered: its PDF kept once in the write-once document store
    (`app.registry.issued`) under its SHA-256, which a signed "document_issued" event names.
    Every later delivery serves that file, whatever changed in the code, fonts or wording since.

    One per (kind, complaint, language, duplicate) for receipts and reprints, one per message for
    letters: a concurrent second first-delivery fails on that key and serves the first one's file.
    """

    __tablename__ = "issued_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[DocumentKind] = mapped_column(enum_column(DocumentKind, 20))
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"))
    #: The letter's message (letters only).
    message_id: Mapped[int | None] = mapped_column(ForeignKey("case_messages.id"), unique=True)
    language: Mapped[str] = mapped_column(String(5))
    #: 0: the original; n: the n-th reprint at the desk ("DUPLICATE n").
    duplicate_number: Mapped[int] = mapped_column(Integer, default=0)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: The signed "document_issued" event (NULL: none did; verify reports it).
    entry_position: Mapped[int | None] = mapped_column(ForeignKey("registry_entries.position"), unique=True)

    __table_args__ = (
        Index(
            "uq_issued_documents_receipt",  # a complaint's documents, first: verify reads them by complaint
            "complaint_id", "kind", "language", "duplicate_number",
            unique=True,
            postgresql_where=text("message_id IS NULL"),
            sqlite_where=text("message_id IS NULL"),
        ),
        CheckConstraint("(kind = 'letter') = (message_id IS NOT NULL)", name="letter_names_its_message"),
        CheckConstraint("(kind = 'receipt_print') = (duplicate_number > 0)", name="reprints_are_duplicates"),
        CheckConstraint("size > 0", name="size_positive"),
    )

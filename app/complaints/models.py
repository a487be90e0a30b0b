"""The complaint and its evidence files."""


from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, enum_column
from ..enums import TitledEnum
from ..extensions import db
from ..registry.digest import iso_utc

if TYPE_CHECKING:
    from ..auth.models import User
    from ..clocks.models import ComplaintClock
    from ..workflow.models import ComplaintJoin


class Channel(TitledEnum):
    """How a complaint reached the organisation."""

    WEB = "web", _l("Web form")
    API = "api", _l("Integration (API)")
    PAPER = "paper", _l("Paper, handed in")
    POST = "post", _l("Post")
    PHONE = "phone", _l("Phone")
    IN_PERSON = "in_person", _l("In person")
    EMAIL = "email", _l("E-mail")


class Signature(StrEnum):
    """How the complainant signed the complaint (or why they did not): stated on its receipt."""

    ELECTRONIC = "electronic"  # the typed name under the ticked declaration (web form, API)
    HANDWRITTEN = "handwritten"  # by hand, on the paper the clerk received (handed in, posted, at the desk)
    ORAL = "oral"  # not signed: dictated and confirmed by phone
    EMAIL = "email"  # not signed by hand: sent from the complainant's e-mail address


#: How a complaint that came through each channel is signed: registration records it.
CHANNEL_SIGNATURE = {
    Channel.WEB: Signature.ELECTRONIC,
    Channel.API: Signature.ELECTRONIC,
    Channel.PAPER: Signature.HANDWRITTEN,
    Channel.POST: Signature.HANDWRITTEN,
    Channel.IN_PERSON: Signature.HANDWRITTEN,
    Channel.PHONE: Signature.ORAL,
    Channel.EMAIL: Signature.EMAIL,
}


class ComplaintStatus(TitledEnum):
    """Where a complaint stands. The moves between statuses are in app/workflow/states.py."""

    REGISTERED = "registered", _l("Registered, awaiting first response")
    IN_PROGRESS = "in_progress", _l("In progress")
    WAITING = "waiting", _l("Waiting for information from the complainant")
    RESPONDED = "responded", _l("Responded")
    RESOLVED = "resolved", _l("Resolved")
    CLOSED = "closed", _l("Closed")
    REOPENED = "reopened", _l("Reopened: the complainant disputes the response")
    #: A repeat of an earlier complaint, joined to it and answered with it (app/workflow/joins.py).
    JOINED = "joined", _l("Joined to an earlier complaint, answered with it")
    ANNULLED = "annulled", _l("Annulled: registered by mistake")


class Resolution(TitledEnum):
    """The decision on a complaint."""

    UPHELD = "upheld", _l("Upheld")
    PARTLY_UPHELD = "partly_upheld", _l("Partly upheld")
    REJECTED = "rejected", _l("Rejected")


#: Columns empty until the case gets that far (a decision, a payment, a closing), indexed only
#: where they are set (see `Complaint.__table_args__`). Not the owner: a partial index on it
#: would be one PostgreSQL may read for the queue's owner condition (`owner_id + 0`, which
#: implies it is set) instead of the queue's own index (tests/test_queue_index.py).
SET_ONLY_INDEXED = ("resolved_at", "redress_paid_at", "closed_at")


class Complaint(db.Model):
    """A registered complaint. Its registered fields are frozen in a signed registry entry."""

    __tablename__ = "complaints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(BigInteger)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    #: Secret the complainant holds to track the complaint; never part of the signed record.
    access_code: Mapped[str] = mapped_column(String(32))
    #: Salt of the commitments to this complaint's private data in the signed record (never
    #: signed itself; erased with the personal data). See `app.registry.digest.private_commitment`.
    personal_salt: Mapped[str] = mapped_column(String(32))
    status: Mapped[ComplaintStatus] = mapped_column(
        enum_column(ComplaintStatus, 20), default=ComplaintStatus.REGISTERED
    )
    channel: Mapped[Channel] = mapped_column(enum_column(Channel, 20))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    #: Indexed, as are resolved_at, closed_at and redress_paid_at: the outcome figures read the
    #: days at a period's ends live by these moments (app/manage/outcome_rollup.py).
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    first_response_due: Mapped[datetime] = mapped_column(UTCDateTime())

    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(32), index=True)
    postal_address: Mapped[str | None] = mapped_column(String(500))
    category: Mapped[str] = mapped_column(String(50))
    subject: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    desired_outcome: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(5))
    signature_name: Mapped[str] = mapped_column(String(200))
    declaration_confirmed: Mapped[bool] = mapped_column(Boolean)
    #: The clerk who registered a complaint received on paper, by post, phone, in person or e-mail.
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    # The case workflow (app/workflow). Not part of the intake record: every change to these is
    # a signed event of its own.
    #: The one person who answers for the complaint until it is closed.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    #: Escalation tier: 1 support desk, 2 specialists, 3 management, 4 board / ombudsman.
    tier: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    #: When the resolution clock last started: on registration, on rising a tier, on reopening.
    resolution_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    transfer_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: Times the complainant contacted the organisation about it (the filing is the first).
    contact_count: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    first_responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_response_warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Set once when the first-response deadline passed unanswered; never cleared.
    first_response_breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: When the complaint must be resolved at its current tier (None: no deadline runs).
    resolution_due: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolution_warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolution: Mapped[Resolution | None] = mapped_column(enum_column(Resolution, 20))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The decision's closure time band (app/clocks/bands.py: "3wd", "56d", "56d+"), fixed when
    #: it was made by the policy and calendar then in force and signed with it; None: not
    #: decided, or its policy has no bands.
    closure_band: Mapped[str | None] = mapped_column(String(16))
    #: The redress the decision offers: an amount in a currency (ISO 4217), or a remedy that is
    #: not money, or both; None: none (signed in the "resolved" event).
    redress_amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    redress_currency: Mapped[str | None] = mapped_column(String(3))
    redress_remedy: Mapped[str | None] = mapped_column(Text)
    #: When the redress offered was paid (a signed "redress_paid" event); None: not (yet).
    redress_paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: When the complainant took it to the ADR entity or ombudsman, as its notice says (a signed
    #: "referred" event), and that body's reference; None: not referred, as far as we know.
    referred_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    referral_reference: Mapped[str | None] = mapped_column(String(100))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The next moment deadline enforcement has something to do (warn or breach), for its own
    #: deadlines and its regulatory clocks alike; None: nothing.
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The nearest due time of its running regulatory clocks (app/clocks; None: none runs), kept
    #: with them so the queue sorts by the nearest due of any clock in the database.
    clock_due: Mapped[datetime | None] = mapped_column(UTCDateTime())

    #: The evidence of the intake record: the files registered with the complaint. Files that
    #: came later (with a reply, a dispute, a letter, or added by the desk) name the signed event
    #: that brought them (`Attachment.entry_position`) and are not among these.
    attachments: Mapped[list["Attachment"]] = relationship(
        back_populates="complaint", order_by="Attachment.id",
        primaryjoin="and_(Complaint.id == Attachment.complaint_id, Attachment.entry_position.is_(None))",
    )
    owner: Mapped["User | None"] = relationship(foreign_keys=[owner_id])
    #: Its regulatory clocks (app/clocks/models.py), in the order they were started.
    clocks: Mapped[list["ComplaintClock"]] = relationship(order_by="ComplaintClock.id", viewonly=True)
    #: Its join to an earlier complaint of the same complainant (None: not joined); from then on
    #: it is handled through that one (app/workflow/joins.py).
    joined: Mapped["ComplaintJoin | None"] = relationship(
        primaryjoin="Complaint.id == ComplaintJoin.complaint_id", viewonly=True, uselist=False)

    __table_args__ = (
        UniqueConstraint("year", "seq"),
        CheckConstraint("seq > 0", name="seq_positive"),
        CheckConstraint("email IS NOT NULL OR phone IS NOT NULL", name="has_contact"),
        CheckConstraint("declaration_confirmed", name="declaration_confirmed"),
        CheckConstraint("tier >= 1", name="tier_positive"),
        CheckConstraint("transfer_count >= 0", name="transfer_count_not_negative"),
        CheckConstraint(
            "owner_id IS NOT NULL OR status IN ('registered', 'annulled', 'joined')", name="owned_once_taken"
        ),
        CheckConstraint(
            "resolution IS NOT NULL OR status NOT IN ('resolved', 'closed')", name="resolved_with_decision"
        ),
        # Deadline enforcement reads only complaints with an alarm set.
        db.Index(
            "ix_complaints_next_check_at",
            "next_check_at",
            postgresql_where=db.text("next_check_at IS NOT NULL"),
            sqlite_where=db.text("next_check_at IS NOT NULL"),
        ),
        # The moments an open complaint does not have yet: only the complaints that have one
        # are indexed (every reader asks for a range, which implies it), so a registration
        # writes none of these indexes (migration `set_only_indexes`).
        *(
            db.Index(
                f"ix_complaints_{column}",
                column,
                postgresql_where=db.text(f"{column} IS NOT NULL"),
                sqlite_where=db.text(f"{column} IS NOT NULL"),
            )
            for column in SET_ONLY_INDEXED
        ),
        # An address whatever its case: repeat complainants (app/manage/analysis), the case
        # page's other complaints of the person, the journal's e-mail search (app/journal/search.py).
        db.Index("ix_complaints_lower_email", db.text("lower(email)")),
        # The registry journal (app/journal): a status filter read in number order ...
        db.Index("ix_complaints_status_year_seq", "status", "year", "seq"),
        # ... and "contains" searches: trigram GIN indexes on PostgreSQL. On SQLite no index
        # serves LIKE '%...%', so there they are kept empty (WHERE 0) and cost nothing. The
        # e-mail and phone searches read the directory of distinct contacts instead
        # (app/journal/search.py; migration `contact_directory_search`).
        *(
            db.Index(
                f"ix_complaints_{column}_trgm",
                column,
                postgresql_using="gin",
                postgresql_ops={column: "gin_trgm_ops"},
                sqlite_where=db.text("0"),
            )
            for column in ("full_name", "subject", "description")
        ),
    )

    def registry_payload(self) -> dict:
        """What the signed intake record freezes in the clear: everything registered that is not
        personal (numbers, moments, channel, category, language, the evidence files' digests).

        The personal part (`private_record`) sits beside it, committed to by a salted digest (see
        `app.registry.digest.private_commitment`), so it can be erased later. Signed corrections
        change some values later; `CORRECTABLE` says which, and where each sits.
        """
        payload = {
            "type": "complaint",
            "number": self.number,
            "year": self.year,
            "seq": self.seq,
            "channel": self.channel.value,
            "registered_at": iso_utc(self.registered_at),
            "received_at": iso_utc(self.received_at),
            "first_response_due": iso_utc(self.first_response_due),
            "category": self.category,
            "language": self.language,
            "declaration": self.declaration_confirmed,
            "attachments": [a.registry_payload() for a in self.attachments],
        }
        if self.registered_by_id is not None:
            payload["registered_by_id"] = self.registered_by_id
        return payload

    def private_record(self) -> dict:
        """The personal part of the intake record: who complained, how to reach them, and what
        they wrote (the evidence files' names too)."""
        return {
            "complainant": {
                "full_name": self.full_name,
                "email": self.email,
                "phone": self.phone,
                "postal_address": self.postal_address,
            },
            "subject": self.subject,
            "description": self.description,
            "desired_outcome": self.desired_outcome,
            "signature_name": self.signature_name,
            "attachments": [a.filename for a in self.attachments],
        }

    @property
    def is_annulled(self) -> bool:
        return self.status == ComplaintStatus.ANNULLED

    @property
    def contact_line(self) -> str:
        return ", ".join(part for part in (self.email, self.phone) if part)


#: Keys of the intake record's payload that say how the complaint was registered (how it was
#: signed, the clerk as named then) and that no column of the complaint holds, so verify does not
#: look for them in the row (`app.intake.operations.register_complaint`); older records have none.
REGISTRATION_ONLY = ("registration",)

#: Fields a signed correction may change, and where each sits: in the intake record's signed
#: payload ("public") or in its private part.
CORRECTABLE: dict[str, tuple[str, tuple[str, ...]]] = {
    "full_name": ("private", ("complainant", "full_name")),
    "email": ("private", ("complainant", "email")),
    "phone": ("private", ("complainant", "phone")),
    "postal_address": ("private", ("complainant", "postal_address")),
    "category": ("public", ("category",)),
    "subject": ("private", ("subject",)),
    "description": ("private", ("description",)),
    "desired_outcome": ("private", ("desired_outcome",)),
}
#: What staff call each correctable field (as the correction form labels it): in a case's
#: history and in the audit trail.
FIELD_TITLES = {
    "full_name": _l("Full name"),
    "email": _l("E-mail"),
    "phone": _l("Phone"),
    "postal_address": _l("Postal address"),
    "category": _l("Category"),
    "subject": _l("Subject"),
    "description": _l("What happened"),
    "desired_outcome": _l("Outcome wanted"),
}


class Attachment(db.Model):
    """An evidence file. The bytes live outside the web root, named by their SHA-256.

    One table and one store for every file of a complaint: those registered with it (vouched
    for by its intake record: `entry_position` NULL) and those that came later, each naming the
    signed event that brought it (a reply, a dispute, a letter, "documents_added") and, when it
    came with a message, that message.
    """

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    #: The signed event that brought the file after registration (None: the intake record).
    entry_position: Mapped[int | None] = mapped_column(ForeignKey("registry_entries.position"), index=True)
    #: The message it came with (a reply, a dispute, an outgoing letter); None: intake, or added
    #: by the desk on its own ("documents_added").
    message_id: Mapped[int | None] = mapped_column(ForeignKey("case_messages.id"), index=True)

    complaint: Mapped[Complaint] = relationship(back_populates="attachments")

    def registry_payload(self) -> dict:
        """The file as the signed payload names it: by its content (its name is private)."""
        return {
            "content_type": self.content_type,
            "size": self.size,
            "sha256": self.sha256,
        }


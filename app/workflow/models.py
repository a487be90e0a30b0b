"""Tables of the case workflow: messages to and from the complainant, escalations, breaches.

Each row is written by an operation in app/workflow/operations.py together with the signed
registry entry that records the same event; the rows make the facts easy to query, the
entries make them tamper-evident.
"""


from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..complaints.models import Attachment, Channel, Complaint
from ..database import UTCDateTime, enum_column
from ..enums import TitledEnum
from ..extensions import db


class MessageKind(TitledEnum):
    RESPONSE = "response", _l("Response")  # a substantive response to the complainant (stops the first-response clock)
    INFORMATION_REQUEST = "information_request", _l("Request for information")  # the owner asks the complainant for something
    DECISION = "decision", _l("Decision")  # the resolution, with its reasons
    COMPLAINANT_REPLY = "complainant_reply", _l("Reply from the complainant")
    DISPUTE = "dispute", _l("Dispute by the complainant")  # the complainant does not accept the response or the decision
    CONSULTATION = "consultation", _l("Internal consultation note")  # internal: visible to staff only
    HOLDING_RESPONSE = "holding_response", _l("Holding response")  # why there is no final response yet, and when
    EXTENSION_NOTICE = "extension_notice", _l("Notice of extension")  # the term for answering is extended

    @property
    def outgoing(self) -> bool:
        """Sent to the complainant as a numbered outgoing letter."""
        return self in OUTGOING

    @property
    def from_complainant(self) -> bool:
        return self in (MessageKind.COMPLAINANT_REPLY, MessageKind.DISPUTE)

    @property
    def internal(self) -> bool:
        return self == MessageKind.CONSULTATION


OUTGOING = frozenset({MessageKind.RESPONSE, MessageKind.INFORMATION_REQUEST, MessageKind.DECISION,
                      MessageKind.HOLDING_RESPONSE, MessageKind.EXTENSION_NOTICE})


class CaseMessage(db.Model):
    """Something written about a complaint: to the complainant, from them, or among staff."""

    __tablename__ = "case_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    kind: Mapped[MessageKind] = mapped_column(enum_column(MessageKind, 30))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: The member of staff who wrote it (None when the complainant wrote it).
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: A colleague asked for input by a consultation note.
    consulted_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: Outgoing letters are numbered per year, gap-free, like incoming complaints.
    outgoing_year: Mapped[int | None] = mapped_column(Integer)
    outgoing_seq: Mapped[int | None] = mapped_column(BigInteger)
    outgoing_number: Mapped[str | None] = mapped_column(String(40), unique=True)
    #: The signed registry entry that froze it.
    entry_position: Mapped[int] = mapped_column(ForeignKey("registry_entries.position"), unique=True)
    #: A reply or dispute that came on paper, by phone, in person (or an e-mail handled by
    #: hand): how it came, the day it was received, and the member of staff who recorded it.
    #: All three or none; None for what the complainant wrote on the tracking page.
    channel: Mapped[Channel | None] = mapped_column(enum_column(Channel, 20))
    received_on: Mapped[date | None] = mapped_column(Date)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: An outgoing letter put in the post (for a complainant without e-mail); None: not yet.
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    consulted: Mapped[User | None] = relationship(foreign_keys=[consulted_id])
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])
    #: The files that came with it (their SHA-256 signed in its event).
    attachments: Mapped[list[Attachment]] = relationship(
        primaryjoin="CaseMessage.id == Attachment.message_id", order_by="Attachment.id", viewonly=True)

    __table_args__ = (
        UniqueConstraint("outgoing_year", "outgoing_seq"),
        CheckConstraint(
            "(outgoing_number IS NOT NULL) = "
            "(kind IN ('response', 'information_request', 'decision', 'holding_response', 'extension_notice'))",
            name="outgoing_numbered",
        ),
        CheckConstraint(
            "(author_id IS NULL) = (kind IN ('complainant_reply', 'dispute'))", name="author_matches_kind"
        ),
        CheckConstraint(
            "(channel IS NULL) = (received_on IS NULL) AND (channel IS NULL) = (recorded_by_id IS NULL) "
            "AND (channel IS NULL OR kind IN ('complainant_reply', 'dispute'))",
            name="received_by_hand",
        ),
        CheckConstraint("posted_at IS NULL OR outgoing_number IS NOT NULL", name="posted_letter"),
        # The journal's search of the correspondence (app/journal/queries.py): a trigram GIN index
        # on PostgreSQL, as the complaints' text columns have; kept empty on SQLite (WHERE 0).
        db.Index("ix_case_messages_body_trgm", "body", postgresql_using="gin",
                 postgresql_ops={"body": "gin_trgm_ops"}, sqlite_where=db.text("0")),
    )


class EscalationReason(TitledEnum):
    FIRST_RESPONSE_BREACH = "first_response_breach", _l("No first response within the deadline")
    RESOLUTION_BREACH = "resolution_breach", _l("Not resolved within the tier's deadline")
    COMPLAINANT_REQUEST = "complainant_request", _l("The complainant asked for escalation")
    TRANSFERS = "transfers", _l("Transferred too many times")  # transferred too many times
    OWNER_REQUEST = "owner_request", _l("Escalated by the owner")
    CLOCK_BREACH = "clock_breach", _l("A regulatory deadline passed")


class Escalation(db.Model):
    """A complaint rising from one tier to a higher one: from, to, why, when, by whom."""

    __tablename__ = "escalations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    from_tier: Mapped[int] = mapped_column(Integer)
    to_tier: Mapped[int] = mapped_column(Integer)
    reason: Mapped[EscalationReason] = mapped_column(enum_column(EscalationReason, 30))
    note: Mapped[str | None] = mapped_column(Text)
    escalated_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    #: Who escalated it (None: deadline enforcement or the complainant).
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    entry_position: Mapped[int] = mapped_column(ForeignKey("registry_entries.position"), unique=True)

    __table_args__ = (CheckConstraint("to_tier > from_tier", name="rises"),)


class ReviewDecision(TitledEnum):
    """What management decided about an escalated complaint on the escalation desk."""

    KEEP = "keep", _l("Keep with the owner, with an instruction")
    TAKE_OVER = "take_over", _l("Take it over")
    SEND_BACK = "send_back", _l("Send it back down")


class EscalationReview(db.Model):
    """A manager's review decision on a complaint on the escalation desk: which decision, the
    escalation it answered (None: on the desk for a breach alone), the owner and tier after it,
    the instruction, when and by whom. The complaint shows as reviewed until it escalates again
    (an escalation signed after the review's entry)."""

    __tablename__ = "escalation_reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    escalation_id: Mapped[int | None] = mapped_column(ForeignKey("escalations.id"))
    decision: Mapped[ReviewDecision] = mapped_column(enum_column(ReviewDecision, 20))
    #: The owner and the tier once decided.
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    tier: Mapped[int] = mapped_column(Integer)
    instruction: Mapped[str | None] = mapped_column(Text)
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    entry_position: Mapped[int] = mapped_column(ForeignKey("registry_entries.position"), unique=True)

    by: Mapped[User] = relationship(foreign_keys=[by_id])
    owner: Mapped[User] = relationship(foreign_keys=[owner_id])


class DeadlineKind(TitledEnum):
    """A deadline that can be breached: the complaint's own (the first response, the resolution
    at its tier) and the regulatory clocks' (app/clocks/policy.ClockKind, the same values)."""

    FIRST_RESPONSE = "first_response", _l("First response")
    RESOLUTION = "resolution", _l("Resolution")
    REGISTRATION = "registration", _l("Registration")
    ACKNOWLEDGEMENT = "acknowledgement", _l("Acknowledgement")
    HOLDING_RESPONSE = "holding_response", _l("Holding response")
    FINAL_RESPONSE = "final_response", _l("Final response")


class Breach(db.Model):
    """A deadline that passed unmet. Permanent: a late response does not erase it.

    One row per deadline (complaint, kind, due time), so however many enforcement runs see
    the same passed deadline, it is recorded, and escalated, once.
    """

    __tablename__ = "breaches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    kind: Mapped[DeadlineKind] = mapped_column(enum_column(DeadlineKind, 20))
    tier: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    #: The signed "deadline_breached" event that recorded it (NULL: none did; verify reports it).
    entry_position: Mapped[int | None] = mapped_column(ForeignKey("registry_entries.position"), unique=True)

    __table_args__ = (UniqueConstraint("complaint_id", "kind", "due_at"),)


class ComplaintJoin(db.Model):
    """A repeated complaint joined to the earlier one from the same complainant about the same
    matter (app/workflow/joins.py). Once, never undone: the joined complaint keeps its number and
    receipt, and is handled through its main one from then on."""

    __tablename__ = "complaint_joins"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: The joined complaint (joined once).
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), unique=True)
    #: The main complaint it follows.
    main_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime())
    by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: The signed "joined" event that recorded it.
    entry_position: Mapped[int] = mapped_column(ForeignKey("registry_entries.position"), unique=True)

    main: Mapped[Complaint] = relationship(foreign_keys=[main_id])

    __table_args__ = (CheckConstraint("main_id <> complaint_id", name="not_itself"),)


class ComplaintLink(db.Model):
    """Two related complaints (the same incident, the same outage) linked with a note, or the
    link undone: one row per signed "linked" or "unlinked" event, so the latest row of a pair
    says whether they are linked now (app/workflow/joins.py)."""

    __tablename__ = "complaint_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: The complaint whose case page it was done from (the event is signed on it) ...
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    #: ... and the other one.
    related_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    linked: Mapped[bool] = mapped_column(Boolean)  # False: the link was undone
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    entry_position: Mapped[int] = mapped_column(ForeignKey("registry_entries.position"), unique=True)

    __table_args__ = (CheckConstraint("related_id <> complaint_id", name="not_itself"),)

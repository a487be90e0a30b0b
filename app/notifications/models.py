"""The outbox: e-mails to send, written in the same transaction as the event they announce.

A row is only a request to send; delivery (app/notifications/delivery.py) happens after the
commit, is retried with backoff on failure, and never rolls back what it announces.
"""


import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..database import UTCDateTime, enum_column
from ..extensions import db


class NotificationKind(enum.StrEnum):
    # To the complainant
    REGISTERED = "registered"  # with the receipt PDF attached
    MESSAGE = "message"  # a response, a request for information or the decision (letter attached)
    STATUS_CHANGED = "status_changed"
    ATTACHMENTS_REFUSED = "attachments_refused"  # files of an e-mail not taken as evidence (too large, ...)
    RATING_REQUEST = "rating_request"  # closed: how did we handle it? (app/workflow/verdict.py)
    RATING_REMINDER = "rating_reminder"  # the one reminder, if they have not rated yet
    # To staff
    ASSIGNED = "assigned"  # you own this complaint now
    CONSULTATION = "consultation"  # a colleague asks for your input
    COMPLAINANT_REPLY = "complainant_reply"  # to the owner
    DUE_SOON = "due_soon"
    BREACH = "breach"
    ESCALATED = "escalated"  # to everyone at the new tier
    UNSTAFFED_ESCALATION = "unstaffed_escalation"  # to each administrator: it rose to a tier nobody works at


class Audience(enum.StrEnum):
    COMPLAINANT = "complainant"
    USER = "user"  # one member of staff
    TIER = "tier"  # the staff of a tier (or the tier's shared address, when configured)


class DeliveryStatus(enum.StrEnum):
    QUEUED = "queued"
    SENDING = "sending"  # claimed by a sender; re-queued if that sender died
    SENT = "sent"
    FAILED = "failed"  # gave up after the last attempt
    SKIPPED = "skipped"  # nobody to send it to (no e-mail address)


class Notification(db.Model):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[NotificationKind] = mapped_column(enum_column(NotificationKind, 30))
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    audience: Mapped[Audience] = mapped_column(enum_column(Audience, 20))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    tier: Mapped[int | None] = mapped_column(Integer)
    #: Facts the message is written from (JSON), e.g. the message id or the deadline.
    params: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[DeliveryStatus] = mapped_column(enum_column(DeliveryStatus, 20), default=DeliveryStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Who it went to, as sent (for the case page and for support).
    recipients: Mapped[str | None] = mapped_column(String(2000))
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        db.Index(
            "ix_notifications_pending",
            "next_attempt_at",
            postgresql_where=db.text("status IN ('queued', 'sending')"),
            sqlite_where=db.text("status IN ('queued', 'sending')"),
        ),
        db.CheckConstraint(
            "(audience = 'user') = (user_id IS NOT NULL) AND (audience = 'tier') = (tier IS NOT NULL)",
            name="audience_target",
        ),
    )

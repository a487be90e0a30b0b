"""The complainant's verdict on the handling: the invitation sent at closing (with its one
reminder) and the rating given (1 to 5, with a sentence saying why).

A rating is written by `app/workflow/verdict.rate_handling` together with the signed "rated"
event that records it (its score in the clear, the reason in the event's private part); the row
makes the satisfaction figures easy to query (by the moment it was given: indexed), the entry
makes it tamper-evident. One rating per complaint, ever (unique).
"""


from datetime import datetime, timedelta

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..complaints.models import Complaint
from ..database import UTCDateTime
from ..extensions import db
from ..notifications.models import Audience, NotificationKind
from ..notifications.queue import notification_row, queue_rows

#: The scores a complainant may give: 1 (very dissatisfied) to 5 (very satisfied).
LOWEST_SCORE, HIGHEST_SCORE = 1, 5
#: The longest reason: one sentence, not a new complaint.
MAX_REASON_LENGTH = 500


class RatingRequest(db.Model):
    """The complainant was asked to rate the handling (by e-mail, when the complaint was first
    closed); `remind_at`: when the one reminder is due (None: sent, or no longer needed)."""

    __tablename__ = "rating_requests"

    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), primary_key=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    remind_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Rating(db.Model):
    """The complainant's rating of how their complaint was handled, with the complaint's
    category, tier and owner when it was given (the figures group by them)."""

    __tablename__ = "complaint_ratings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), unique=True)
    score: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    category: Mapped[str] = mapped_column(String(50))
    tier: Mapped[int] = mapped_column(Integer)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: The signed "rated" event that recorded it.
    entry_position: Mapped[int] = mapped_column(ForeignKey("registry_entries.position"), unique=True)

    owner: Mapped[User | None] = relationship()

    __table_args__ = (
        CheckConstraint(f"score BETWEEN {LOWEST_SCORE} AND {HIGHEST_SCORE}", name="score_range"),
        # The newest ratings of each score: the analysis's lowest-rated list (app/manage/satisfaction.py).
        db.Index("ix_complaint_ratings_score_rated_at", "score", "rated_at", "id"),
    )


def rating_window(days: int) -> timedelta:
    """How long after closing a complaint may be rated (the administrators' setting, in days)."""
    return timedelta(days=days)


def request_rating(complaint: Complaint, at: datetime, window_days: int) -> None:
    """Ask the complainant, once per complaint (not again if it is closed again after a
    reopening), to rate the handling: an e-mail when they gave an address (else the tracking
    page alone asks), and one reminder at half the window (`flask deadlines enforce` sends it)."""
    if db.session.get(RatingRequest, complaint.id) is not None:
        return
    has_email = bool((complaint.email or "").strip())
    db.session.add(RatingRequest(complaint_id=complaint.id, requested_at=at,
                                 remind_at=at + rating_window(window_days) / 2 if has_email else None))
    if has_email:
        queue_rows([notification_row(NotificationKind.RATING_REQUEST, complaint.id, Audience.COMPLAINANT, at=at)])

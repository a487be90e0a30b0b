"""The regulator's clocks of each complaint: one row per clock its policy runs.

A row is written only together with the signed event that says the same (registration, a
response, a decision, a pause, a resume, an extension, a breach: app/clocks/running.py and
app/clocks/enforcement.py), so the row is easy to query and the chain vouches for it
(`flask registry verify` compares each row with the last signed state of its clock).
"""


from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from ..database import UTCDateTime, enum_column
from ..extensions import db
from .policy import ClockKind


class ComplaintClock(db.Model):
    """One clock of one complaint: when it started, when it is due, and how it stands."""

    __tablename__ = "complaint_clocks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    kind: Mapped[ClockKind] = mapped_column(enum_column(ClockKind, 30))
    #: The clock's rule as it started (JSON, `ClockRule.to_json`): a later change of policy never
    #: changes how a running clock counts, pauses or may be extended.
    rule: Mapped[str] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: Computed when it starts, and again only by a signed pause, resume or extension.
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: Standing still since then (waiting for the complainant); None: running or stopped.
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: How long it stood still in all, by the wall clock (closure times leave it out).
    paused_seconds: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: Extended once (then), with its reason and notice letter in the signed event.
    extended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    met_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The complaint was annulled, or the policy's clock ended without being met.
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: When enforcement must look at it next (a warning or the due time); None: nothing to do.
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("complaint_id", "kind"),
        CheckConstraint("met_at IS NULL OR stopped_at IS NULL", name="met_or_stopped"),
        CheckConstraint("paused_at IS NULL OR (met_at IS NULL AND stopped_at IS NULL)", name="paused_while_running"),
        Index("ix_complaint_clocks_next_check_at", "next_check_at",
              postgresql_where=text("next_check_at IS NOT NULL"), sqlite_where=text("next_check_at IS NOT NULL")),
    )

    @property
    def running(self) -> bool:
        return self.met_at is None and self.stopped_at is None

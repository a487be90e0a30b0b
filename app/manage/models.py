"""The dashboard's narrow copy of each complaint: only what the figures read.

`complaint_facts` has one row per complaint, written by database triggers (see the migration
`complaint_facts`) in the same statement as the change that causes it: a complaint inserted or
one of its copied columns updated, a dispute message written, a breach recorded. So the copy is
exact under concurrent writes by construction (it commits or rolls back with the change), and
every writer is covered: the ORM, the precompiled registration INSERT, the bulk UPDATE of
deadline enforcement, COPY. The figures (app/manage/figures.py) read these ~100-byte rows
instead of the ~1 kB complaint rows, and never join messages or breaches.

`app.manage.facts.recomputed()` computes the same rows from scratch; the tests compare them.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKey, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from ..complaints.models import Channel, ComplaintStatus
from ..database import UTCDateTime
from ..extensions import db


def _copied_enum(enum_cls: type[enum.Enum]) -> Enum:
    """The complaint's enum value, read back as the enum; no CHECK of its own (the complaint's
    column has one, and a new status then needs no change here)."""
    return Enum(enum_cls, native_enum=False, create_constraint=False, length=20,
                values_callable=lambda members: [m.value for m in members])


class ComplaintFacts(db.Model):
    """A complaint as the dashboard counts it. Never written by the application itself."""

    __tablename__ = "complaint_facts"

    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"), primary_key=True)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    category: Mapped[str] = mapped_column(String(50))
    channel: Mapped[Channel] = mapped_column(_copied_enum(Channel))
    tier: Mapped[int] = mapped_column(Integer)
    status: Mapped[ComplaintStatus] = mapped_column(_copied_enum(ComplaintStatus))
    owner_id: Mapped[int | None] = mapped_column(Integer)
    transfer_count: Mapped[int] = mapped_column(Integer)
    first_response_due: Mapped[datetime] = mapped_column(UTCDateTime())
    first_responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: A dispute message was written about it (at least once).
    disputed: Mapped[bool] = mapped_column(Boolean, server_default=false())
    #: Breach rows of each kind.
    first_response_breaches: Mapped[int] = mapped_column(Integer, server_default="0")
    resolution_breaches: Mapped[int] = mapped_column(Integer, server_default="0")

    __table_args__ = (
        db.Index("ix_complaint_facts_registered_at", "registered_at"),
    )

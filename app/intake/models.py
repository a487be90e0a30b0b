"""Idempotency keys: a repeated submission returns the first registration, not a second one."""


from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..complaints.models import Complaint
from ..database import UTCDateTime
from ..extensions import db


class IdempotencyKey(db.Model):
    """A submission token (form) or Idempotency-Key header (API) and what it registered."""

    __tablename__ = "idempotency_keys"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    #: SHA-256 of the request, so a key reused for different content is refused.
    request_hash: Mapped[str] = mapped_column(String(64))
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    complaint: Mapped[Complaint | None] = relationship()

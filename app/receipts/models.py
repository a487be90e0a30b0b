"""Receipts printed at the desk: the first print is the original, every later one a duplicate."""


from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..database import UTCDateTime
from ..extensions import db


class ReceiptPrint(db.Model):
    """One print of a complaint's receipt by a member of staff."""

    __tablename__ = "receipt_prints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    #: 0 for the original; n for the n-th reprint, printed "DUPLICATE n".
    reprint_number: Mapped[int] = mapped_column(Integer)
    printed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    printed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    language: Mapped[str] = mapped_column(String(5))
    #: The signed event that recorded the print (NULL: none did; verify reports it).
    entry_position: Mapped[int | None] = mapped_column(ForeignKey("registry_entries.position"), unique=True)

    __table_args__ = (UniqueConstraint("complaint_id", "reprint_number"),)

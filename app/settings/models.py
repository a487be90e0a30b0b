"""Administrators' settings, kept as an append-only history of versions.

Each change is a new row for one key, effective from a moment; nothing is updated or
deleted. The value in force at a moment is the key's newest version effective by then, or
the installation's default (config.py, pdf_templates/organisation.json) before any version.
So a receipt, a letter or a report is rendered with the values in force when its record was
made, and the table is also the history of who changed what.
"""


from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..database import UTCDateTime
from ..extensions import db


class SettingVersion(db.Model):
    """One administrator's value for one setting, in force from `effective_from`."""

    __tablename__ = "setting_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: Which setting: "categories", "tiers", "first_response_hours", "organisation",
    #: "number_format", "outgoing_number_format", "tier_addresses".
    key: Mapped[str] = mapped_column(String(40))
    #: The whole value of the setting as JSON (not a difference to the previous version).
    value: Mapped[str] = mapped_column(Text)
    effective_from: Mapped[datetime] = mapped_column(UTCDateTime())
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    #: The signed registry entry that recorded this version.
    entry_position: Mapped[int | None] = mapped_column(ForeignKey("registry_entries.position"), unique=True)

    changed_by: Mapped[User | None] = relationship()

    __table_args__ = (Index("ix_setting_versions_key_effective_from", "key", "effective_from"),)

"""Audit events. Rows are only ever inserted: nothing in the app updates or deletes them."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..database import UTCDateTime, enum_column
from ..enums import TitledEnum
from ..extensions import db


class AuditAction(TitledEnum):
    LOGIN = "login", _l("Signed in")
    LOGIN_FAILED = "login_failed", _l("Failed sign-in")
    LOGOUT = "logout", _l("Signed out")
    PASSWORD_CHANGED = "password_changed", _l("Password changed")  # noqa: S105  (an action name, not a password)
    FORBIDDEN = "forbidden", _l("Refused: not allowed")
    REGISTRATION = "registration", _l("Registered a complaint")
    RECEIPT_PRINT = "receipt_print", _l("Printed a receipt")
    RECEIPT_REPRINT = "receipt_reprint", _l("Reprinted a receipt")
    ANNULMENT = "annulment", _l("Annulled a record")
    CORRECTION = "correction", _l("Corrected a record")
    EXPORT = "export", _l("Exported the journal")
    ATTACHMENT_DOWNLOAD = "attachment_download", _l("Downloaded an attachment")
    USER_CREATED = "user_created", _l("Created a user")
    OWN_SETTINGS_CHANGED = "own_settings_changed", _l("Changed own settings")
    SETTINGS_CHANGED = "settings_changed", _l("Changed the settings")
    API_TOKEN_CREATED = "api_token_created", _l("Created an API token")  # noqa: S105  (an action name, not a token)
    API_TOKEN_REVOKED = "api_token_revoked", _l("Revoked an API token")  # noqa: S105


class AuditEvent(db.Model):
    """Who did what, when, to what, from which address."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    #: The name given at sign-in (kept for failed sign-ins, where there may be no such user).
    username: Mapped[str | None] = mapped_column(String(80))
    action: Mapped[AuditAction] = mapped_column(enum_column(AuditAction, 30))
    target: Mapped[str | None] = mapped_column(String(100))
    details: Mapped[str | None] = mapped_column(Text)
    ip: Mapped[str | None] = mapped_column(String(45))

    user: Mapped[User | None] = relationship()

    __table_args__ = (Index("ix_audit_events_username_action_at", "username", "action", "at"),)

"""Audit events. Rows are only ever inserted: nothing in the app updates or deletes them."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..database import UTCDateTime, enum_column
from ..extensions import db


class AuditAction(enum.StrEnum):
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGOUT = "logout"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105  (an action name, not a password)
    FORBIDDEN = "forbidden"
    REGISTRATION = "registration"
    RECEIPT_PRINT = "receipt_print"
    RECEIPT_REPRINT = "receipt_reprint"
    ANNULMENT = "annulment"
    CORRECTION = "correction"
    EXPORT = "export"
    ATTACHMENT_DOWNLOAD = "attachment_download"
    USER_CREATED = "user_created"
    OWN_SETTINGS_CHANGED = "own_settings_changed"
    SETTINGS_CHANGED = "settings_changed"
    API_TOKEN_CREATED = "api_token_created"  # noqa: S105  (an action name, not a token)
    API_TOKEN_REVOKED = "api_token_revoked"  # noqa: S105

    @property
    def title(self) -> str:
        return str(_ACTION_TITLES[self])


_ACTION_TITLES = {
    AuditAction.LOGIN: _l("Signed in"),
    AuditAction.LOGIN_FAILED: _l("Failed sign-in"),
    AuditAction.LOGOUT: _l("Signed out"),
    AuditAction.PASSWORD_CHANGED: _l("Password changed"),
    AuditAction.FORBIDDEN: _l("Refused: not allowed"),
    AuditAction.REGISTRATION: _l("Registered a complaint"),
    AuditAction.RECEIPT_PRINT: _l("Printed a receipt"),
    AuditAction.RECEIPT_REPRINT: _l("Reprinted a receipt"),
    AuditAction.ANNULMENT: _l("Annulled a record"),
    AuditAction.CORRECTION: _l("Corrected a record"),
    AuditAction.EXPORT: _l("Exported the journal"),
    AuditAction.ATTACHMENT_DOWNLOAD: _l("Downloaded an attachment"),
    AuditAction.USER_CREATED: _l("Created a user"),
    AuditAction.OWN_SETTINGS_CHANGED: _l("Changed own settings"),
    AuditAction.SETTINGS_CHANGED: _l("Changed the settings"),
    AuditAction.API_TOKEN_CREATED: _l("Created an API token"),
    AuditAction.API_TOKEN_REVOKED: _l("Revoked an API token"),
}


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

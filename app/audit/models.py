"""Audit events. Rows are only ever inserted: nothing in the app updates or deletes them, and
each is linked into a hash chain (app/audit/chain.py) so that an edit or a removal shows."""


from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text
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
    LOGIN_THROTTLED = "login_throttled", _l("Sign-in refused: the address must wait")
    ACCOUNT_LOCKED = "account_locked", _l("Account locked after an attack")
    ACCOUNT_UNLOCKED = "account_unlocked", _l("Account unlocked")
    SESSIONS_ENDED = "sessions_ended", _l("Signed out other sessions")
    USER_DEACTIVATED = "user_deactivated", _l("Deactivated a user")
    MONTHLY_REPORT = "monthly_report", _l("Generated the monthly report")
    FIGURES_EXPORT = "figures_export", _l("Exported the dashboard figures")
    MAIL_FILED = "mail_filed", _l("Filed an e-mail as not a complaint")
    USER_REACTIVATED = "user_reactivated", _l("Reactivated a user")
    USER_CHANGED = "user_changed", _l("Changed a user's role or tier")
    PASSWORD_RESET = "password_reset", _l("Reset a user's password")  # noqa: S105  (an action name)
    USER_SESSIONS_ENDED = "user_sessions_ended", _l("Ended a user's sessions")
    TEMPLATE_CREATED = "template_created", _l("Created an answer template")
    TEMPLATE_REVISED = "template_revised", _l("Changed an answer template")
    TEMPLATE_RETIRED = "template_retired", _l("Retired an answer template")


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
    #: Place in the audit chain, 1, 2, ... handed out by the head row: gap-free, unlike `id`
    #: (a rolled-back transaction burns an id but never a position).
    position: Mapped[int] = mapped_column(BigInteger, unique=True)
    #: SHA-256 of the event's fields and `prev_digest` (app/audit/chain.py event_digest), hex.
    prev_digest: Mapped[str] = mapped_column(String(64))
    digest: Mapped[str] = mapped_column(String(64))

    user: Mapped[User | None] = relationship()

    __table_args__ = (Index("ix_audit_events_username_action_at", "username", "action", "at"),)


class AuditChainHead(db.Model):
    """The single row naming the newest event of the audit chain; locking it orders appends
    (as app/registry/models.py ChainHead does for the registry)."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    position: Mapped[int] = mapped_column(BigInteger, default=0)
    digest: Mapped[str] = mapped_column(String(64))

    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

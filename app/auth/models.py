"""Staff user accounts."""


import hashlib
from datetime import datetime

from flask import current_app
from flask_login import UserMixin
from sqlalchemy import Boolean, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from ..clock import now_utc
from ..database import UTCDateTime, enum_column
from ..extensions import db
from .permissions import Permission, Role, role_may


def secret_digest(secret: str) -> str:
    """The SHA-256 (hex) under which a secret handed out once is kept: a session's key, an API
    token, a set-password link. Only this is stored; the secret is shown once and forgotten."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()

MIN_PASSWORD_LENGTH = 10


class User(UserMixin, db.Model):
    """A member of staff. Passwords are stored as scrypt hashes (PASSWORD_HASH_METHOD)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role, 20))
    #: Escalation tier the person works at (1 support desk, 2 specialists, 3 management, 4 board).
    tier: Mapped[int | None] = mapped_column(Integer)
    language: Mapped[str] = mapped_column(String(5), default="en")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    #: Locked for everyone until then after a clear attack (failures from many addresses);
    #: an administrator may unlock it earlier (app/auth/lockout.py).
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Failed sign-ins before this moment are forgotten (set when an administrator unlocks).
    login_failures_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Signed in with a temporary password an administrator gave: every staff page sends them
    #: to change it first (app/auth/access.py).
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    @property
    def is_active(self) -> bool:  # Flask-Login: a deactivated account cannot sign in
        return self.active

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])
        self.password_changed_at = now_utc()

    def is_locked(self, now: datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def can(self, permission: Permission) -> bool:
        return self.active and role_may(self.role, permission)

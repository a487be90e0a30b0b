"""Staff sessions kept on the server, so that signing out, a password change, "sign out
everywhere" and deactivation end a session even where a copy of its cookie survives.

Signing in makes a `StaffSession` row and puts its random key in the (signed) session cookie
beside Flask-Login's user id; only the key's SHA-256 is stored. Every request loads the user
through `user_for_session`: one indexed look-up (the unique key digest) joined to the user,
which also checks that the account is active and that the session is younger than
PERMANENT_SESSION_LIFETIME. Deleting the row ends the session: the cookie, however copied,
names nothing any more.

Operations flush but never commit; the caller audits and commits.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, Integer, String, delete, func, select
from sqlalchemy.orm import Mapped, mapped_column

from ..clock import now_utc
from ..database import UTCDateTime
from ..extensions import db
from .models import User, secret_digest


class StaffSession(db.Model):
    """One signed-in browser of a member of staff (only the SHA-256 of its key is kept)."""

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    #: The address it was started from (shown to its owner; never used to decide anything).
    ip: Mapped[str | None] = mapped_column(String(45))


def start_session(user: User, *, ip: str | None, lifetime: timedelta) -> str:
    """A new session for `user`; returns its key (for the cookie, and nowhere else). The
    user's sessions older than `lifetime` are deleted on the way: they cannot be used."""
    now = now_utc()
    db.session.execute(delete(StaffSession).where(StaffSession.user_id == user.id,
                                                  StaffSession.created_at < now - lifetime))
    key = secrets.token_urlsafe(32)
    db.session.add(StaffSession(user_id=user.id, key_hash=secret_digest(key), created_at=now, ip=(ip or None)))
    db.session.flush()
    return key


def user_for_session(user_id: str, key: str | None, *, lifetime: timedelta) -> User | None:
    """The active user whose live session this key is, or None (one indexed look-up)."""
    if not key or not user_id.isdigit():
        return None
    return db.session.scalar(
        select(User).join(StaffSession, StaffSession.user_id == User.id)
        .where(StaffSession.key_hash == secret_digest(key), User.id == int(user_id), User.active.is_(True),
               StaffSession.created_at >= now_utc() - lifetime)
    )


def end_session(key: str | None) -> None:
    """Sign-out: the session with this key no longer exists."""
    if key:
        db.session.execute(delete(StaffSession).where(StaffSession.key_hash == secret_digest(key)))
        db.session.flush()


def end_sessions(user: User, *, keep: str | None = None) -> int:
    """End every session of `user` but the one with key `keep` (none: all of them); returns
    how many ended."""
    query = delete(StaffSession).where(StaffSession.user_id == user.id)
    if keep:
        query = query.where(StaffSession.key_hash != secret_digest(keep))
    ended = db.session.execute(query).rowcount or 0
    db.session.flush()
    return ended


def session_count(user: User, *, lifetime: timedelta) -> int:
    """How many sessions of `user` are live now."""
    return db.session.scalar(
        select(func.count()).select_from(StaffSession)
        .where(StaffSession.user_id == user.id, StaffSession.created_at >= now_utc() - lifetime)
    )

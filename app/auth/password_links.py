"""One-time set-password links: how an administrator gives a new or locked-out colleague a
password without ever knowing it.

A link carries 256 random bits (`secrets`); only their SHA-256 is stored. It works once, for
PASSWORD_LINK_LIFETIME, and only while the account is active; issuing a new one for the same
account voids the ones before, and so does using it. Operations flush, never commit; the caller
audits and commits.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, Integer, String, select, update
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import now_utc
from ..database import UTCDateTime
from ..extensions import db
from .models import User, secret_digest

#: How long a set-password link works.
PASSWORD_LINK_LIFETIME = timedelta(hours=72)


class PasswordLink(db.Model):
    """A one-time set-password link (only the SHA-256 of its secret is kept)."""

    __tablename__ = "password_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: When it was used, or voided by a newer link or by deactivation; it works only while empty.
    spent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


def void_links(user: User) -> None:
    """Every unused link of `user` stops working."""
    db.session.execute(update(PasswordLink).where(PasswordLink.user_id == user.id, PasswordLink.spent_at.is_(None))
                       .values(spent_at=now_utc()))


def issue_link(user: User) -> tuple[PasswordLink, str]:
    """A new link for `user` (the older ones void); returns it and its secret, to show once."""
    void_links(user)
    now = now_utc()
    secret = secrets.token_urlsafe(32)
    link = PasswordLink(user_id=user.id, token_hash=secret_digest(secret), created_at=now,
                        expires_at=now + PASSWORD_LINK_LIFETIME)
    db.session.add(link)
    db.session.flush()
    return link, secret


def live_link(secret: str) -> PasswordLink | None:
    """The link this secret opens, if it is unused, not expired and its account active."""
    if not secret or len(secret) > 100:
        return None
    link = db.session.scalar(select(PasswordLink).where(PasswordLink.token_hash == secret_digest(secret)))
    if link is None or link.spent_at is not None or link.expires_at <= now_utc() or not link.user.active:
        return None
    return link


def spend(link: PasswordLink) -> None:
    """The link is used: it never works again."""
    link.spent_at = now_utc()
    db.session.flush()

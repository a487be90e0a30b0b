"""Personal API tokens: how a staff integration acts as one member of staff on the JSON API.

A token is `crt_` followed by 43 URL-safe characters (256 random bits from `secrets`). It is
shown once, when it is made; only its SHA-256 is stored, so a copy of the database holds no
usable token. A token carries no rights of its own: it acts with its owner's role, so it
stops working when the owner is deactivated, and does what the owner may do. Revoking keeps
the row (who had which token, when it was last used) and refuses it from then on.

Operations flush but never commit; the caller audits and commits.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from flask_babel import gettext as _
from msgspec import Struct
from sqlalchemy import ForeignKey, Integer, String, or_, select, update
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import now_utc
from ..database import UTCDateTime
from ..extensions import db
from .models import User, secret_digest

TOKEN_PREFIX = "crt_"  # noqa: S105  (a marker for secret scanners, not a secret)
MAX_NAME_LENGTH = 80
#: The start of the token kept to tell tokens apart in lists (the prefix and 4 characters).
HINT_LENGTH = len(TOKEN_PREFIX) + 4
#: `last_used_at` is kept to this precision, so a busy integration does not write on every request.
LAST_USED_PRECISION = timedelta(minutes=1)


class TokenError(ValueError):
    """A token cannot be made or revoked as asked; the message says why."""


class ApiToken(db.Model):
    """A personal API token of a member of staff (only the SHA-256 of the secret is kept)."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    #: What the owner calls it ("call-centre tool").
    name: Mapped[str] = mapped_column(String(MAX_NAME_LENGTH))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hint: Mapped[str] = mapped_column(String(HINT_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


class NewToken(Struct, frozen=True):
    token: ApiToken
    secret: str  # the whole token, to show once and forget


def create_token(user: User, name: str) -> NewToken:
    """Make a token for `user`; the secret is in the result and nowhere else."""
    name = " ".join((name or "").split())
    if not name:
        raise TokenError(_("Name the token after what will use it."))
    if len(name) > MAX_NAME_LENGTH:
        raise TokenError(_("Use at most %(n)d characters for the name.", n=MAX_NAME_LENGTH))
    if not user.active:
        raise TokenError(_("%(name)s is deactivated and cannot have tokens.", name=user.username))
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=secret_digest(secret), hint=secret[:HINT_LENGTH],
                     created_at=now_utc())
    db.session.add(token)
    db.session.flush()
    return NewToken(token, secret)


def revoke_token(token: ApiToken) -> ApiToken:
    """Refuse the token from now on (the row stays, for the record)."""
    if token.revoked:
        raise TokenError(_("This token is revoked already."))
    token.revoked_at = now_utc()
    db.session.flush()
    return token


def tokens_of(user_id: int) -> list[ApiToken]:
    """A user's tokens: those in use first, newest first."""
    return list(db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user_id)
        .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc(), ApiToken.id.desc())
    ))


def token_of(user_id: int, token_id: int) -> ApiToken | None:
    """The user's token with this id (another user's token is not found)."""
    return db.session.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user_id))


def authenticate_token(secret: str) -> ApiToken | None:
    """The token whose secret this is, if it is not revoked and its owner is active."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == secret_digest(secret)))
    if token is None or token.revoked or not token.user.active:
        return None
    return token


def needs_touch(token: ApiToken, now: datetime) -> bool:
    return token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION


def touch(token_id: int, now: datetime) -> None:
    """Note that the token was used at `now` (to LAST_USED_PRECISION)."""
    db.session.execute(
        update(ApiToken)
        .where(ApiToken.id == token_id,
               or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - LAST_USED_PRECISION))
        .values(last_used_at=now)
    )

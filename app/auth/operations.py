"""Account operations: account creation, password, own settings, sessions, deactivation. They
flush, never commit (sign-in and its throttling are in lockout.py)."""

from __future__ import annotations

from sqlalchemy import select

from ..audit.models import AuditAction
from ..audit.service import record
from ..extensions import db
from ..languages import LANGUAGES
from .models import MIN_PASSWORD_LENGTH, User
from .permissions import Role
from .sessions import end_sessions


class AccountError(ValueError):
    """An account cannot be created as asked."""


def create_user(
    *, username: str, full_name: str, password: str, role: Role, tier: int | None = None,
    email: str | None = None, language: str = "en",
) -> User:
    username = username.strip().lower()
    if not username or len(username) > 80:
        raise AccountError("the user name must be 1 to 80 characters")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise AccountError(f"a user named {username!r} exists already")
    user = User(
        username=username, full_name=full_name.strip() or username, role=role, tier=tier,
        email=email, language=language,
    )
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def change_language(user: User, language: str) -> bool:
    """Set the language `user`'s staff pages and e-mails are written in; audited when it
    changes. Returns whether anything changed."""
    if language not in LANGUAGES:
        raise AccountError(f"unknown language {language!r}")
    if user.language == language:
        return False
    record(AuditAction.OWN_SETTINGS_CHANGED, user=user, target=user.username,
           details={"language": {"from": user.language, "to": language}})
    user.language = language
    db.session.flush()
    return True


def change_password(user: User, new_password: str, *, keep_session: str | None) -> int:
    """Set `user`'s password and end every other session of theirs (a thief's too); audited.
    Returns how many sessions ended."""
    user.set_password(new_password)
    ended = end_sessions(user, keep=keep_session)
    record(AuditAction.PASSWORD_CHANGED, user=user, details={"sessions_ended": ended} if ended else None)
    return ended


def sign_out_elsewhere(user: User, *, keep_session: str | None) -> int:
    """"Sign out everywhere else": end every session of `user` but this one; audited."""
    ended = end_sessions(user, keep=keep_session)
    record(AuditAction.SESSIONS_ENDED, user=user, details={"sessions_ended": ended})
    return ended


def deactivate_user(user: User, *, by: User | None, via: str) -> User:
    """Take the account out of use: its sessions end and its API tokens stop working at once
    (both check `active`); the row stays, for the record. Audited."""
    if not user.active:
        raise AccountError(f"{user.username!r} is deactivated already")
    user.active = False
    ended = end_sessions(user)
    db.session.flush()
    record(AuditAction.USER_DEACTIVATED, target=user.username, details={"via": via, "sessions_ended": ended}, user=by)
    return user

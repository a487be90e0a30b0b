"""Account operations: sign-in checks, account creation, own settings. They flush, never commit."""

from __future__ import annotations

from datetime import timedelta
from functools import cache

from flask import current_app
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from config import Config

from ..audit.models import AuditAction
from ..audit.service import recent_failed_logins, record
from ..extensions import db
from ..languages import LANGUAGES
from .models import MIN_PASSWORD_LENGTH, User
from .permissions import Role


@cache
def _dummy_hash(method: str) -> str:
    """Checked against when the user name is unknown, so that case takes as long as a wrong
    password: hashed the way the accounts' passwords are (PASSWORD_HASH_METHOD)."""
    return generate_password_hash("not a password", method=method)


_dummy_hash(Config.PASSWORD_HASH_METHOD)  # made at import, so no sign-in waits for it


class AccountError(ValueError):
    """An account cannot be created as asked."""


def authenticate(username: str, password: str) -> User | None:
    """The active user with this name and password, unless the account is locked after too
    many recent failures. The caller cannot tell which check failed, and neither can the user:
    an unknown name, a wrong password and a locked account do the same work (one password
    hash, one count of recent failures), so they also take the same time."""
    user = db.session.scalar(select(User).where(User.username == username))
    stored = user.password_hash if user else _dummy_hash(current_app.config["PASSWORD_HASH_METHOD"])
    password_ok = check_password_hash(stored, password)
    window = timedelta(minutes=current_app.config["LOGIN_LOCK_MINUTES"])
    locked = recent_failed_logins(username, window) >= current_app.config["LOGIN_MAX_FAILURES"]
    if user is None or locked or not password_ok or not user.active:
        return None
    return user


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

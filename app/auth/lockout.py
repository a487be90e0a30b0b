"""Failed sign-ins: throttled per account *and address*, so nobody can lock a colleague out.

- **Per (account, address)**: after LOGIN_MAX_FAILURES failures for one account from one
  address, that address waits LOGIN_DELAY_MINUTES before its next attempt for that account,
  then twice as long after each further failure (1, 2, 4 ... minutes, at most
  LOGIN_MAX_DELAY_MINUTES). Attempts made while waiting are refused without looking at the
  password's answer and do not count (audited as `login_throttled`). A successful sign-in from
  the address, an administrator's unlock, or LOGIN_FAILURE_WINDOW_MINUTES without failures
  forgets them. The real user, signing in from their own address, is not slowed down by an
  attacker's failures from another one.
- **Account-wide**, only for a clear attack: LOGIN_LOCK_FAILURES failures from at least
  LOGIN_LOCK_ADDRESSES addresses within LOGIN_LOCK_WINDOW_MINUTES lock the account for
  everyone for LOGIN_LOCK_MINUTES (audited as `account_locked`), unless an administrator
  unlocks it earlier (`unlock_account`, audited as `account_unlocked`).

An unknown name, a wrong password, a waiting address and a locked account get the same answer
after the same work (one password hash and one count of failures), so the answer tells nobody
whether a name exists. Failures are the audit trail's own `login_failed` rows (the index on
username, action, time serves every count here). Operations flush, never commit.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache

from flask import current_app
from msgspec import Struct
from sqlalchemy import distinct, func, or_, select
from werkzeug.security import check_password_hash, generate_password_hash

from config import Config

from ..audit.models import AuditAction, AuditEvent
from ..audit.service import record
from ..clock import now_utc
from ..extensions import db
from .models import User

#: The dummy hash for the shipped PASSWORD_HASH_METHOD, made once and written here, so that
#: neither a worker's start (a fifth of a second of scrypt) nor its first sign-in waits for it.
_PRECOMPUTED_DUMMY_HASHES = {
    "scrypt": "scrypt:32768:8:1$2XPaIdxfa3oWjXJo$f188361352166af0fdf8762d0948903f303c39c1d5a4920f9b387babac7a"
              "466798851d6ab9aea4432c1428c342f1bb69e4b568bdb57ed8bfa70962a73ab783b4",
}


@cache
def _dummy_hash(method: str) -> str:
    """Checked against when the user name is unknown, so that case takes as long as a wrong
    password: hashed the way the accounts' passwords are (PASSWORD_HASH_METHOD)."""
    return _PRECOMPUTED_DUMMY_HASHES.get(method) or generate_password_hash("not a password", method=method)


_dummy_hash(Config.PASSWORD_HASH_METHOD)  # any other method's is made at import, so no sign-in waits for it


def _minutes(name: str) -> timedelta:
    return timedelta(minutes=current_app.config[name])


def _forgotten_before(user: User | None, condition_at: datetime) -> list:
    """Conditions on failures: newer than `condition_at`, and than the account's last unlock."""
    conditions = [AuditEvent.at >= condition_at]
    if user is not None and user.login_failures_since is not None:
        conditions.append(AuditEvent.at > user.login_failures_since)
    return conditions


def address_wait(username: str, address: str | None, user: User | None, now: datetime) -> timedelta | None:
    """How much longer `address` must wait before trying `username` again (None: it may try)."""
    last_success = (
        select(func.max(AuditEvent.at))
        .where(AuditEvent.username == username, AuditEvent.action == AuditAction.LOGIN, AuditEvent.ip == address)
        .scalar_subquery()
    )
    failures, last = db.session.execute(
        select(func.count(), func.max(AuditEvent.at)).where(
            AuditEvent.username == username, AuditEvent.action == AuditAction.LOGIN_FAILED,
            AuditEvent.ip == address, or_(last_success.is_(None), AuditEvent.at > last_success),
            *_forgotten_before(user, now - _minutes("LOGIN_FAILURE_WINDOW_MINUTES")),
        )
    ).one()
    allowed = current_app.config["LOGIN_MAX_FAILURES"]
    if failures < allowed or last is None:
        return None
    delay = min(_minutes("LOGIN_DELAY_MINUTES") * 2 ** (failures - allowed), _minutes("LOGIN_MAX_DELAY_MINUTES"))
    remaining = last + delay - now
    return remaining if remaining > timedelta(0) else None


def _lock_if_attacked(username: str, user: User | None, now: datetime) -> None:
    """Lock the account for everyone when failures come from many addresses at once."""
    failures, addresses = db.session.execute(
        select(func.count(), func.count(distinct(AuditEvent.ip))).where(
            AuditEvent.username == username, AuditEvent.action == AuditAction.LOGIN_FAILED,
            *_forgotten_before(user, now - _minutes("LOGIN_LOCK_WINDOW_MINUTES")),
        )
    ).one()
    config = current_app.config
    if user is None or user.is_locked(now):
        return
    if failures >= config["LOGIN_LOCK_FAILURES"] and addresses >= config["LOGIN_LOCK_ADDRESSES"]:
        user.locked_until = now + _minutes("LOGIN_LOCK_MINUTES")
        record(AuditAction.ACCOUNT_LOCKED, target=user.username, username=None,
               details={"until": user.locked_until.isoformat(), "failures": failures, "addresses": addresses})


class SignIn(Struct, frozen=True):
    """What a sign-in attempt came to: the user, or None (the reason is for logs and tests only)."""

    user: User | None
    refused: str | None = None  # "failed", "waiting" or "locked"


def sign_in(username: str, password: str, *, address: str | None) -> SignIn:
    """Check a sign-in attempt from `address` and audit it (`login`, `login_failed` or
    `login_throttled`); lock the account if the failure completes an attack."""
    now = now_utc()
    user = db.session.scalar(select(User).where(User.username == username))
    stored = user.password_hash if user else _dummy_hash(current_app.config["PASSWORD_HASH_METHOD"])
    password_ok = check_password_hash(stored, password)
    if address_wait(username, address, user, now) is not None:
        record(AuditAction.LOGIN_THROTTLED, username=username)
        return SignIn(None, "waiting")
    if user is not None and password_ok and user.active and not user.is_locked(now):
        record(AuditAction.LOGIN, user=user)
        return SignIn(user)
    record(AuditAction.LOGIN_FAILED, username=username)
    _lock_if_attacked(username, user, now)
    return SignIn(None, "locked" if user is not None and user.is_locked(now) else "failed")


def unlock_account(user: User, *, by: User | None, via: str) -> User:
    """Lift the account's lock and forget every failure so far (every address may try again)."""
    now = now_utc()
    details = {"via": via, "was_locked": user.is_locked(now)}
    user.locked_until = None
    user.login_failures_since = now
    db.session.flush()
    record(AuditAction.ACCOUNT_UNLOCKED, target=user.username, details=details, user=by)
    return user


class TroubledAccount(Struct, frozen=True):
    """An account that is locked, or failed to sign in recently: a row of the accounts page."""

    user: User
    failures: int
    addresses: int
    last_failure: datetime | None


def troubled_accounts(now: datetime, within: timedelta) -> list[TroubledAccount]:
    """Locked accounts, and accounts with failed sign-ins within `within`, locked first."""
    counts = (
        select(User.id.label("user_id"), func.count().label("failures"),
               func.count(distinct(AuditEvent.ip)).label("addresses"), func.max(AuditEvent.at).label("last"))
        .select_from(AuditEvent).join(User, User.username == AuditEvent.username)
        .where(AuditEvent.action == AuditAction.LOGIN_FAILED, AuditEvent.at >= now - within,
               or_(User.login_failures_since.is_(None), AuditEvent.at > User.login_failures_since))
        .group_by(User.id).subquery()
    )
    rows = db.session.execute(
        select(User, counts.c.failures, counts.c.addresses, counts.c.last)
        .outerjoin(counts, counts.c.user_id == User.id)
        .where(or_(User.locked_until > now, counts.c.user_id.is_not(None)))
        .order_by(User.username)
    ).all()
    accounts = [TroubledAccount(user, failures or 0, addresses or 0, last) for user, failures, addresses, last in rows]
    return sorted(accounts, key=lambda a: not a.user.is_locked(now))

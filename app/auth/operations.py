"""Account operations: account creation, password, own settings, sessions, and the
administrators' staff administration (create, deactivate, reactivate, role and tier, reset a
password, end a user's sessions), which the pages (app/admin/staff.py) and `flask users ...`
(cli.py) share. They flush, never commit, and audit what they change with its old and new
values (sign-in, its throttling and unlocking are in lockout.py)."""

from __future__ import annotations

import secrets
from collections.abc import Collection
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from msgspec import Struct
from sqlalchemy import func, select, update

from ..audit.models import AuditAction, AuditEvent
from ..audit.service import record
from ..clock import now_utc
from ..extensions import db
from ..languages import LANGUAGES
from .models import MIN_PASSWORD_LENGTH, User
from .password_links import PasswordLink, issue_link, live_link, spend, void_links
from .permissions import Role
from .sessions import end_sessions
from .tokens import ApiToken


class AccountError(ValueError):
    """An account operation is refused; nothing was changed. `field` names the form field the
    message belongs next to (None: the request as a whole)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def create_user(
    *, username: str, full_name: str, password: str, role: Role, tier: int | None = None,
    email: str | None = None, language: str = "en",
) -> User:
    username = username.strip().lower()
    if not username or len(username) > 80 or any(c.isspace() for c in username):
        raise AccountError(_("The user name must be 1 to 80 characters, without spaces."), "username")
    check_password_strength(password)
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise AccountError(_("A user named %(name)s exists already.", name=username), "username")
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
    A temporary password is then no longer in use. Returns how many sessions ended."""
    user.set_password(new_password)
    user.must_change_password = False
    ended = end_sessions(user, keep=keep_session)
    record(AuditAction.PASSWORD_CHANGED, user=user, details={"sessions_ended": ended} if ended else None)
    return ended


def sign_out_elsewhere(user: User, *, keep_session: str | None) -> int:
    """"Sign out everywhere else": end every session of `user` but this one; audited."""
    ended = end_sessions(user, keep=keep_session)
    record(AuditAction.SESSIONS_ENDED, user=user, details={"sessions_ended": ended})
    return ended


# --- staff administration -------------------------------------------------------------------

#: Roles that handle complaints at a tier, and so must have one; a clerk works at none.
_TIERED = (Role.OFFICER, Role.MANAGER)


def check_password_strength(password: str, field: str = "password") -> None:
    """AccountError unless `password` is long enough (and not absurdly long)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(ngettext("Use at least %(num)d character.", "Use at least %(num)d characters.",
                                    MIN_PASSWORD_LENGTH), field)
    if len(password) > 200:
        raise AccountError(_("Use at most 200 characters."), field)


def _role(value: Role | str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise AccountError(_("Choose one of the roles."), "role") from None


def _tier(role: Role, tier: int | None, levels: Collection[int]) -> int | None:
    """The tier `role` may have: one of `levels` for officers and managers, none for clerks,
    either for administrators."""
    if tier is not None and tier not in levels:
        raise AccountError(_("Choose one of the tiers: %(levels)s.", levels=", ".join(map(str, sorted(levels)))),
                           "tier")
    if role in _TIERED and tier is None:
        raise AccountError(_("Officers and managers work at a tier: choose one."), "tier")
    if role == Role.CLERK and tier is not None:
        raise AccountError(_("Clerks work at no tier."), "tier")
    return tier


def _email(email: str | None, *, of: User | None = None) -> str | None:
    email = (email or "").strip() or None
    if email is None:
        return None
    local, at, domain = email.rpartition("@")
    if not at or not local or "." not in domain or any(c.isspace() for c in email) or len(email) > 254:
        raise AccountError(_("Type an e-mail address such as name@example.com."), "email")
    taken = select(User.id).where(func.lower(User.email) == email.lower())
    if of is not None:
        taken = taken.where(User.id != of.id)
    if db.session.scalar(taken.limit(1)) is not None:
        raise AccountError(_("Another account has this e-mail address."), "email")
    return email


def _administrators_left_without(user: User) -> bool:
    """Whether taking `user` out of the active administrators would leave none (their rows are
    locked till the commit, so two administrators cannot remove each other at once)."""
    admins = db.session.scalars(
        select(User.id).where(User.role == Role.ADMINISTRATOR, User.active.is_(True)).with_for_update()
    ).all()
    return user.active and user.role == Role.ADMINISTRATOR and set(admins) <= {user.id}


def _not_yourself(user: User, by: User | None, message: str) -> None:
    if by is not None and by.id == user.id:
        raise AccountError(message)


class Issued(Struct, frozen=True):
    """An account's new way in: a set-password link's secret, or a temporary password (either is
    shown once, to the administrator, and stored only as a hash)."""

    link: str | None = None
    temporary_password: str | None = None
    expires_at: datetime | None = None


def _issue(user: User, temporary_password: str | None) -> Issued:
    """Give `user` a temporary password (changed at the first sign-in) or, without one, a
    one-time set-password link and an unknown password until it is used."""
    if temporary_password is not None:
        user.set_password(temporary_password)
        user.must_change_password = True
        void_links(user)
        return Issued(temporary_password=temporary_password)
    user.set_password(secrets.token_urlsafe(32))
    user.must_change_password = False
    link, secret = issue_link(user)
    return Issued(link=secret, expires_at=link.expires_at)


def create_account(
    *, username: str, full_name: str, email: str | None, role: Role | str, tier: int | None, language: str,
    temporary_password: str | None, levels: Collection[int], by: User | None, via: str,
) -> tuple[User, Issued]:
    """An administrator creates a staff account, with a set-password link (no
    `temporary_password`) or a temporary password; audited with what it was made with."""
    role = _role(role)
    tier = _tier(role, tier, levels)
    email = _email(email)
    if language not in LANGUAGES:
        raise AccountError(_("Choose one of the languages."), "language")
    if temporary_password is not None:
        check_password_strength(temporary_password, "temporary_password")
    user = create_user(username=username, full_name=full_name, password=secrets.token_urlsafe(32), role=role,
                       tier=tier, email=email, language=language)
    issued = _issue(user, temporary_password)
    db.session.flush()
    record(AuditAction.USER_CREATED, target=user.username, user=by, details={
        "via": via, "role": role.value, "tier": tier, "email": email, "language": language,
        "password": "temporary" if temporary_password is not None else "link"})
    return user, issued


def deactivate_user(user: User, *, by: User | None, via: str) -> User:
    """Take the account out of use: its sessions end, its API tokens are revoked and its
    set-password links void, at once; the row stays, for the record. Not oneself, and never the
    last active administrator. Audited."""
    if not user.active:
        raise AccountError(_("%(name)s is deactivated already.", name=user.username))
    _not_yourself(user, by, _("You cannot deactivate your own account: another administrator can."))
    if _administrators_left_without(user):
        raise AccountError(_("%(name)s is the last active administrator: make another administrator first.",
                             name=user.username))
    now = now_utc()
    user.active = False
    ended = end_sessions(user)
    revoked = db.session.execute(
        update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)).values(revoked_at=now)
    ).rowcount or 0
    void_links(user)
    db.session.flush()
    record(AuditAction.USER_DEACTIVATED, target=user.username, user=by, details={
        "via": via, "sessions_ended": ended, "tokens_revoked": revoked,
        "changes": [{"field": "active", "old": True, "new": False}]})
    return user


def reactivate_user(user: User, *, by: User | None, via: str) -> User:
    """Put a deactivated account back in use (its revoked tokens stay revoked). Audited."""
    if user.active:
        raise AccountError(_("%(name)s is active already.", name=user.username))
    user.active = True
    db.session.flush()
    record(AuditAction.USER_REACTIVATED, target=user.username, user=by, details={
        "via": via, "changes": [{"field": "active", "old": False, "new": True}]})
    return user


def change_role_and_tier(
    user: User, *, role: Role | str, tier: int | None, levels: Collection[int], by: User | None, via: str,
) -> bool:
    """Give `user` another role or tier; audited with the old and new values. Not one's own
    role, and never the last active administrator's. Returns whether anything changed."""
    role = _role(role)
    tier = _tier(role, tier, levels)
    if role != user.role:
        _not_yourself(user, by, _("You cannot change your own role: another administrator can."))
        if user.role == Role.ADMINISTRATOR and _administrators_left_without(user):
            raise AccountError(_("%(name)s is the last active administrator: make another administrator first.",
                                 name=user.username), "role")
    changes = [{"field": name, "old": getattr(old, "value", old), "new": getattr(new, "value", new)}
               for name, old, new in (("role", user.role, role), ("tier", user.tier, tier)) if old != new]
    if not changes:
        return False
    user.role, user.tier = role, tier
    db.session.flush()
    record(AuditAction.USER_CHANGED, target=user.username, user=by, details={"via": via, "changes": changes})
    return True


def reset_password(user: User, *, temporary_password: str | None, by: User | None, via: str) -> Issued:
    """A forgotten or compromised password: the old one stops working, every session of the
    account ends, and it gets a new set-password link (or a temporary password). Audited."""
    if not user.active:
        raise AccountError(_("%(name)s is deactivated: reactivate the account first.", name=user.username))
    _not_yourself(user, by, _("Change your own password in My password."))
    if temporary_password is not None:
        check_password_strength(temporary_password, "temporary_password")
    issued = _issue(user, temporary_password)
    ended = end_sessions(user)
    db.session.flush()
    record(AuditAction.PASSWORD_RESET, target=user.username, user=by, details={
        "via": via, "password": "temporary" if temporary_password is not None else "link",
        "sessions_ended": ended})
    return issued


def end_user_sessions(user: User, *, by: User | None, via: str) -> int:
    """End every session of `user` (not one's own: that is "sign out everywhere else" in My
    settings); audited. Returns how many ended."""
    _not_yourself(user, by, _("End your own other sessions in My settings."))
    ended = end_sessions(user)
    record(AuditAction.USER_SESSIONS_ENDED, target=user.username, user=by, details={"via": via, "sessions_ended": ended})
    return ended


def set_password_with_link(secret: str, password: str) -> User:
    """The account holder sets their password through a one-time link: the link is spent,
    every session of theirs ends, and their failed sign-ins are forgotten. Audited."""
    link: PasswordLink | None = live_link(secret)
    if link is None:
        raise AccountError(_("This link has expired or was used already: ask an administrator for a new one."))
    check_password_strength(password, "new_password")
    user = link.user
    user.set_password(password)
    user.must_change_password = False
    user.login_failures_since = now_utc()
    spend(link)
    ended = end_sessions(user)
    record(AuditAction.PASSWORD_CHANGED, user=user, details={"via": "link", "sessions_ended": ended})
    return user


class StaffLine(Struct, frozen=True):
    """A line of the staff list."""

    user: User
    last_sign_in: datetime | None


def staff_list() -> list[StaffLine]:
    """Every account, active ones first, by user name, with its last sign-in (the audit trail's)."""
    last: dict[Any, datetime] = dict(db.session.execute(
        select(AuditEvent.user_id, func.max(AuditEvent.at))
        .where(AuditEvent.action == AuditAction.LOGIN, AuditEvent.user_id.is_not(None))
        .group_by(AuditEvent.user_id)
    ).all())
    users = db.session.scalars(select(User).order_by(User.active.desc(), User.username))
    return [StaffLine(user, last.get(user.id)) for user in users]

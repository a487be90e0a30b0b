"""`flask users ...`: create staff accounts, and their API tokens, from the command line."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from ..audit.models import AuditAction
from ..audit.service import record
from ..clock import now_utc
from ..database import commit_with_retry
from ..extensions import db
from ..languages import LANGUAGES
from ..registry.demo import suggest_demo_data
from ..settings.store import current_policy
from .lockout import unlock_account
from .models import User
from .operations import (
    AccountError,
    Issued,
    change_role_and_tier,
    create_account,
    create_user,
    deactivate_user,
    end_user_sessions,
    reactivate_user,
    reset_password,
    staff_list,
)
from .permissions import Role
from .tokens import NewToken

T = TypeVar("T")

cli = AppGroup("users", help="Staff accounts and their API tokens.")

#: Accounts `flask users demo` creates on an empty database (development only).
DEMO_ACCOUNTS = [
    {"username": "clerk", "full_name": "Irina Clerk", "role": Role.CLERK, "tier": None, "password": "clerk-demo-pass"},
    {"username": "officer", "full_name": "Olga Rusu", "role": Role.OFFICER, "tier": 1,
     "email": "officer@localhost", "password": "officer-demo-pass"},
    {"username": "specialist", "full_name": "Sergiu Popa", "role": Role.OFFICER, "tier": 2,
     "email": "specialist@localhost", "password": "specialist-demo-pass"},
    {"username": "manager", "full_name": "Mihai Manager", "role": Role.MANAGER, "tier": 3, "email": "manager@localhost",
     "password": "manager-demo-pass"},
    {"username": "admin", "full_name": "Ana Administrator", "role": Role.ADMINISTRATOR, "tier": None,
     "password": "admin-demo-pass"},
]


@cli.command("create")
@click.option("--username", required=True)
@click.option("--name", "full_name", default="", help="Full name as shown to colleagues.")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--tier", type=click.IntRange(1, 4), default=None, help="Escalation tier (1-4).")
@click.option("--email", default=None)
@click.option("--language", default="en", show_default=True,
              help="Language of the person's staff pages and e-mails (en, ru, ro, uk); they can change it later.")
@click.option("--link", is_flag=True,
              help="Set no password: print a one-time set-password link to give the person (expires in 72 hours).")
@click.option("--temporary", is_flag=True, help="The password is temporary: it must be changed at the first sign-in.")
@click.option("--password", default=None, help="Asked for when not given (not with --link).")
def create_command(username: str, full_name: str, role: str, tier: int | None, email: str | None,
                   language: str, link: bool, temporary: bool, password: str | None) -> None:
    """Create a staff account: with a password (the first administrator's), or, as the staff
    administration page does, with a one-time link or a temporary password."""
    if language not in LANGUAGES:
        raise click.BadParameter(f"one of {', '.join(LANGUAGES)}", param_hint="--language")
    if link and (temporary or password is not None):
        raise click.UsageError("--link sets no password: leave out --password and --temporary")
    if password is None and not link:
        password = click.prompt("Temporary password" if temporary else "Password", hide_input=True,
                                confirmation_prompt=True)
    if not (link or temporary):
        user = _run(lambda: _create_and_audit(
            username=username, full_name=full_name, password=password, role=Role(role), tier=tier, email=email,
            language=language))
        click.echo(f"Created {user.role.value} {user.username!r}.")
        return
    user, issued = _run(lambda: create_account(
        username=username, full_name=full_name or username, email=email, role=role, tier=tier, language=language,
        temporary_password=password, levels=_levels(), by=None, via="cli"))
    click.echo(f"Created {user.role.value} {user.username!r}.")
    _show_issued(user, issued)


def _show_issued(user: User, issued: Issued) -> None:
    """A new link (shown once) or a word on the temporary password."""
    from .routes import set_password_url

    if issued.link:
        click.echo(f"One-time link for {user.username!r}, valid until {issued.expires_at:%Y-%m-%d %H:%M} UTC "
                   "(shown only now):")
        click.echo(set_password_url(issued.link))
    else:
        click.echo(f"{user.username!r} must change the temporary password at the first sign-in.")


def _create_and_audit(**fields: object) -> User:
    user = create_user(**fields)  # type: ignore[arg-type]
    record(AuditAction.USER_CREATED, target=user.username, details={"role": user.role.value}, user=user)
    return user


@cli.command("demo")
def demo_command() -> None:
    """Create the demo accounts if there are no accounts yet, and print how to sign in
    (development only: refused in production)."""
    if os.environ.get("APP_ENV") == "production" or not current_app.config["DEMO_ACCOUNTS_ALLOWED"]:
        raise click.ClickException(
            "demo accounts have published passwords and are never created in production (APP_ENV=production). "
            "Create real accounts with `flask users create --username NAME --role ROLE`."
        )
    if db.session.scalar(select(func.count()).select_from(User)):
        click.echo("Staff accounts exist already; no demo accounts created.")
    else:
        commit_with_retry(lambda: [_create_and_audit(**account) for account in DEMO_ACCOUNTS])
    for account in DEMO_ACCOUNTS:
        if db.session.scalar(select(User.id).where(User.username == account["username"])):
            click.echo(f"  demo {account['role'].value:<13} user {account['username']!r:<10} "
                       f"password {account['password']!r}")
    if suggest_demo_data():
        click.echo("  The registry is empty: `make demo` (flask registry seed-demo) loads 300 demo complaints.")


def demo_accounts() -> dict[str, User]:
    """The demo accounts by username, those missing created (in the caller's unit of work), for
    the demo complaints to be handled by. AccountError if a demo username belongs to an account
    of another role or tier."""
    accounts = {}
    for account in DEMO_ACCOUNTS:
        user = db.session.scalar(select(User).where(User.username == account["username"]))
        if user is None:
            user = _create_and_audit(**account)
        elif (user.role, user.tier) != (account["role"], account["tier"]) or not user.active:
            raise AccountError(f"the account {user.username!r} is not the demo {account['role'].value} "
                               f"(role {user.role.value}, tier {user.tier}, active {user.active})")
        accounts[user.username] = user
    return accounts


@cli.command("list")
def list_command() -> None:
    """Every account: user name, role, tier, state, last sign-in, full name."""
    now = now_utc()
    for line in staff_list():
        user = line.user
        state = ",".join(word for word, true in (("active", user.active), ("deactivated", not user.active),
                                                 ("locked", user.is_locked(now)),
                                                 ("temporary-password", user.must_change_password)) if true)
        last = f"{line.last_sign_in:%Y-%m-%d %H:%M}" if line.last_sign_in else "never"
        tier = "-" if user.tier is None else str(user.tier)
        click.echo(f"{user.username:<20} {user.role.value:<13} {tier:>4}  {state:<30} {last:<16}  {user.full_name}")


def _levels() -> list[int]:
    return [tier.level for tier in current_policy().tiers]


def _run(work: Callable[[], T]) -> T:
    """One operation in one unit of work; its refusal becomes the command's error (nothing changed)."""
    try:
        return commit_with_retry(work)
    except AccountError as error:
        raise click.ClickException(str(error)) from None


def _tier_option(value: str) -> int | None:
    if value.strip().lower() in ("", "none", "-"):
        return None
    if not value.strip().isdigit():
        raise click.BadParameter("a tier number, or 'none'")
    return int(value)


def _account_command(name: str, operation: Callable[..., Any], help_text: str,
                     done: Callable[[User, Any], str]) -> None:
    """`flask users NAME USERNAME`: one operation on one account, as the account's page does it."""

    @cli.command(name, help=help_text)
    @click.argument("username")
    def command(username: str) -> None:
        user = _user_named(username)
        result = _run(lambda: operation(user, by=None, via="cli"))
        click.echo(done(user, result))


_account_command("unlock", unlock_account,
                 "Unlock an account and forget its failed sign-ins (every address may try again).",
                 lambda user, _: f"{user.username!r} is unlocked; its failed sign-ins are forgotten.")
_account_command("deactivate", deactivate_user,
                 "Take an account out of use: its sessions end and its API tokens are revoked.",
                 lambda user, _: f"{user.username!r} is deactivated; its sessions ended and its API tokens "
                                 "no longer work.")
_account_command("reactivate", reactivate_user,
                 "Put a deactivated account back in use (its revoked API tokens stay revoked).",
                 lambda user, _: f"{user.username!r} is active again.")
_account_command("end-sessions", end_user_sessions, "End every session of an account (it must sign in again).",
                 lambda user, ended: f"{ended} session(s) of {user.username!r} ended.")


@cli.command("set-role")
@click.argument("username")
@click.argument("role", type=click.Choice([r.value for r in Role]))
@click.option("--tier", default=None, help="The tier to work at with the new role ('none' for a clerk); "
                                           "default: the current one.")
def set_role_command(username: str, role: str, tier: str | None) -> None:
    """Give an account another role (never the last active administrator's)."""
    user = _user_named(username)
    level = user.tier if tier is None else _tier_option(tier)
    changed = _run(lambda: change_role_and_tier(user, role=role, tier=level, levels=_levels(), by=None, via="cli"))
    click.echo(f"{user.username!r} is {user.role.value} at tier {user.tier}." if changed else "Nothing changed.")


@cli.command("set-tier")
@click.argument("username")
@click.argument("tier")
def set_tier_command(username: str, tier: str) -> None:
    """Move an account to another tier ('none': no tier, for clerks)."""
    user = _user_named(username)
    level = _tier_option(tier)
    changed = _run(lambda: change_role_and_tier(user, role=user.role, tier=level, levels=_levels(), by=None,
                                                via="cli"))
    click.echo(f"{user.username!r} works at tier {user.tier}." if changed else "Nothing changed.")


@cli.command("reset-password")
@click.argument("username")
@click.option("--temporary-password", default=None,
              help="Give this temporary password (changed at the first sign-in) instead of a one-time link.")
def reset_password_command(username: str, temporary_password: str | None) -> None:
    """The old password stops working and every session ends; prints a one-time set-password
    link (or takes a temporary password)."""
    user = _user_named(username)
    issued = _run(lambda: reset_password(user, temporary_password=temporary_password, by=None, via="cli"))
    _show_issued(user, issued)


@cli.group("token")
def token_group() -> None:
    """Personal API tokens of staff accounts (for integrations)."""


def _user_named(username: str) -> User:
    user = db.session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise click.ClickException(f"there is no user named {username!r}")
    return user


@token_group.command("create")
@click.option("--username", required=True, help="Whose token: it acts with this account's role.")
@click.option("--name", required=True, help="What will use it, e.g. 'call-centre tool'.")
def token_create_command(username: str, name: str) -> None:
    """Make a token and print it (once: only its SHA-256 is stored)."""
    from .token_routes import audit_created
    from .tokens import TokenError, create_token

    user = _user_named(username)

    def work() -> NewToken:
        new = create_token(user, name)
        audit_created(new, via="cli")
        return new

    try:
        new = commit_with_retry(work)
    except TokenError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Token {new.token.id} for {user.username!r} ({new.token.name}); it is shown only now:")
    click.echo(new.secret)


@token_group.command("revoke")
@click.option("--username", required=True)
@click.argument("token_id", type=int)
def token_revoke_command(username: str, token_id: int) -> None:
    """Revoke a user's token (its id is in `flask users token list`)."""
    from .token_routes import audit_revoked
    from .tokens import TokenError, revoke_token, token_of

    user = _user_named(username)
    token = token_of(user.id, token_id)
    if token is None:
        raise click.ClickException(f"{user.username!r} has no token {token_id}")

    def work() -> None:
        revoke_token(token)
        audit_revoked(token, via="cli")

    try:
        commit_with_retry(work)
    except TokenError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Token {token_id} of {user.username!r} is revoked.")


@token_group.command("list")
@click.option("--username", required=True)
def token_list_command(username: str) -> None:
    """A user's tokens: id, state, made, last used, name."""
    from .tokens import tokens_of

    for token in tokens_of(_user_named(username).id):
        state = f"revoked {token.revoked_at:%Y-%m-%d %H:%M}" if token.revoked_at else "in use"
        used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
        click.echo(f"{token.id:>5}  {token.hint}…  {state:<24}  made {token.created_at:%Y-%m-%d %H:%M}  "
                   f"last used {used}  {token.name}")

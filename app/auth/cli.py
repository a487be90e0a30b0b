"""`flask users ...`: create staff accounts, and their API tokens, from the command line."""

from __future__ import annotations

import os

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from ..audit.models import AuditAction
from ..audit.service import record
from ..database import commit_with_retry
from ..extensions import db
from ..languages import LANGUAGES
from ..registry.demo import suggest_demo_data
from .lockout import unlock_account
from .models import User
from .operations import AccountError, create_user, deactivate_user
from .permissions import Role
from .tokens import NewToken

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
@click.password_option(help="Asked for when not given.")
def create_command(username: str, full_name: str, role: str, tier: int | None, email: str | None,
                   language: str, password: str) -> None:
    """Create a staff account."""
    if language not in LANGUAGES:
        raise click.BadParameter(f"one of {', '.join(LANGUAGES)}", param_hint="--language")
    try:
        user = commit_with_retry(lambda: _create_and_audit(
            username=username, full_name=full_name, password=password, role=Role(role), tier=tier, email=email,
            language=language))
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Created {user.role.value} {user.username!r}.")


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


@cli.command("unlock")
@click.argument("username")
def unlock_command(username: str) -> None:
    """Unlock an account and forget its failed sign-ins (every address may try again)."""
    user = _user_named(username)
    commit_with_retry(lambda: unlock_account(user, by=None, via="cli"))
    click.echo(f"{user.username!r} is unlocked; its failed sign-ins are forgotten.")


@cli.command("deactivate")
@click.argument("username")
def deactivate_command(username: str) -> None:
    """Take an account out of use: its sessions end and its API tokens stop working."""
    user = _user_named(username)
    try:
        commit_with_retry(lambda: deactivate_user(user, by=None, via="cli"))
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{user.username!r} is deactivated; its sessions ended and its API tokens no longer work.")


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

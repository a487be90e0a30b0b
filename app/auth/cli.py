"""`flask users ...`: create staff accounts from the command line."""

from __future__ import annotations

import click
from flask import Blueprint, current_app
from sqlalchemy import func, select

from ..audit.models import AuditAction
from ..audit.service import record
from ..database import commit_with_retry
from ..extensions import db
from .models import User
from .operations import AccountError, create_user
from .permissions import Role

bp = Blueprint("users_cli", __name__, cli_group="users")

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


@bp.cli.command("create")
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
    if language not in current_app.config["LANGUAGES"]:
        raise click.BadParameter(f"one of {', '.join(current_app.config['LANGUAGES'])}", param_hint="--language")
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


@bp.cli.command("demo")
def demo_command() -> None:
    """Create the demo accounts if there are no accounts yet, and print how to sign in."""
    if db.session.scalar(select(func.count()).select_from(User)):
        click.echo("Staff accounts exist already; no demo accounts created.")
    else:
        commit_with_retry(lambda: [_create_and_audit(**account) for account in DEMO_ACCOUNTS])
    for account in DEMO_ACCOUNTS:
        if db.session.scalar(select(User.id).where(User.username == account["username"])):
            click.echo(f"  demo {account['role'].value:<13} user {account['username']!r:<10} "
                       f"password {account['password']!r}")

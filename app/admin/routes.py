"""Administration pages (/admin/...): categories, tiers and deadlines, the organisation and
its stamp, number formats, tier mailboxes. Each page shows the newest values; a save appends a
version (app/settings) and an audit entry in one unit of work. Also the staff accounts that are
locked or failing to sign in, with an unlock button (app/auth/lockout.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from ..auth.access import requires
from ..auth.forms import UnlockForm
from ..auth.lockout import troubled_accounts, unlock_account
from ..auth.models import User
from ..auth.permissions import Permission
from ..clock import now_utc
from ..complaints.models import Complaint
from ..database import commit_with_retry
from ..extensions import db
from ..mail.compose import reply_address
from ..mailin.imap import mailbox_health
from ..registry.models import NumberCounter
from ..registry.numbering import format_number, incoming_scope, number_slug, outgoing_scope, registry_year
from ..settings.models import SettingVersion
from ..settings.store import KEYS, settings_store
from . import operations
from .forms import (
    CategoryForm,
    MailIntakeForm,
    NewCategoryForm,
    NumberingForm,
    OrganisationForm,
    SettingsForm,
    addresses_form,
    names_data,
    tiers_form,
)

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")

RECENT_CHANGES = 15


def _latest() -> dict[str, Any]:
    return settings_store().latest_values()


def _levels() -> list[int]:
    return [int(t["level"]) for t in _latest()["tiers"]]


def _save(form: SettingsForm, change: Callable[..., bool], *args: Any) -> bool:
    """Run one settings operation with what was typed, commit, and say what happened; False
    (with the messages on the form's fields) when the input breaks a rule."""
    user = current_user._get_current_object()
    try:
        changed = commit_with_retry(lambda: change(*args, form.values(), by=user))
    except operations.InvalidSettings as invalid:
        form.show_errors(invalid.errors)
        return False
    settings_store().forget()
    if changed:
        seconds = settings_store().check_interval.total_seconds()
        flash(_("Saved. The change takes effect within %(seconds)d seconds and is in the audit trail.",
                seconds=max(1, round(seconds))))
    else:
        flash(_("Nothing changed."))
    return True


def _page(template: str, form: SettingsForm, **context: Any) -> tuple[str, int]:
    status = 422 if request.method == "POST" else 200
    return render_template(template, form=form, **context), status


@bp.get("/")
@requires(Permission.CONFIGURE_REGISTRY)
def index() -> str:
    changes = db.session.scalars(
        select(SettingVersion).order_by(SettingVersion.id.desc()).limit(RECENT_CHANGES)
    ).all()
    store = settings_store()
    return render_template("admin/index.html", values=_latest(), changes=changes, now=now_utc(),
                           last={key: store.latest_version(key) for key in KEYS})


# --- categories ---------------------------------------------------------------------------


def _category_counts() -> dict[str, int]:
    return dict(db.session.execute(select(Complaint.category, func.count()).group_by(Complaint.category)).all())


@bp.route("/categories", methods=["GET", "POST"])
@requires(Permission.CONFIGURE_REGISTRY)
def categories() -> Response | tuple[str, int]:
    form = NewCategoryForm()
    if form.validate_on_submit() and _save(form, operations.add_category):
        return redirect(url_for(".categories"), code=303)
    return _page("admin/categories.html", form, categories=_latest()["categories"], counts=_category_counts())


@bp.route("/categories/<code>", methods=["GET", "POST"])
@requires(Permission.CONFIGURE_REGISTRY)
def category(code: str) -> Response | tuple[str, int]:
    current = next((c for c in _latest()["categories"] if c["code"] == code), None)
    if current is None:
        abort(404)
    form = CategoryForm(data=names_data(current["names"]) | {"retired": current.get("retired", False)})
    if form.validate_on_submit() and _save(form, operations.change_category, code):
        return redirect(url_for(".categories"), code=303)
    return _page("admin/category.html", form, category=current, count=_category_counts().get(code, 0))


# --- tiers and deadlines ------------------------------------------------------------------


@bp.route("/tiers", methods=["GET", "POST"])
@requires(Permission.CONFIGURE_REGISTRY)
def tiers() -> Response | tuple[str, int]:
    latest = _latest()
    data: dict[str, Any] = {"first_response_hours": str(latest["first_response_hours"])}
    for tier in latest["tiers"]:
        data |= names_data(tier["names"], f"tier{tier['level']}_")
        days = tier["resolution_days"]
        data[f"tier{tier['level']}_days"] = "" if days is None else str(days)
    form = tiers_form(_levels(), data=data)
    if form.validate_on_submit() and _save(form, operations.change_tiers):
        return redirect(url_for(".tiers"), code=303)
    return _page("admin/tiers.html", form, levels=_levels())


# --- the organisation -----------------------------------------------------------------------


@bp.route("/organisation", methods=["GET", "POST"])
@requires(Permission.CONFIGURE_REGISTRY)
def organisation() -> Response | tuple[str, int]:
    form = OrganisationForm(data=_latest()["organisation"])
    if form.validate_on_submit() and _save(form, operations.change_organisation):
        return redirect(url_for(".organisation"), code=303)
    return _page("admin/organisation.html", form)


# --- numbers ------------------------------------------------------------------------------


def _next_numbers(latest: dict[str, Any]) -> dict[str, str]:
    """The next incoming and outgoing numbers as the saved formats will write them."""
    year = registry_year(now_utc(), current_app.config["REGISTRY_TIMEZONE"])
    counters = dict(db.session.execute(
        select(NumberCounter.scope, NumberCounter.last_value)
        .where(NumberCounter.scope.in_([incoming_scope(year), outgoing_scope(year)]))
    ).all())
    incoming = format_number(year, counters.get(incoming_scope(year), 0) + 1, latest["number_format"])
    outgoing = format_number(year, counters.get(outgoing_scope(year), 0) + 1, latest["outgoing_number_format"])
    return {"number_format": incoming, "outgoing_number_format": outgoing, "slug": number_slug(incoming)}


@bp.route("/numbering", methods=["GET", "POST"])
@requires(Permission.CONFIGURE_REGISTRY)
def numbering() -> Response | tuple[str, int]:
    latest = _latest()
    form = NumberingForm(data={key: latest[key] for key in ("number_format", "outgoing_number_format")})
    if form.validate_on_submit() and _save(form, operations.change_numbering):
        return redirect(url_for(".numbering"), code=303)
    return _page("admin/numbering.html", form, next_numbers=_next_numbers(latest))


# --- tier mailboxes -------------------------------------------------------------------------


@bp.route("/notifications", methods=["GET", "POST"])
@requires(Permission.CONFIGURE_REGISTRY)
def notifications() -> Response | tuple[str, int]:
    latest = _latest()
    levels = _levels()
    data = {f"tier{level}": ", ".join(latest["tier_addresses"].get(str(level), [])) for level in levels}
    form = addresses_form(levels, data=data)
    if form.validate_on_submit() and _save(form, operations.change_tier_addresses):
        return redirect(url_for(".notifications"), code=303)
    tiers = {int(t["level"]): t for t in latest["tiers"]}
    return _page("admin/notifications.html", form, levels=levels, tiers=tiers)


# --- incoming e-mail -------------------------------------------------------------------------


@bp.route("/mail", methods=["GET", "POST"])
@requires(Permission.CONFIGURE_REGISTRY)
def mail() -> Response | tuple[str, int]:
    """Whether new e-mails are registered at once or wait for a clerk; the mailbox as configured."""
    form = MailIntakeForm(data={"mail_auto_register": _latest()["mail_auto_register"]})
    if form.validate_on_submit() and _save(form, operations.change_mail_intake):
        return redirect(url_for(".mail"), code=303)
    config = current_app.config
    return _page("admin/mail.html", form, mailbox=mailbox_health(config), reply_to=reply_address(config),
                 imap_host=config.get("MAIL_IMAP_HOST"))


# --- staff accounts locked or failing to sign in ----------------------------------------------

#: The accounts page lists accounts with failed sign-ins this recent.
RECENT_FAILURES = timedelta(days=1)


@bp.get("/accounts")
@requires(Permission.MANAGE_USERS)
def accounts() -> str:
    """Locked accounts and accounts failing to sign in, each with an unlock button."""
    now = now_utc()
    return render_template("admin/accounts.html", accounts=troubled_accounts(now, RECENT_FAILURES), now=now,
                           form=UnlockForm())


@bp.post("/accounts/<int:user_id>/unlock")
@requires(Permission.MANAGE_USERS)
def unlock(user_id: int) -> Response:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    if UnlockForm().validate_on_submit():
        admin = current_user._get_current_object()
        commit_with_retry(lambda: unlock_account(user, by=admin, via="admin page"))
        flash(_("%(name)s is unlocked: every address may try to sign in again.", name=user.username))
    return redirect(url_for(".accounts"), code=303)

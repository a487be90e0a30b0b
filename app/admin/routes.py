"""Administration pages (/admin/...): categories, tiers and deadlines, the organisation and
its stamp, number formats, tier mailboxes, the regulator's clocks and the working calendar. Each page shows the newest values; a save appends a
version (app/settings) and an audit entry in one unit of work. Also the staff accounts that are
locked or failing to sign in, with an unlock button (app/auth/lockout.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..auth.access import requires
from ..auth.forms import UnlockForm
from ..auth.lockout import troubled_accounts, unlock_account
from ..auth.models import User
from ..auth.permissions import Permission
from ..clock import local_today, now_utc
from ..clocks.calendar import WorkingCalendar
from ..clocks.policy import ClockKind, ClockPolicy
from ..clocks.presets import PRESETS
from ..database import commit_with_retry
from ..extensions import db
from ..mail.compose import reply_address
from ..mailin.imap import mailbox_health
from ..manage.rollup import complaints_per_category
from ..registry.models import NumberCounter
from ..registry.numbering import format_number, incoming_scope, number_slug, outgoing_scope, registry_year
from ..settings.models import SettingVersion
from ..settings.store import KEYS, current_policy, settings_store
from ..workflow.staffing import unstaffed_tiers
from . import operations
from .forms import (
    CalendarForm,
    CategoryForm,
    MailIntakeForm,
    NewCategoryForm,
    NumberingForm,
    OrganisationForm,
    PresetForm,
    RatingWindowForm,
    ReferralBodyForm,
    SettingsForm,
    addresses_form,
    category_clocks_form,
    clock_policy_form,
    names_data,
    tiers_form,
)
from .staff import bp as staff_bp

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")
bp.register_blueprint(staff_bp)  # /admin/staff: the staff accounts, endpoints admin.staff.*

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
    values = _latest()
    return render_template("admin/index.html", values=values, changes=changes, now=now_utc(),
                           last={key: store.latest_version(key) for key in KEYS}, clocks=_clocks_summary(values),
                           unstaffed=unstaffed_tiers(current_policy()))


# --- categories ---------------------------------------------------------------------------


def _category_counts() -> dict[str, int]:
    return complaints_per_category()


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


# --- the complainant's verdict ----------------------------------------------------------------


@bp.route("/ratings", methods=["GET", "POST"])
@requires(Permission.CONFIGURE_REGISTRY)
def ratings() -> Response | tuple[str, int]:
    """How long after closing the complainant may rate the handling (the reminder goes at half)."""
    form = RatingWindowForm(data={"rating_window_days": str(_latest()["rating_window_days"])})
    if form.validate_on_submit() and _save(form, operations.change_rating_window):
        return redirect(url_for(".ratings"), code=303)
    return _page("admin/ratings.html", form)


# --- the regulator's clocks and the working calendar ------------------------------------------

#: How far ahead the calendar's preview lists the non-working days.
PREVIEW_DAYS = 60


def _clocks_summary(values: dict[str, Any]) -> dict[str, Any]:
    """What the overview says of the clocks: the installation's preset (adjusted or not), how
    many categories have their own, the calendar's country and the referral body."""
    default = values["clock_policy"]["default"]
    known = PRESETS.get(default.get("preset"))
    return {
        "preset": known.title if known else default.get("preset"),
        "adjusted": known is None or ClockPolicy.from_json(default) != known.policy,
        "categories": len(values["clock_policy"].get("by_category") or {}),
        "country": values["calendar"].get("country"),
        "referral_body": (values["referral_body"] or {}).get("name"),
    }


def _policy_data(policy: dict[str, Any]) -> dict[str, Any]:
    """The policy form's fields from a stored policy."""
    data: dict[str, Any] = {}
    for rule in policy["clocks"]:
        kind = rule["kind"]
        data |= {
            f"{kind}_amount": str(rule["period"]["amount"]), f"{kind}_unit": rule["period"]["unit"],
            f"{kind}_pauses": bool(rule.get("pauses_in")),
            f"{kind}_extension": "" if rule.get("extension") is None else str(rule["extension"]),
            f"{kind}_extension_notice": bool(rule.get("extension_notice")),
            f"{kind}_escalates": bool(rule.get("escalates")),
        }
    first = policy.get("first_response")
    data["first_response_amount"] = str(first["amount"]) if first else ""
    data["first_response_unit"] = first["unit"] if first else "hours"
    return data


def _kinds(latest: dict[str, Any]) -> list[ClockKind]:
    return [ClockKind(rule["kind"]) for rule in latest["clock_policy"]["default"]["clocks"]]


def _offered(latest: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in latest["categories"] if not c.get("retired")]


def _category_names(latest: dict[str, Any]) -> dict[str, str]:
    language = str(get_locale())
    return {c["code"]: c["names"].get(language) or c["names"]["en"] for c in _offered(latest)}


def _clock_forms(latest: dict[str, Any]) -> dict[str, SettingsForm]:
    """The page's forms filled from the newest values, none reading the request: a refused
    form replaces its own with what was typed."""
    policies = latest["clock_policy"]
    calendar = latest["calendar"]
    opening = calendar.get("opening") or ["", ""]
    body = latest["referral_body"] or {}
    by_category = policies.get("by_category") or {}
    return {
        "preset_form": PresetForm(formdata=None, data={"preset": policies["default"].get("preset")}),
        "policy_form": clock_policy_form(_kinds(latest), formdata=None, data=_policy_data(policies["default"])),
        "categories_form": category_clocks_form(
            [c["code"] for c in _offered(latest)], _category_names(latest), formdata=None,
            data={f"category_{c['code']}": (by_category.get(c["code"]) or {}).get("preset", "")
                  for c in _offered(latest)}),
        "calendar_form": CalendarForm(formdata=None, data={
            "country": calendar.get("country") or "", "subdivision": calendar.get("subdivision") or "",
            "added_holidays": "\n".join(calendar.get("added_holidays") or ()),
            "added_working_days": "\n".join(calendar.get("added_working_days") or ()),
            "opening_from": opening[0], "opening_to": opening[1]}),
        "referral_form": ReferralBodyForm(formdata=None, data={
            "name": body.get("name", ""), "address": body.get("address", ""), "website": body.get("website", ""),
            "time_limit_months": str(body["time_limit_months"]) if body else ""}),
    }


def _non_working_days(calendar: WorkingCalendar, first: date) -> list[tuple[date, str, str | None]]:
    """The non-working days of the PREVIEW_DAYS from `first`: (day, weekday, holiday name)."""
    weekdays = get_locale().days["format"]["wide"]
    days = (first + timedelta(days=n) for n in range(PREVIEW_DAYS))
    return [(day, weekdays[day.weekday()], calendar.holiday_name(day))
            for day in days if not calendar.is_working_day(day)]


def _source(url: str) -> tuple[str, str]:
    """A source link and its short text (the site's name: the whole address would not fit a phone)."""
    return url, urlsplit(url).hostname or url


def _clocks_page(latest: dict[str, Any], **refused: SettingsForm) -> tuple[str, int]:
    forms = _clock_forms(latest) | refused
    timezone = current_app.config["REGISTRY_TIMEZONE"]
    calendar = WorkingCalendar.from_json(latest["calendar"], timezone)
    policy = ClockPolicy.from_json(latest["clock_policy"]["default"])
    known = PRESETS.get(policy.preset)
    presets = [{"code": item.code, "title": item.title, "summary": item.summary,
                "sources": [_source(url) for url in item.sources]} for item in PRESETS.values()]
    status = 422 if request.method == "POST" else 200
    return render_template(
        "admin/clocks.html", **forms, presets=presets, policy=policy,
        policy_title=known.title if known else policy.preset, adjusted=known is None or policy != known.policy,
        first_response_hours=latest["first_response_hours"],
        non_working=_non_working_days(calendar, local_today(timezone)), preview_days=PREVIEW_DAYS,
    ), status


@bp.get("/clocks")
@requires(Permission.CONFIGURE_REGISTRY)
def clocks() -> tuple[str, int]:
    """The regulator's clocks: the installation's preset and its adjustments, the categories'
    own presets, the working calendar and the referral body; one form (and one setting) each."""
    return _clocks_page(_latest())


@bp.post("/clocks/preset")
@requires(Permission.CONFIGURE_REGISTRY)
def clocks_preset() -> Response | tuple[str, int]:
    form = PresetForm()
    if form.validate_on_submit() and _save(form, operations.use_clock_preset):
        return redirect(url_for(".clocks", _anchor="policy"), code=303)
    return _clocks_page(_latest(), preset_form=form)


@bp.post("/clocks/policy")
@requires(Permission.CONFIGURE_REGISTRY)
def clocks_policy() -> Response | tuple[str, int]:
    latest = _latest()
    form = clock_policy_form(_kinds(latest))
    if form.validate_on_submit() and _save(form, operations.change_clock_policy):
        return redirect(url_for(".clocks", _anchor="policy"), code=303)
    return _clocks_page(latest, policy_form=form)


@bp.post("/clocks/categories")
@requires(Permission.CONFIGURE_REGISTRY)
def clocks_categories() -> Response | tuple[str, int]:
    latest = _latest()
    form = category_clocks_form([c["code"] for c in _offered(latest)], _category_names(latest))
    if form.validate_on_submit() and _save(form, operations.change_category_clocks):
        return redirect(url_for(".clocks", _anchor="categories"), code=303)
    return _clocks_page(latest, categories_form=form)


@bp.post("/clocks/calendar")
@requires(Permission.CONFIGURE_REGISTRY)
def clocks_calendar() -> Response | tuple[str, int]:
    form = CalendarForm()
    if form.validate_on_submit() and _save(form, operations.change_calendar):
        return redirect(url_for(".clocks", _anchor="calendar"), code=303)
    return _clocks_page(_latest(), calendar_form=form)


@bp.post("/clocks/referral")
@requires(Permission.CONFIGURE_REGISTRY)
def clocks_referral() -> Response | tuple[str, int]:
    form = ReferralBodyForm()
    if form.validate_on_submit() and _save(form, operations.change_referral_body):
        return redirect(url_for(".clocks", _anchor="referral"), code=303)
    return _clocks_page(_latest(), referral_form=form)


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

"""The settings in force: the installation's defaults with administrators' versions over them.

Every consumer reads settings through `current_settings()` (what applies now) or
`settings_at(moment)` (what applied then: a receipt, a letter or a report is rendered with
the values in force when its record was made). Each process keeps the whole, small history in
memory and checks the table's stamp (row count and newest id, one indexed query) at most every
`SETTINGS_CHECK_SECONDS`, so reading settings costs no query on almost every request.

A change takes effect `SETTINGS_CHECK_SECONDS` after it is saved (`effective_from`), so by
then every process has looked at the table again: no process registers a complaint under a
setting that another process already considers replaced, and a record's reprint always finds
the version it was first printed with.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any

from flask import current_app
from msgspec import Struct
from sqlalchemy import func, select
from sqlalchemy.exc import InterfaceError, OperationalError

from ..clock import now_utc
from ..clocks.calendar import WorkingCalendar
from ..clocks.policy import ClockPolicies, ClockPolicy, Period, Unit
from ..clocks.presets import preset
from ..database import in_unit_of_work
from ..documents.template import Organisation, load_organisation
from ..extensions import db
from .models import SettingVersion
from .tiers import Tier, TierPolicy, policy_from_values

#: The settings administrators can change, in the order the overview shows them.
KEYS = (
    "categories",
    "tiers",
    "first_response_hours",
    "organisation",
    "number_format",
    "outgoing_number_format",
    "tier_addresses",
    "mail_auto_register",
    "clock_policy",
    "calendar",
    "referral_body",
    "rating_window_days",
)
_EARLIEST = datetime.min.replace(tzinfo=UTC)
_LATEST = datetime.max.replace(tzinfo=UTC)


class Category(Struct, frozen=True):
    code: str  # immutable once created: complaints store it
    names: Mapping[str, str]  # language -> name; English always present
    retired: bool = False  # no longer offered for new complaints; still named on old ones

    def name(self, language: str) -> str:
        return self.names.get(language) or self.names["en"]


class Settings(Struct, frozen=True, dict=True):
    """Every setting in force at one moment, parsed and ready to use."""

    categories: tuple[Category, ...]
    tiers: tuple[Tier, ...]
    first_response_hours: int
    organisation: Organisation
    number_format: str
    outgoing_number_format: str
    tier_addresses: Mapping[int, tuple[str, ...]]  # level -> shared mailbox(es)
    #: Register every new e-mail as a complaint at once, instead of leaving it in the tray.
    mail_auto_register: bool
    #: The regulator's clocks, per installation and per category (app/clocks/policy.py).
    clock_policies: ClockPolicies
    #: The working days and hours the clocks count on.
    calendar: WorkingCalendar
    #: The ADR entity or ombudsman final responses name (app/clocks/statutory.ReferralBody's
    #: JSON: name, address, website, time_limit_months); None: not set yet.
    referral_body: Mapping[str, Any] | None
    #: Days after closing during which the complainant may rate the handling (app/workflow/verdict.py).
    rating_window_days: int
    # Not editable on the web (config.py only), kept here so the tier policy is built in one place.
    due_soon_fraction: float
    management_tier: int
    max_transfers: int

    @property
    def offered_categories(self) -> tuple[Category, ...]:
        """Categories a new complaint may take (the public form, the API, the clerk's desk)."""
        return tuple(c for c in self.categories if not c.retired)

    def category(self, code: str) -> Category | None:
        return next((c for c in self.categories if c.code == code), None)

    def category_name(self, code: str, language: str) -> str:
        """The category's name in `language`; the code itself if it was never configured."""
        category = self.category(code)
        return category.name(language) if category else code

    def first_response_period(self, clocks: ClockPolicy) -> Period:
        """The first response's period under a clock policy: its own, or the installation's hours."""
        return clocks.first_response or Period(self.first_response_hours, Unit.HOURS)

    @cached_property
    def policy(self) -> TierPolicy:
        return policy_from_values(
            self.tiers, first_response_hours=self.first_response_hours, due_soon_fraction=self.due_soon_fraction,
            management_tier=self.management_tier, max_transfers=self.max_transfers,
        )


def default_values(config: Mapping[str, Any]) -> dict[str, Any]:
    """The installation's settings (config.py and pdf_templates/organisation.json) as plain
    JSON values, in the shape the versions store them."""
    organisation = load_organisation(Path(config["PDF_TEMPLATES_DIR"]))
    addresses = config.get("TIER_ADDRESSES") or {}
    return {
        "categories": [
            {"code": c["code"], "names": dict(c["names"]), "retired": bool(c.get("retired", False))}
            for c in config["CATEGORIES"]
        ],
        "tiers": [
            {"level": int(t["level"]), "names": dict(t["names"]), "resolution_days": t.get("resolution_days")}
            for t in sorted(config["ESCALATION_TIERS"], key=lambda t: t["level"])
        ],
        "first_response_hours": int(config["FIRST_RESPONSE_HOURS"]),
        "organisation": {name: getattr(organisation, name) for name in Organisation.__struct_fields__},
        "number_format": config["NUMBER_FORMAT"],
        "outgoing_number_format": config["OUTGOING_NUMBER_FORMAT"],
        "tier_addresses": {
            str(level): [value] if isinstance(value, str) else list(value) for level, value in addresses.items()
        },
        "mail_auto_register": bool(config.get("MAIL_AUTO_REGISTER", False)),
        "clock_policy": {"default": preset(config["CLOCK_POLICY"]).policy.to_json(), "by_category": {}},
        "calendar": WorkingCalendar(
            timezone=config["REGISTRY_TIMEZONE"], country=config.get("CALENDAR_COUNTRY") or None,
            subdivision=config.get("CALENDAR_SUBDIVISION") or None,
        ).to_json(),
        "referral_body": dict(config["REFERRAL_BODY"]) if config.get("REFERRAL_BODY") else None,
        "rating_window_days": int(config.get("RATING_WINDOW_DAYS", 30)),
    }


def build_settings(values: Mapping[str, Any], config: Mapping[str, Any]) -> Settings:
    """Parse plain values (defaults or stored versions) into `Settings`."""
    return Settings(
        categories=tuple(
            Category(c["code"], MappingProxyType(dict(c["names"])), bool(c.get("retired", False)))
            for c in values["categories"]
        ),
        tiers=tuple(
            Tier(level=int(t["level"]), names=MappingProxyType(dict(t["names"])), resolution_days=t["resolution_days"])
            for t in sorted(values["tiers"], key=lambda t: t["level"])
        ),
        first_response_hours=int(values["first_response_hours"]),
        organisation=Organisation(**values["organisation"]),
        number_format=values["number_format"],
        outgoing_number_format=values["outgoing_number_format"],
        tier_addresses=MappingProxyType(
            {int(level): tuple(addresses) for level, addresses in values["tier_addresses"].items() if addresses}
        ),
        mail_auto_register=bool(values["mail_auto_register"]),
        clock_policies=ClockPolicies.from_json(values["clock_policy"]),
        calendar=WorkingCalendar.from_json(values["calendar"], config["REGISTRY_TIMEZONE"]),
        referral_body=MappingProxyType(dict(values["referral_body"])) if values["referral_body"] else None,
        rating_window_days=int(values["rating_window_days"]),
        due_soon_fraction=float(config["DUE_SOON_FRACTION"]),
        management_tier=int(config["MANAGEMENT_TIER"]),
        max_transfers=int(config["MAX_TRANSFERS"]),
    )


class Version(Struct, frozen=True):
    id: int
    key: str
    value: Any
    effective_from: datetime


class _History(Struct, frozen=True):
    """All stored versions, per key in effective order, as read at one stamp of the table."""

    stamp: tuple[int, int | None]
    versions: Mapping[str, tuple[Version, ...]]
    starts: Mapping[str, tuple[datetime, ...]]  # effective_from per key, for bisect

    def selected(self, key: str, moment: datetime) -> int:
        """Index + 1 of the version of `key` in force at `moment`; 0: the default."""
        return bisect.bisect_right(self.starts.get(key, ()), moment)

    def window(self, selection: tuple[int, ...]) -> tuple[datetime, datetime]:
        """The moments during which `selection` is what is in force."""
        start, end = _EARLIEST, _LATEST
        for key, index in zip(KEYS, selection, strict=True):
            starts = self.starts.get(key, ())
            if index:
                start = max(start, starts[index - 1])
            if index < len(starts):
                end = min(end, starts[index])
        return start, end


_EMPTY = _History(stamp=(0, None), versions={}, starts={})
_STAMP = select(func.count(SettingVersion.id), func.max(SettingVersion.id))


class SettingsStore:
    """One process's view of the settings (kept in `app.extensions["settings"]`)."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = config
        self.check_interval = timedelta(seconds=float(config["SETTINGS_CHECK_SECONDS"]))
        self.defaults = default_values(config)
        self._history = _EMPTY
        self._checked_at: datetime | None = None
        self._built: dict[tuple[int, ...], Settings] = {}
        self._current: tuple[datetime, datetime, Settings] | None = None

    # --- reading -------------------------------------------------------------------------

    def at(self, moment: datetime, *, now: datetime | None = None) -> Settings:
        """The settings in force at `moment` (`now`: the current time, when the caller has it)."""
        self._check(now or now_utc())
        current = self._current
        if current is not None and current[0] <= moment < current[1]:
            return current[2]
        history = self._history
        selection = tuple(history.selected(key, moment) for key in KEYS)
        settings = self._built.get(selection)
        if settings is None:
            settings = self._built.setdefault(selection, build_settings(self._values(history, selection), self.config))
        start, end = history.window(selection)
        self._current = (start, end, settings)
        return settings

    def latest_values(self) -> dict[str, Any]:
        """Each key's newest value, also one not yet in force (what the admin pages edit)."""
        self._check(now_utc())
        history = self._history
        return self._values(history, tuple(len(history.versions.get(key, ())) for key in KEYS))

    def latest_version(self, key: str) -> Version | None:
        self._check(now_utc())
        versions = self._history.versions.get(key, ())
        return versions[-1] if versions else None

    def _values(self, history: _History, selection: tuple[int, ...]) -> dict[str, Any]:
        return {
            key: history.versions[key][index - 1].value if index else self.defaults[key]
            for key, index in zip(KEYS, selection, strict=True)
        }

    # --- noticing changes ----------------------------------------------------------------

    def forget(self) -> None:
        """Look at the table again on the next read (after this process saved a change)."""
        self._checked_at = None

    def _check(self, now: datetime) -> None:
        checked = self._checked_at
        if checked is not None and checked <= now < checked + self.check_interval:
            return
        try:
            # Not flushing the caller's pending changes here: a conflict they meet (a deadlock)
            # belongs to the unit of work that made them, which retries it as a whole.
            with db.session.no_autoflush:
                stamp = tuple(db.session.execute(_STAMP).one())
        except (OperationalError, InterfaceError):
            if in_unit_of_work():
                # Never roll back a unit of work from inside it and carry on: what follows would
                # be written in a new transaction without what came before (a letter without the
                # counter that numbered it). `commit_with_retry` rolls it back and retries or fails.
                raise
            # The database cannot be reached: whatever needs it answers 503 (app/serving), and
            # that page itself is drawn with the settings last seen (the defaults, if none yet).
            db.session.rollback()
            return
        if stamp != self._history.stamp:
            self._load(stamp)
        self._checked_at = now

    def _load(self, stamp: tuple[int, int | None]) -> None:
        rows = db.session.execute(
            select(SettingVersion.id, SettingVersion.key, SettingVersion.value, SettingVersion.effective_from)
            .where(SettingVersion.key.in_(KEYS))
            .order_by(SettingVersion.effective_from, SettingVersion.id)
        ).all()
        versions: dict[str, list[Version]] = {}
        for row in rows:
            versions.setdefault(row.key, []).append(Version(row.id, row.key, json.loads(row.value), row.effective_from))
        self._history = _History(
            stamp=stamp,
            versions={key: tuple(items) for key, items in versions.items()},
            starts={key: tuple(v.effective_from for v in items) for key, items in versions.items()},
        )
        self._built = {}
        self._current = None


def settings_store() -> SettingsStore:
    store = current_app.extensions.get("settings")
    if store is None:
        store = current_app.extensions["settings"] = SettingsStore(current_app.config)
    return store


def current_settings() -> Settings:
    """The settings in force now."""
    now = now_utc()
    return settings_store().at(now, now=now)


def current_policy() -> TierPolicy:
    """The tier policy in force now: config.py with the administrators' changes."""
    return current_settings().policy


def settings_at(moment: datetime) -> Settings:
    """The settings that were in force at `moment` (a record's registration, a letter's date)."""
    return settings_store().at(moment)

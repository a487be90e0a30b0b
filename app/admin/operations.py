"""Changing the settings: validate, append a version, write the audit entry. Flushes, never
commits (the route commits the unit of work)."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import text

from ..audit.models import AuditAction
from ..audit.service import record
from ..auth.models import User
from ..clock import now_utc
from ..clocks.calendar import CalendarError, WorkingCalendar
from ..clocks.policy import ClockPolicies, PolicyError
from ..clocks.presets import PRESETS
from ..clocks.statutory import ReferralBody, StatutoryWordingError
from ..complaints.guards import actor
from ..extensions import db
from ..registry.chain import append_entry
from ..registry.digest import iso_utc
from ..registry.models import EntryKind
from ..settings import rules
from ..settings.models import SettingVersion
from ..settings.store import settings_store
from .numbers import first_collision

log = logging.getLogger(__name__)


class InvalidSettings(Exception):
    """What was typed breaks a rule; `errors` holds the messages per field. Nothing was saved."""

    def __init__(self, errors: Mapping[str, list[str]]) -> None:
        super().__init__("invalid settings")
        self.errors = dict(errors)


def _raise_if(errors: Mapping[str, list[str]]) -> None:
    if errors:
        raise InvalidSettings(errors)


def latest_for_change() -> dict[str, Any]:
    """Each setting's newest value, read after taking the settings' write lock, so two
    administrators saving at once do not overwrite each other's change (on SQLite the unit of
    work already holds the database's write lock)."""
    if db.session.get_bind().dialect.name == "postgresql":
        # Blocks other writers of the table until the commit; readers are not blocked.
        db.session.execute(text("LOCK TABLE setting_versions IN SHARE ROW EXCLUSIVE MODE"))
    store = settings_store()
    store.forget()
    return store.latest_values()


def add_category(data: Mapping[str, Any], *, by: User) -> bool:
    categories = latest_for_change()["categories"]
    category, errors = rules.check_new_category(data, categories)
    _raise_if(errors)
    return save("categories", [*categories, category], by=by)


def change_category(code: str, data: Mapping[str, Any], *, by: User) -> bool:
    categories = latest_for_change()["categories"]
    if not any(c["code"] == code for c in categories):
        raise LookupError(code)
    changed, errors = rules.check_category_change(code, data, categories)
    _raise_if(errors)
    return save("categories", changed, by=by)


def change_tiers(data: Mapping[str, Any], *, by: User) -> bool:
    result, errors = rules.check_tiers(data, latest_for_change()["tiers"])
    _raise_if(errors)
    tiers, hours = result
    changed = save("tiers", tiers, by=by)
    return save("first_response_hours", hours, by=by) or changed


def change_organisation(data: Mapping[str, Any], *, by: User) -> bool:
    latest_for_change()
    organisation, errors = rules.check_organisation(data)
    _raise_if(errors)
    return save("organisation", organisation, by=by)


def change_numbering(data: Mapping[str, Any], *, by: User) -> bool:
    errors: rules.Errors = {}
    latest = latest_for_change()
    formats = {
        field: rules.check_number_format(data.get(field), field, errors)
        for field in ("number_format", "outgoing_number_format")
    }
    for field, pattern in formats.items():
        if field in errors or pattern == latest[field]:
            continue
        clash = first_collision(pattern, outgoing=field == "outgoing_number_format")
        if clash is not None:
            errors.setdefault(field, []).append(str(_l(
                "This format could give again the number %(number)s, which already exists. Choose a format that "
                "existing numbers cannot match, e.g. with another prefix.", number=clash)))
    _raise_if(errors)
    changed = save("number_format", formats["number_format"], by=by)
    return save("outgoing_number_format", formats["outgoing_number_format"], by=by) or changed


def change_tier_addresses(data: Mapping[str, Any], *, by: User) -> bool:
    levels = [int(t["level"]) for t in latest_for_change()["tiers"]]
    addresses, errors = rules.check_tier_addresses(data, levels)
    _raise_if(errors)
    return save("tier_addresses", addresses, by=by)


def change_mail_intake(data: Mapping[str, Any], *, by: User) -> bool:
    latest_for_change()
    return save("mail_auto_register", bool(data.get("mail_auto_register")), by=by)


def change_rating_window(data: Mapping[str, Any], *, by: User) -> bool:
    """How long after closing the complainant may rate the handling (app/workflow/verdict.py)."""
    latest_for_change()
    days, errors = rules.check_rating_window(data)
    _raise_if(errors)
    return save("rating_window_days", days, by=by)


def use_clock_preset(data: Mapping[str, Any], *, by: User) -> bool:
    """The installation's policy replaced by a preset's, unadjusted (field `preset`); the
    categories' own policies stay."""
    policies = latest_for_change()["clock_policy"]
    code = str(data.get("preset") or "")
    if code not in PRESETS:
        raise InvalidSettings({"preset": [str(_l("Choose one of the presets."))]})
    return _save_policies(policies | {"default": PRESETS[code].policy.to_json()}, "preset", by)


def change_clock_policy(data: Mapping[str, Any], *, by: User) -> bool:
    """The installation's policy with its clocks and first response adjusted as typed."""
    policies = latest_for_change()["clock_policy"]
    default, errors = rules.check_clock_policy(data, policies["default"])
    _raise_if(errors)
    return _save_policies(policies | {"default": default}, "first_response_amount", by)


def change_category_clocks(data: Mapping[str, Any], *, by: User) -> bool:
    """The offered categories' own presets (or the installation's policy)."""
    latest = latest_for_change()
    policies = latest["clock_policy"]
    by_category, errors = rules.check_category_clocks(data, latest["categories"], policies.get("by_category") or {})
    _raise_if(errors)
    return _save_policies(policies | {"by_category": by_category}, None, by)


def _save_policies(value: dict[str, Any], field: str | None, by: User) -> bool:
    """Save the clock policies once `ClockPolicies` accepts them (the rules' checks should
    leave nothing for it to refuse; if they do, its reason goes on `field`)."""
    try:
        ClockPolicies.from_json(value)
    except (PolicyError, KeyError, TypeError, ValueError) as error:
        raise InvalidSettings({field or "policy": [str(error)]}) from error
    return save("clock_policy", value, by=by)


def change_calendar(data: Mapping[str, Any], *, by: User) -> bool:
    """The working calendar the clocks count on; the time zone is the installation's own."""
    calendar, errors = rules.check_calendar(data, latest_for_change()["calendar"])
    _raise_if(errors)
    try:
        WorkingCalendar.from_json(calendar, settings_store().config["REGISTRY_TIMEZONE"])
    except CalendarError as error:
        raise InvalidSettings({"country": [str(error)]}) from error
    return save("calendar", calendar, by=by)


def change_referral_body(data: Mapping[str, Any], *, by: User) -> bool:
    """The ADR entity or ombudsman final responses name, or none."""
    latest_for_change()
    body, errors = rules.check_referral_body(data)
    _raise_if(errors)
    if body is not None:
        try:
            body = ReferralBody.from_json(body).to_json()
        except StatutoryWordingError as error:
            raise InvalidSettings({"name": [str(error)]}) from error
    return save("referral_body", body, by=by)


def save(key: str, value: Any, *, by: User | None) -> bool:
    """Append `value` as the new version of `key`, in force once every process has seen it,
    and audit the change (each field's old and new value). False when nothing changed."""
    store = settings_store()
    old = store.latest_values()[key]
    if _canonical(old) == _canonical(value):
        return False
    now = now_utc()
    effective_from = now + store.check_interval
    stored = _canonical(value)
    entry = append_entry(EntryKind.SETTING, setting_payload(key, stored, effective_from, by))
    db.session.add(SettingVersion(key=key, value=stored, effective_from=effective_from, changed_at=now,
                                  changed_by_id=by.id if by else None, entry_position=entry.position))
    db.session.flush()
    record(AuditAction.SETTINGS_CHANGED, target=f"settings:{key}", user=by,
           details={"setting": key, "effective_from": iso_utc(effective_from), "changes": changes(key, old, value)})
    log.info("setting %s changed by %s", key, by.username if by else "-")
    return True


def setting_payload(key: str, text: str, effective_from: datetime, by: User | None) -> dict[str, Any]:
    """What the signed entry of a setting's new version says: which setting, the digest of its
    value as stored, from when, by whom (deadlines, tiers and the organisation printed on
    documents all come from these versions, so they are signed like any other fact)."""
    return {"type": "setting", "key": key, "value_sha256": hashlib.sha256(text.encode()).hexdigest(),
            "effective_from": iso_utc(effective_from), "by": actor(by)}


def _canonical(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def changes(key: str, old: Any, new: Any) -> list[dict[str, Any]]:
    """Each changed field of a setting with its old and new value ("categories.bonuses.retired":
    false -> true); lists of categories and tiers are keyed by code and level."""
    before, after = _flatten(old, key), _flatten(new, key)
    return [
        {"field": field, "old": before.get(field), "new": after.get(field)}
        for field in sorted(before.keys() | after.keys())
        if before.get(field) != after.get(field)
    ]


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, list) and all(isinstance(v, dict) and ("code" in v or "level" in v) for v in value):
        value = {str(v.get("code", v.get("level"))): {k: x for k, x in v.items() if k not in ("code", "level")}
                 for v in value}
    if isinstance(value, dict):
        flat: dict[str, Any] = {}
        for key, item in value.items():
            flat |= _flatten(item, f"{prefix}.{key}" if prefix else str(key))
        return flat
    return {prefix: value}

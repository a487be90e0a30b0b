"""How a complaint's regulatory clocks run: started at registration, met by what the policy
names, paused while the organisation waits for the complainant, extended once, stopped by an
annulment. The one place that computes their due times (with the working calendar) and their
alarms; enforcement (app/workflow/enforcement.py) breaches them with the same rules.

Every change is returned as a plain "signed change" (what happened, and the clock's state
after it), which the caller puts in the signed event it appends for the same act, so the
chain is the clocks' history and `flask registry verify` can check each row against it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from msgspec import Struct

from ..registry.digest import iso_utc
from .calendar import WorkingCalendar
from .policy import AT_REGISTRATION, ClockKind, ClockPolicy, ClockRule, MetBy, Start

#: What an outgoing message of a kind meets (app/workflow/models.MessageKind values).
MEETS: dict[str, MetBy] = {
    "response": MetBy.RESPONSE,
    "holding_response": MetBy.HOLDING_RESPONSE,
    "decision": MetBy.DECISION,
}
#: The order clocks are shown and enforced in.
ORDER = (ClockKind.REGISTRATION, ClockKind.ACKNOWLEDGEMENT, ClockKind.HOLDING_RESPONSE, ClockKind.FINAL_RESPONSE)


class ClockRefused(ValueError):
    """A clock cannot do what was asked (extend twice, beyond the limit, ...); the message says why."""


def rule_of(clock: Any) -> ClockRule:
    """The rule a clock runs by: the one it started with."""
    return ClockRule.from_json(json.loads(clock.rule))


def _moment(value: datetime | None) -> str | None:
    return iso_utc(value) if value is not None else None


def clock_state(clock: Any) -> dict[str, Any]:
    """A clock's facts that its signed events vouch for (a model or a row with the same names)."""
    return {
        "kind": ClockKind(clock.kind).value,
        "started_at": _moment(clock.started_at),
        "due_at": _moment(clock.due_at),
        "paused_at": _moment(clock.paused_at),
        "extended_at": _moment(clock.extended_at),
        "met_at": _moment(clock.met_at),
        "breached_at": _moment(clock.breached_at),
        "stopped_at": _moment(clock.stopped_at),
        "paused_seconds": clock.paused_seconds or 0,
    }


def signed_change(clock: Any, event: str, **details: Any) -> dict[str, Any]:
    """One clock's change as a signed event carries it: what happened and the state after it."""
    return {"event": event, **details, **clock_state(clock)}


def warning_time(start: datetime, due: datetime, fraction: float) -> datetime:
    """The moment `fraction` of the time from `start` to `due` is used up: when a deadline is
    "due soon" (a clock's here, the complaint's own in app/workflow/deadlines.py)."""
    return start + (due - start) * fraction


def warning_at(clock: Any, fraction: float) -> datetime:
    """A clock's `warning_time`."""
    return warning_time(clock.started_at, clock.due_at, fraction)


def alarm(clock: Any, fraction: float) -> datetime | None:
    """When enforcement must look at the clock next: its warning, then its due time; None once
    it is met, stopped, paused or breached (nothing more to do until something moves it)."""
    if clock.met_at is not None or clock.stopped_at is not None or clock.paused_at is not None:
        return None
    if clock.breached_at is not None:
        return None
    return clock.due_at if clock.warned_at is not None else warning_at(clock, fraction)


def earliest(moments: Iterable[datetime | None]) -> datetime | None:
    return min((m for m in moments if m is not None), default=None)


def nearest_due(clocks: Iterable[Any]) -> datetime | None:
    """The nearest due time of the clocks still running (not paused): the queue sorts by it."""
    return earliest(c.due_at for c in clocks if c.met_at is None and c.stopped_at is None and c.paused_at is None)


# Starting --------------------------------------------------------------------------------


class Started(Struct, frozen=True):
    """A new complaint's clocks: their rows (without `complaint_id`), and what its intake entry
    signs of them. A clock met by registration is met at registration, late if it was due before."""

    rows: tuple[dict[str, Any], ...]
    signed: tuple[dict[str, Any], ...]

    @property
    def nearest_due(self) -> datetime | None:
        return nearest_due(_Row(row) for row in self.rows)

    @property
    def late(self) -> tuple[dict[str, Any], ...]:
        """The rows of clocks that registration met after their due time (each is a breach)."""
        return tuple(row for row in self.rows if row["breached_at"] is not None)


def start_clocks(policy: ClockPolicy, calendar: WorkingCalendar, *, received_at: datetime, registered_at: datetime,
                 fraction: float) -> Started:
    rows = []
    for rule in sorted(policy.clocks, key=lambda r: ORDER.index(r.kind)):
        started_at = received_at if rule.start == Start.RECEIVED else registered_at
        due_at = calendar.due(started_at, rule.period)
        row: dict[str, Any] = {
            "kind": rule.kind, "rule": json.dumps(rule.to_json(), sort_keys=True), "started_at": started_at,
            "due_at": due_at, "paused_at": None, "paused_seconds": 0, "extended_at": None, "warned_at": None, "met_at": None,
            "breached_at": None, "stopped_at": None,
        }
        if rule.kind in AT_REGISTRATION:
            row["met_at"] = registered_at
            row["breached_at"] = registered_at if registered_at > due_at else None
        row["next_check_at"] = alarm(_Row(row), fraction)
        rows.append(row)
    return Started(tuple(rows), tuple(signed_change(_Row(row), "started") for row in rows))


class _Row:
    """Attribute access to a row being built."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


# Following the complaint -----------------------------------------------------------------


def follow(clocks: Sequence[Any], *, status: str, at: datetime, message_kind: str | None, annulled: bool,
           calendar: WorkingCalendar, fraction: float) -> list[dict[str, Any]]:
    """Bring a complaint's clocks (model instances) in line with what just happened to it: its
    status now, the message it sent (if any), an annulment. Changes the instances and returns
    the signed changes (empty: nothing changed)."""
    changes = []
    met_by = MEETS.get(message_kind or "")
    for clock in clocks:
        if not (clock.met_at is None and clock.stopped_at is None):
            continue
        rule = rule_of(clock)
        if annulled:
            clock.paused_at = None
            clock.stopped_at = at
            changes.append(signed_change(clock, "stopped"))
        elif met_by is not None and (met_by in rule.met_by or met_by == MetBy.DECISION):
            # The final response answers everything before it; a clock met while paused stops there.
            clock.paused_at = None
            clock.met_at = at
            changes.append(signed_change(clock, "met", late=clock.breached_at is not None))
        elif status in rule.pauses_in and clock.paused_at is None:
            clock.paused_at = at
            changes.append(signed_change(clock, "paused", reason="waiting_for_complainant"))
        elif status not in rule.pauses_in and clock.paused_at is not None:
            paused_for = calendar.counted(clock.paused_at, at, rule.period.unit)
            clock.due_at = calendar.shifted(clock.due_at, paused_for, rule.period.unit)
            clock.paused_seconds = (clock.paused_seconds or 0) + int((at - clock.paused_at).total_seconds())
            clock.paused_at = None
            changes.append(signed_change(clock, "resumed", paused_seconds=int(paused_for.total_seconds())))
        else:
            continue
        clock.next_check_at = alarm(clock, fraction)
    return changes


# Extending -------------------------------------------------------------------------------


def extension_refusal(clock: Any, amount: int, at: datetime) -> str | None:
    """Why `clock` cannot be extended by `amount` at `at` (plain English for logs and the
    operation's translated refusal keys), or None if it can."""
    rule = rule_of(clock)
    if rule.extension is None:
        return "not_extendable"
    if clock.met_at is not None or clock.stopped_at is not None:
        return "not_running"
    if clock.extended_at is not None:
        return "extended_already"
    if amount <= 0 or amount > rule.extension:
        return "beyond_limit"
    if clock.breached_at is not None or at >= clock.due_at:
        return "passed"
    return None


def extend(clock: Any, amount: int, at: datetime, *, calendar: WorkingCalendar, fraction: float) -> dict[str, Any]:
    """Extend a running clock once by `amount` units (checked by `extension_refusal` first);
    its new due time counts on from the old one. Returns the signed change (the caller adds
    the reason and the notice letter)."""
    rule = rule_of(clock)
    previous = clock.due_at
    clock.due_at = calendar.extended(clock.due_at, amount, rule.period.unit)
    clock.extended_at = at
    clock.warned_at = None
    clock.next_check_at = alarm(clock, fraction)
    return signed_change(clock, "extended", amount=amount, unit=rule.period.unit.value,
                         previous_due_at=iso_utc(previous))

"""What a clock policy is: the clocks a complaint runs, how each counts, what stops, pauses and
extends it; plain values, parsed from and written to the JSON the settings store keeps.

A policy is chosen per installation (a named preset, app/clocks/presets.py, adjusted by an
administrator) and per category where the rules differ. The first-response clock is the
product's own promise and lives on the complaint (app/workflow/deadlines.py); the clocks here
are the regulator's: registration, acknowledgement, the final response and its statutory
intermediate step. No database, no request.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from flask_babel import lazy_gettext as _l
from msgspec import Struct, field

from ..enums import TitledEnum


class PolicyError(ValueError):
    """A policy that cannot be used; the message says why, plainly."""


class Unit(TitledEnum):
    """How a clock counts. Every count starts from the clock's start (the moment received, or
    registered where the law counts from registration)."""

    #: Calendar hours from the moment it started.
    HOURS = "hours", _l("hours")
    #: Whole days after the day it started; due at the end of the last day (registry time zone).
    CALENDAR_DAYS = "calendar_days", _l("calendar days")
    #: Working days after the day it started; due at the end of the last one (at closing time
    #: where the calendar has opening hours: the FCA's "close of business").
    WORKING_DAYS = "working_days", _l("working days")
    #: Hours within opening hours on working days.
    BUSINESS_HOURS = "business_hours", _l("business hours")


class Period(Struct, frozen=True):
    amount: int
    unit: Unit

    def to_json(self) -> dict[str, Any]:
        return {"amount": self.amount, "unit": self.unit.value}

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> Period:
        try:
            amount, unit = int(value["amount"]), Unit(value["unit"])
        except (KeyError, TypeError, ValueError) as error:
            raise PolicyError(f"a period needs a whole amount and a unit ({', '.join(Unit)}): {value!r}") from error
        if amount <= 0:
            raise PolicyError(f"a period must be positive: {amount}")
        return cls(amount, unit)


class ClockKind(TitledEnum):
    """The regulator's clocks a complaint may run (which ones, the policy says)."""

    REGISTRATION = "registration", _l("Registration")  # 59-FZ: registered within 3 days of arrival
    ACKNOWLEDGEMENT = "acknowledgement", _l("Acknowledgement")  # UKGC: within 24 hours
    HOLDING_RESPONSE = "holding_response", _l("Holding response")  # the statutory intermediate letter
    FINAL_RESPONSE = "final_response", _l("Final response")  # the whole procedure, over every tier


class Start(StrEnum):
    RECEIVED = "received"  # the moment the complaint reached the organisation (a letter: its arrival)
    REGISTERED = "registered"  # where the law counts from registration (59-FZ, OG 27/2002)


class MetBy(TitledEnum):
    """What stops a clock, met (in time or late)."""

    REGISTRATION = "registration", _l("registration (the receipt is the acknowledgement)")
    RESPONSE = "response", _l("a substantive response")
    HOLDING_RESPONSE = "holding_response", _l("a holding response")
    DECISION = "decision", _l("the final response (the decision)")


#: Clocks met by registration itself: decided the moment a complaint is registered.
AT_REGISTRATION = frozenset({ClockKind.REGISTRATION, ClockKind.ACKNOWLEDGEMENT})
#: The statuses a clock may pause in: the organisation waits for the complainant.
PAUSABLE_STATUSES = frozenset({"waiting"})


class ClockRule(Struct, frozen=True):
    """One clock of a policy."""

    kind: ClockKind
    period: Period
    met_by: frozenset[MetBy]
    start: Start = Start.RECEIVED
    #: Statuses in which the clock stands still (its due time moves by the time paused).
    pauses_in: frozenset[str] = frozenset()
    #: How much longer it may run once extended, in the clock's unit (None: it cannot be). A
    #: clock is extended once at most, with a reason.
    extension: int | None = None
    #: The extension must be announced to the complainant in a numbered letter.
    extension_notice: bool = False
    #: A breach escalates the complaint to the next tier (besides being recorded).
    escalates: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value, "period": self.period.to_json(),
            "met_by": sorted(m.value for m in self.met_by), "start": self.start.value,
            "pauses_in": sorted(self.pauses_in), "extension": self.extension,
            "extension_notice": self.extension_notice, "escalates": self.escalates,
        }

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> ClockRule:
        try:
            kind = ClockKind(value["kind"])
            met_by = frozenset(MetBy(m) for m in value["met_by"])
            start = Start(value.get("start", Start.RECEIVED))
        except (KeyError, TypeError, ValueError) as error:
            raise PolicyError(f"a clock needs a kind ({', '.join(ClockKind)}) and what meets it: {value!r}") from error
        extension = value.get("extension")
        rule = cls(
            kind=kind, period=Period.from_json(value["period"]), met_by=met_by, start=start,
            pauses_in=frozenset(value.get("pauses_in") or ()),
            extension=None if extension in (None, 0) else int(extension),
            extension_notice=bool(value.get("extension_notice", False)),
            escalates=bool(value.get("escalates", False)),
        )
        rule.check()
        return rule

    def check(self) -> None:
        name = self.kind.value
        if not self.met_by:
            raise PolicyError(f"the {name} clock needs something that meets it")
        if self.kind in AT_REGISTRATION:
            if self.met_by != {MetBy.REGISTRATION} or self.start != Start.RECEIVED:
                raise PolicyError(f"the {name} clock runs from receipt and is met by registration")
            if self.pauses_in or self.extension:
                raise PolicyError(f"the {name} clock neither pauses nor is extended")
        elif MetBy.REGISTRATION in self.met_by:
            raise PolicyError(f"registration meets only the registration and acknowledgement clocks, not {name}")
        if not self.pauses_in <= PAUSABLE_STATUSES:
            raise PolicyError(f"the {name} clock can pause only while waiting for the complainant")
        if self.extension is not None and self.extension <= 0:
            raise PolicyError(f"the {name} clock's extension must be positive")
        if self.extension_notice and self.extension is None:
            raise PolicyError(f"the {name} clock cannot be extended, so it has no extension notice")


class Letter(StrEnum):
    """Statutory letters a policy names (besides the final response every policy has)."""

    SUMMARY_RESOLUTION = "summary_resolution"  # FCA DISP 1.5: resolved by the 3rd business day
    DEADLOCK = "deadlock"  # UKGC: the end of the procedure, naming the ADR body
    HOLDING = "holding"  # FCA: the 8-week "not yet" letter / the PSD holding response
    EXTENSION_NOTICE = "extension_notice"  # 59-FZ, Ukraine, Romania: the term is extended


class ClockPolicy(Struct, frozen=True):
    """The clocks a complaint runs and the rules of its final response and figures."""

    #: The preset it was made from (app/clocks/presets.py), kept when adjusted.
    preset: str
    clocks: tuple[ClockRule, ...] = ()
    #: The first response's period; None: the installation's first-response hours (the setting).
    first_response: Period | None = None
    #: Resolved within this of receipt counts as resolved early (FCA: by the close of the 3rd
    #: business day), which the summary resolution communication answers.
    early_resolution: Period | None = None
    #: The closure time bands of the figures and returns, shortest first (e.g. 3 business days,
    #: 4 weeks, 8 weeks: closed within each, and over the last).
    closure_bands: tuple[Period, ...] = ()
    #: The statutory letters the policy names.
    letters: frozenset[Letter] = frozenset()
    #: The fixed referral wording the final response carries (app/letters; None: the generic one
    #: naming the ADR or ombudsman body of the settings).
    referral_wording: str | None = None

    def clock(self, kind: ClockKind) -> ClockRule | None:
        return next((rule for rule in self.clocks if rule.kind == kind), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "preset": self.preset,
            "clocks": [rule.to_json() for rule in self.clocks],
            "first_response": self.first_response.to_json() if self.first_response else None,
            "early_resolution": self.early_resolution.to_json() if self.early_resolution else None,
            "closure_bands": [band.to_json() for band in self.closure_bands],
            "letters": sorted(letter.value for letter in self.letters),
            "referral_wording": self.referral_wording,
        }

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> ClockPolicy:
        try:
            letters = frozenset(Letter(letter) for letter in value.get("letters") or ())
        except ValueError as error:
            raise PolicyError(f"unknown letter in {value.get('letters')!r} (known: {', '.join(Letter)})") from error
        policy = cls(
            preset=str(value.get("preset") or "custom"),
            clocks=tuple(ClockRule.from_json(rule) for rule in value.get("clocks") or ()),
            first_response=Period.from_json(value["first_response"]) if value.get("first_response") else None,
            early_resolution=(Period.from_json(value["early_resolution"]) if value.get("early_resolution")
                              else None),
            closure_bands=tuple(Period.from_json(band) for band in value.get("closure_bands") or ()),
            letters=letters,
            referral_wording=value.get("referral_wording") or None,
        )
        policy.check()
        return policy

    def check(self) -> None:
        kinds = [rule.kind for rule in self.clocks]
        if len(kinds) != len(set(kinds)):
            raise PolicyError("a policy runs each clock once")


class ClockPolicies(Struct, frozen=True):
    """The installation's policy and the categories' own where the rules differ (FCA payment
    services beside FCA general, for example)."""

    default: ClockPolicy
    by_category: Mapping[str, ClockPolicy] = field(default_factory=dict)

    def for_category(self, code: str) -> ClockPolicy:
        return self.by_category.get(code, self.default)

    def to_json(self) -> dict[str, Any]:
        return {"default": self.default.to_json(),
                "by_category": {code: policy.to_json() for code, policy in sorted(self.by_category.items())}}

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> ClockPolicies:
        return cls(
            default=ClockPolicy.from_json(value["default"]),
            by_category={str(code): ClockPolicy.from_json(policy)
                         for code, policy in (value.get("by_category") or {}).items()},
        )

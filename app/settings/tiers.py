"""Escalation tiers: their names and how long a complaint may stay at each. The policy in force
(config.py with the administrators' changes) is `store.current_policy()`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from msgspec import Struct


class Tier(Struct, frozen=True):
    level: int
    names: Mapping[str, str]
    resolution_days: int | None  # None: the last tier, where no deadline pushes it further

    def name(self, language: str) -> str:
        return self.names.get(language) or self.names["en"]


class TierPolicy(Struct, frozen=True):
    """The tiers and the rules that move complaints between them."""

    tiers: tuple[Tier, ...]
    first_response_hours: int
    due_soon_fraction: float
    management_tier: int
    max_transfers: int

    @property
    def last_level(self) -> int:
        return self.tiers[-1].level

    def tier(self, level: int) -> Tier:
        for tier in self.tiers:
            if tier.level == level:
                return tier
        raise KeyError(level)

    def next_level(self, level: int) -> int | None:
        """The tier above `level`, or None at the top."""
        higher = [t.level for t in self.tiers if t.level > level]
        return min(higher) if higher else None


def policy_from_config(config: Mapping[str, Any]) -> TierPolicy:
    """The policy of config.py alone (administrators' changes are in `current_policy()`)."""
    tiers = tuple(
        Tier(level=int(t["level"]), names=dict(t["names"]), resolution_days=t.get("resolution_days"))
        for t in config["ESCALATION_TIERS"]
    )
    return policy_from_values(
        tiers, first_response_hours=int(config["FIRST_RESPONSE_HOURS"]),
        due_soon_fraction=float(config["DUE_SOON_FRACTION"]), management_tier=int(config["MANAGEMENT_TIER"]),
        max_transfers=int(config["MAX_TRANSFERS"]),
    )


def policy_from_values(
    tiers: tuple[Tier, ...], *, first_response_hours: int, due_soon_fraction: float, management_tier: int,
    max_transfers: int,
) -> TierPolicy:
    tiers = tuple(sorted(tiers, key=lambda t: t.level))
    if not tiers or tiers[0].level != 1:
        raise ValueError("ESCALATION_TIERS must start at level 1")
    if not 0 < due_soon_fraction < 1:
        raise ValueError("DUE_SOON_FRACTION must be between 0 and 1")
    return TierPolicy(
        tiers=tiers,
        first_response_hours=first_response_hours,
        due_soon_fraction=due_soon_fraction,
        management_tier=management_tier,
        max_transfers=max_transfers,
    )

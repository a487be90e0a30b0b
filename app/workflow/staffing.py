"""Tiers nobody works at: flagged on the administration overview and the escalation desk, and
an escalation to one tells the administrators (through the outbox) rather than nobody.

A tier's members are the active staff who handle complaints at it (`rules.is_handler`); at a
management level (the management tier and above) they must also review escalations
(`rules.is_reviewer`), since what rises there is reviewed, not only handled.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from ..auth.models import User
from ..auth.permissions import Role
from ..extensions import db
from ..notifications.models import Audience, NotificationKind
from ..notifications.queue import notification_row
from ..settings.tiers import Tier, TierPolicy
from .escalation import EscalationPlan
from .rules import is_handler, is_reviewer


def unstaffed_tiers(policy: TierPolicy) -> list[Tier]:
    """The tiers (management levels included) with no active member, lowest first."""
    staff = db.session.scalars(select(User).where(User.active.is_(True), User.tier.is_not(None))).all()
    staffed = {user.tier for user in staff if is_handler(user)}
    reviewed = {user.tier for user in staff if is_reviewer(user)}
    return [tier for tier in policy.tiers
            if tier.level not in (reviewed if tier.level >= policy.management_tier else staffed)]


def unstaffed_notices(plans: Iterable[EscalationPlan], policy: TierPolicy) -> list[dict[str, Any]]:
    """Outbox rows telling each active administrator of every escalation in `plans` to a tier
    with no active member (none when every tier is staffed)."""
    plans = list(plans)
    if not plans:
        return []
    empty = {tier.level for tier in unstaffed_tiers(policy)}
    rising = [plan for plan in plans if plan.row["to_tier"] in empty]
    if not rising:
        return []
    administrators = db.session.scalars(
        select(User.id).where(User.role == Role.ADMINISTRATOR, User.active.is_(True)).order_by(User.id)).all()
    return [
        notification_row(NotificationKind.UNSTAFFED_ESCALATION, plan.row["complaint_id"], Audience.USER,
                         user_id=admin, at=plan.row["escalated_at"], params={"from_tier": plan.row["from_tier"], "to_tier": plan.row["to_tier"],
                                 "reason": plan.signed["reason"]})
        for plan in rising for admin in administrators
    ]

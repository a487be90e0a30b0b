"""Tiers nobody works at: flagged on the administration overview and the escalation desk, and
an escalation or a manager's move to one tells the administrators (through the outbox) rather
than nobody.

A tier's members are the active staff who handle complaints at it (`rules.is_handler`); at a
management level (the management tier and above) they must also review escalations
(`rules.is_reviewer`), since what rises there is reviewed, not only handled.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from ..auth.models import User
from ..auth.permissions import Role
from ..extensions import db
from ..notifications.models import Audience, NotificationKind
from ..notifications.queue import notification_row
from ..settings.tiers import Tier, TierPolicy
from .rules import is_handler, is_reviewer


def unstaffed_tiers(policy: TierPolicy) -> list[Tier]:
    """The tiers (management levels included) with no active member, lowest first."""
    staff = db.session.scalars(select(User).where(User.active.is_(True), User.tier.is_not(None))).all()
    staffed = {user.tier for user in staff if is_handler(user)}
    reviewed = {user.tier for user in staff if is_reviewer(user)}
    return [tier for tier in policy.tiers
            if tier.level not in (reviewed if tier.level >= policy.management_tier else staffed)]


def unstaffed_notices(notices: Iterable[dict[str, Any]], policy: TierPolicy) -> list[dict[str, Any]]:
    """Outbox rows telling each active administrator of every notice in `notices` (outbox rows
    to a tier: an escalation's, a manager's move's) whose tier has no active member, with the
    same facts (none when every tier is staffed)."""
    to_tiers = [notice for notice in notices if notice["audience"] == Audience.TIER]
    if not to_tiers:
        return []
    empty = {tier.level for tier in unstaffed_tiers(policy)}
    unheard = [notice for notice in to_tiers if notice["tier"] in empty]
    if not unheard:
        return []
    administrators = db.session.scalars(
        select(User.id).where(User.role == Role.ADMINISTRATOR, User.active.is_(True)).order_by(User.id)).all()
    return [
        notification_row(NotificationKind.UNSTAFFED_ESCALATION, notice["complaint_id"], Audience.USER,
                         user_id=admin, at=notice["created_at"], params=json.loads(notice["params"]))
        for notice in unheard for admin in administrators
    ]

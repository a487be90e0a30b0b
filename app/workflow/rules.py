"""Who may do what to a complaint: predicates that routes, templates and operations share."""

from __future__ import annotations

from ..auth.models import User
from ..auth.permissions import Permission
from ..complaints.models import Complaint
from .states import Action, allowed


def is_handler(user: User) -> bool:
    """Staff who handle complaints: the permission and a tier to work at."""
    return user.can(Permission.HANDLE_COMPLAINTS) and user.tier is not None


def can_take(user: User, complaint: Complaint) -> bool:
    """The first handler at (or above) the complaint's tier who takes it owns it; once it rose
    above its owner's tier, a handler of the new tier takes it over."""
    if not is_handler(user) or user.tier < complaint.tier or not allowed(complaint.status, Action.TAKE):
        return False
    owner = complaint.owner
    return owner is None or (owner.id != user.id and (owner.tier or 0) < complaint.tier)


def is_owner(user: User, complaint: Complaint) -> bool:
    return complaint.owner_id is not None and complaint.owner_id == user.id and is_handler(user)


def can_act(user: User, complaint: Complaint, action: Action) -> bool:
    """The owner's actions (respond, resolve, transfer, escalate, ...), where the status allows."""
    return is_owner(user, complaint) and allowed(complaint.status, action)


def can_consult(user: User, complaint: Complaint) -> bool:
    """Any handler may add an internal note; the owner uses it to ask colleagues for input."""
    return is_handler(user) and allowed(complaint.status, Action.CONSULT)


def may_receive(user: User, complaint: Complaint) -> bool:
    """Who a complaint may be transferred to: an active handler at or above its tier."""
    return user.active and is_handler(user) and user.tier >= complaint.tier

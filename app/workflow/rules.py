"""Who may do what to a complaint: predicates that routes, templates and operations share."""

from __future__ import annotations

from ..auth.models import User
from ..auth.permissions import Permission
from ..clocks.models import ComplaintClock
from ..clocks.policy import ClockRule, MetBy
from ..clocks.running import rule_of
from ..complaints.models import Complaint
from .states import Action, allowed_for


def is_handler(user: User) -> bool:
    """Staff who handle complaints: the permission and a tier to work at."""
    return user.can(Permission.HANDLE_COMPLAINTS) and user.tier is not None


def is_reviewer(user: User) -> bool:
    """Management: reviews escalations, may take over or assign any open complaint."""
    return is_handler(user) and user.can(Permission.REVIEW_ESCALATIONS)


def can_take(user: User, complaint: Complaint) -> bool:
    """The first handler at (or above) the complaint's tier who takes it owns it; once it rose
    above its owner's tier, a handler of the new tier takes it over; management may take over
    any open complaint."""
    if not is_handler(user) or not allowed_for(complaint, Action.TAKE):
        return False
    owner = complaint.owner
    if owner is not None and owner.id == user.id:
        return False
    if is_reviewer(user):
        return True
    return user.tier >= complaint.tier and (owner is None or (owner.tier or 0) < complaint.tier)


def can_assign(user: User, complaint: Complaint) -> bool:
    """Management assigns an owner at any tier (not counted as a transfer)."""
    return is_reviewer(user) and (allowed_for(complaint, Action.TRANSFER) or allowed_for(complaint, Action.TAKE))


def can_move(user: User, complaint: Complaint) -> bool:
    """Management moves an open complaint to another tier, with a reason."""
    return is_reviewer(user) and allowed_for(complaint, Action.MOVE)


def is_owner(user: User, complaint: Complaint) -> bool:
    return complaint.owner_id is not None and complaint.owner_id == user.id and is_handler(user)


def can_act(user: User, complaint: Complaint, action: Action) -> bool:
    """The owner's actions (respond, resolve, transfer, escalate, ...), where the status allows."""
    return is_owner(user, complaint) and allowed_for(complaint, action)


def can_reopen(user: User, complaint: Complaint) -> bool:
    """The owner, or management, reopens a resolved or closed complaint."""
    return (is_owner(user, complaint) or is_reviewer(user)) and allowed_for(complaint, Action.REOPEN)


def can_add_documents(user: User, complaint: Complaint) -> bool:
    """Staff who keep the correspondence add documents that arrived later, in any status but
    annulled (a document about a closed complaint is still kept)."""
    return user.can(Permission.CORRESPONDENCE) and not complaint.is_annulled


def can_record_received(user: User, complaint: Complaint) -> bool:
    """Staff who keep the paper correspondence (the front desk as well as officers) record a
    reply or a dispute that came by post, by phone or in person, where the status allows one."""
    return user.can(Permission.CORRESPONDENCE) and (
        allowed_for(complaint, Action.COMPLAINANT_REPLY) or allowed_for(complaint, Action.DISPUTE))


def can_consult(user: User, complaint: Complaint) -> bool:
    """Any handler may add an internal note; the owner uses it to ask colleagues for input."""
    return is_handler(user) and allowed_for(complaint, Action.CONSULT)


def may_receive(user: User, complaint: Complaint) -> bool:
    """Who a complaint may be transferred to: an active handler at or above its tier (a transfer
    never lowers the tier; sending a complaint down is management's `send_back`)."""
    return user.active and is_handler(user) and user.tier >= complaint.tier


def may_take_back(user: User, tier: int, complaint: Complaint) -> bool:
    """Who a complaint may be sent back to by a review decision: an active officer at `tier`
    (the one it rose from) or above, but below the complaint's tier."""
    return user.active and is_handler(user) and tier <= user.tier < complaint.tier


def can_review(user: User, complaint: Complaint) -> bool:
    """Management records a review decision on an open complaint (the escalation desk)."""
    return is_reviewer(user) and allowed_for(complaint, Action.REVIEW)


def tier_after_transfer(to: User, complaint: Complaint) -> int:
    """The tier a complaint is at once transferred to `to`: it follows its new owner up to their
    tier (it is then worked, and looked for, where they work) and never goes down."""
    return max(complaint.tier, to.tier or 0)


def extendable_clocks(complaint: Complaint) -> list[tuple[ComplaintClock, ClockRule]]:
    """The complaint's running regulatory clocks its policy lets be extended, not extended yet."""
    found = []
    for clock in complaint.clocks:
        if clock.running and clock.extended_at is None and clock.breached_at is None:
            rule = rule_of(clock)
            if rule.extension is not None:
                found.append((clock, rule))
    return found


def can_extend(user: User, complaint: Complaint) -> bool:
    """The owner extends a regulatory clock where its policy allows it."""
    return can_act(user, complaint, Action.EXTEND) and bool(extendable_clocks(complaint))


def can_send_holding_response(user: User, complaint: Complaint) -> bool:
    """The owner sends a holding response where a running clock of the complaint's policy is met by one."""
    return can_act(user, complaint, Action.HOLD) and any(
        clock.running and MetBy.HOLDING_RESPONSE in rule_of(clock).met_by for clock in complaint.clocks)


def can_record_redress_paid(user: User, complaint: Complaint) -> bool:
    """A handler records that the redress a decision offered was paid, once."""
    return (is_handler(user) and allowed_for(complaint, Action.RECORD_REDRESS_PAID)
            and (complaint.redress_amount is not None or bool(complaint.redress_remedy))
            and complaint.redress_paid_at is None)


def can_record_referral(user: User, complaint: Complaint) -> bool:
    """A handler records that the complainant took the complaint to the ADR entity or ombudsman, once."""
    return is_handler(user) and allowed_for(complaint, Action.RECORD_REFERRAL) and complaint.referred_at is None


def can_join(user: User, complaint: Complaint) -> bool:
    """The front desk and officers join a repeated complaint to an earlier one (app/workflow/joins.py)
    while it is open and not joined; once someone owns it, only its owner or management."""
    return (user.can(Permission.JOIN_COMPLAINTS) and allowed_for(complaint, Action.JOIN)
            and (complaint.owner_id is None or is_owner(user, complaint) or is_reviewer(user)))


def can_link(user: User, complaint: Complaint) -> bool:
    """The front desk and officers link related complaints (and undo a link); not annulled ones."""
    return user.can(Permission.JOIN_COMPLAINTS) and not complaint.is_annulled

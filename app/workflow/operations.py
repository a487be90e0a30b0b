"""Operations of the case workflow: take, answer, decide, transfer, consult, escalate, reopen,
the complainant's replies (online, or received on paper and recorded by staff), and posting
letters.

Each one locks the complaint's row, asks the state machine (states.py) for the next status,
changes the row, appends a signed event to the registry chain, writes the message or
escalation row that goes with it, queues the notifications, and resets the deadline alarm.
They flush but never commit: the caller commits the unit of work.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from msgspec import Struct
from msgspec.structs import asdict
from sqlalchemy import select

from ..auth.models import User
from ..auth.permissions import Permission
from ..clock import local_day_start, local_today, now_utc
from ..clocks.bands import decided_band
from ..clocks.models import ComplaintClock
from ..clocks.policy import ClockKind
from ..clocks.running import earliest, extend, extension_refusal, follow, nearest_due, rule_of
from ..clocks.statutory import (
    NEEDS_BODY,
    ReferralBody,
    StatutoryWordingError,
    letter_for,
    statutory_paragraphs,
)
from ..complaints.errors import ComplaintChangeForbidden, ComplaintChangeRefused
from ..complaints.guards import MIN_REASON_LENGTH, actor, check_text, lock
from ..complaints.models import Attachment, Channel, Complaint, ComplaintStatus, Resolution
from ..complaints.storage import Evidence, EvidenceStore
from ..dates import format_day
from ..documents.template import Organisation
from ..extensions import db
from ..notifications.models import Audience, NotificationKind
from ..notifications.queue import notification_row, queue_rows
from ..registry.chain import Private, append_entry
from ..registry.digest import iso_utc
from ..registry.models import EntryKind, RegistryEntry
from ..registry.numbering import format_number, outgoing_scope, registry_year, take_number
from ..settings.store import current_policy, current_settings
from ..settings.tiers import TierPolicy
from . import rules
from .deadlines import next_alarm, restart_resolution_clock, stopped_resolution_clock
from .escalation import plan_escalation
from .models import (
    Breach,
    CaseMessage,
    DeadlineKind,
    Escalation,
    EscalationReason,
    EscalationReview,
    MessageKind,
    ReviewDecision,
)
from .staffing import unstaffed_notices
from .states import Action, next_status, next_status_of
from .verdict_models import request_rating

log = logging.getLogger(__name__)

# Signed events -------------------------------------------------------------------------


def event_payload(
    number: str, event: str, *, state: dict[str, Any], by: User | None, at: datetime, **details: Any
) -> dict[str, Any]:
    """What a workflow event freezes in the clear: what happened, to which complaint, when, by
    whom, and the complaint's facts after it (`state_of`; `flask registry verify` checks the
    row against the last of these). Free text goes in the event's private part instead."""
    return {"type": event, "number": number, "at": iso_utc(at), "by": actor(by), "state": state, **details}


def _moment(value: datetime | None) -> str | None:
    return iso_utc(value) if value is not None else None


def state_of(complaint: Any) -> dict[str, Any]:
    """The facts of a complaint that its signed events vouch for (a model, or a row with the
    same attributes): status, tier, owner, the first response, the decision, closing, the
    counts of transfers and contacts, and the first-response breach."""
    resolution = complaint.resolution
    return {
        "status": complaint.status.value,
        "tier": complaint.tier,
        "owner_id": complaint.owner_id,
        "first_responded_at": _moment(complaint.first_responded_at),
        "first_response_breached_at": _moment(complaint.first_response_breached_at),
        "resolution": resolution.value if resolution is not None else None,
        "resolved_at": _moment(complaint.resolved_at),
        "closed_at": _moment(complaint.closed_at),
        "transfer_count": complaint.transfer_count,
        "contact_count": complaint.contact_count,
        # The final response's redress and what became of it: only once set, so the facts signed
        # before these existed stay what they were.
        **{name: value for name, value in (
            ("redress_amount", _amount(getattr(complaint, "redress_amount", None))),
            ("redress_currency", getattr(complaint, "redress_currency", None)),
            ("redress_paid_at", _moment(getattr(complaint, "redress_paid_at", None))),
            ("referred_at", _moment(getattr(complaint, "referred_at", None))),
            ("closure_band", getattr(complaint, "closure_band", None)),
        ) if value is not None},
    }


def _amount(value: Decimal | None) -> str | None:
    return None if value is None else f"{Decimal(value):.2f}"


def _record(
    complaint: Complaint, event: str, *, by: User | None, at: datetime, private: dict[str, Any] | None = None,
    **details: Any,
) -> RegistryEntry:
    """Sign an event about `complaint`, its free text (`private`) kept beside it, with what it
    did to the complaint's regulatory clocks (met, paused, resumed, stopped: `follow_clocks`)."""
    clocks = follow_clocks(complaint, at, (details.get("message") or {}).get("kind"))
    if clocks:
        details["clocks"] = clocks + details.get("clocks", [])
    payload = event_payload(complaint.number, event, state=state_of(complaint), by=by, at=at, **details)
    return append_entry(EntryKind.EVENT, payload, complaint_id=complaint.id,
                        private=Private(complaint.personal_salt, private) if private else None)


#: Sign an event about a complaint (what `_record` does), for the other workflow modules (joins.py).
record_event = _record


def _text(**values: str | None) -> dict[str, str] | None:
    """The free text of an event (reasons, notes, instructions) as its private part."""
    present = {name: value for name, value in values.items() if value}
    return present or None


# Shared steps ------------------------------------------------------------------------


def _require(permitted: bool, message: str) -> None:
    if not permitted:
        raise ComplaintChangeRefused(message)


def _require_owner(user: User, complaint: Complaint) -> None:
    if not rules.is_owner(user, complaint):
        raise ComplaintChangeForbidden(_("Only the complaint's owner can do this; take the complaint first."))


def _set_status(complaint: Complaint, action: Action) -> bool:
    """Move the complaint by `action` (TransitionRefused if not allowed); True if it changed."""
    status = next_status(complaint.status, action)  # the caller checked the complaint (next_status_of)
    changed = status != complaint.status
    complaint.status = status
    return changed


def _rearm(complaint: Complaint, policy: TierPolicy) -> None:
    """The next moment enforcement looks at the complaint: its own deadlines' and its clocks'."""
    complaint.next_check_at = earliest([next_alarm(complaint, policy), *(c.next_check_at for c in complaint.clocks)])


def follow_clocks(complaint: Complaint, at: datetime, message_kind: str | None) -> list[dict[str, Any]]:
    """Bring the complaint's regulatory clocks in line with its status and the message it just
    sent (app/clocks/running.follow); answers their signed changes."""
    if not complaint.clocks:
        return []
    settings = current_settings()
    changes = follow(complaint.clocks, status=complaint.status.value, at=at, message_kind=message_kind,
                     annulled=complaint.is_annulled, calendar=settings.calendar,
                     fraction=settings.due_soon_fraction)
    if changes:
        complaint.clock_due = nearest_due(complaint.clocks)
        _rearm(complaint, settings.policy)
    return changes


def _to_complainant(complaint: Complaint, kind: NotificationKind, at: datetime, **params: Any) -> dict | None:
    if not complaint.email:
        return None  # phone or post only: the letter goes by the desk
    return notification_row(kind, complaint.id, Audience.COMPLAINANT, params=params, at=at)


def to_responsible(complaint: Any, kind: NotificationKind, at: datetime, **params: Any) -> dict:
    """To the owner, or to the complaint's tier while nobody owns it (`complaint`: a model or a
    row with id, owner_id and tier)."""
    if complaint.owner_id is not None:
        return notification_row(kind, complaint.id, Audience.USER, user_id=complaint.owner_id, params=params, at=at)
    return notification_row(kind, complaint.id, Audience.TIER, tier=complaint.tier, params=params, at=at)


def _notify(*rows: dict | None) -> None:
    queue_rows([row for row in rows if row is not None])


def signed_files(evidence: tuple[Evidence, ...]) -> tuple[dict[str, Any], dict[str, Any]]:
    """What an event that brings files signs of them: their types, sizes and SHA-256 in the
    clear (payload), their names in the private part (names are personal). Empty: no files."""
    if not evidence:
        return {}, {}
    return ({"attachments": [{"content_type": e.content_type, "size": len(e.content), "sha256": e.sha256}
                             for e in evidence]},
            {"attachments": [e.filename for e in evidence]})


def store_files(complaint: Complaint, evidence: tuple[Evidence, ...], entry: RegistryEntry,
                message: CaseMessage | None = None) -> list[Attachment]:
    """Store the files `entry` signed (in the one evidence store, once per content) and their
    rows, vouched for by that entry."""
    store = EvidenceStore(Path(current_app.config["ATTACHMENTS_DIR"]))
    rows = [
        Attachment(complaint_id=complaint.id, filename=e.filename, content_type=e.content_type, size=len(e.content),
                   sha256=store.put(db.session, e), entry_position=entry.position,
                   message_id=message.id if message is not None else None)
        for e in evidence
    ]
    db.session.add_all(rows)
    return rows


def _write_message(
    complaint: Complaint, kind: MessageKind, body: str, *, by: User | None, at: datetime, event: str,
    consulted: User | None = None, evidence: tuple[Evidence, ...] = (), private_text: dict[str, str] | None = None,
    statutory_values: dict[str, str] | None = None, **details: Any,
) -> CaseMessage:
    """Store a message with its signed event and the files that came with it (their SHA-256
    signed in the event); outgoing letters take the next outgoing number and are frozen as
    issued (the letter's private part, naming the enclosed files), so every later copy is the
    same."""
    year = seq = number = None
    files_public, files_private = signed_files(evidence)
    private: dict[str, Any] = {"body": body, **files_private, **(private_text or {})}
    if kind.outgoing:
        config = current_app.config
        statutory = statutory_content(complaint, kind, at, statutory_values or {})  # refused before a number is taken
        year = registry_year(at, config["REGISTRY_TIMEZONE"])
        settings = current_settings()
        seq = take_number(outgoing_scope(year))
        number = format_number(year, seq, settings.outgoing_number_format)
        private["letter"] = issued_letter(complaint, kind, number, body, by=by, at=at,
                                          organisation=settings.organisation,
                                          timezone_name=config["REGISTRY_TIMEZONE"], evidence=evidence,
                                          statutory=statutory)
        if statutory is not None:
            details["statutory_letter"] = statutory["letter"]
    entry = _record(
        complaint, event, by=by, at=at, message={"kind": kind.value, "outgoing_number": number}, private=private,
        **({"consulted": actor(consulted)} if consulted else {}), **files_public, **details,
    )
    message = CaseMessage(
        complaint_id=complaint.id, kind=kind, body=body, created_at=at, author_id=by.id if by else None,
        consulted_id=consulted.id if consulted else None, outgoing_year=year, outgoing_seq=seq,
        outgoing_number=number, entry_position=entry.position,
    )
    db.session.add(message)
    db.session.flush()
    if evidence:
        store_files(complaint, evidence, entry, message)
        db.session.flush()
    return message


def issued_letter(
    complaint: Complaint, kind: MessageKind, number: str, body: str, *, by: User | None, at: datetime,
    organisation: Organisation, timezone_name: str, evidence: tuple[Evidence, ...] = (),
    statutory: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An outgoing letter as it is issued: everything printed on it, captured now (the addressee,
    the decision, the organisation, the enclosed files by name and SHA-256), so a later
    dispute, decision or correction never changes a letter already sent. `app.letters` renders
    exactly this."""
    letter = {
        "kind": kind.value,
        "language": complaint.language,
        "outgoing_number": number,
        "sent_at": iso_utc(at),
        "timezone": timezone_name,
        "incoming_number": complaint.number,
        "registered_at": iso_utc(complaint.registered_at),
        "addressee": {
            "name": complaint.full_name,
            "postal_address": complaint.postal_address or "",
            "email": complaint.email or "",
            "phone": complaint.phone or "",
        },
        "resolution": complaint.resolution.value if kind == MessageKind.DECISION and complaint.resolution else "",
        "body": body,
        "signatory": by.full_name if by else "",
        "organisation": asdict(organisation),
    }
    if evidence:  # letters issued before enclosures existed have no such key: they stay as issued
        letter["attachments"] = [{"name": e.filename, "sha256": e.sha256} for e in evidence]
    if kind == MessageKind.DECISION and (complaint.redress_amount is not None or complaint.redress_remedy):
        letter["redress"] = {"amount": _amount(complaint.redress_amount), "currency": complaint.redress_currency,
                             "remedy": complaint.redress_remedy or ""}
    if statutory is not None:  # the paragraphs the regulator requires, as they read when sent
        letter["statutory"] = statutory
    return letter


def statutory_content(complaint: Complaint, kind: MessageKind, at: datetime,
                      values: dict[str, str]) -> dict[str, Any] | None:
    """What the regulator requires an outgoing letter of `kind` to say (app/clocks/statutory.py),
    under the complaint's policy, in its language: the statutory letter it is and its
    paragraphs; None: nothing required. Refused (nothing sent) when the letter must name where
    the complainant may take the complaint and no ADR entity or ombudsman is set, or a value it
    needs is missing."""
    settings = current_settings()
    policy = settings.clock_policies.for_category(complaint.category)
    early = policy.early_resolution is not None and at <= settings.calendar.due(complaint.received_at,
                                                                                policy.early_resolution)
    letter = letter_for(kind.value, policy.letters, early=early)
    if letter is None:
        return None
    body = ReferralBody.from_json(settings.referral_body) if settings.referral_body else None
    if body is None and letter in NEEDS_BODY:
        if policy.referral_wording is None and not policy.clocks:
            return None  # no regulator's clocks, no body set: the letter is the officer's alone
        raise ComplaintChangeRefused(_(
            "This letter must say where the complainant may take the complaint next, and no ADR entity or "
            "ombudsman is set: an administrator sets it on the regulatory clocks page first."))
    try:
        paragraphs = statutory_paragraphs(letter, wording=policy.referral_wording, body=body,
                                          language=complaint.language, values=values)
    except StatutoryWordingError as error:
        raise ComplaintChangeRefused(str(error)) from error
    return {"letter": letter.value, "paragraphs": list(paragraphs)}


def breached_at_registration(complaint: Complaint, late: tuple[dict[str, Any], ...]) -> None:
    """Clocks that registration met after their due time (a letter received days before it was
    registered): each is a breach, recorded as enforcement records one, in a signed
    "deadline_breached" event of its own, and its tier is told. Nothing escalates a complaint
    just registered."""
    at = complaint.registered_at
    for row in late:
        kind = DeadlineKind(row["kind"].value)
        deadline = {"kind": kind.value, "due_at": iso_utc(row["due_at"]), "tier": complaint.tier}
        entry = _record(complaint, "deadline_breached", by=None, at=at, deadline=deadline)
        db.session.add(Breach(complaint_id=complaint.id, kind=kind, tier=complaint.tier, due_at=row["due_at"],
                              detected_at=at, entry_position=entry.position))
        _notify(to_responsible(complaint, NotificationKind.BREACH, at, deadline=kind.value,
                               due_at=deadline["due_at"], tier=complaint.tier))
    db.session.flush()


def escalate_to(
    complaint: Complaint, to_tier: int, reason: EscalationReason, *, note: str | None, by: User | None,
    at: datetime, policy: TierPolicy,
) -> Escalation:
    """Raise the complaint to `to_tier` as `plan_escalation` says (the new tier's resolution clock
    starts, the owner stays answerable until someone at the new tier takes it over, the new tier
    is told) and sign it as an "escalated" event. The caller re-arms the alarm."""
    plan = plan_escalation(complaint, to_tier, reason, note=note, by_id=by.id if by else None, at=at, policy=policy)
    for name, value in plan.changes.items():
        setattr(complaint, name, value)
    entry = _record(complaint, "escalated", by=by, at=at, escalation=plan.signed, private=_text(note=note))
    escalation = Escalation(**plan.row, entry_position=entry.position)
    db.session.add(escalation)
    _notify(*plan.notices, *unstaffed_notices(plan.notices, policy))
    log.info("complaint %s escalated from tier %d to %d (%s)", complaint.number, escalation.from_tier, to_tier,
             reason.value)
    return escalation


# Staff actions -------------------------------------------------------------------------


def take_complaint(complaint: Complaint, *, by: User) -> Complaint:
    """The first handler who takes the complaint owns it (or takes it over once it rose past
    its owner's tier)."""
    lock(complaint)
    next_status_of(complaint, Action.TAKE)  # a clear refusal for a closed or annulled complaint
    if not rules.can_take(by, complaint):
        if not rules.is_handler(by) or by.tier < complaint.tier:
            raise ComplaintChangeRefused(_("You cannot take this complaint: it is at tier %(tier)d.",
                                           tier=complaint.tier))
        raise ComplaintChangeRefused(_("You cannot take this complaint: %(owner)s owns it.",
                                       owner=complaint.owner.full_name))
    at = now_utc()
    previous = complaint.owner
    changed = _set_status(complaint, Action.TAKE)
    complaint.owner_id = by.id
    _rearm(complaint, current_policy())
    _record(complaint, "taken", by=by, at=at, previous_owner=actor(previous))
    if changed:
        _notify(_to_complainant(complaint, NotificationKind.STATUS_CHANGED, at, status=complaint.status.value))
    db.session.flush()
    return complaint


def _hand_over(complaint: Complaint, to: User, *, by: User, reason: str | None, at: datetime) -> User | None:
    """Management makes `to` the owner (a complaint nobody took yet is taken in passing) and
    tells them; returns the previous owner."""
    previous = complaint.owner
    changed = complaint.status == ComplaintStatus.REGISTERED and _set_status(complaint, Action.TAKE)
    complaint.owner_id = to.id
    _notify(
        notification_row(NotificationKind.ASSIGNED, complaint.id, Audience.USER, user_id=to.id, at=at,
                         params={"by": by.full_name, "reason": reason}),
        _to_complainant(complaint, NotificationKind.STATUS_CHANGED, at, status=complaint.status.value)
        if changed else None,
    )
    return previous


def assign_owner(complaint: Complaint, *, to: User, note: str | None, by: User) -> Complaint:
    """Management names the owner, at any tier; not counted as a transfer."""
    note = (note or "").strip() or None
    lock(complaint)
    # The clearest refusal first: a closed or annulled complaint is nobody's to assign.
    next_status_of(complaint, Action.TAKE if complaint.status == ComplaintStatus.REGISTERED else Action.TRANSFER)
    _require(rules.can_assign(by, complaint), _("Only management can assign an owner to this complaint."))
    _require(to.active and rules.is_handler(to),
             _("%(name)s cannot own complaints: choose a complaints officer.", name=to.full_name))
    _require(to.id != complaint.owner_id, _("%(name)s owns this complaint already.", name=to.full_name))
    at = now_utc()
    previous = _hand_over(complaint, to, by=by, reason=note, at=at)
    _rearm(complaint, current_policy())
    _record(complaint, "assigned", by=by, at=at, to=actor(to), previous_owner=actor(previous),
            private=_text(reason=note))
    db.session.flush()
    log.info("complaint %s assigned to %s by %s", complaint.number, to.username, by.username)
    return complaint


def send_back(complaint: Complaint, *, to: User, instruction: str, by: User) -> Complaint:
    """Management sends the complaint back down to an officer of a lower tier, with an
    instruction: the complaint moves to that officer's tier, whose resolution clock starts."""
    instruction = check_text(instruction, _("instruction"), MIN_REASON_LENGTH)
    lock(complaint)
    _require(rules.can_assign(by, complaint), _("Only management can send a complaint back down."))
    _require(to.active and rules.is_handler(to) and to.tier < complaint.tier,
             _("Choose an officer of a tier below %(tier)d.", tier=complaint.tier))
    policy = current_policy()
    at = now_utc()
    previous = _hand_over(complaint, to, by=by, reason=instruction, at=at)
    tiers = _enter_tier(complaint, to.tier, at, policy)
    _rearm(complaint, policy)
    _record(complaint, "sent_back", by=by, at=at, to=actor(to), previous_owner=actor(previous),
            tiers=tiers, private=_text(reason=instruction))
    db.session.flush()
    log.info("complaint %s sent back from tier %d to %s (tier %d)", complaint.number, tiers["from"], to.username,
             to.tier)
    return complaint


def _enter_tier(complaint: Complaint, tier: int, at: datetime, policy: TierPolicy) -> dict[str, int]:
    """The complaint moves to `tier`, whose resolution clock starts, as on any entry into a
    tier; answers the move as its events sign it (`tiers`). The caller re-arms the alarm."""
    moved = {"from": complaint.tier, "to": tier}
    complaint.tier = tier
    for name, value in restart_resolution_clock(at, tier, policy).items():
        setattr(complaint, name, value)
    return moved


def _move_notices(complaint: Complaint, tiers: dict[str, int], reason: str, *, by: User,
                 at: datetime, policy: TierPolicy) -> list[dict[str, Any]]:
    """Who a manager's move tells, as an escalation would: the new tier (the escalation notice,
    worded for a move: who moved it and why), the administrators when nobody works there, and
    the owner, who keeps it, unless they moved it themselves or hear of it as one of that tier."""
    params = {"from_tier": tiers["from"], "to_tier": tiers["to"], "moved_by": by.full_name, "note": reason}
    to_tier = notification_row(NotificationKind.ESCALATED, complaint.id, Audience.TIER, tier=tiers["to"], at=at,
                               params=params)
    rows = [to_tier, *unstaffed_notices([to_tier], policy)]
    owner = complaint.owner
    if owner is not None and owner.id != by.id and not (owner.tier == tiers["to"] and rules.is_handler(owner)):
        rows.append(notification_row(NotificationKind.ESCALATED, complaint.id, Audience.USER, user_id=owner.id,
                                     at=at, params={**params, "owner": True}))
    return rows


def move_to_tier(complaint: Complaint, *, tier: int, reason: str, by: User) -> Complaint:
    """Management moves an open complaint to another tier, with a reason (the case page's
    "move", the queue's bulk move): that tier's resolution clock starts, as on any entry into a
    tier, a "moved" event signs the tiers, and `_move_notices` tells whom it concerns. Not an
    escalation (no escalation row): the owner stays, and where the complaint is now above their
    tier an officer of it may take it over, as after an escalation."""
    reason = check_text(reason, _("reason"), MIN_REASON_LENGTH)
    lock(complaint)
    next_status_of(complaint, Action.MOVE)
    _require(rules.is_reviewer(by), _("Only management moves complaints between tiers."))
    policy = current_policy()
    _require(tier in {t.level for t in policy.tiers}, _("There is no tier %(tier)d.", tier=tier))
    _require(tier != complaint.tier, _("It is at tier %(tier)d already.", tier=tier))
    at = now_utc()
    tiers = _enter_tier(complaint, tier, at, policy)
    _rearm(complaint, policy)
    _record(complaint, "moved", by=by, at=at, tiers=tiers, private=_text(reason=reason))
    _notify(*_move_notices(complaint, tiers, reason, by=by, at=at, policy=policy))
    db.session.flush()
    log.info("complaint %s moved from tier %d to %d by %s", complaint.number, tiers["from"], tier, by.username)
    return complaint


def latest_escalation(complaint: Complaint) -> Escalation | None:
    return db.session.scalar(select(Escalation).where(Escalation.complaint_id == complaint.id)
                             .order_by(Escalation.id.desc()).limit(1))


def review_escalation(complaint: Complaint, *, decision: ReviewDecision, instruction: str | None, by: User,
                      to: User | None = None) -> EscalationReview:
    """A manager's review decision on a complaint on the escalation desk, signed as a "reviewed"
    event (the decision and the escalation it answers; the instruction in its private part):

    - KEEP: the owner keeps it and is told the instruction (required), shown on the case page;
    - TAKE_OVER: the manager becomes the owner (a registered complaint is taken in passing);
    - SEND_BACK: the complaint goes back down to the tier its latest escalation rose from, to
      `to`, an active officer of that tier or above but below the complaint's tier (by default
      its owner, who kept it through the escalation); that tier's resolution clock starts.

    The complaint shows as reviewed on the desk until it escalates again."""
    decision = ReviewDecision(decision)
    instruction = (instruction or "").strip() or None
    if decision != ReviewDecision.TAKE_OVER or instruction is not None:
        instruction = check_text(instruction or "", _("instruction"), MIN_REASON_LENGTH)
    lock(complaint)
    next_status_of(complaint, Action.REVIEW)
    _require(rules.is_reviewer(by), _("Only a manager who works at a tier reviews escalations."))
    escalation = latest_escalation(complaint)
    policy = current_policy()
    at = now_utc()
    details: dict[str, Any] = {}
    if decision == ReviewDecision.KEEP:
        _require(complaint.owner_id is not None, _("Nobody owns it: take it over or send it back to an officer."))
        _require(complaint.owner.active, _("%(name)s is no longer active: take it over or send it back to an officer.",
                                           name=complaint.owner.full_name))
        _notify(notification_row(NotificationKind.ASSIGNED, complaint.id, Audience.USER, user_id=complaint.owner_id,
                                 at=at, params={"by": by.full_name, "reason": instruction}))
    elif decision == ReviewDecision.TAKE_OVER:
        _require(complaint.owner_id != by.id, _("You own it already."))
        previous = complaint.owner
        changed = _set_status(complaint, Action.TAKE)
        complaint.owner_id = by.id
        details["previous_owner"] = actor(previous)
        if changed:
            _notify(_to_complainant(complaint, NotificationKind.STATUS_CHANGED, at, status=complaint.status.value))
    else:
        _require(escalation is not None and escalation.from_tier < complaint.tier,
                 _("It did not rise from a lower tier, so there is nowhere to send it back; assign an owner instead."))
        _require(to is not None and rules.may_take_back(to, escalation.from_tier, complaint),
                 _("Choose an officer of tier %(tier)d or above, below tier %(current)d.",
                   tier=escalation.from_tier, current=complaint.tier))
        previous = _hand_over(complaint, to, by=by, reason=instruction, at=at)
        details.update(to=actor(to), previous_owner=actor(previous),
                       tiers=_enter_tier(complaint, escalation.from_tier, at, policy))
    _rearm(complaint, policy)
    entry = _record(complaint, "reviewed", by=by, at=at, private=_text(instruction=instruction),
                    review={"decision": decision.value, "escalation_id": escalation.id if escalation else None},
                    **details)
    review = EscalationReview(complaint_id=complaint.id, escalation_id=escalation.id if escalation else None,
                              decision=decision, owner_id=complaint.owner_id, tier=complaint.tier,
                              instruction=instruction, reviewed_at=at, by_id=by.id, entry_position=entry.position)
    db.session.add(review)
    db.session.flush()
    log.info("complaint %s reviewed by %s: %s", complaint.number, by.username, decision.value)
    return review


class TransferOutcome(Struct, frozen=True):
    transferred_to: User | None  # None when the complaint was escalated instead
    escalation: Escalation | None


def transfer_complaint(complaint: Complaint, *, to: User, reason: str, by: User) -> TransferOutcome:
    """Hand the complaint to a colleague at or above its tier, with a reason; counted. The
    complaint follows its new owner to their tier (`rules.tier_after_transfer`): to a colleague
    at a higher tier it rises there and that tier's resolution clock starts, as on any entry
    into a tier; the event signs the new tier (and the move, `tiers`). Past the allowed number
    of transfers it is escalated to management instead of being passed on again."""
    reason = check_text(reason, _("reason"), MIN_REASON_LENGTH)
    lock(complaint)
    _require_owner(by, complaint)
    next_status_of(complaint, Action.TRANSFER)
    policy = current_policy()
    at = now_utc()
    if complaint.transfer_count >= policy.max_transfers:
        _require(complaint.tier < policy.management_tier,
                 _("This complaint was transferred %(n)d times already; keep it, or escalate it.",
                   n=complaint.transfer_count))
        escalation = escalate_to(complaint, policy.management_tier, EscalationReason.TRANSFERS,
                                 note=reason, by=by, at=at, policy=policy)
        _rearm(complaint, policy)
        db.session.flush()
        return TransferOutcome(None, escalation)
    _require(to.id != by.id, _("Choose a colleague other than yourself."))
    _require(rules.may_receive(to, complaint),
             _("%(name)s cannot own this complaint: it is at tier %(tier)d.", name=to.full_name, tier=complaint.tier))
    from_tier, to_tier = complaint.tier, rules.tier_after_transfer(to, complaint)
    complaint.owner_id = to.id
    complaint.transfer_count += 1
    moved: dict[str, Any] = {}
    if to_tier != from_tier:  # up to the new owner's tier, whose resolution clock starts, as on entering any tier
        moved = {"tiers": _enter_tier(complaint, to_tier, at, policy)}
        _rearm(complaint, policy)
    _record(complaint, "transferred", by=by, at=at, to=actor(to), transfers=complaint.transfer_count,
            private=_text(reason=reason), **moved)
    _notify(notification_row(NotificationKind.ASSIGNED, complaint.id, Audience.USER, user_id=to.id, at=at,
                             params={"by": by.full_name, "reason": reason}))
    db.session.flush()
    log.info("complaint %s transferred to %s (%d), tier %d -> %d", complaint.number, to.username,
             complaint.transfer_count, from_tier, to_tier)
    return TransferOutcome(to, None)


def add_consultation(complaint: Complaint, *, note: str, by: User, colleague: User | None = None) -> CaseMessage:
    """An internal note, visible to staff only; naming a colleague asks them for input without
    handing the complaint on. It does not stop any clock."""
    note = check_text(note, _("note"))
    lock(complaint)
    _require(rules.can_consult(by, complaint), _("Internal notes are for complaints officers."))
    next_status_of(complaint, Action.CONSULT)
    if colleague is not None:
        _require(rules.is_handler(colleague) and colleague.active and colleague.id != by.id,
                 _("%(name)s cannot be asked: choose another complaints officer.", name=colleague.full_name))
    at = now_utc()
    message = _write_message(complaint, MessageKind.CONSULTATION, note, by=by, at=at, event="consulted",
                             consulted=colleague)
    if colleague is not None:
        _notify(notification_row(NotificationKind.CONSULTATION, complaint.id, Audience.USER, user_id=colleague.id,
                                 at=at, params={"message_id": message.id}))
    return message


def _owner_moves(complaint: Complaint, action: Action, by: User, changes: dict[str, Any]) -> datetime:
    """The owner moves the complaint by `action`: lock, check, change the status and the given
    columns (a callable value gets the moment). Returns the moment."""
    lock(complaint)
    next_status_of(complaint, action)  # the clearest refusal first
    _require_owner(by, complaint)
    at = now_utc()
    _set_status(complaint, action)
    for name, value in changes.items():
        setattr(complaint, name, value(at) if callable(value) else value)
    return at


def _write_to_complainant(complaint: Complaint, action: Action, kind: MessageKind, body: str, *, by: User,
                          event: str, evidence: tuple[Evidence, ...] = (), signed: dict[str, Any] | None = None,
                          private_text: dict[str, str] | None = None,
                          statutory_values: Callable[[datetime], dict[str, str]] | None = None,
                          **changes: Any) -> CaseMessage:
    """The owner writes to the complainant: the status moves by `action`, `changes` are made
    (a callable gets the moment), the numbered letter is written with its statutory content
    (`statutory_values(at)`: what its paragraphs need), `signed` goes in the event's payload
    and `private_text` in its private part."""
    at = _owner_moves(complaint, action, by, changes)
    if kind in (MessageKind.RESPONSE, MessageKind.DECISION) and complaint.first_responded_at is None:
        complaint.first_responded_at = at  # a substantive answer stops the first-response clock
    _rearm(complaint, current_policy())
    message = _write_message(complaint, kind, body, by=by, at=at, event=event, evidence=evidence,
                             private_text=private_text,
                             statutory_values=statutory_values(at) if statutory_values else None,
                             **({"resolution": complaint.resolution.value} if kind == MessageKind.DECISION else {}),
                             **(signed or {}))
    _notify(_to_complainant(complaint, NotificationKind.MESSAGE, at, message_id=message.id))
    log.info("complaint %s: %s by %s", complaint.number, event, by.username)
    return message


def respond(complaint: Complaint, *, body: str, by: User, evidence: tuple[Evidence, ...] = ()) -> CaseMessage:
    """A substantive response to the complainant (with enclosed files, if any): stops the
    first-response clock."""
    return _write_to_complainant(complaint, Action.RESPOND, MessageKind.RESPONSE, check_text(body, _("response")),
                                 by=by, event="responded", evidence=evidence)


def request_information(complaint: Complaint, *, body: str, by: User,
                        evidence: tuple[Evidence, ...] = ()) -> CaseMessage:
    """Ask the complainant for something; the complaint waits for their reply. Not a
    substantive response: the first-response clock keeps running."""
    return _write_to_complainant(complaint, Action.REQUEST_INFORMATION, MessageKind.INFORMATION_REQUEST,
                                 check_text(body, _("request")), by=by, event="information_requested",
                                 evidence=evidence)


class Redress(Struct, frozen=True):
    """What a decision offers: an amount in a currency, a remedy that is not money, or both."""

    amount: Decimal | None = None
    currency: str | None = None
    remedy: str | None = None

    def checked(self) -> Redress | None:
        """The redress tidied, or ComplaintChangeRefused; None when it offers nothing."""
        remedy = (self.remedy or "").strip() or None
        currency = (self.currency or "").strip().upper() or None
        if self.amount is None and remedy is None:
            return None
        if self.amount is not None:
            _require(self.amount > 0 and self.amount == round(self.amount, 2) and self.amount < Decimal("1e12"),
                     _("The redress amount must be positive, with at most two decimals."))
            _require(currency is not None and len(currency) == 3 and currency.isascii() and currency.isalpha(),
                     _("Give the redress's currency as its three-letter code (e.g. MDL, EUR, GBP)."))
        if remedy is not None:
            remedy = check_text(remedy, _("remedy"))
        return Redress(Decimal(self.amount).quantize(Decimal("0.01")) if self.amount is not None else None,
                       currency if self.amount is not None else None, remedy)


def resolve(complaint: Complaint, *, resolution: Resolution, reasons: str, by: User,
            evidence: tuple[Evidence, ...] = (), redress: Redress | None = None) -> CaseMessage:
    """The final response: the decision (upheld, partly upheld or rejected) with its reasons and
    the redress it offers, sent to the complainant as a numbered letter carrying what the
    regulator requires (where to refer the complaint next, in the policy's wording); the
    resolution clock stops and every regulatory clock is met."""
    reasons = check_text(reasons, _("reasons for the decision"), MIN_REASON_LENGTH)
    redress = redress.checked() if redress is not None else None
    signed = {"redress": {"amount": _amount(redress.amount), "currency": redress.currency,
                          "remedy": redress.remedy is not None}} if redress else {}
    return _write_to_complainant(
        complaint, Action.RESOLVE, MessageKind.DECISION, reasons, by=by, event="resolved", evidence=evidence,
        signed=signed, private_text={"remedy": redress.remedy} if redress and redress.remedy else None,
        resolution=Resolution(resolution), resolved_at=lambda at: at,
        closure_band=lambda at: _closure_band(complaint, at), **stopped_resolution_clock(),
        redress_amount=redress.amount if redress else None, redress_currency=redress.currency if redress else None,
        redress_remedy=redress.remedy if redress else None,
    )


def _closure_band(complaint: Complaint, at: datetime) -> str | None:
    """The closure band of a decision made at `at` (app/clocks/bands.py), by the category's
    clock policy and the calendar in force now: a fact of the decision, signed with it."""
    settings = current_settings()
    paused = next((clock.paused_seconds or 0 for clock in complaint.clocks if clock.kind == ClockKind.FINAL_RESPONSE),
                  0)
    return decided_band(complaint.received_at, at, paused,
                        settings.clock_policies.for_category(complaint.category).closure_bands, settings.calendar)


def _letter_day(moment: datetime | date, complaint: Complaint) -> str:
    """A day as the complaint's letters print it (its language's style, the registry's zone)."""
    return format_day(moment, complaint.language, current_app.config["REGISTRY_TIMEZONE"])


def send_holding_response(complaint: Complaint, *, body: str, by: User, expected_on: date, reason: str,
                          evidence: tuple[Evidence, ...] = ()) -> CaseMessage:
    """Why there is no final response yet (`reason`) and when it will come (`expected_on`): the
    FCA's 8-week letter, a holding response, with the paragraphs its policy requires; a numbered
    letter that meets the clocks its policy says it meets; the status stays as it is."""
    reason = check_text(reason, _("reason"), MIN_REASON_LENGTH)
    _require(expected_on > local_today(current_app.config["REGISTRY_TIMEZONE"]),
             _("The day the final response is expected must be in the future."))
    return _write_to_complainant(
        complaint, Action.HOLD, MessageKind.HOLDING_RESPONSE, check_text(body, _("holding response")), by=by,
        event="holding_response_sent", evidence=evidence, signed={"expected_on": expected_on.isoformat()},
        private_text={"reason": reason},
        statutory_values=lambda at: {"due": _letter_day(expected_on, complaint), "reason": reason})


def _extension_refused(refusal: str, clock: ComplaintClock) -> str:
    rule = rule_of(clock)
    name = clock.kind.title.lower()
    return {
        "not_extendable": _("The %(clock)s deadline cannot be extended under its policy.", clock=name),
        "not_running": _("The %(clock)s deadline no longer runs.", clock=name),
        "extended_already": _("The %(clock)s deadline was extended already; it is extended once at most.",
                              clock=name),
        "beyond_limit": _("The %(clock)s deadline may be extended by %(limit)d %(unit)s at most.", clock=name,
                          limit=rule.extension or 0, unit=rule.period.unit.title),
        "passed": _("The %(clock)s deadline has passed; it can no longer be extended.", clock=name),
    }[refusal]


def extend_clock(complaint: Complaint, *, kind: ClockKind, amount: int, reason: str, by: User,
                 notice: str | None = None) -> tuple[dict[str, Any], CaseMessage | None]:
    """The owner extends a regulatory clock once, by at most what its policy allows, before it
    passes, with a reason; where the policy requires it, the complainant is told in a numbered
    notice letter (`notice`, in the complaint's language), signed in the same event. Answers
    the signed change and the letter."""
    reason = check_text(reason, _("reason"), MIN_REASON_LENGTH)
    lock(complaint)
    next_status_of(complaint, Action.EXTEND)
    _require_owner(by, complaint)
    clock = next((c for c in complaint.clocks if c.kind == kind), None)
    _require(clock is not None, _("This complaint runs no %(clock)s deadline.", clock=ClockKind(kind).title.lower()))
    at = now_utc()
    refusal = extension_refusal(clock, amount, at)
    if refusal is not None:
        raise ComplaintChangeRefused(_extension_refused(refusal, clock))
    needs_notice = rule_of(clock).extension_notice
    if needs_notice:
        notice = check_text(notice or "", _("notice to the complainant"))
    settings = current_settings()
    change = extend(clock, amount, at, calendar=settings.calendar, fraction=settings.due_soon_fraction)
    complaint.clock_due = nearest_due(complaint.clocks)
    _rearm(complaint, settings.policy)
    message = None
    if needs_notice:
        last_day = clock.due_at - timedelta(microseconds=1)  # a day's count ends at its midnight
        message = _write_message(complaint, MessageKind.EXTENSION_NOTICE, notice, by=by, at=at,
                                 event="clock_extended", clocks=[change], private_text={"reason": reason},
                                 statutory_values={"days": str(amount), "due": _letter_day(last_day, complaint),
                                                   "reason": reason})
        _notify(_to_complainant(complaint, NotificationKind.MESSAGE, at, message_id=message.id))
    else:
        _record(complaint, "clock_extended", by=by, at=at, clocks=[change], private=_text(reason=reason))
        db.session.flush()
    log.info("complaint %s: %s deadline extended by %d by %s", complaint.number, kind, amount, by.username)
    return change, message


def _recorded_day(complaint: Complaint, day: date, what: str) -> datetime:
    """A day something happened outside (a payment, a referral), checked: not in the future, not
    before the decision; as the start of that day in the registry's time zone."""
    zone = current_app.config["REGISTRY_TIMEZONE"]
    _require(day <= local_today(zone), _("The date cannot be in the future."))
    if complaint.resolved_at is not None and what == "redress":
        _require(day >= complaint.resolved_at.astimezone(ZoneInfo(zone)).date(),
                 _("The redress cannot have been paid before the decision (%(date)s).",
                   date=_letter_day(complaint.resolved_at, complaint)))
    return local_day_start(day, zone)


def record_redress_paid(complaint: Complaint, *, paid_on: date, by: User) -> Complaint:
    """The redress the decision offered was paid (or the remedy carried out) on `paid_on`: kept
    on the complaint and signed as a "redress_paid" event; the returns count it in that period."""
    lock(complaint)
    next_status_of(complaint, Action.RECORD_REDRESS_PAID)
    _require(rules.is_handler(by), _("Only complaints officers record this."))
    _require(complaint.redress_amount is not None or bool(complaint.redress_remedy),
             _("The decision on %(number)s offered no redress.", number=complaint.number))
    _require(complaint.redress_paid_at is None, _("The redress is recorded as paid already."))
    complaint.redress_paid_at = _recorded_day(complaint, paid_on, "redress")
    _record(complaint, "redress_paid", by=by, at=now_utc(),
            redress={"paid_on": paid_on.isoformat(), "amount": _amount(complaint.redress_amount),
                     "currency": complaint.redress_currency})
    db.session.flush()
    return complaint


def record_referral(complaint: Complaint, *, referred_on: date, reference: str | None, by: User) -> Complaint:
    """The complainant took the complaint to the ADR entity or ombudsman on `referred_on` (as
    its notice says), under its `reference`: kept on the complaint and signed as a "referred"
    event, with the body it went to; the Gambling Commission's return counts it."""
    reference = (reference or "").strip() or None
    _require(reference is None or len(reference) <= 100, _("The reference is at most 100 characters."))
    lock(complaint)
    next_status_of(complaint, Action.RECORD_REFERRAL)
    _require(rules.is_handler(by), _("Only complaints officers record this."))
    _require(complaint.referred_at is None, _("The referral is recorded already."))
    complaint.referred_at = _recorded_day(complaint, referred_on, "referral")
    complaint.referral_reference = reference
    body = current_settings().referral_body
    _record(complaint, "referred", by=by, at=now_utc(),
            referral={"referred_on": referred_on.isoformat(), "reference": reference,
                      "body": body["name"] if body else None})
    db.session.flush()
    return complaint


def _change_status(complaint: Complaint, action: Action, *, by: User, event: str, **changes: Any) -> Complaint:
    at = _owner_moves(complaint, action, by, changes)
    _rearm(complaint, current_policy())
    _record(complaint, event, by=by, at=at)
    _notify(_to_complainant(complaint, NotificationKind.STATUS_CHANGED, at, status=complaint.status.value))
    db.session.flush()
    return complaint


def close(complaint: Complaint, *, by: User) -> Complaint:
    """Close a decided complaint; the complainant is asked to rate the handling (app/workflow/verdict.py)."""
    _change_status(complaint, Action.CLOSE, by=by, event="closed", closed_at=lambda at: at)
    request_rating(complaint, complaint.closed_at, current_settings().rating_window_days)
    db.session.flush()
    return complaint


def resume(complaint: Complaint, *, by: User) -> Complaint:
    """Take a waiting, answered or reopened complaint up again."""
    return _change_status(complaint, Action.RESUME, by=by, event="resumed")


def escalate(complaint: Complaint, *, reason: str, by: User) -> Escalation:
    """The owner raises the complaint to the next tier, with a reason."""
    reason = check_text(reason, _("reason"), MIN_REASON_LENGTH)
    lock(complaint)
    _require_owner(by, complaint)
    next_status_of(complaint, Action.ESCALATE)
    policy = current_policy()
    to_tier = policy.next_level(complaint.tier)
    _require(to_tier is not None, _("The complaint is already at the highest tier (%(tier)d).",
                                    tier=complaint.tier))
    escalation = escalate_to(complaint, to_tier, EscalationReason.OWNER_REQUEST, note=reason, by=by,
                             at=now_utc(), policy=policy)
    _rearm(complaint, policy)
    db.session.flush()
    return escalation


def _reopen_columns(complaint: Complaint, at: datetime, policy: TierPolicy) -> None:
    """A reopened complaint has no decision any more, and its resolution clock starts again."""
    complaint.resolution = None
    complaint.resolved_at = None
    complaint.closure_band = None
    complaint.closed_at = None
    for name, value in restart_resolution_clock(at, complaint.tier, policy).items():
        setattr(complaint, name, value)


def reopen(complaint: Complaint, *, reason: str, by: User) -> Complaint:
    """The owner or management reopens a resolved or closed complaint, with a reason: the
    decision is set aside and the resolution clock starts again, as on a dispute."""
    reason = check_text(reason, _("reason"), MIN_REASON_LENGTH)
    lock(complaint)
    next_status_of(complaint, Action.REOPEN)  # the clearest refusal first
    if not rules.can_reopen(by, complaint):
        raise ComplaintChangeForbidden(_("Only the complaint's owner or management can reopen it."))
    policy = current_policy()
    at = now_utc()
    _set_status(complaint, Action.REOPEN)
    _reopen_columns(complaint, at, policy)
    _rearm(complaint, policy)
    _record(complaint, "reopened", by=by, at=at, private=_text(reason=reason))
    _notify(_to_complainant(complaint, NotificationKind.STATUS_CHANGED, at, status=complaint.status.value))
    db.session.flush()
    log.info("complaint %s reopened by %s", complaint.number, by.username)
    return complaint


# The complainant -----------------------------------------------------------------------

#: How a reply or a dispute reaches the desk when it does not come through the tracking page.
RECEIVED_CHANNELS = (Channel.POST, Channel.PHONE, Channel.IN_PERSON, Channel.EMAIL)


class Received(Struct, frozen=True):
    """A reply or dispute that came on paper, by phone, in person (or an e-mail handled by
    hand): how it came, the day it was received, and the member of staff who records it."""

    channel: Channel
    received_on: date
    by: User

    def signed(self) -> dict[str, Any]:
        return {"channel": self.channel.value, "received_on": self.received_on.isoformat(),
                "recorded_by": actor(self.by)}


def _check_received(complaint: Complaint, received: Received) -> None:
    _require(received.by.can(Permission.CORRESPONDENCE),
             _("Only the front desk and complaints officers record what a complainant sent."))
    _require(received.channel in RECEIVED_CHANNELS, _("Choose how it came: post, phone, in person or e-mail."))
    zone = current_app.config["REGISTRY_TIMEZONE"]
    _require(received.received_on <= local_today(zone), _("The date received cannot be in the future."))
    registered_on = complaint.registered_at.astimezone(ZoneInfo(zone)).date()
    _require(received.received_on >= registered_on,
             _("The date received cannot be before the complaint was registered (%(date)s).",
               date=format_day(registered_on, get_locale())))


class ComplainantReply(Struct, frozen=True):
    message: CaseMessage
    escalation: Escalation | None


def complainant_reply(
    complaint: Complaint, *, body: str, dispute: bool = False, ask_escalation: bool = False,
    received: Received | None = None, mail: dict[str, Any] | None = None,
    evidence: tuple[Evidence, ...] = (),
) -> ComplainantReply:
    """The complainant writes back, with files if they like: from the tracking page, by e-mail
    (`mail`: what the signed event says of the message: its raw SHA-256 and its files',
    app/mailin), or (`received`) by post, phone or in person, recorded by staff; the same moves
    either way. From registration on: a reply before anyone took the complaint leaves it
    registered, its first-response clock running, and tells its tier. A dispute reopens an
    answered complaint (its resolution clock starts again) and, if they ask, escalates it."""
    body = check_text(body, _("message"))
    lock(complaint)
    action = Action.DISPUTE if dispute else Action.COMPLAINANT_REPLY
    next_status_of(complaint, action)
    if received is not None:
        _check_received(complaint, received)
    policy = current_policy()
    at = now_utc()
    _set_status(complaint, action)
    complaint.contact_count += 1
    if dispute:
        _reopen_columns(complaint, at, policy)
    kind = MessageKind.DISPUTE if dispute else MessageKind.COMPLAINANT_REPLY
    message = _write_message(complaint, kind, body, by=None, at=at,
                             event="disputed" if dispute else "complainant_replied", evidence=evidence,
                             escalation_requested=bool(dispute and ask_escalation),
                             **({"received": received.signed()} if received is not None else {}),
                             **({"mail": mail} if mail is not None else {}))
    if received is not None:
        message.channel = received.channel
        message.received_on = received.received_on
        message.recorded_by_id = received.by.id
    escalation = None
    to_tier = policy.next_level(complaint.tier)
    if dispute and ask_escalation and to_tier is not None:
        escalation = escalate_to(complaint, to_tier, EscalationReason.COMPLAINANT_REQUEST, note=None, by=None,
                                 at=at, policy=policy)
    _rearm(complaint, policy)
    _notify(to_responsible(complaint, NotificationKind.COMPLAINANT_REPLY, at, message_id=message.id))
    db.session.flush()
    return ComplainantReply(message, escalation)


#: How documents that arrived later reach the desk.
DOCUMENT_CHANNELS = (Channel.POST, Channel.IN_PERSON, Channel.EMAIL)


def add_documents(complaint: Complaint, *, evidence: tuple[Evidence, ...], received: Received,
                  note: str | None = None) -> list[Attachment]:
    """Documents about the complaint that arrived later (by post, in person, by e-mail handled
    by hand), added by the desk: a signed "documents_added" event with each file's SHA-256, how
    and when they came and who added them; the note and the names in its private part. The
    status and the clocks stay as they are."""
    note = (note or "").strip() or None
    _require(bool(evidence), _("Attach at least one document."))
    lock(complaint)
    _require(not complaint.is_annulled, _("%(number)s is annulled; nothing is added to it.", number=complaint.number))
    _check_received(complaint, received)
    at = now_utc()
    files_public, files_private = signed_files(evidence)
    entry = _record(complaint, "documents_added", by=received.by, at=at, received=received.signed(),
                    private={**files_private, **({"note": note} if note else {})}, **files_public)
    rows = store_files(complaint, evidence, entry)
    db.session.flush()
    log.info("complaint %s: %d document(s) added by %s", complaint.number, len(rows), received.by.username)
    return rows


# Letters on paper ----------------------------------------------------------------------


def mark_letter_posted(message: CaseMessage, *, by: User) -> CaseMessage:
    """An outgoing letter is put in the post (to a complainant without e-mail): the day is kept
    on the letter and signed as a "letter_posted" event (its number, the day, by whom)."""
    complaint = db.session.get(Complaint, message.complaint_id)
    lock(complaint)
    db.session.refresh(message)  # posted by someone else while we waited for the lock?
    _require(by.can(Permission.CORRESPONDENCE), _("Only the front desk and complaints officers post letters."))
    _require(message.outgoing_number is not None, _("Only an outgoing letter is put in the post."))
    _require(message.posted_at is None,
             _("Letter %(number)s is marked as posted already.", number=message.outgoing_number))
    at = now_utc()
    message.posted_at = at
    posted_on = at.astimezone(ZoneInfo(current_app.config["REGISTRY_TIMEZONE"])).date()
    _record(complaint, "letter_posted", by=by, at=at,
            letter={"outgoing_number": message.outgoing_number, "posted_on": posted_on.isoformat()})
    db.session.flush()
    log.info("letter %s of complaint %s posted by %s", message.outgoing_number, complaint.number, by.username)
    return message

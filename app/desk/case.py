"""What the case page shows: the record, its history and prints, the complainant's other
complaints, and the handling panel (owner, tier, deadlines, correspondence, the action forms
this user is offered)."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from msgspec import Struct, field
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from ..answers.models import AnswerTemplateVersion
from ..answers.operations import offered_versions, versions_used
from ..auth.models import User
from ..clock import now_utc
from ..clocks.models import ComplaintClock
from ..clocks.policy import ClockRule
from ..clocks.running import ORDER, rule_of
from ..complaints.categories import category_name
from ..complaints.models import Attachment, Channel, Complaint
from ..extensions import db
from ..languages import LANGUAGES, SUPPORTED_LANGUAGES
from ..receipts.models import ReceiptPrint
from ..registry.models import RegistryEntry
from ..registry.verify import signed_clocks
from ..settings.store import current_policy
from ..settings.tiers import Tier
from ..workflow.deadlines import DueState, clock_due_state, first_response_state, resolution_state
from ..workflow.joins import joined_here, related_to
from ..workflow.models import Breach, CaseMessage, Escalation, EscalationReview
from ..workflow.reviews import standing_reviews
from ..workflow.verdict import verdict_of
from .actions import ACTIONS, handlers, make_form
from .forms import ReasonForm
from .history import case_history


class ClockView(Struct, frozen=True):
    """One regulatory clock as the case page shows it: due when, how it stands, its history."""

    clock: ComplaintClock
    rule: ClockRule
    state: DueState
    history: list[tuple[datetime, str, datetime | None]]  # (when, what happened, due then)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.clock, name)


#: What happened to a clock, for people.
CLOCK_EVENTS = {
    "started": _l("started"), "met": _l("met"), "paused": _l("paused: waiting for the complainant"),
    "resumed": _l("resumed"), "extended": _l("extended"), "breached": _l("breached"), "stopped": _l("stopped"),
}


def clock_views(complaint: Complaint, now: datetime, fraction: float) -> list[ClockView]:
    """The complaint's regulatory clocks, each with its history read from the signed entries."""
    if not complaint.clocks:
        return []
    histories: dict[str, list[tuple[datetime, str, datetime | None]]] = {}
    for recorded_at, payload in db.session.execute(
        select(RegistryEntry.recorded_at, RegistryEntry.payload)
        .where(RegistryEntry.complaint_id == complaint.id, RegistryEntry.payload.contains('"clocks":'))
        .order_by(RegistryEntry.position)
    ):
        for change in signed_clocks(json.loads(payload)):
            histories.setdefault(change["kind"], []).append(
                (recorded_at, str(CLOCK_EVENTS.get(change["event"], change["event"])),
                 datetime.fromisoformat(change["due_at"]) if change.get("due_at") else None))
    ordered = sorted(complaint.clocks, key=lambda c: ORDER.index(c.kind))
    return [ClockView(clock, rule_of(clock), clock_due_state(clock, now, fraction), histories.get(clock.kind.value, []))
            for clock in ordered]


class CasePanel(Struct):
    complaint: Complaint
    tier: Tier
    max_transfers: int
    first_response: DueState
    resolution: DueState
    messages: list[CaseMessage]
    escalations: list[Escalation]
    breaches: list[Breach]
    clocks: list[ClockView]
    offered: list[str]  # names of the action forms this user may use, in display order
    forms: dict[str, Any] = field(default_factory=dict)
    tiers: dict[int, Tier] = field(default_factory=dict)
    #: Management's review decision that still stands (until the complaint escalates again).
    review: EscalationReview | None = None
    #: The answer templates offered for the complaint, to the forms that take one.
    templates: list[AnswerTemplateVersion] = field(default_factory=list)
    #: The template version each letter was started from, by message id.
    started_from: dict[int, AnswerTemplateVersion] = field(default_factory=dict)


def case_panel(complaint: Complaint, user: User, bound: dict[str, Any] | None = None) -> CasePanel:
    """Everything the case page's handling panels show; `bound` holds a submitted form to show
    again with its errors."""
    policy = current_policy()
    now = now_utc()
    offered = [name for name, action in ACTIONS.items() if action.offered(user, complaint)]
    staff = handlers() if any(ACTIONS[name].colleagues for name in offered) else []  # one query for every form
    forms = {name: make_form(ACTIONS[name], complaint, user, staff=staff) for name in offered}
    for name, form in (bound or {}).items():  # a refused form is shown again, with why
        forms[name] = form
        if name not in offered:
            offered.append(name)
    messages = list(db.session.scalars(
        select(CaseMessage).where(CaseMessage.complaint_id == complaint.id)
        .options(selectinload(CaseMessage.author), selectinload(CaseMessage.consulted),
                 selectinload(CaseMessage.recorded_by))
        .order_by(CaseMessage.id)
    ))
    return CasePanel(
        complaint=complaint,
        tier=policy.tier(complaint.tier),
        max_transfers=policy.max_transfers,
        first_response=first_response_state(complaint, now, policy.due_soon_fraction),
        resolution=resolution_state(complaint, now, policy.due_soon_fraction),
        messages=messages,
        escalations=list(db.session.scalars(
            select(Escalation).where(Escalation.complaint_id == complaint.id).order_by(Escalation.id))),
        breaches=list(db.session.scalars(
            select(Breach).where(Breach.complaint_id == complaint.id).order_by(Breach.id))),
        clocks=clock_views(complaint, now, policy.due_soon_fraction),
        offered=offered,
        forms=forms,
        tiers={t.level: t for t in policy.tiers},
        review=standing_reviews([complaint.id]).get(complaint.id),
        templates=offered_versions(complaint) if any(hasattr(f, "template_field") for f in forms.values()) else [],
        started_from=versions_used([m.id for m in messages if m.outgoing_number]),
    )


class AddedDocument(Struct, frozen=True):
    """A document the desk added after registration, with how and when it came."""

    attachment: Attachment
    channel: str
    received_on: date
    recorded_by: str | None


def added_documents(complaint: Complaint) -> list[AddedDocument]:
    """The documents added on their own ("documents_added"), read with the signed event that
    brought them."""
    rows = db.session.execute(
        select(Attachment, RegistryEntry.payload)
        .join(RegistryEntry, RegistryEntry.position == Attachment.entry_position)
        .where(Attachment.complaint_id == complaint.id, Attachment.message_id.is_(None))
        .order_by(Attachment.id))
    documents = []
    for attachment, payload in rows:
        received = json.loads(payload).get("received") or {}
        documents.append(AddedDocument(
            attachment, Channel(received["channel"]).title if received.get("channel") else "",
            date.fromisoformat(received["received_on"]) if received.get("received_on") else None,
            (received.get("recorded_by") or {}).get("name")))
    return documents


def case_page(complaint: Complaint, user: User, bound: dict[str, Any] | None = None) -> dict[str, Any]:
    """The case page's template context for `user`; `bound` holds a submitted action form to
    show again with its errors."""
    language = str(get_locale() or "en")
    contacts = [c for c in (complaint.email, complaint.phone) if c]
    others = []
    if contacts:
        others = db.session.scalars(
            select(Complaint)
            .where(
                Complaint.id != complaint.id,
                # An address whatever its case, as the figures count it (ix_complaints_lower_email).
                or_(*([func.lower(Complaint.email) == func.lower(complaint.email)] if complaint.email else []),
                    *([Complaint.phone == complaint.phone] if complaint.phone else [])),
            )
            .order_by(Complaint.year.desc(), Complaint.seq.desc())
            .limit(50)
        ).all()
    prints = db.session.scalars(
        select(ReceiptPrint).where(ReceiptPrint.complaint_id == complaint.id).order_by(ReceiptPrint.reprint_number)
    ).all()
    printers = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_({p.printed_by_id for p in prints})))}
    registered_by = db.session.get(User, complaint.registered_by_id) if complaint.registered_by_id else None
    return {
        "complaint": complaint,
        "category": category_name(complaint.category, language),  # the reader's, as everything staff read
        "history": case_history(complaint.id, language),
        "prints": prints,
        "printers": printers,
        "registered_by": registered_by,
        "others": others,
        "languages": [(code, LANGUAGES[code]) for code in SUPPORTED_LANGUAGES],
        "annul_form": ReasonForm(prefix="annul"),
        "added_documents": added_documents(complaint),
        "panel": case_panel(complaint, user, bound),
        "joined_here": joined_here(complaint),
        "related": related_to(complaint),
        "verdict": verdict_of(complaint),
    }

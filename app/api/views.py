"""What the staff endpoints answer: plain JSON-ready dicts built from the models and from
what the queue and the case page already compute (queue lines, due states, the signed history).

The shapes are the schemas of app/api/openapi.py; tests/test_openapi.py holds them together.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..answers.models import AnswerTemplate
from ..answers.placeholders import placeholders_in
from ..auth.models import User
from ..complaints.categories import category_name
from ..complaints.models import Attachment, Complaint
from ..desk.history import case_history
from ..extensions import db
from ..queue.queries import QueueLine
from ..settings.store import current_policy
from ..workflow import rules
from ..workflow.deadlines import first_response_state, resolution_state
from ..workflow.models import Breach, CaseMessage, Escalation
from ..workflow.states import Action


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment is not None else None


def _person(user_id: int | None, name: str | None) -> dict[str, Any] | None:
    return None if user_id is None else {"id": user_id, "name": name}


def staff_url(slug: str) -> str:
    return url_for("api.staff_complaint", reference=slug, _external=True)


def queue_item(line: QueueLine) -> dict[str, Any]:
    """One line of the staff queue, as the queue page shows it."""
    row = line.row
    return {
        "number": row.number,
        "subject": row.subject,
        "category": row.category,
        "status": row.status.value,
        "tier": row.tier,
        "owner": _person(row.owner_id, row.owner_name),
        "registered_at": iso(row.registered_at),
        "first_response_due": iso(row.first_response_due),
        "first_responded_at": iso(row.first_responded_at),
        "resolution_due": iso(row.resolution_due),
        "deadline": {"kind": line.kind, "due": iso(line.due), "warn_at": iso(line.warn_at),
                     "state": line.state.value},
        "first_response_breached": line.breached,
        "url": staff_url(row.slug),
    }


def message_item(message: CaseMessage) -> dict[str, Any]:
    return {
        "id": message.id,
        "kind": message.kind.value,
        "from_complainant": message.kind.from_complainant,
        "outgoing_number": message.outgoing_number,
        "created_at": iso(message.created_at),
        "author": _person(message.author_id, message.author.full_name if message.author else None),
        "consulted": _person(message.consulted_id, message.consulted.full_name if message.consulted else None),
        "body": message.body,
    }


def _file(a: Attachment) -> dict[str, Any]:
    return {"id": a.id, "filename": a.filename, "content_type": a.content_type, "size": a.size, "sha256": a.sha256}


def staff_complaint(complaint: Complaint, user: User, now: datetime) -> dict[str, Any]:
    """The case page's content for `user` at `now`: the record, handling, deadlines,
    correspondence (internal notes included) and the signed history."""
    fraction = current_policy().due_soon_fraction
    owner = complaint.owner
    messages = db.session.scalars(
        select(CaseMessage).where(CaseMessage.complaint_id == complaint.id)
        .options(selectinload(CaseMessage.author), selectinload(CaseMessage.consulted)).order_by(CaseMessage.id)
    )
    escalations = db.session.scalars(
        select(Escalation).where(Escalation.complaint_id == complaint.id).order_by(Escalation.id))
    breaches = db.session.scalars(select(Breach).where(Breach.complaint_id == complaint.id).order_by(Breach.id))
    return {
        "number": complaint.number,
        "status": complaint.status.value,
        "status_title": complaint.status.title,
        "channel": complaint.channel.value,
        "registered_at": iso(complaint.registered_at),
        "received_at": iso(complaint.received_at),
        "complainant": {
            "full_name": complaint.full_name,
            "email": complaint.email,
            "phone": complaint.phone,
            "postal_address": complaint.postal_address,
            "language": complaint.language,
        },
        "category": complaint.category,
        "category_name": category_name(complaint.category, user.language),
        "subject": complaint.subject,
        "description": complaint.description,
        "desired_outcome": complaint.desired_outcome,
        "signature": complaint.signature_name,
        "attachments": [_file(a) for a in complaint.attachments],
        # Every file of the complaint: the intake's, then those that came later (a reply, a letter,
        # documents added), each with the signed event that brought it (None: the intake).
        "documents": [
            {**_file(a), "entry_position": a.entry_position}
            for a in db.session.scalars(select(Attachment).where(Attachment.complaint_id == complaint.id)
                                        .order_by(Attachment.id))
        ],
        "tier": complaint.tier,
        "owner": _person(owner.id, owner.full_name) if owner else None,
        "transfer_count": complaint.transfer_count,
        "first_response": {
            "due": iso(complaint.first_response_due),
            "responded_at": iso(complaint.first_responded_at),
            "state": first_response_state(complaint, now, fraction).value,
        },
        "resolution": {
            "due": iso(complaint.resolution_due),
            "decision": complaint.resolution.value if complaint.resolution else None,
            "resolved_at": iso(complaint.resolved_at),
            "closed_at": iso(complaint.closed_at),
            "state": resolution_state(complaint, now, fraction).value,
        },
        "can_respond": rules.can_act(user, complaint, Action.RESPOND),
        "messages": [message_item(m) for m in messages],
        "escalations": [
            {"from_tier": e.from_tier, "to_tier": e.to_tier, "reason": e.reason.value, "note": e.note,
             "escalated_at": iso(e.escalated_at)}
            for e in escalations
        ],
        "breaches": [
            {"kind": b.kind.value, "tier": b.tier, "due_at": iso(b.due_at), "detected_at": iso(b.detected_at)}
            for b in breaches
        ],
        "history": [
            {"position": h.position, "at": iso(h.at), "kind": h.kind.value, "title": h.title, "by": h.by,
             "reason": h.reason, "fingerprint": h.fingerprint}
            for h in case_history(complaint.id)
        ],
        "url": staff_url(complaint.slug),
    }


def template_item(template: AnswerTemplate) -> dict[str, Any]:
    """An answer template with its current version: the title and body per language written
    (the body with its placeholders unfilled) and the placeholders each body holds."""
    version = template.current
    return {
        "id": template.id,
        "category": template.category,
        "version_id": version.id,
        "version": version.number,
        "texts": {t.language: {"title": t.title, "body": t.body, "placeholders": placeholders_in(t.body)}
                  for t in version.texts},
    }

"""Changes to a registered complaint. None of them edits the record in place without a trace:
each appends a signed registry entry (annulment, correction) or a row (a receipt print).
They flush, never commit; the caller commits the unit of work.
"""

from __future__ import annotations

import logging
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext

from ..auth.models import User
from ..clock import now_utc
from ..extensions import db
from ..receipts.models import ReceiptPrint
from ..registry.chain import append_entry
from ..registry.models import EntryKind, RegistryEntry
from ..registry.numbering import take_number
from ..workflow.deadlines import stopped_resolution_clock
from ..workflow.states import Action, next_status
from .errors import ComplaintChangeRefused
from .models import CORRECTABLE, Complaint

__all__ = ["ComplaintChangeRefused", "annul_complaint", "correct_complaint", "record_receipt_print"]

log = logging.getLogger(__name__)

MIN_REASON_LENGTH = 5


def _actor(user: User) -> dict[str, Any]:
    return {"id": user.id, "username": user.username, "name": user.full_name}


def _check_reason(reason: str) -> str:
    reason = " ".join(reason.split())
    if len(reason) < MIN_REASON_LENGTH:
        raise ComplaintChangeRefused(ngettext("Give the reason (at least %(num)d character).",
                                                "Give the reason (at least %(num)d characters).", MIN_REASON_LENGTH))
    return reason


def _lock(complaint: Complaint) -> None:
    """Re-read the complaint and hold its row until commit, so two clerks acting at once cannot
    both pass the checks (say, annul it twice)."""
    db.session.refresh(complaint, with_for_update=True)


def annul_complaint(complaint: Complaint, *, reason: str, by: User) -> RegistryEntry:
    """Annul a record registered by mistake. It keeps its number; the annulment is signed."""
    reason = _check_reason(reason)
    _lock(complaint)
    if complaint.is_annulled:
        raise ComplaintChangeRefused(_("%(number)s is already annulled.", number=complaint.number))
    status = next_status(complaint.status, Action.ANNUL)  # only before anyone answered it
    entry = append_entry(
        EntryKind.ANNULMENT,
        {"type": "annulment", "number": complaint.number, "reason": reason, "by": _actor(by)},
        complaint_id=complaint.id,
    )
    complaint.status = status
    complaint.next_check_at = None  # no deadline runs for a record registered by mistake
    for name, value in stopped_resolution_clock().items():
        setattr(complaint, name, value)
    db.session.flush()
    log.info("complaint %s annulled by %s", complaint.number, by.username)
    return entry


def correct_complaint(
    complaint: Complaint, *, changes: dict[str, str | None], reason: str, by: User
) -> RegistryEntry:
    """Correct typos. Only fields that really change are recorded, each with its old value."""
    reason = _check_reason(reason)
    _lock(complaint)
    if complaint.is_annulled:
        raise ComplaintChangeRefused(
            _("%(number)s is annulled; an annulled record is not corrected.", number=complaint.number)
        )
    unknown = set(changes) - set(CORRECTABLE)
    if unknown:
        raise ComplaintChangeRefused(
            _("These fields cannot be corrected: %(fields)s.", fields=", ".join(sorted(unknown)))
        )
    changed = {
        field: {"from": getattr(complaint, field), "to": value}
        for field, value in changes.items()
        if getattr(complaint, field) != value
    }
    if not changed:
        raise ComplaintChangeRefused(_("Nothing was changed."))
    entry = append_entry(
        EntryKind.CORRECTION,
        {"type": "correction", "number": complaint.number, "changes": changed, "reason": reason,
         "by": _actor(by)},
        complaint_id=complaint.id,
    )
    for field, change in changed.items():
        setattr(complaint, field, change["to"])
    db.session.flush()
    log.info("complaint %s corrected by %s: %s", complaint.number, by.username, ", ".join(changed))
    return entry


def record_receipt_print(complaint: Complaint, *, language: str, by: User) -> ReceiptPrint:
    """Record a print at the desk: the first is the original, each later one reprint n."""
    reprint_number = take_number(f"receipt:{complaint.id}") - 1
    printed = ReceiptPrint(
        complaint_id=complaint.id,
        reprint_number=reprint_number,
        printed_at=now_utc(),
        printed_by_id=by.id,
        language=language,
    )
    db.session.add(printed)
    db.session.flush()
    return printed

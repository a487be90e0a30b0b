"""The desk's changes to a registered record: annul it, correct it, print its receipt, hand out
its evidence. None edits the record without a trace: each appends a signed registry entry
(annulment, correction) or a row (a receipt print), and each writes its audit event, so the
same call leaves the same trail wherever it comes from. They flush, never commit; the caller
commits the unit of work.
"""

from __future__ import annotations

import logging

from flask_babel import gettext as _

from ..audit.models import AuditAction
from ..audit.service import record
from ..auth.models import User
from ..clock import now_utc
from ..complaints.errors import ComplaintChangeRefused
from ..complaints.guards import actor, check_reason, lock
from ..complaints.models import CORRECTABLE, Attachment, Complaint
from ..extensions import db
from ..receipts.models import ReceiptPrint
from ..registry.chain import Private, append_entry
from ..registry.models import EntryKind, RegistryEntry
from ..registry.numbering import take_number
from ..workflow.deadlines import stopped_resolution_clock
from ..workflow.operations import event_payload, follow_clocks, state_of
from ..workflow.states import Action, next_status

log = logging.getLogger(__name__)


def annul_complaint(complaint: Complaint, *, reason: str, by: User) -> RegistryEntry:
    """Annul a record registered by mistake. It keeps its number; the annulment is signed."""
    given = reason  # the audit keeps the reason as typed, the signed entry its tidied form
    reason = check_reason(reason)
    lock(complaint)
    if complaint.is_annulled:
        raise ComplaintChangeRefused(_("%(number)s is already annulled.", number=complaint.number))
    complaint.status = next_status(complaint.status, Action.ANNUL)  # only before anyone answered it
    for name, value in stopped_resolution_clock().items():
        setattr(complaint, name, value)
    clocks = follow_clocks(complaint, now_utc(), None)  # its regulatory clocks stop
    complaint.next_check_at = None  # no deadline runs for a record registered by mistake
    entry = append_entry(
        EntryKind.ANNULMENT,
        {"type": "annulment", "number": complaint.number, "by": actor(by), "state": state_of(complaint),
         **({"clocks": clocks} if clocks else {})},
        complaint_id=complaint.id,
        private=Private(complaint.personal_salt, {"reason": reason}),
    )
    db.session.flush()
    record(AuditAction.ANNULMENT, target=complaint.number, details={"reason": given}, user=by)
    log.info("complaint %s annulled by %s", complaint.number, by.username)
    return entry


def correct_complaint(
    complaint: Complaint, *, changes: dict[str, str | None], reason: str, by: User
) -> RegistryEntry:
    """Correct typos. Only fields that really change are recorded, each with its old value."""
    reason = check_reason(reason)
    lock(complaint)
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
    public = {name: change["to"] for name, change in changed.items() if CORRECTABLE[name][0] == "public"}
    entry = append_entry(
        EntryKind.CORRECTION,
        {"type": "correction", "number": complaint.number, "fields": sorted(changed), "changes": public,
         "by": actor(by)},
        complaint_id=complaint.id,
        private=Private(complaint.personal_salt, {"changes": changed, "reason": reason}),
    )
    for field, change in changed.items():
        setattr(complaint, field, change["to"])
    db.session.flush()
    record(AuditAction.CORRECTION, target=complaint.number, details={"fields": sorted(changed)}, user=by)
    log.info("complaint %s corrected by %s: %s", complaint.number, by.username, ", ".join(changed))
    return entry


def record_receipt_print(complaint: Complaint, *, language: str, by: User) -> ReceiptPrint:
    """Record a print at the desk: the first is the original, each later one reprint n; each
    print is a signed event, so the DUPLICATE count cannot be reset by deleting rows."""
    reprint_number = take_number(f"receipt:{complaint.id}") - 1
    at = now_utc()
    entry = append_entry(
        EntryKind.EVENT,
        event_payload(complaint.number, "receipt_printed", state=state_of(complaint), by=by, at=at,
                      receipt={"reprint": reprint_number, "language": language}),
        complaint_id=complaint.id,
    )
    printed = ReceiptPrint(
        complaint_id=complaint.id,
        reprint_number=reprint_number,
        printed_at=at,
        printed_by_id=by.id,
        language=language,
        entry_position=entry.position,
    )
    db.session.add(printed)
    db.session.flush()
    record(AuditAction.RECEIPT_REPRINT if reprint_number else AuditAction.RECEIPT_PRINT, target=complaint.number,
           details={"reprint": reprint_number, "language": language}, user=by)
    return printed


def record_evidence_download(complaint: Complaint, evidence: Attachment, *, by: User) -> None:
    """Note in the audit trail that `by` downloaded a piece of the complaint's evidence."""
    record(AuditAction.ATTACHMENT_DOWNLOAD, target=complaint.number, details={"file": evidence.filename}, user=by)

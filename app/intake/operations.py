"""The one operation that registers a complaint, whatever the channel (web form, API, clerk).

It flushes but never commits: the caller commits the unit of work (see
`app.database.commit_with_retry`), so the number, the complaint, its files' records and its
signed registry entry are stored together or not at all.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from flask import current_app
from msgspec import Struct
from msgspec.structs import asdict
from sqlalchemy import bindparam, update
from sqlalchemy.dialects import postgresql, sqlite

from ..clock import now_utc
from ..clocks.models import ComplaintClock
from ..clocks.running import Started, earliest, start_clocks
from ..complaints.access import new_access_code
from ..complaints.guards import actor
from ..complaints.models import CHANNEL_SIGNATURE, Attachment, Channel, Complaint, ComplaintStatus
from ..complaints.storage import Evidence, EvidenceStore
from ..database import Precompiled, RetryableConflict
from ..extensions import db
from ..notifications.models import Audience, NotificationKind
from ..notifications.queue import outbox_row
from ..registry.chain import intake_entry
from ..registry.digest import canonical_json, new_salt
from ..registry.numbering import format_number, incoming_scope, number_slug, registry_year
from ..registry.registration import Reservation, append_intake_entry, reserve
from ..settings.store import current_settings
from ..workflow.deadlines import registration_clock
from ..workflow.operations import breached_at_registration
from .models import IdempotencyKey

if TYPE_CHECKING:
    from ..auth.models import User

log = logging.getLogger(__name__)


class ComplaintSubmission(Struct, frozen=True):
    """A validated complaint as the complainant signed it, before it has a number."""

    full_name: str
    email: str | None
    phone: str | None
    postal_address: str | None
    category: str
    subject: str
    description: str
    desired_outcome: str
    language: str
    signature_name: str
    declaration_confirmed: bool
    attachments: tuple[Evidence, ...] = ()

    def request_hash(self) -> str:
        """Digest of the content, to tell a repeated submission from a different one."""
        data = asdict(self)
        data["attachments"] = [(e.filename, e.sha256) for e in self.attachments]
        return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()


class Registration(Struct, frozen=True):
    complaint: Complaint
    digest: str  # its signed intake record's digest (the receipt's fingerprint shows it)
    created: bool  # False when an idempotency key returned an earlier registration


class IdempotencyKeyReused(Exception):
    """The key already registered a complaint with different content."""

    def __init__(self, complaint: Complaint | None) -> None:
        super().__init__("idempotency key reused with different content")
        self.complaint = complaint


def evidence_store() -> EvidenceStore:
    return EvidenceStore(Path(current_app.config["ATTACHMENTS_DIR"]))


def register_complaint(
    submission: ComplaintSubmission,
    *,
    channel: Channel,
    received_at: datetime | None = None,
    registered_by: User | None = None,
    idempotency_key: str | None = None,
    receipt_to_sender: bool = False,
) -> Registration:
    """Give the submission the next incoming number, store it and append its signed record,
    which says how it came (`channel`), how it was signed and which clerk registered it."""
    if idempotency_key is not None:
        earlier = _claim_idempotency_key(idempotency_key, submission.request_hash())
        if earlier is not None:
            return Registration(earlier, intake_entry(earlier.id).digest, created=False)

    complaint = Complaint(
        access_code=new_access_code(),
        personal_salt=new_salt(),
        status=ComplaintStatus.REGISTERED,
        channel=channel,
        full_name=submission.full_name,
        email=submission.email,
        phone=submission.phone,
        postal_address=submission.postal_address,
        category=submission.category,
        subject=submission.subject,
        description=submission.description,
        desired_outcome=submission.desired_outcome,
        language=submission.language,
        signature_name=submission.signature_name,
        declaration_confirmed=submission.declaration_confirmed,
        registered_by_id=registered_by.id if registered_by is not None else None,
        attachments=_attachments(submission.attachments),
    )
    place, clocks = _number(complaint, received_at)
    rows = [(ComplaintClock.__table__, row) for row in clocks.rows]
    if complaint.email:  # the acknowledgement by e-mail: stored with the complaint, sent after the commit
        rows.append(outbox_row(NotificationKind.REGISTERED, Audience.COMPLAINANT, at=complaint.registered_at,
                               params={"receipt": True} if receipt_to_sender else None))
    registration = {"signature": CHANNEL_SIGNATURE[channel].value, "by": actor(registered_by)}
    if clocks.signed:
        registration["clocks"] = list(clocks.signed)
    digest = append_intake_entry(complaint, place, rows, registration=registration)
    if clocks.late:  # received long before it was registered (a letter that waited): breached already
        breached_at_registration(complaint, clocks.late)
    if idempotency_key is not None:
        _record_idempotency_key(idempotency_key, complaint.id)
    log.info("registered complaint %s via %s", complaint.number, channel.value)
    return Registration(complaint, digest, created=True)


def _attachments(files: tuple[Evidence, ...]) -> list[Attachment]:
    """The records of a submission's files, each file stored on the way (none: no store opened)."""
    if not files:
        return []
    store = evidence_store()
    return [
        Attachment(
            filename=evidence.filename,
            content_type=evidence.content_type,
            size=len(evidence.content),
            sha256=store.put(db.session, evidence),
        )
        for evidence in files
    ]


def _number(complaint: Complaint, received_at: datetime | None) -> tuple[Reservation, Started]:
    """Give the complaint the next incoming number, the moment of its registration and the
    deadlines and clocks that run from its receipt; answers the number's reservation (with the
    place of its intake entry on the chain) and its clocks. From here to the commit, other
    registrations queue behind this one, so everything else is prepared before."""
    settings = current_settings()  # read before the number is taken: it may look at the database
    policy = settings.clock_policies.for_category(complaint.category)
    timezone_name = current_app.config["REGISTRY_TIMEZONE"]
    year = registry_year(now_utc(), timezone_name)
    place = reserve(incoming_scope(year))
    registered_at = now_utc()  # read after the counter lock, so time order follows number order
    if registry_year(registered_at, timezone_name) != year:
        raise RetryableConflict("the registry year turned while waiting for a number")
    complaint.year, complaint.seq = year, place.number
    complaint.number = format_number(year, place.number, settings.number_format)
    complaint.slug = number_slug(complaint.number)
    complaint.registered_at = registered_at
    complaint.received_at = received_at or registered_at
    for name, value in registration_clock(complaint.received_at, registered_at, settings.policy,
                                          settings.first_response_period(policy), settings.calendar).items():
        setattr(complaint, name, value)
    clocks = start_clocks(policy, settings.calendar, received_at=complaint.received_at, registered_at=registered_at,
                          fraction=settings.due_soon_fraction)
    complaint.next_check_at = earliest([complaint.next_check_at, *(row["next_check_at"] for row in clocks.rows)])
    complaint.clock_due = clocks.nearest_due
    return place, clocks


_KEYS = IdempotencyKey.__table__
#: Claim a key unless it exists (a concurrent claim not yet committed is waited for on
#: PostgreSQL); answers the key when this call inserted it. Precompiled, as every statement of
#: a registration is: the public form sends a key with every complaint.
_CLAIM = {
    dialect: Precompiled(
        dialect_insert(_KEYS).on_conflict_do_nothing().returning(_KEYS.c.key),
        column_keys=("key", "request_hash", "created_at"),
    )
    for dialect, dialect_insert in (("postgresql", postgresql.insert), ("sqlite", sqlite.insert))
}
_RECORD = Precompiled(
    update(_KEYS).where(_KEYS.c.key == bindparam("claimed_key")).values(complaint_id=bindparam("registered_id"))
)


def _claim_idempotency_key(key: str, request_hash: str) -> Complaint | None:
    """Claim `key` for this transaction; if it was used before, return what it registered."""
    claim = _CLAIM[db.session.get_bind().dialect.name]
    if claim.rows({"key": key, "request_hash": request_hash, "created_at": now_utc()}):
        return None
    earlier = db.session.get(IdempotencyKey, key)
    if earlier.request_hash != request_hash or earlier.complaint is None:
        raise IdempotencyKeyReused(earlier.complaint)
    return earlier.complaint


def _record_idempotency_key(key: str, complaint_id: int) -> None:
    """Name the complaint that the claimed `key` registered."""
    _RECORD.rows({"claimed_key": key, "registered_id": complaint_id})

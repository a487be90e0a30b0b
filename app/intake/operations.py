"""The one operation that registers a complaint, whatever the channel (web form, API, clerk).

It flushes but never commits: the caller commits the unit of work (see
`app.database.commit_with_retry`), so the number, the complaint, its files' records and its
signed registry entry are stored together or not at all.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import bindparam, insert, literal, select, update

from ..clock import now_utc
from ..complaints.access import new_access_code
from ..complaints.models import Channel, Complaint, ComplaintStatus, insert_complaint
from ..complaints.storage import Evidence, EvidenceStore
from ..database import Precompiled, RetryableConflict, insert_if_absent
from ..extensions import db
from ..notifications.models import Audience, Notification, NotificationKind
from ..notifications.queue import ROW_COLUMNS, notification_row, queue
from ..registry.chain import append_entry, canonical_json, intake_entry, take_number_and_head
from ..registry.models import EntryKind, RegistryEntry
from ..registry.numbering import format_number, incoming_scope, number_slug, registry_year
from ..settings.store import current_settings
from ..workflow.deadlines import registration_clock
from .models import IdempotencyKey

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ComplaintSubmission:
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
    attachments: tuple[Evidence, ...] = field(default=())

    def request_hash(self) -> str:
        """Digest of the content, to tell a repeated submission from a different one."""
        data = asdict(self)
        data["attachments"] = [(e.filename, e.sha256) for e in self.attachments]
        return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Registration:
    complaint: Complaint
    entry: RegistryEntry  # its signed intake record
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
    registered_by_id: int | None = None,
    idempotency_key: str | None = None,
) -> Registration:
    """Give the submission the next incoming number, store it and append its signed record."""
    if idempotency_key is not None:
        earlier = _claim_idempotency_key(idempotency_key, submission.request_hash())
        if earlier is not None:
            return Registration(earlier, intake_entry(earlier.id), created=False)

    config = current_app.config
    store = evidence_store()
    files = [
        {
            "filename": evidence.filename,
            "content_type": evidence.content_type,
            "size": len(evidence.content),
            "sha256": store.put(db.session, evidence),
        }
        for evidence in submission.attachments
    ]
    # Everything that does not depend on the number is prepared before the number is taken:
    # from take_number() to the commit, other registrations queue behind this one.
    values = {
        "access_code": new_access_code(),
        "status": ComplaintStatus.REGISTERED,
        "channel": channel,
        "full_name": submission.full_name,
        "email": submission.email,
        "phone": submission.phone,
        "postal_address": submission.postal_address,
        "category": submission.category,
        "subject": submission.subject,
        "description": submission.description,
        "desired_outcome": submission.desired_outcome,
        "language": submission.language,
        "signature_name": submission.signature_name,
        "declaration_confirmed": submission.declaration_confirmed,
        "registered_by_id": registered_by_id,
    }

    settings = current_settings()  # read before the number is taken: it may look at the database
    timezone_name = config["REGISTRY_TIMEZONE"]
    year = registry_year(now_utc(), timezone_name)
    seq, position, prev_digest = take_number_and_head(incoming_scope(year))
    registered_at = now_utc()  # read after the counter lock, so time order follows number order
    if registry_year(registered_at, timezone_name) != year:
        raise RetryableConflict("the registry year turned while waiting for a number")
    number = format_number(year, seq, settings.number_format)
    values |= {
        "year": year,
        "seq": seq,
        "number": number,
        "slug": number_slug(number),
        "registered_at": registered_at,
        "received_at": received_at or registered_at,
        **registration_clock(registered_at, settings.policy),
    }
    notify = bool(values["email"])
    if db.session.get_bind().dialect.name == "postgresql":
        # The complaint, its e-mail and its idempotency key in one round trip.
        complaint = insert_complaint(
            values, files, write=lambda _: _insert_in_one_statement(values, notify, registered_at, idempotency_key)
        )
    else:
        complaint = insert_complaint(values, files)
        if notify:
            queue(NotificationKind.REGISTERED, complaint.id, Audience.COMPLAINANT, at=registered_at)
        if idempotency_key is not None:
            _RECORD_KEY.rows({"key": idempotency_key, "complaint_id": complaint.id})
    entry = append_entry(
        EntryKind.INTAKE, complaint.registry_payload(), complaint_id=complaint.id, reserved=(position, prev_digest)
    )
    log.info("registered complaint %s via %s", number, channel.value)
    return Registration(complaint, entry, created=True)


_KEYS = IdempotencyKey.__table__
_RECORD_KEY = Precompiled(
    update(_KEYS).where(_KEYS.c.key == bindparam("key")).values(complaint_id=bindparam("complaint_id"))
)
_ONE_STATEMENT: dict[tuple, Precompiled] = {}


def _insert_in_one_statement(
    values: dict, notify: bool, registered_at: datetime, idempotency_key: str | None
) -> int:
    """PostgreSQL: INSERT the complaint, queue its e-mail and record its idempotency key in one
    statement (data-modifying CTEs taking the new id from the complaint's); returns the id."""
    shape = (tuple(values), notify, idempotency_key is not None)
    statement = _ONE_STATEMENT.get(shape)
    if statement is None:
        statement = _ONE_STATEMENT.setdefault(shape, Precompiled(_one_statement(*shape)))
    params = {f"complaint_{name}": value for name, value in values.items()} | {"key": idempotency_key}
    if notify:
        row = notification_row(NotificationKind.REGISTERED, 0, Audience.COMPLAINANT, at=registered_at)
        # its complaint_id comes from the complaint's INSERT in the statement, not from this row
        params |= {f"notification_{name}": value for name, value in row.items() if name != "complaint_id"}
    return statement.rows(params)[0][0]


def _one_statement(columns: tuple[str, ...], notify: bool, keyed: bool) -> Any:
    complaints = Complaint.__table__
    new = insert(complaints).values(_row(complaints, "complaint", columns)).returning(complaints.c.id).cte("new_complaint")
    new_id = select(new.c.id).scalar_subquery()
    ctes = []
    if notify:
        notifications = Notification.__table__
        ctes.append(
            insert(notifications).values(_row(notifications, "notification", ROW_COLUMNS, new_id)).cte("new_notification")
        )
    if keyed:
        ctes.append(update(_KEYS).where(_KEYS.c.key == bindparam("key")).values(complaint_id=new_id).cte("claimed_key"))
    return select(new.c.id).add_cte(*ctes)


def _row(table: Any, prefix: str, names: tuple[str, ...], complaint_id: Any = None) -> dict[str, Any]:
    """The VALUES of one row: a parameter `{prefix}_{name}` per column named, `complaint_id`
    (an expression) for that column when given, and every other column's Python-side default,
    which SQLAlchemy adds to a top-level INSERT only, never to one inside a CTE."""
    values: dict[str, Any] = {
        name: complaint_id
        if name == "complaint_id" and complaint_id is not None
        else bindparam(f"{prefix}_{name}", type_=table.c[name].type)
        for name in names
    }
    for column in table.columns:
        if column.key not in values and column.default is not None:
            if not column.default.is_scalar:
                raise ValueError(f"{column} has a default that is not a plain value")
            values[column.key] = literal(column.default.arg, column.type)
    return values


def _claim_idempotency_key(key: str, request_hash: str) -> Complaint | None:
    """Claim `key` for this transaction; if it was used before, return what it registered."""
    if insert_if_absent(
        IdempotencyKey, key=key, request_hash=request_hash, created_at=now_utc()
    ):
        return None
    earlier = db.session.get(IdempotencyKey, key)
    if earlier.request_hash != request_hash or earlier.complaint is None:
        raise IdempotencyKeyReused(earlier.complaint)
    return earlier.complaint

"""The audit trail's hash chain: every event is digested together with the digest of the
event before it, in the order the single-row head hands out positions, so an edited, removed
or reordered event breaks the chain (app/audit/verify.py walks it).

Appends lock the head row with UPDATE ... RETURNING, as the registry's chain does
(app/registry/chain.py advance_head): concurrent writers queue there and form one chain.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import bindparam, update

from ..database import Precompiled, insert_if_absent
from ..registry.digest import GENESIS_DIGEST, canonical_json, iso_utc
from .models import AuditChainHead, AuditEvent

#: The version of what an audit digest covers.
AUDIT_FORMAT_VERSION = 1

_HEAD = AuditChainHead.__table__
#: Lock the head row and take the next place; answers the new position and the previous digest.
_ADVANCE_HEAD = Precompiled(
    update(_HEAD).where(_HEAD.c.id == 1).values(position=_HEAD.c.position + 1).returning(_HEAD.c.position, _HEAD.c.digest)
)
_SET_HEAD_DIGEST = Precompiled(update(_HEAD).where(_HEAD.c.id == 1).values(digest=bindparam("new_digest")))


def event_digest(
    *, position: int, at: datetime, user_id: int | None, username: str | None, action: str,
    target: str | None, details: str | None, ip: str | None, prev_digest: str,
) -> str:
    """SHA-256 over the canonical JSON of everything an event says, its place and the digest
    of the event before it. `details` is the stored JSON text, taken as a string."""
    envelope = {
        "v": AUDIT_FORMAT_VERSION, "position": position, "at": iso_utc(at), "user_id": user_id,
        "username": username, "action": action, "target": target, "details": details, "ip": ip,
        "prev": prev_digest,
    }
    return hashlib.sha256(canonical_json(envelope).encode("utf-8")).hexdigest()


def digest_of_event(event: AuditEvent) -> str:
    """Recompute an event's digest from its stored fields."""
    return event_digest(
        position=event.position, at=event.at, user_id=event.user_id, username=event.username,
        action=event.action.value, target=event.target, details=event.details, ip=event.ip,
        prev_digest=event.prev_digest,
    )


def link(event: AuditEvent) -> None:
    """Give a new event its place at the head of the chain and its digest, inside the caller's
    transaction: the head row stays locked until the commit, so appends are strictly ordered,
    and a rollback leaves the head as it was."""
    rows = _ADVANCE_HEAD.rows({})
    if not rows:  # the first event of this trail (the migration creates the row; an emptied database has none)
        insert_if_absent(AuditChainHead, id=1, position=0, digest=GENESIS_DIGEST)
        rows = _ADVANCE_HEAD.rows({})
    event.position, event.prev_digest = rows[0]
    event.digest = digest_of_event(event)
    _SET_HEAD_DIGEST.rows({"new_digest": event.digest})

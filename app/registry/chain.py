"""The hash chain: every record is frozen as canonical JSON, digested together with the
digest of the record before it, and signed. Swapping, editing or removing a page breaks it.

The hashing itself is in digest.py; here the head of the chain is locked and entries are
appended, inside the caller's transaction.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from functools import cached_property
from typing import Any

from flask import current_app
from msgspec import Struct
from sqlalchemy import bindparam, select, update

from ..clock import now_utc
from ..database import Precompiled, bulk_insert, insert_if_absent, insert_row
from ..extensions import db
from .digest import GENESIS_DIGEST, canonical_json, entry_digest, private_commitment
from .models import ChainHead, EntryKind, EntryPrivate, RegistryEntry
from .signing import RegistrySigner


def digest_of(entry: RegistryEntry) -> str:
    """Recompute an entry's digest from its stored fields."""
    return entry_digest(
        position=entry.position,
        kind=str(entry.kind),
        recorded_at=entry.recorded_at,
        prev_digest=entry.prev_digest,
        payload=entry.payload,
        key_id=entry.key_id,
    )


def get_signer() -> RegistrySigner:
    return current_app.extensions["registry_signer"]


_HEAD = ChainHead.__table__
#: Lock the head row and move it `n` places on; answers the new position and the previous digest.
_ADVANCE_HEAD = Precompiled(
    update(_HEAD)
    .where(_HEAD.c.id == 1)
    .values(position=_HEAD.c.position + bindparam("n"))
    .returning(_HEAD.c.position, _HEAD.c.digest)
)
#: Name the newest entry's digest at the head (whose row the caller locked with `advance_head`).
SET_HEAD_DIGEST = update(_HEAD).where(_HEAD.c.id == 1).values(digest=bindparam("new_digest"))
_SET_HEAD_DIGEST = Precompiled(SET_HEAD_DIGEST)


def set_head_digest(digest: str) -> None:
    """Name the newest entry's digest at the head (after `advance_head` took its place)."""
    _SET_HEAD_DIGEST.rows({"new_digest": digest})


def advance_head(n: int) -> tuple[int, str]:
    """Take `n` places at the head, its row locked until the caller commits (appends queue
    here, in order): the first position, and the digest of the entry before it."""
    rows = _ADVANCE_HEAD.rows({"n": n})
    if not rows:  # the very first entry of this registry
        insert_if_absent(ChainHead, id=1, position=0, digest=GENESIS_DIGEST)
        rows = _ADVANCE_HEAD.rows({"n": n})
    last_position, prev_digest = rows[0]
    return last_position - n + 1, prev_digest


def sealed(
    kind: EntryKind, payload: dict, complaint_id: int | None, position: int, prev_digest: str,
    recorded_at: datetime, signer: RegistrySigner, private: Private | None = None,
) -> dict[str, Any]:
    """The column values of an entry: frozen, linked to `prev_digest`, digested and signed; with
    a private part, the payload commits to it (member "private") and the caller stores it
    (`private_row`). Every entry of the chain is made here, whichever path stores it."""
    if private is not None:
        payload = {**payload, "private": private_commitment(private.salt, private.text)}
    payload_text = canonical_json(payload)
    digest = entry_digest(
        position=position,
        kind=kind.value,
        recorded_at=recorded_at,
        prev_digest=prev_digest,
        payload=payload_text,
        key_id=signer.key_id,
    )
    return {
        "position": position,
        "kind": kind,
        "complaint_id": complaint_id,
        "recorded_at": recorded_at,
        "payload": payload_text,
        "prev_digest": prev_digest,
        "digest": digest,
        "signature": signer.sign(bytes.fromhex(digest)).hex(),
        "key_id": signer.key_id,
    }


class Private(Struct, frozen=True, dict=True):
    """The private part of an entry (personal data, free text) and the salt of its complaint."""

    salt: str
    data: dict[str, Any]

    @cached_property
    def text(self) -> str:
        return canonical_json(self.data)


def private_row(position: int, complaint_id: int | None, private: Private) -> dict[str, Any]:
    """The `registry_private` row that keeps an entry's private part."""
    return {"position": position, "complaint_id": complaint_id, "data": private.text}


def append_entry(
    kind: EntryKind, payload: dict, *, complaint_id: int | None = None, private: Private | None = None
) -> RegistryEntry:
    """Append a signed entry at the head of the chain, inside the caller's transaction, with
    its private part (if any) beside it.

    The head row stays locked until the caller commits, so appends are strictly ordered; a
    rollback removes the entry and leaves the head as it was.
    """
    position, prev_digest = advance_head(1)
    entry = RegistryEntry(
        **sealed(kind, payload, complaint_id, position, prev_digest, now_utc(), get_signer(), private)
    )
    db.session.add(entry)
    set_head_digest(entry.digest)
    db.session.flush()
    if private is not None:
        insert_row(EntryPrivate.__table__, private_row(position, complaint_id, private))
    return entry


def append_entries(
    kind: EntryKind, records: list[tuple[dict, int | None]], *, recorded_at: Sequence[datetime] | None = None,
    private: Sequence[Private | None] | None = None,
) -> list[dict[str, Any]]:
    """Append many entries, (payload, complaint_id) each, in order, with one move of the head
    and one multi-row INSERT (COPY on PostgreSQL): the batch path of deadline enforcement and
    of the demo seeder. Recorded now, or at `recorded_at` (a moment per record); with
    `private`, a private part (or None) per record. Returns their column values."""
    if not records:
        return []
    signer = get_signer()
    position, prev_digest = advance_head(len(records))
    moments = recorded_at if recorded_at is not None else [now_utc()] * len(records)
    privates = private if private is not None else [None] * len(records)
    rows, private_rows = [], []
    for offset, ((payload, complaint_id), moment, part) in enumerate(
        zip(records, moments, privates, strict=True)
    ):
        values = sealed(kind, payload, complaint_id, position + offset, prev_digest, moment, signer, part)
        rows.append(values)
        if part is not None:
            private_rows.append(private_row(values["position"], complaint_id, part))
        prev_digest = values["digest"]
    bulk_insert(RegistryEntry.__table__, rows)
    bulk_insert(EntryPrivate.__table__, private_rows)
    set_head_digest(prev_digest)
    return rows


def private_of(position: int) -> dict[str, Any] | None:
    """The private part of the entry at `position` (None: it has none, or it was erased)."""
    row = db.session.get(EntryPrivate, position)
    return json.loads(row.data) if row is not None else None


def intake_entry(complaint_id: int) -> RegistryEntry | None:
    """The signed intake record of a complaint."""
    return db.session.execute(
        select(RegistryEntry).where(
            RegistryEntry.complaint_id == complaint_id, RegistryEntry.kind == EntryKind.INTAKE
        )
    ).scalar_one_or_none()

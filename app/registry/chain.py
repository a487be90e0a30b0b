"""The hash chain: every record is frozen as canonical JSON, digested together with the
digest of the record before it, and signed. Swapping, editing or removing a page breaks it.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from flask import current_app
from sqlalchemy import bindparam, insert, select, update

from ..clock import now_utc
from ..database import Precompiled, bulk_insert, insert_if_absent
from ..extensions import db
from .models import ChainHead, EntryKind, RegistryEntry
from .numbering import INCREMENT_COUNTER, take_number
from .signing import RegistrySigner

GENESIS_DIGEST = "0" * 64
FORMAT_VERSION = 1


def iso_utc(moment: datetime) -> str:
    """The one textual form of a moment inside signed records."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def canonical_json(value: Any) -> str:
    """Deterministic JSON: sorted keys, no spaces, UTF-8 kept as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_digest(
    *, position: int, kind: str, recorded_at: datetime, prev_digest: str, payload: str, key_id: str
) -> str:
    """SHA-256 over everything an entry asserts, including its place and its predecessor: the
    canonical JSON of {"v", "position", "kind", "recorded_at", "prev", "key", "record"}, where
    "record" is the entry's canonical payload text, spliced in as it is (parsing it back into
    the envelope would give the same text, only slower)."""
    head = canonical_json({"key": key_id, "kind": kind, "position": position, "prev": prev_digest})
    tail = canonical_json({"recorded_at": iso_utc(recorded_at), "v": FORMAT_VERSION})
    # Keys sort as key, kind, position, prev | record | recorded_at, v.
    envelope = f'{head[:-1]},"record":{payload},{tail[1:]}'
    return hashlib.sha256(envelope.encode("utf-8")).hexdigest()


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


def fingerprint_of(digest: str) -> str:
    """The short fingerprint printed on receipts: 64 bits of the digest, e.g. '3F2A-9C1B-77D0-E4A5'."""
    head = digest[:16].upper()
    return "-".join(head[i : i + 4] for i in range(0, 16, 4))


def normalise_fingerprint(text: str) -> str:
    """What a person typed, reduced to the 16 hex digits it should contain."""
    return "".join(ch for ch in text.upper() if ch in "0123456789ABCDEF")


def get_signer() -> RegistrySigner:
    return current_app.extensions["registry_signer"]


_HEAD = ChainHead.__table__
#: Lock the head row and move it `n` places on; answers the new position and the previous digest.
_ADVANCE_HEAD = (
    update(_HEAD)
    .where(_HEAD.c.id == 1)
    .values(position=_HEAD.c.position + bindparam("n"))
    .returning(_HEAD.c.position, _HEAD.c.digest)
)
_ADVANCE_HEAD_RUN = Precompiled(_ADVANCE_HEAD)
_ENTRIES = RegistryEntry.__table__
_SET_HEAD_DIGEST = update(_HEAD).where(_HEAD.c.id == 1).values(digest=bindparam("new_digest"))
_INSERT_ENTRY = insert(_ENTRIES).values({c.name: bindparam(f"entry_{c.name}") for c in _ENTRIES.columns})
_SET_HEAD_DIGEST_RUN = Precompiled(_SET_HEAD_DIGEST)
_INSERT_ENTRY_RUN = Precompiled(_INSERT_ENTRY)
#: PostgreSQL: both in one round trip, the insert riding along as a data-modifying CTE.
_INSERT_ENTRY_AND_SET_HEAD_RUN = Precompiled(_SET_HEAD_DIGEST.add_cte(_INSERT_ENTRY.cte("new_entry")))


def _take_number_and_head_statement() -> Any:
    """PostgreSQL: take a number and the head in one round trip, the counter row locked first
    (as `take_number` then `_advance_head` would), each answer NULL when its row does not
    exist yet."""
    number = INCREMENT_COUNTER.cte("number")
    head = (
        update(_HEAD)
        .where(_HEAD.c.id == 1)
        .values(position=_HEAD.c.position + 1)
        .returning(_HEAD.c.position, _HEAD.c.digest)
        .cte("head")
    )
    return select(
        select(number.c.last_value).scalar_subquery(),
        select(head.c.position).scalar_subquery(),
        select(head.c.digest).scalar_subquery(),
    ).add_cte(number, head)


_TAKE_NUMBER_AND_HEAD_RUN = Precompiled(_take_number_and_head_statement())


def _advance_head(n: int) -> tuple[int, str]:
    """Reserve `n` positions at the head (row-locked until commit): the first one, and the
    digest of the entry before it."""
    rows = _ADVANCE_HEAD_RUN.rows({"n": n})
    if not rows:  # the very first entry of this registry
        insert_if_absent(ChainHead, id=1, position=0, digest=GENESIS_DIGEST)
        rows = _ADVANCE_HEAD_RUN.rows({"n": n})
    last_position, prev_digest = rows[0]
    return last_position - n + 1, prev_digest


def take_number_and_head(scope: str) -> tuple[int, int, str]:
    """`take_number(scope)` and the next chain position with the digest before it, in that
    lock order, both held until commit: (number, position, previous digest). One round trip
    on PostgreSQL, where registration spends most of its time waiting for round trips."""
    if db.session.get_bind().dialect.name != "postgresql":
        number = take_number(scope)
        return number, *_advance_head(1)
    number, position, prev_digest = _TAKE_NUMBER_AND_HEAD_RUN.rows({"counter_scope": scope})[0]
    if number is None:  # first number of a new scope; the head moved all the same
        number = take_number(scope)
    if position is None:  # the very first entry of this registry
        position, prev_digest = _advance_head(1)
    return number, position, prev_digest


def _sealed(
    kind: EntryKind, payload: dict, complaint_id: int | None, position: int, prev_digest: str,
    recorded_at: datetime, signer: RegistrySigner,
) -> dict[str, Any]:
    """The column values of an entry: frozen, linked to `prev_digest`, digested and signed."""
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


def append_entry(
    kind: EntryKind, payload: dict, *, complaint_id: int | None = None, reserved: tuple[int, str] | None = None
) -> RegistryEntry:
    """Append a signed entry at the head of the chain, inside the caller's transaction.

    The chain head row stays locked until the caller commits, so appends are strictly ordered;
    a rollback removes the entry and leaves the head as it was. `reserved` is the position and
    previous digest `take_number_and_head` already locked for it (default: lock the next one
    now). Plain precompiled statements: this runs while registrations queue behind the lock,
    so it is kept short.
    """
    signer = get_signer()
    position, prev_digest = reserved or _advance_head(1)
    values = _sealed(kind, payload, complaint_id, position, prev_digest, now_utc(), signer)
    params = {f"entry_{name}": value for name, value in values.items()} | {"new_digest": values["digest"]}
    if db.session.get_bind().dialect.name == "postgresql":
        _INSERT_ENTRY_AND_SET_HEAD_RUN.rows(params)
    else:
        _INSERT_ENTRY_RUN.rows(params)
        _SET_HEAD_DIGEST_RUN.rows(params)
    return RegistryEntry(**values)


def append_entries(kind: EntryKind, records: list[tuple[dict, int | None]]) -> list[dict[str, Any]]:
    """Append many entries, (payload, complaint_id) each, in order, with one head move and one
    multi-row INSERT: the batch path of deadline enforcement. Returns their column values."""
    if not records:
        return []
    signer = get_signer()
    position, prev_digest = _advance_head(len(records))
    recorded_at = now_utc()
    rows = []
    for offset, (payload, complaint_id) in enumerate(records):
        values = _sealed(kind, payload, complaint_id, position + offset, prev_digest, recorded_at, signer)
        rows.append(values)
        prev_digest = values["digest"]
    bulk_insert(_ENTRIES, rows)
    db.session.execute(_SET_HEAD_DIGEST, {"new_digest": prev_digest})
    return rows


def intake_entry(complaint_id: int) -> RegistryEntry | None:
    """The signed intake record of a complaint."""
    return db.session.execute(
        select(RegistryEntry).where(
            RegistryEntry.complaint_id == complaint_id, RegistryEntry.kind == EntryKind.INTAKE
        )
    ).scalar_one_or_none()

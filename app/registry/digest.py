"""The pure hashing of the registry: canonical JSON, an entry's digest, the printed fingerprint.

Functions of their arguments only (no database, no app, no models), so models, receipts,
verification and the chain itself can all use them without importing one another.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

#: The digest the first entry of a registry links to.
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


def fingerprint_of(digest: str) -> str:
    """The short fingerprint printed on receipts: 64 bits of the digest, e.g. '3F2A-9C1B-77D0-E4A5'."""
    head = digest[:16].upper()
    return "-".join(head[i : i + 4] for i in range(0, 16, 4))


def normalise_fingerprint(text: str) -> str:
    """What a person typed, reduced to the 16 hex digits it should contain."""
    return "".join(ch for ch in text.upper() if ch in "0123456789ABCDEF")

"""The pure hashing of the registry: canonical JSON, an entry's digest, the printed fingerprint.

Functions of their arguments only (no database, no app, no models), so models, receipts,
verification and the chain itself can all use them without importing one another.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import UTC, datetime
from typing import Any

#: The digest the first entry of a registry links to.
GENESIS_DIGEST = "0" * 64
#: 2: personal data and free text are kept out of the signed payload, which commits to them
#: by a salted digest ("private"), so they can be erased later without breaking the chain.
FORMAT_VERSION = 2


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


def private_commitment(salt: str, private_text: str) -> str:
    """What a signed payload holds in place of its private part (names, contacts, free text):
    SHA-256 of the complaint's salt and the private part's canonical JSON. The salt, kept with
    the complaint and never signed, stops anyone from confirming a guessed value against the
    chain; erasing the salt and the private text leaves a commitment that proves nothing about
    the person and still holds the chain together."""
    return hashlib.sha256(f"{salt}:{private_text}".encode()).hexdigest()


def new_salt() -> str:
    """A complaint's salt for `private_commitment`: 128 random bits, hex."""
    return secrets.token_hex(16)


def fingerprint_of(digest: str) -> str:
    """The short fingerprint printed on receipts: 64 bits of the digest, e.g. '3F2A-9C1B-77D0-E4A5'."""
    head = digest[:16].upper()
    return "-".join(head[i : i + 4] for i in range(0, 16, 4))


def normalise_fingerprint(text: str) -> str:
    """What a person typed, reduced to the 16 hex digits it should contain."""
    return "".join(ch for ch in text.upper() if ch in "0123456789ABCDEF")

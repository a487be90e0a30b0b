"""Signed checkpoints of the chain heads, kept outside the database.

The hash chain shows an entry edited, removed or reordered anywhere but at its end: someone
with the database who deletes the newest complaints together with their entries, and moves
the number counter and the chain head back to match, leaves a shorter chain that verifies.
A checkpoint is a small JSON file saying "the registry's chain reached entry #N with digest D
(and the audit trail event #M with digest E) at time T", signed with the registry key and
written outside the database (REGISTRY_CHECKPOINT_DIR, one file per checkpoint, named so they
sort by time). As long as a copy survives elsewhere (another machine, write-once storage, the
auditors' mailboxes), a chain that no longer holds what a checkpoint names, or whose head is
behind it, is caught (app/registry/checkpoint_check.py check_checkpoints).

A "verified" marker (`record_verified`) is a signed file saying a full verification confirmed
the chain up to a checkpoint; `newest_verified_checkpoint` gives the one an incremental
verification may start from.

Files are written atomically (temporary file, fsync, rename, fsync of the folder) and never
replaced. Reading the heads is the only database access (`current_checkpoint`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import current_app
from msgspec import Struct
from msgspec.structs import replace
from sqlalchemy import select

from ..audit.models import AuditChainHead, AuditEvent
from ..clock import now_utc
from ..extensions import db
from ..files import write_new_file
from .chain import get_signer
from .digest import GENESIS_DIGEST, canonical_json, iso_utc
from .models import ChainHead, RegistryEntry
from .signing import RegistrySigner

CHECKPOINT_TYPE = "registry-checkpoint"
VERIFIED_TYPE = "registry-verified"
FORMAT_VERSION = 1
CHECKPOINT_PREFIX = "checkpoint-"
VERIFIED_PREFIX = "verified-"


class CheckpointRefused(RuntimeError):
    """The chain head does not name an entry it holds: no checkpoint vouches for that state."""


class CheckpointUnreadable(ValueError):
    """A file in the checkpoint folder is not a checkpoint (not JSON, or fields missing)."""


class Checkpoint(Struct, frozen=True):
    """Where both chains stood at `at`, signed by the key `key_id`."""

    position: int
    digest: str
    audit_position: int
    audit_digest: str
    at: datetime
    key_id: str
    signature: str = ""
    #: The file it was read from or written to ("" before it is written).
    name: str = ""

    def body(self) -> dict[str, Any]:
        """What the signature covers: everything but the signature itself."""
        return {
            "v": FORMAT_VERSION, "type": CHECKPOINT_TYPE, "position": self.position, "digest": self.digest,
            "audit": {"position": self.audit_position, "digest": self.audit_digest},
            "at": iso_utc(self.at), "key_id": self.key_id,
        }

    def is_signed_by(self, signer: RegistrySigner) -> bool:
        return _signature_valid(self.body(), self.key_id, self.signature, signer)


class Verified(Struct, frozen=True):
    """A signed note that a full verification at `at` confirmed the chain up to a checkpoint."""

    checkpoint: str  # the checkpoint's file name
    position: int
    digest: str
    at: datetime
    key_id: str
    signature: str = ""
    name: str = ""

    def body(self) -> dict[str, Any]:
        return {
            "v": FORMAT_VERSION, "type": VERIFIED_TYPE, "checkpoint": self.checkpoint, "position": self.position,
            "digest": self.digest, "at": iso_utc(self.at), "key_id": self.key_id,
        }

    def is_signed_by(self, signer: RegistrySigner) -> bool:
        return _signature_valid(self.body(), self.key_id, self.signature, signer)


def _signed_bytes(body: dict[str, Any]) -> bytes:
    """The SHA-256 of the body's canonical JSON: what the registry key signs. The body names its
    type, so a checkpoint's signature can never pass for an entry's or a marker's."""
    return hashlib.sha256(canonical_json(body).encode("utf-8")).digest()


def _sign(body: dict[str, Any], signer: RegistrySigner) -> str:
    return signer.sign(_signed_bytes(body)).hex()


def _signature_valid(body: dict[str, Any], key_id: str, signature: str, signer: RegistrySigner) -> bool:
    if key_id != signer.key_id:
        return False
    try:
        raw = bytes.fromhex(signature)
    except ValueError:
        return False
    return signer.verify(_signed_bytes(body), raw)


def checkpoint_directory() -> Path:
    return Path(current_app.config["REGISTRY_CHECKPOINT_DIR"])


def current_checkpoint(signer: RegistrySigner | None = None, at: datetime | None = None) -> Checkpoint:
    """A signed checkpoint of both chain heads as committed now (not yet written). Refused when
    a head names an entry or event that is not there with that digest: a checkpoint must never
    vouch for a chain that is already broken at its end."""
    signer = signer or get_signer()
    head = db.session.get(ChainHead, 1)
    audit_head = db.session.get(AuditChainHead, 1)
    position, digest = (head.position, head.digest) if head else (0, GENESIS_DIGEST)
    audit_position, audit_digest = (audit_head.position, audit_head.digest) if audit_head else (0, GENESIS_DIGEST)
    if position and db.session.scalar(
        select(RegistryEntry.digest).where(RegistryEntry.position == position)
    ) != digest:
        raise CheckpointRefused(f"the chain head names entry #{position}, which the chain does not hold")
    if audit_position and db.session.scalar(
        select(AuditEvent.digest).where(AuditEvent.position == audit_position)
    ) != audit_digest:
        raise CheckpointRefused(f"the audit head names event #{audit_position}, which the trail does not hold")
    unsigned = Checkpoint(position, digest, audit_position, audit_digest, at or now_utc(), signer.key_id)
    return replace(unsigned, signature=_sign(unsigned.body(), signer))


def _stamp(moment: datetime) -> str:
    return iso_utc(moment).replace("-", "").replace(":", "").replace("+0000", "Z")


def write_checkpoint(checkpoint: Checkpoint, directory: Path | None = None) -> Path:
    """Store a signed checkpoint as a new file, named so the files sort by time:
    checkpoint-20261123T090000.000000Z-123.json (123: the registry position)."""
    name = f"{CHECKPOINT_PREFIX}{_stamp(checkpoint.at)}-{checkpoint.position}.json"
    return _write_new_file(directory or checkpoint_directory(), name, {**checkpoint.body(), "signature": checkpoint.signature})


def _write_new_file(directory: Path, name: str, document: dict[str, Any]) -> Path:
    """Write a checkpoint file atomically (`app.files.write_new_file`); never replaces one."""
    target = directory / name
    data = (json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
    # Public facts, signed: whoever keeps copies may read them.
    if not write_new_file(target, data, mode=0o644):
        raise FileExistsError(f"{target} exists; a checkpoint is never replaced")
    return target


def _files(directory: Path, prefix: str) -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.name.startswith(prefix) and p.suffix == ".json")


def checkpoint_files(directory: Path | None = None) -> list[Path]:
    """The checkpoint files, oldest first."""
    return _files(directory or checkpoint_directory(), CHECKPOINT_PREFIX)


def _read(path: Path, kind: str) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CheckpointUnreadable(f"not readable as JSON: {error}") from None
    if not isinstance(document, dict) or document.get("type") != kind or document.get("v") != FORMAT_VERSION:
        raise CheckpointUnreadable(f"not a {kind} file of version {FORMAT_VERSION}")
    return document


def load_checkpoint(path: Path) -> Checkpoint:
    """The checkpoint in a file (its signature not yet checked); CheckpointUnreadable if it is none."""
    document = _read(path, CHECKPOINT_TYPE)
    try:
        return Checkpoint(
            position=int(document["position"]), digest=str(document["digest"]),
            audit_position=int(document["audit"]["position"]), audit_digest=str(document["audit"]["digest"]),
            at=datetime.fromisoformat(document["at"]), key_id=str(document["key_id"]),
            signature=str(document["signature"]), name=path.name,
        )
    except (KeyError, TypeError, ValueError) as error:
        raise CheckpointUnreadable(f"a field is missing or malformed: {error!r}") from None


def signed_checkpoints(
    directory: Path | None = None, signer: RegistrySigner | None = None
) -> Iterator[Checkpoint]:
    """The readable checkpoints with a valid signature, oldest first (check_checkpoints reports
    the others)."""
    signer = signer or get_signer()
    for path in checkpoint_files(directory):
        try:
            checkpoint = load_checkpoint(path)
        except CheckpointUnreadable:
            continue
        if checkpoint.is_signed_by(signer):
            yield checkpoint


def newest_checkpoint(
    *, at_most: int | None = None, directory: Path | None = None, signer: RegistrySigner | None = None
) -> Checkpoint | None:
    """The validly signed checkpoint of the highest registry position (at most `at_most`)."""
    candidates = [
        c for c in signed_checkpoints(directory, signer) if at_most is None or c.position <= at_most
    ]
    return max(candidates, key=lambda c: (c.position, c.at), default=None)


def heads_moved_since(checkpoint: Checkpoint | None, current: Checkpoint) -> bool:
    """Whether `current` says anything `checkpoint` does not: a head moved (or there was none)."""
    if checkpoint is None:
        return bool(current.position or current.audit_position)
    return (checkpoint.position, checkpoint.digest, checkpoint.audit_position, checkpoint.audit_digest) != (
        current.position, current.digest, current.audit_position, current.audit_digest
    )


def latest_written(directory: Path | None = None, signer: RegistrySigner | None = None) -> Checkpoint | None:
    """The most recently written valid checkpoint (by file name, that is by time)."""
    checkpoints = list(signed_checkpoints(directory, signer))
    return checkpoints[-1] if checkpoints else None


def record_verified(
    checkpoint: Checkpoint, *, directory: Path | None = None, signer: RegistrySigner | None = None,
    at: datetime | None = None,
) -> Path:
    """Note, in a signed file beside the checkpoints, that a full verification confirmed the
    chain from its start up to `checkpoint` (call it only after a verification found nothing)."""
    signer = signer or get_signer()
    if not checkpoint.name or not checkpoint.is_signed_by(signer):
        raise ValueError("only a written checkpoint signed by this registry's key can be marked verified")
    unsigned = Verified(checkpoint.name, checkpoint.position, checkpoint.digest, at or now_utc(), signer.key_id)
    name = f"{VERIFIED_PREFIX}{_stamp(unsigned.at)}-{checkpoint.position}.json"
    document = {**unsigned.body(), "signature": _sign(unsigned.body(), signer)}
    return _write_new_file(directory or checkpoint_directory(), name, document)


def load_verified(path: Path) -> Verified:
    document = _read(path, VERIFIED_TYPE)
    try:
        return Verified(
            checkpoint=str(document["checkpoint"]), position=int(document["position"]),
            digest=str(document["digest"]), at=datetime.fromisoformat(document["at"]),
            key_id=str(document["key_id"]), signature=str(document["signature"]), name=path.name,
        )
    except (KeyError, TypeError, ValueError) as error:
        raise CheckpointUnreadable(f"a field is missing or malformed: {error!r}") from None


def verified_files(directory: Path | None = None) -> list[Path]:
    return _files(directory or checkpoint_directory(), VERIFIED_PREFIX)


def newest_verified_checkpoint(
    directory: Path | None = None, signer: RegistrySigner | None = None
) -> Checkpoint | None:
    """The checkpoint of the highest position that a validly signed marker says a full
    verification confirmed, the checkpoint itself still present, validly signed and saying the
    same; None when there is none (verify from the start)."""
    signer = signer or get_signer()
    directory = directory or checkpoint_directory()
    checkpoints = {c.name: c for c in signed_checkpoints(directory, signer)}
    best: Checkpoint | None = None
    for path in verified_files(directory):
        try:
            marker = load_verified(path)
        except CheckpointUnreadable:
            continue
        checkpoint = checkpoints.get(marker.checkpoint)
        if (
            marker.is_signed_by(signer)
            and checkpoint is not None
            and (checkpoint.position, checkpoint.digest) == (marker.position, marker.digest)
            and (best is None or checkpoint.position > best.position)
        ):
            best = checkpoint
    return best

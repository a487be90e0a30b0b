"""Check the signed checkpoints against the chains: each one's signature, that the chain still
holds the entry (and the audit trail the event) a checkpoint names, with that digest, and that
neither head is behind the newest checkpoint. This catches what the chain alone cannot: the
newest entries removed with the counter and the head moved back to match.

It sits with app/registry/verify.py in the layer of pages and commands (tests/test_architecture.py),
as it reports with that module's `Problem`; reading and writing checkpoints (checkpoints.py)
stays below, where the deadline watcher can use it.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ..audit.models import AuditChainHead, AuditEvent
from ..extensions import db
from .chain import get_signer
from .checkpoints import (
    Checkpoint,
    CheckpointUnreadable,
    checkpoint_directory,
    checkpoint_files,
    load_checkpoint,
    load_verified,
    verified_files,
)
from .findings import Problem
from .models import ChainHead, RegistryEntry
from .signing import RegistrySigner

_CHUNK = 500


def _stored_digests(column_position: Any, column_digest: Any, positions: Iterable[int]) -> dict[int, str]:
    """The stored digest at each of `positions` that exists, read a chunk at a time."""
    wanted = sorted(set(positions))
    found: dict[int, str] = {}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        found.update(db.session.execute(select(column_position, column_digest).where(column_position.in_(chunk))).all())
    return found


def check_checkpoints(directory: Path | None = None, signer: RegistrySigner | None = None) -> list[Problem]:
    """Every checkpoint file that is unreadable, edited or forged, and every way the chains no
    longer reach what a validly signed checkpoint says they reached."""
    signer = signer or get_signer()
    directory = directory or checkpoint_directory()
    problems: list[Problem] = []
    valid: list[Checkpoint] = []
    for path in checkpoint_files(directory):
        try:
            checkpoint = load_checkpoint(path)
        except CheckpointUnreadable as error:
            problems.append(Problem(f"checkpoint {path.name} is unreadable: {error}"))
            continue
        if checkpoint.key_id != signer.key_id:
            problems.append(Problem(
                f"checkpoint {path.name} is signed with an unknown key (forged or from another registry)",
                expected=signer.key_id, found=checkpoint.key_id,
            ))
        elif not checkpoint.is_signed_by(signer):
            problems.append(Problem(f"checkpoint {path.name}: the signature is not valid (the file was edited or forged)"))
        else:
            valid.append(checkpoint)
    problems.extend(_verified_markers(directory, signer))
    if not valid:
        return problems

    entries = _stored_digests(RegistryEntry.position, RegistryEntry.digest, (c.position for c in valid if c.position))
    events = _stored_digests(AuditEvent.position, AuditEvent.digest, (c.audit_position for c in valid if c.audit_position))
    for checkpoint in valid:
        problems.extend(_reaches(checkpoint, checkpoint.position, checkpoint.digest, entries.get(checkpoint.position),
                                 "the chain", "entry"))
        problems.extend(_reaches(checkpoint, checkpoint.audit_position, checkpoint.audit_digest,
                                 events.get(checkpoint.audit_position), "audit trail: the trail", "event"))

    newest = max(valid, key=lambda c: c.position)
    head = db.session.get(ChainHead, 1)
    head_position = head.position if head else 0
    if head_position < newest.position:
        problems.append(Problem(
            f"the chain head is at entry #{head_position}, behind checkpoint {newest.name}: "
            "the newest entries were removed (with the head and the numbers moved back)",
            position=newest.position, expected=f"#{newest.position} or later", found=f"#{head_position}",
        ))
    newest_audit = max(valid, key=lambda c: c.audit_position)
    audit_head = db.session.get(AuditChainHead, 1)
    audit_head_position = audit_head.position if audit_head else 0
    if audit_head_position < newest_audit.audit_position:
        problems.append(Problem(
            f"audit trail: its head is at event #{audit_head_position}, behind checkpoint {newest_audit.name}: "
            "the newest events were removed (with the head moved back)",
            position=newest_audit.audit_position, expected=f"#{newest_audit.audit_position} or later",
            found=f"#{audit_head_position}",
        ))
    return problems


def _reaches(
    checkpoint: Checkpoint, position: int, digest: str, stored: str | None, chain: str, item: str
) -> list[Problem]:
    if not position:
        return []
    if stored is None:
        return [Problem(f"{chain} no longer holds {item} #{position} named by checkpoint {checkpoint.name} (removed)",
                        position=position, expected=digest, found=None)]
    if stored != digest:
        return [Problem(f"{chain} holds another {item} #{position} than checkpoint {checkpoint.name} names "
                        "(replaced)", position=position, expected=digest, found=stored)]
    return []


def _verified_markers(directory: Path, signer: RegistrySigner) -> list[Problem]:
    problems = []
    for path in verified_files(directory):
        try:
            marker = load_verified(path)
        except CheckpointUnreadable as error:
            problems.append(Problem(f"verification note {path.name} is unreadable: {error}"))
            continue
        if not marker.is_signed_by(signer):
            problems.append(Problem(
                f"verification note {path.name}: the signature is not valid (the file was edited or forged)"))
    return problems

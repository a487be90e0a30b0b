"""Walk the registry and report every record that was altered, removed or reordered."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..complaints.models import CORRECTABLE, Complaint, ComplaintStatus
from ..extensions import db
from .chain import digest_of, get_signer
from .digest import GENESIS_DIGEST, canonical_json
from .models import ChainHead, EntryKind, NumberCounter, RegistryEntry
from .numbering import incoming_scope
from .signing import RegistrySigner


@dataclass(frozen=True)
class Problem:
    """One finding: where (chain position and/or number), what is wrong, and, where it can be
    said, what the signed record expects and what was found instead."""

    what: str
    position: int | None = None
    number: str | None = None
    expected: str | None = None
    found: str | None = None

    def __str__(self) -> str:
        where = " ".join(
            part
            for part in (
                f"entry #{self.position}" if self.position is not None else "",
                f"complaint {self.number}" if self.number else "",
            )
            if part
        )
        text = f"{where}: {self.what}" if where else self.what
        if self.expected is not None or self.found is not None:
            text += f" (expected {self.expected}; found {self.found})"
        return text

    def as_json(self) -> dict[str, str | int | None]:
        return {"number": self.number, "position": self.position, "what": self.what,
                "expected": self.expected, "found": self.found}


@dataclass
class Report:
    entries_checked: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def expected_record(intake: RegistryEntry, corrections: Sequence[RegistryEntry]) -> dict:
    """The complaint as its signed entries say it must be now: the intake record with every
    signed correction applied in chain order."""
    record = json.loads(intake.payload)
    for correction in corrections:
        for name, change in json.loads(correction.payload)["changes"].items():
            *parents, leaf = CORRECTABLE[name]
            target = record
            for key in parents:
                target = target[key]
            target[leaf] = change["to"]
    return record


def corrections_of(complaint_id: int) -> list[RegistryEntry]:
    return list(
        db.session.scalars(
            select(RegistryEntry)
            .where(RegistryEntry.complaint_id == complaint_id, RegistryEntry.kind == EntryKind.CORRECTION)
            .order_by(RegistryEntry.position)
        )
    )


def check_entry(
    entry: RegistryEntry,
    complaint: Complaint | None,
    signer: RegistrySigner,
    corrections: Sequence[RegistryEntry] = (),
) -> list[str]:
    """What is wrong with one entry on its own: its digest, its signature, its record (for an
    intake entry, compared with the complaint as its signed corrections say it must be)."""
    problems = []
    if entry.key_id != signer.key_id:
        problems.append(f"signed with an unknown key {entry.key_id}")
    if digest_of(entry) != entry.digest:
        problems.append("altered: the entry's content does not match its digest")
    if not signer.verify(bytes.fromhex(entry.digest), bytes.fromhex(entry.signature)):
        problems.append("the signature is not valid")
    if complaint is None and entry.complaint_id is not None:
        problems.append("the registered complaint is missing")
    elif entry.kind == EntryKind.INTAKE and complaint is not None:
        if canonical_json(complaint.registry_payload()) != canonical_json(expected_record(entry, corrections)):
            problems.append("altered: the stored complaint differs from its signed record")
    return problems


def _entries_with_complaints(batch_size: int) -> Iterator[tuple[RegistryEntry, Complaint | None]]:
    statement = (
        select(RegistryEntry, Complaint)
        .outerjoin(Complaint, Complaint.id == RegistryEntry.complaint_id)
        .options(selectinload(Complaint.attachments))
        .order_by(RegistryEntry.position)
        .execution_options(yield_per=batch_size)
    )
    yield from db.session.execute(statement)


def verify_registry(batch_size: int = 2000) -> Report:
    """Check the whole chain, every complaint against its signed record, and the numbering."""
    signer = get_signer()
    report = Report()
    corrected = set(
        db.session.scalars(
            select(RegistryEntry.complaint_id).where(RegistryEntry.kind == EntryKind.CORRECTION).distinct()
        )
    )
    expected_position, previous_digest = 1, GENESIS_DIGEST
    signed_states: dict[int, tuple[str, int, int | None]] = {}
    for entry, complaint in _entries_with_complaints(batch_size):
        report.entries_checked += 1
        number = complaint.number if complaint else None
        if entry.position != expected_position:
            report.problems.append(
                Problem(f"entries #{expected_position}..#{entry.position - 1} were removed")
            )
        if entry.prev_digest != previous_digest:
            report.problems.append(
                Problem(
                    "does not follow the entry before it (an entry was removed or reordered)",
                    entry.position,
                    number,
                )
            )
        corrections = (
            corrections_of(complaint.id)
            if complaint is not None and entry.kind == EntryKind.INTAKE and complaint.id in corrected
            else ()
        )
        for what in check_entry(entry, complaint, signer, corrections):
            report.problems.append(Problem(what, entry.position, number))
        expected_position, previous_digest = entry.position + 1, entry.digest
        if entry.complaint_id is not None:
            _follow_state(signed_states, entry)

    head = db.session.get(ChainHead, 1)
    head_position, head_digest = (head.position, head.digest) if head else (0, GENESIS_DIGEST)
    if (head_position, head_digest) != (expected_position - 1, previous_digest):
        report.problems.append(
            Problem(
                f"the chain ends at entry #{expected_position - 1} but the registry recorded "
                f"#{head_position}: entries at the end were removed or replaced"
            )
        )
    report.problems.extend(_states_differ(signed_states, batch_size))
    report.problems.extend(_unregistered_complaints())
    report.problems.extend(_unsigned_annulments())
    report.problems.extend(_numbering_gaps())
    return report


#: A complaint's state when it is registered: status, tier, owner.
_REGISTERED_STATE = (ComplaintStatus.REGISTERED.value, 1, None)


def _follow_state(states: dict[int, tuple[str, int, int | None]], entry: RegistryEntry) -> None:
    """Track the status, tier and owner the signed entries say a complaint has."""
    if entry.kind == EntryKind.EVENT:
        state = json.loads(entry.payload)["state"]
        states[entry.complaint_id] = (state["status"], state["tier"], state["owner_id"])
    elif entry.kind == EntryKind.ANNULMENT:
        _status, tier, owner = states.get(entry.complaint_id, _REGISTERED_STATE)
        states[entry.complaint_id] = (ComplaintStatus.ANNULLED.value, tier, owner)


def _states_differ(states: dict[int, tuple[str, int, int | None]], batch_size: int) -> Iterator[Problem]:
    """Complaints whose status, tier or owner is not what their last signed entry says."""
    rows = db.session.execute(
        select(Complaint.id, Complaint.number, Complaint.status, Complaint.tier, Complaint.owner_id)
        .execution_options(yield_per=batch_size)
    )
    for complaint_id, number, status, tier, owner_id in rows:
        signed = states.get(complaint_id, _REGISTERED_STATE)
        if (status.value, tier, owner_id) != signed:
            yield Problem(
                f"altered: its status, tier or owner ({status.value}, tier {tier}, owner {owner_id}) differs "
                f"from its last signed event ({signed[0]}, tier {signed[1]}, owner {signed[2]})",
                number=number,
            )


def _unregistered_complaints() -> list[Problem]:
    registered = (
        select(RegistryEntry.position)
        .where(RegistryEntry.complaint_id == Complaint.id, RegistryEntry.kind == EntryKind.INTAKE)
        .exists()
    )
    # NOT EXISTS, not NOT IN: an anti-join that stays fast on a million complaints.
    rows = db.session.scalars(select(Complaint.number).where(~registered))
    return [Problem("has no signed intake record (added outside the registry)", number=n) for n in rows]


def _unsigned_annulments() -> list[Problem]:
    """A complaint is annulled exactly when a signed annulment entry says so."""
    signed = set(
        db.session.scalars(select(RegistryEntry.complaint_id).where(RegistryEntry.kind == EntryKind.ANNULMENT))
    )
    annulled = dict(
        db.session.execute(
            select(Complaint.id, Complaint.number).where(Complaint.status == ComplaintStatus.ANNULLED)
        ).all()
    )
    problems = [
        Problem("is marked annulled without a signed annulment", number=number)
        for complaint_id, number in annulled.items()
        if complaint_id not in signed
    ]
    numbers = dict(db.session.execute(select(Complaint.id, Complaint.number).where(Complaint.id.in_(signed))).all())
    problems += [
        Problem("has a signed annulment but is not marked annulled", number=numbers.get(complaint_id))
        for complaint_id in signed - set(annulled)
    ]
    return problems


def _numbering_gaps() -> list[Problem]:
    """Numbers missing between 1 and the last number taken, in every year."""
    previous = func.lag(Complaint.seq).over(partition_by=Complaint.year, order_by=Complaint.seq)
    ordered = select(Complaint.year, Complaint.seq, previous.label("prev")).subquery()
    gaps = db.session.execute(
        select(ordered.c.year, ordered.c.prev, ordered.c.seq).where(
            func.coalesce(ordered.c.prev, 0) != ordered.c.seq - 1
        )
    ).all()
    problems = [
        Problem(f"numbers {year}: {(prev or 0) + 1}..{seq - 1} are missing (removed)")
        for year, prev, seq in gaps
    ]
    last_by_year = dict(
        db.session.execute(select(Complaint.year, func.max(Complaint.seq)).group_by(Complaint.year)).all()
    )
    for counter in db.session.scalars(
        select(NumberCounter).where(NumberCounter.scope.like("incoming:%"))
    ):
        year = int(counter.scope.split(":", 1)[1])
        last = last_by_year.get(year, 0)
        if counter.last_value != last:
            problems.append(
                Problem(
                    f"numbers {year}: {last + 1}..{counter.last_value} were taken but are missing (removed)"
                )
            )
    for year in last_by_year:
        if db.session.get(NumberCounter, incoming_scope(year)) is None:
            problems.append(Problem(f"numbers {year}: complaints exist but no number was ever taken"))
    return problems

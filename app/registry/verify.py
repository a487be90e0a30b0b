"""Walk the registry and report everything that was altered, removed, added or reordered.

What is checked (docs/security.md, "What verify checks"):
1. The chain: every entry's digest, signature and key, its place, and its link to the entry
   before it; the head names the last entry.
2. Each entry's private part (personal data, free text, a letter as issued) against the salted
   commitment its signed payload holds.
3. Every row an entry vouches for: the complaint (its intake record with its signed corrections
   applied), each message and letter, escalation, review decision, breach, receipt print,
   issued document, settings version, join, link and the complainant's rating;
   a row no entry vouches for, and an entry whose row is gone.
4. Each complaint's facts (status, tier, owner, first response, decision, closing, transfer and
   contact counts, first-response breach) against its last signed event.
5. Numbering: no gap in incoming or outgoing numbers, counters where the numbers end.
6. Evidence files on disk against the SHA-256 their intake record names, each received e-mail
   (its raw .eml) against the SHA-256 its signed arrival entry names, and each issued
   document's file (receipt, reprint, letter as first delivered) against the SHA-256 its
   "document_issued" event signs; each issued return and monthly report (`issued_returns`)
   against its "return_issued" event, and its stored file against the signed SHA-256.
7. The audit trail's own hash chain, and the signed checkpoints kept outside the database
   (so removing the newest records together with the counters and the head is caught).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from flask import current_app
from msgspec import Struct, field
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Bundle, selectinload

from ..audit.verify import verify_audit_trail
from ..clocks.models import ComplaintClock
from ..clocks.running import clock_state
from ..complaints.models import CORRECTABLE, REGISTRATION_ONLY, Attachment, Complaint, ComplaintStatus
from ..complaints.storage import EvidenceStore
from ..extensions import db
from ..mailin.models import InboundMail, arrival_facts
from ..manage.issued_returns import RETURN_ISSUED, return_store
from ..manage.issued_returns import signed_facts as signed_return_facts
from ..manage.models import IssuedReturn
from ..receipts.models import ReceiptPrint
from ..settings.models import SettingVersion
from ..workflow.models import Breach, CaseMessage, ComplaintJoin, ComplaintLink, Escalation, EscalationReview
from ..workflow.operations import state_of
from ..workflow.states import OPEN
from ..workflow.verdict_models import Rating
from .chain import digest_of, get_signer
from .checkpoint_check import check_checkpoints
from .checkpoints import Checkpoint
from .digest import GENESIS_DIGEST, canonical_json, iso_utc, private_commitment
from .findings import Problem
from .issued import document_store, signed_facts
from .models import ChainHead, EntryKind, EntryPrivate, IssuedDocument, NumberCounter, RegistryEntry
from .signing import RegistrySigner


class Report(Struct):
    #: Where the walk started: None from the start, else the position of the verified checkpoint.
    since_position: int | None = None
    last_position: int = 0
    entries_checked: int = 0
    complaints_checked: int = 0
    files_checked: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "since_position": self.since_position, "last_position": self.last_position,
                "entries_checked": self.entries_checked,
                "complaints_checked": self.complaints_checked, "files_checked": self.files_checked,
                "problems": [problem.as_json() for problem in self.problems]}


# --- one entry -----------------------------------------------------------------------------


def check_seal(entry: RegistryEntry, signer: RegistrySigner) -> list[str]:
    """What is wrong with an entry's seal: its key, its digest, its signature."""
    problems = []
    if entry.key_id != signer.key_id:
        problems.append(f"signed with an unknown key {entry.key_id}")
    if digest_of(entry) != entry.digest:
        problems.append("altered: the entry's content does not match its digest")
    if not signer.verify(bytes.fromhex(entry.digest), bytes.fromhex(entry.signature)):
        problems.append("the signature is not valid")
    return problems


def check_private(payload: dict[str, Any], private_text: str | None, salt: str | None) -> str | None:
    """What is wrong with an entry's private part, given its payload and the complaint's salt."""
    committed = payload.get("private")
    if committed is None:
        return None if private_text is None else "a private part was added to an entry that has none"
    if private_text is None:
        return "its private part (personal data, text) is missing"
    if salt is None or private_commitment(salt, private_text) != committed:
        return "altered: its private part (personal data, text) differs from what was signed"
    return None


def expected_record(
    intake_payload: dict[str, Any], intake_private: dict[str, Any], corrections: Sequence[tuple[dict, dict]]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The complaint as its signed entries say it must be now: the intake record (payload and
    private part) with every signed correction applied in chain order."""
    public = {name: value for name, value in intake_payload.items()
              if name != "private" and name not in REGISTRATION_ONLY}
    private = json.loads(json.dumps(intake_private)) if corrections else intake_private  # copied only to change
    for _payload, correction in corrections:
        for name, change in correction.get("changes", {}).items():
            part, path = CORRECTABLE[name]
            target = public if part == "public" else private
            *parents, leaf = path
            for key in parents:
                target = target[key]
            target[leaf] = change["to"]
    return public, private


def corrections_of(complaint_id: int) -> list[tuple[dict, dict]]:
    """The signed corrections of a complaint, in order: (payload, private part) each."""
    rows = db.session.execute(
        select(RegistryEntry.payload, EntryPrivate.data)
        .outerjoin(EntryPrivate, EntryPrivate.position == RegistryEntry.position)
        .where(RegistryEntry.complaint_id == complaint_id, RegistryEntry.kind == EntryKind.CORRECTION)
        .order_by(RegistryEntry.position)
    )
    return [(json.loads(payload), json.loads(data) if data else {}) for payload, data in rows]


def check_complaint_record(
    complaint: Any, payload: dict[str, Any], private: dict[str, Any], corrections: Sequence[tuple[dict, dict]]
) -> list[Problem]:
    """The stored complaint (a model, or a row with its columns and its attachments) against
    its intake record and signed corrections."""
    public, personal = expected_record(payload, private, corrections)
    problems = []
    for what, expected, found in (
        ("the stored complaint differs from its signed record", public, Complaint.registry_payload(complaint)),
        ("the stored complainant's data or text differs from the signed record", personal,
         Complaint.private_record(complaint)),
    ):
        if expected != found:  # plain values on both sides (str, int, bool, None, lists, dicts)
            problems.append(Problem(f"altered: {what}", number=complaint.number, **differences(expected, found)))
    return problems


def differences(expected: dict[str, Any], found: dict[str, Any]) -> dict[str, str]:
    """The fields that differ, as `expected=` and `found=` texts (values shortened)."""
    flat_expected, flat_found = _flatten(expected), _flatten(found)
    names = sorted(name for name in flat_expected.keys() | flat_found.keys()
                   if flat_expected.get(name) != flat_found.get(name))
    return {"expected": _show(flat_expected, names), "found": _show(flat_found, names)}


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        flat: dict[str, Any] = {}
        for key, item in value.items():
            flat |= _flatten(item, f"{prefix}.{key}" if prefix else str(key))
        return flat
    return {prefix: value}


def _show(values: dict[str, Any], names: list[str]) -> str:
    def short(value: Any) -> str:
        text = json.dumps(value, ensure_ascii=False, default=str)
        return text if len(text) <= 80 else text[:77] + "..."

    return ", ".join(f"{name}={short(values.get(name))}" for name in names)


# --- the rows an entry vouches for -------------------------------------------------------------


def _a(what: str) -> str:
    return f"{'an' if what[0] in 'aeiou' else 'a'} {what}"


def _by_id(payload: dict[str, Any]) -> int | None:
    by = payload.get("by")
    return by["id"] if by else None


def _compare(what: str, expected: dict[str, Any], found: dict[str, Any]) -> list[str | Problem]:
    if canonical_json(expected) == canonical_json(found):
        return []
    return [Problem(f"altered: {what} differs from its signed event", **differences(expected, found))]


def _vouched_rows(
    entry: RegistryEntry, payload: dict[str, Any], private: dict[str, Any] | None, rows: dict[str, Any]
) -> list[Problem]:
    """Each row that names this entry (a message, an escalation, a breach, a print, a setting)
    against what the entry says, and each row the entry says exists."""
    problems: list[Problem] = []
    at = payload.get("at")
    signed = {
        "message": payload.get("message"),
        "escalation": payload.get("escalation"),
        "review": payload.get("review"),
        "breach": payload.get("deadline"),
        "receipt print": payload.get("receipt"),
        "issued document": payload.get("document"),
        "settings version": payload if entry.kind == EntryKind.SETTING else None,
        "join": payload.get("join"),
        "link": payload.get("link"),
        "rating": payload.get("rating") if payload.get("type") == "rated" else None,
        "received e-mail": payload.get("mail") if payload.get("type") == "mail_received" else None,
    }
    for what, row in rows.items():
        said = signed[what]
        if said is None and row is not None:
            problems.append(Problem(f"{_a(what)} names this entry, which records none (added outside the registry)"))
        elif said is not None and row is None:
            problems.append(Problem(f"the {what} this entry records is missing (removed)"))
        elif row is not None:
            problems += _compare(*_row_facts(what, said, payload, private, row, at, entry.complaint_id))
    return problems


def _row_facts(
    what: str, said: dict, payload: dict, private: dict | None, row: Any, at: str | None, complaint_id: int | None
) -> tuple[str, dict, dict]:
    """(what, the facts as signed, the same facts as the row holds them)."""
    if what == "message":
        expected = {"kind": said["kind"], "outgoing_number": said["outgoing_number"], "at": at,
                    "author_id": _by_id(payload), "complaint_id": complaint_id}
        found = {"kind": row.kind.value, "outgoing_number": row.outgoing_number, "at": iso_utc(row.created_at),
                 "author_id": row.author_id, "complaint_id": row.complaint_id}
        if private is not None:
            expected["body"], found["body"] = private.get("body"), row.body
        received = payload.get("received")
        expected["received"] = received and {"channel": received["channel"], "received_on": received["received_on"],
                                             "recorded_by_id": (received.get("recorded_by") or {}).get("id")}
        found["received"] = row.channel and {"channel": row.channel.value, "received_on": row.received_on.isoformat(),
                                             "recorded_by_id": row.recorded_by_id}
        return "the message", expected, found
    if what == "escalation":
        expected = {"from": said["from"], "to": said["to"], "reason": said["reason"], "at": at,
                    "by_id": _by_id(payload), "complaint_id": complaint_id}
        found = {"from": row.from_tier, "to": row.to_tier, "reason": row.reason.value,
                 "at": iso_utc(row.escalated_at), "by_id": row.by_id, "complaint_id": row.complaint_id}
        if private is not None or row.note:
            expected["note"], found["note"] = (private or {}).get("note"), row.note
        return "the escalation", expected, found
    if what == "review":
        state = payload.get("state") or {}
        expected = {"decision": said["decision"], "escalation_id": said["escalation_id"], "at": at,
                    "by_id": _by_id(payload), "complaint_id": complaint_id, "owner_id": state.get("owner_id"),
                    "tier": state.get("tier")}
        found = {"decision": row.decision.value, "escalation_id": row.escalation_id, "at": iso_utc(row.reviewed_at),
                 "by_id": row.by_id, "complaint_id": row.complaint_id, "owner_id": row.owner_id, "tier": row.tier}
        if private is not None or row.instruction:
            expected["instruction"], found["instruction"] = (private or {}).get("instruction"), row.instruction
        return "the review", expected, found
    if what == "breach":
        return "the breach", {**said, "at": at, "complaint_id": complaint_id}, {
            "kind": row.kind.value, "due_at": iso_utc(row.due_at), "tier": row.tier,
            "at": iso_utc(row.detected_at), "complaint_id": row.complaint_id}
    if what == "issued document":
        outgoing_number = said.get("outgoing_number")
        return "the issued document", {**said, "at": at, "complaint_id": complaint_id}, {
            **signed_facts(row, outgoing_number), "at": iso_utc(row.issued_at), "complaint_id": row.complaint_id}
    if what == "receipt print":
        return "the receipt print", {**said, "at": at, "by_id": _by_id(payload), "complaint_id": complaint_id}, {
            "reprint": row.reprint_number, "language": row.language, "at": iso_utc(row.printed_at),
            "by_id": row.printed_by_id, "complaint_id": row.complaint_id}
    if what == "join":
        return "the join", {"main_id": said["main_id"], "at": at, "by_id": _by_id(payload),
                            "complaint_id": complaint_id}, {
            "main_id": row.main_id, "at": iso_utc(row.joined_at), "by_id": row.by_id, "complaint_id": row.complaint_id}
    if what == "link":
        expected = {"related_id": said["related_id"], "linked": said["linked"], "at": at, "by_id": _by_id(payload),
                    "complaint_id": complaint_id}
        found = {"related_id": row.related_id, "linked": row.linked, "at": iso_utc(row.created_at),
                 "by_id": row.by_id, "complaint_id": row.complaint_id}
        if private is not None:
            expected["note"], found["note"] = private.get("note"), row.note
        return "the link", expected, found
    if what == "rating":
        expected = {**said, "at": at, "tier": payload["state"]["tier"], "owner_id": payload["state"]["owner_id"],
                    "complaint_id": complaint_id}
        found = {"score": row.score, "category": row.category, "at": iso_utc(row.rated_at), "tier": row.tier,
                 "owner_id": row.owner_id, "complaint_id": row.complaint_id}
        if private is not None:
            expected["reason"], found["reason"] = private.get("reason"), row.reason
        return "the rating", expected, found
    if what == "received e-mail":
        return "the received e-mail", {**said, "at": at}, {**arrival_facts(row), "at": iso_utc(row.stored_at)}
    return "the settings version", {
        "key": said["key"], "value_sha256": said["value_sha256"], "effective_from": said["effective_from"],
        "by_id": _by_id(payload)}, {
        "key": row.key, "value_sha256": hashlib.sha256(row.value.encode()).hexdigest(),
        "effective_from": iso_utc(row.effective_from), "by_id": row.changed_by_id}


def _brought_files(
    payload: dict[str, Any], private: dict[str, Any] | None, rows: list[Attachment], message: Any,
    complaint_id: int | None,
) -> list[Problem]:
    """The files an event brought (a reply, a dispute, a letter, "documents_added") against the
    attachment rows that name it: their types, sizes and SHA-256 as signed, their names as its
    private part holds them, the complaint and the message they came with. A row the event does
    not sign, or a signed file without its row, is a difference."""
    signed = payload.get("attachments") or []
    if not signed and not rows:
        return []
    expected: dict[str, Any] = {"files": signed, "complaint_id": [complaint_id] * len(signed),
                                "message_id": [message.id if message is not None else None] * len(signed)}
    found: dict[str, Any] = {"files": [a.registry_payload() for a in rows],
                             "complaint_id": [a.complaint_id for a in rows],
                             "message_id": [a.message_id for a in rows]}
    if private is not None:
        expected["names"], found["names"] = private.get("attachments") or [], [a.filename for a in rows]
    if not signed:
        return [Problem("files name this entry, which records none (added outside the registry)",
                        **differences(expected, found))]
    return _compare("the files it brought", expected, found)


# --- the walk --------------------------------------------------------------------------------

_VOUCHED = {"message": CaseMessage, "escalation": Escalation, "review": EscalationReview, "breach": Breach,
            "receipt print": ReceiptPrint, "issued document": IssuedDocument, "settings version": SettingVersion,
            "join": ComplaintJoin, "link": ComplaintLink, "rating": Rating,
            "received e-mail": InboundMail}  # the e-mail last: `verify_registry` reads it so


def _bundle(name: str, model: Any) -> Bundle:
    return Bundle(name, *(column for column in model.__table__.columns))


_ENTRY = _bundle("entry", RegistryEntry)
_COMPLAINT = _bundle("complaint", Complaint)
_ROWS = [_bundle(name, model) for name, model in _VOUCHED.items()]


def _walk(batch_size: int, *, after: int = 0) -> Iterator[tuple[Any, str | None, Any, list[Any]]]:
    """Every entry after position `after`, in order, with its private text, its complaint (all
    columns, and its attachments for an intake entry) and the rows that name it: plain rows, no
    ORM objects, read `batch_size` at a time."""
    statement = (
        select(_ENTRY, EntryPrivate.data, _COMPLAINT, *_ROWS)
        .select_from(RegistryEntry)
        .outerjoin(EntryPrivate, EntryPrivate.position == RegistryEntry.position)
        .outerjoin(Complaint, Complaint.id == RegistryEntry.complaint_id)
        .where(RegistryEntry.position > after)
        .order_by(RegistryEntry.position)
        .execution_options(yield_per=batch_size)
    )
    for model in _VOUCHED.values():
        statement = statement.outerjoin(model, model.entry_position == RegistryEntry.position)
    for rows in db.session.execute(statement).partitions():
        intake_ids = [row.complaint.id for row in rows if row.entry.kind == EntryKind.INTAKE and row.complaint.id]
        attachments: dict[int, list[Attachment]] = {}
        if intake_ids:
            for attachment in db.session.scalars(
                select(Attachment).where(Attachment.complaint_id.in_(intake_ids), Attachment.entry_position.is_(None))
                .order_by(Attachment.id)
            ):
                attachments.setdefault(attachment.complaint_id, []).append(attachment)
        # Files that came later, by the event that brought them (one indexed query per batch).
        brought: dict[int, list[Attachment]] = {}
        for attachment in db.session.scalars(
            select(Attachment).where(Attachment.entry_position.in_([row.entry.position for row in rows]))
            .order_by(Attachment.id)
        ):
            brought.setdefault(attachment.entry_position, []).append(attachment)
        for row in rows:
            complaint = row.complaint
            if complaint.id is None:
                complaint = None
            elif row.entry.kind == EntryKind.INTAKE:
                complaint = SimpleNamespace(**complaint._mapping, attachments=attachments.get(complaint.id, []))
            vouched = [found if found.id is not None else None for found in row[3:]]
            yield row.entry, row.data, complaint, vouched, brought.get(row.entry.position, [])


#: What verify compares of a clock (its state; not the signed change's event and details).
CLOCK_FACTS = ("kind", "started_at", "due_at", "paused_at", "paused_seconds", "extended_at", "met_at", "breached_at",
               "stopped_at")


def _state_key(state: dict[str, Any]) -> bytes:
    return hashlib.blake2b(canonical_json(state).encode(), digest_size=8).digest()


def verify_registry(batch_size: int = 2000, *, files: bool = True, since: Checkpoint | None = None) -> Report:
    """Check the registry (see the module's docstring); `files`: the evidence files too.

    From the start, or `since` a checkpoint an earlier verification confirmed: then only the
    entries after it are walked, and only the complaints they touch are checked against their
    signed facts (the chain before it is vouched for by the checkpoint, which is checked too)."""
    signer = get_signer()
    report = Report(since_position=since.position if since else None)
    start = since.position if since else 0
    # Complaints with corrections among the entries walked (an intake entry walked has its
    # corrections after it, so walked too).
    corrected = set(db.session.scalars(
        select(RegistryEntry.complaint_id)
        .where(RegistryEntry.kind == EntryKind.CORRECTION, RegistryEntry.position > start).distinct()))
    expected_position, previous_digest = start + 1, since.digest if since else GENESIS_DIGEST
    #: complaint id -> (position of its last entry that states its facts, a short digest of them)
    states: dict[int, tuple[int, bytes]] = {}
    posted: dict[str, str] = {}  # outgoing number -> when the letter was posted, as signed
    #: (complaint id, clock kind) -> (position of the last entry that states the clock, a short digest of it)
    clocks: dict[tuple[int, str], tuple[int, bytes]] = {}
    touched: set[int] = set()
    for entry, private_text, complaint, vouched, brought in _walk(batch_size, after=start):
        report.entries_checked += 1
        number = complaint.number if complaint is not None else None

        def found(problem: str | Problem, entry: RegistryEntry = entry, number: str | None = number) -> None:
            if isinstance(problem, str):
                problem = Problem(problem)
            report.problems.append(Problem(problem.what, entry.position, number, problem.expected, problem.found))

        if entry.position != expected_position:
            report.problems.append(Problem(f"entries #{expected_position}..#{entry.position - 1} were removed"))
        if entry.prev_digest != previous_digest:
            found("does not follow the entry before it (an entry was removed or reordered)")
        for problem in check_seal(entry, signer):
            found(problem)
        expected_position, previous_digest = entry.position + 1, entry.digest
        payload = json.loads(entry.payload)
        if complaint is None and entry.complaint_id is not None:
            found("the registered complaint is missing")
            continue
        mail = vouched[-1]  # a received e-mail's arrival entry: its private part is salted by the e-mail's row
        salt = complaint.personal_salt if complaint else (mail.personal_salt if mail is not None else None)
        private_problem = check_private(payload, private_text, salt)
        if private_problem:
            found(private_problem)
        private = json.loads(private_text) if private_text and not private_problem else None
        if entry.kind == EntryKind.INTAKE and complaint is not None:
            corrections = corrections_of(complaint.id) if complaint.id in corrected else ()
            for problem in check_complaint_record(complaint, payload, private or {}, corrections):
                found(problem)
        for problem in _vouched_rows(entry, payload, private, dict(zip(_VOUCHED, vouched, strict=True))):
            found(problem)
        if entry.kind != EntryKind.INTAKE:
            for problem in _brought_files(payload, private, brought, vouched[0], entry.complaint_id):
                found(problem)
        if entry.complaint_id is not None:
            touched.add(entry.complaint_id)
            if "state" in payload:
                states[entry.complaint_id] = (entry.position, _state_key(payload["state"]))
            for clock in signed_clocks(payload):
                clocks[(entry.complaint_id, clock["kind"])] = (entry.position, _state_key(clock_facts(clock)))
        if payload.get("type") == "letter_posted":
            posted[payload["letter"]["outgoing_number"]] = payload["at"]
    report.last_position = expected_position - 1

    head = db.session.get(ChainHead, 1)
    head_position, head_digest = (head.position, head.digest) if head else (0, GENESIS_DIGEST)
    if (head_position, head_digest) != (expected_position - 1, previous_digest):
        report.problems.append(Problem(
            "the chain's end differs from the end the registry recorded: entries at the end were removed or replaced",
            expected=f"#{head_position} {head_digest[:16]}", found=f"#{expected_position - 1} {previous_digest[:16]}",
        ))
    if since is None:
        report.problems.extend(_states_differ(states, batch_size, report))
        report.problems.extend(_clocks_differ(clocks, None))
        report.problems.extend(_posted_letters(posted, every=True))
    else:
        report.problems.extend(_touched_complaints(touched, since.position, report))
        report.problems.extend(_clocks_differ(_signed_clocks_of(touched), touched))
        report.problems.extend(_posted_letters(posted, every=False))
    report.problems.extend(_unregistered_complaints())
    report.problems.extend(_unvouched_rows())
    report.problems.extend(_numbering_gaps(Complaint.year, Complaint.seq, "incoming"))
    report.problems.extend(_numbering_gaps(CaseMessage.outgoing_year, CaseMessage.outgoing_seq, "outgoing"))
    if files:
        report.problems.extend(_evidence_files(report, None if since is None else touched))
        report.problems.extend(_mail_files(report, start))
        report.problems.extend(_document_files(report, None if since is None else touched))
    report.problems.extend(_issued_returns(report, files=files))
    report.problems.extend(verify_audit_trail())
    report.problems.extend(check_checkpoints())
    return report


def _touched_complaints(touched: set[int], since: int, report: Report) -> Iterator[Problem]:
    """An incremental run: each complaint the new entries touched, against all its signed facts
    (its last state, and its intake record if that is older than the run's start)."""
    ids = sorted(touched)
    for chunk in (ids[i:i + 500] for i in range(0, len(ids), 500)):
        last = (select(func.max(RegistryEntry.position))
                .where(RegistryEntry.complaint_id.in_(chunk), RegistryEntry.payload.contains('"state":'))
                .group_by(RegistryEntry.complaint_id))
        states = {complaint_id: (position, _state_key(json.loads(payload)["state"]))
                  for complaint_id, position, payload in db.session.execute(
                      select(RegistryEntry.complaint_id, RegistryEntry.position, RegistryEntry.payload)
                      .where(RegistryEntry.position.in_(last)))}
        yield from _states_differ(states, 500, report, only=chunk)
        older = db.session.execute(
            select(RegistryEntry, EntryPrivate.data, Complaint)
            .join(Complaint, Complaint.id == RegistryEntry.complaint_id)
            .outerjoin(EntryPrivate, EntryPrivate.position == RegistryEntry.position)
            .options(selectinload(Complaint.attachments))
            .where(RegistryEntry.complaint_id.in_(chunk), RegistryEntry.kind == EntryKind.INTAKE,
                   RegistryEntry.position <= since))
        for entry, private_text, complaint in older:
            private = json.loads(private_text) if private_text else {}
            for problem in check_complaint_record(complaint, json.loads(entry.payload), private,
                                                  corrections_of(complaint.id)):
                yield Problem(problem.what, entry.position, problem.number, problem.expected, problem.found)


def signed_clocks(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """The clock states an entry signs: an intake entry's clocks started, an event's clock changes."""
    return (payload.get("registration") or {}).get("clocks") or payload.get("clocks") or []


def clock_facts(signed: dict[str, Any]) -> dict[str, Any]:
    """A signed clock change without what happened: the clock's state after it."""
    return {name: signed.get(name) for name in CLOCK_FACTS}


def _signed_clocks_of(complaint_ids: set[int]) -> dict[tuple[int, str], tuple[int, bytes]]:
    """An incremental run: the last signed state of every clock of these complaints."""
    clocks: dict[tuple[int, str], tuple[int, bytes]] = {}
    ids = sorted(complaint_ids)
    for chunk in (ids[i:i + 500] for i in range(0, len(ids), 500)):
        for complaint_id, position, payload in db.session.execute(
            select(RegistryEntry.complaint_id, RegistryEntry.position, RegistryEntry.payload)
            .where(RegistryEntry.complaint_id.in_(chunk), RegistryEntry.payload.contains('"clocks":'))
            .order_by(RegistryEntry.position)
        ):
            for clock in signed_clocks(json.loads(payload)):
                clocks[(complaint_id, clock["kind"])] = (position, _state_key(clock_facts(clock)))
    return clocks


def _clocks_differ(signed: dict[tuple[int, str], tuple[int, bytes]], only: set[int] | None) -> Iterator[Problem]:
    """Regulatory clocks (every one, or those of `only` these complaints) whose due time, pause,
    extension, meeting, breach or stop is not what their last signed change says, clocks no
    signed event started, and clocks signed but missing."""
    statement = select(ComplaintClock, Complaint.number).join(Complaint, Complaint.id == ComplaintClock.complaint_id)
    if only is not None:
        statement = statement.where(ComplaintClock.complaint_id.in_(sorted(only)))
    seen = set()
    for clock, number in db.session.execute(statement.execution_options(yield_per=2000)):
        key = (clock.complaint_id, clock.kind.value)
        seen.add(key)
        stored = clock_facts(clock_state(clock))
        if key not in signed:
            yield Problem(f"has a {clock.kind.value} clock that no signed event started (added outside the registry)",
                          number=number)
        elif _state_key(stored) != signed[key][1]:
            position = signed[key][0]
            expected = next(c for c in signed_clocks(json.loads(db.session.get_one(RegistryEntry, position).payload))
                            if c["kind"] == key[1])
            yield Problem(f"altered: its {clock.kind.value} clock differs from its last signed change", position,
                          number, **differences(clock_facts(expected), stored))
    for complaint_id, kind in sorted(set(signed) - seen):
        yield Problem(f"its {kind} clock, started by a signed event, is missing",
                      number=db.session.scalar(select(Complaint.number).where(Complaint.id == complaint_id)))


def _posted_letters(posted: dict[str, str], *, every: bool) -> Iterator[Problem]:
    """Letters marked as posted against their signed "letter_posted" events (`every`: also
    letters marked posted with no such event)."""
    statement = select(CaseMessage.outgoing_number, CaseMessage.posted_at)
    statement = statement.where(CaseMessage.posted_at.is_not(None)) if every else statement.where(
        CaseMessage.outgoing_number.in_(list(posted)))
    rows = dict(db.session.execute(statement).all())
    for number in sorted(set(rows) | set(posted)):
        signed, stored = posted.get(number), rows.get(number)
        stored_text = iso_utc(stored) if stored else None
        if signed != stored_text:
            yield Problem(f"altered: letter {number}'s posting differs from its signed event",
                          expected=f"posted_at={signed}", found=f"posted_at={stored_text}")


#: What a complaint's facts are before its first event: registered, at tier 1, nobody's.
_REGISTERED = {"status": "registered", "tier": 1, "owner_id": None, "first_responded_at": None,
               "first_response_breached_at": None, "resolution": None, "resolved_at": None, "closed_at": None,
               "transfer_count": 0, "contact_count": 1}

_FACTS = (Complaint.id, Complaint.number, Complaint.status, Complaint.tier, Complaint.owner_id,
          Complaint.first_responded_at, Complaint.first_response_breached_at, Complaint.resolution,
          Complaint.resolved_at, Complaint.closed_at, Complaint.transfer_count, Complaint.contact_count,
          Complaint.redress_amount, Complaint.redress_currency, Complaint.redress_paid_at, Complaint.referred_at,
          Complaint.closure_band)


def _states_differ(
    states: dict[int, tuple[int, bytes]], batch_size: int, report: Report, only: list[int] | None = None
) -> Iterator[Problem]:
    """Complaints (every one, or `only` these) whose facts are not what their last signed event says."""
    registered = _state_key(_REGISTERED)
    statement = select(*_FACTS)
    if only is not None:
        statement = statement.where(Complaint.id.in_(only))
    for row in db.session.execute(statement.execution_options(yield_per=batch_size)):
        report.complaints_checked += 1
        position, signed = states.get(row.id, (None, registered))
        stored = state_of(row)
        if _state_key(stored) == signed or _decided_before_bands(stored, signed) or _joined_before_status(
                row.id, stored, signed):
            continue
        expected = _REGISTERED if position is None else json.loads(
            db.session.get_one(RegistryEntry, position).payload)["state"]
        yield Problem("altered: its status, owner, tier, dates or counts differ from its last signed event",
                      position, row.number, **differences(expected, stored))


def _decided_before_bands(stored: dict[str, Any], signed: bytes) -> bool:
    """A decision signed before complaints kept their closure band: the migration
    `outcome_rollups` gave it one from the settings then in force, which no event signed (the
    band is derived from signed facts). A band signed with its decision is held to it."""
    return "closure_band" in stored and _state_key(
        {name: value for name, value in stored.items() if name != "closure_band"}) == signed


def _joined_before_status(complaint_id: int, stored: dict[str, Any], signed: bytes) -> bool:
    """A complaint joined before joined complaints had a status of their own: the migration
    `joined_status` moved it to "joined", which no event signed (its "joined" event signed the
    status it kept). It holds only for a complaint whose join row a signed event vouches for
    (checked with the joins) and whose signed status was open; any other fact is held as signed."""
    if stored["status"] != ComplaintStatus.JOINED.value:
        return False
    if not db.session.scalar(select(exists().where(ComplaintJoin.complaint_id == complaint_id))):
        return False
    return any(_state_key({**stored, "status": status.value}) == signed for status in OPEN)


def _unregistered_complaints() -> list[Problem]:
    # As many complaints as intake entries: since each intake entry names an existing complaint
    # (foreign key) and no complaint twice (unique index), none lacks one. Both counts read an
    # index only; the anti-join below runs only when they differ.
    intakes = db.session.scalar(select(func.count()).select_from(RegistryEntry).where(
        RegistryEntry.kind == EntryKind.INTAKE, RegistryEntry.complaint_id.is_not(None)))
    if intakes == db.session.scalar(select(func.count()).select_from(Complaint)):
        return []
    registered = (
        select(RegistryEntry.position)
        .where(RegistryEntry.complaint_id == Complaint.id, RegistryEntry.kind == EntryKind.INTAKE)
        .exists()
    )
    # NOT EXISTS, not NOT IN: an anti-join that stays fast on a million complaints.
    rows = db.session.scalars(select(Complaint.number).where(~registered))
    return [Problem("has no signed intake record (added outside the registry)", number=n) for n in rows]


def _unvouched_rows() -> list[Problem]:
    """Breaches, receipt prints, issued documents and settings versions that no signed event recorded."""
    problems = []
    for what, model in (("breach", Breach), ("receipt print", ReceiptPrint), ("issued document", IssuedDocument),
                        ("settings version", SettingVersion)):
        for row_id in db.session.scalars(select(model.id).where(model.entry_position.is_(None))):
            problems.append(Problem(f"{_a(what)} (row {row_id}) that no signed event recorded (added outside the registry)"))
    return problems


def _numbering_gaps(year_column: Any, seq_column: Any, scope: str) -> list[Problem]:
    """Numbers missing between 1 and the last number taken, in every year of `scope`
    ("incoming": complaints, "outgoing": letters), and counters past the last number."""
    # Numbers 1..N without a hole exactly when, per year, there are N of them and the largest is
    # N (numbers are unique per year): one pass; the window below runs only where it fails.
    years = db.session.execute(
        select(year_column, func.count(), func.max(seq_column), func.min(seq_column))
        .where(seq_column.is_not(None)).group_by(year_column)).all()
    last_by_year = {year: last for year, _count, last, _first in years}
    holed = [year for year, count, last, first in years if count != last or first != 1]
    problems = _gaps_in(year_column, seq_column, scope, holed) if holed else []
    counters = dict(db.session.execute(
        select(NumberCounter.scope, NumberCounter.last_value).where(NumberCounter.scope.like(f"{scope}:%"))).all())
    for counter_scope, last_value in counters.items():
        year = int(counter_scope.split(":", 1)[1])
        last = last_by_year.get(year, 0)
        if last_value != last:
            problems.append(Problem(
                f"{scope} numbers {year}: the counter and the last stored number differ (numbers removed or skipped)",
                expected=f"last number {last_value}", found=f"last number {last}"))
    for year in last_by_year:
        if f"{scope}:{year}" not in counters:
            problems.append(Problem(f"{scope} numbers {year}: numbers exist but none was ever taken"))
    return problems


def _gaps_in(year_column: Any, seq_column: Any, scope: str, years: list[int]) -> list[Problem]:
    """The missing runs of numbers in `years`."""
    previous = func.lag(seq_column).over(partition_by=year_column, order_by=seq_column)
    ordered = (select(year_column.label("year"), seq_column.label("seq"), previous.label("prev"))
               .where(seq_column.is_not(None), year_column.in_(years)).subquery())
    gaps = db.session.execute(
        select(ordered.c.year, ordered.c.prev, ordered.c.seq).where(
            func.coalesce(ordered.c.prev, 0) != ordered.c.seq - 1
        )
    ).all()
    return [
        Problem(f"{scope} numbers {year}: {(prev or 0) + 1}..{seq - 1} are missing (removed)",
                expected=f"{(prev or 0) + 1}..{seq - 1}", found="none")
        for year, prev, seq in gaps
    ]


def _evidence_files(report: Report, only: set[int] | None) -> Iterator[Problem]:
    """Each evidence file on disk (of every complaint, or `only` these) against the SHA-256
    its intake record names."""
    store = EvidenceStore(Path(current_app.config["ATTACHMENTS_DIR"]))
    statement = select(Attachment.sha256, func.min(Complaint.number)).join(
        Complaint, Complaint.id == Attachment.complaint_id).group_by(Attachment.sha256)
    if only is not None:
        statement = statement.where(Attachment.complaint_id.in_(sorted(only)))
    rows = db.session.execute(statement)
    for sha256, number in rows:
        report.files_checked += 1
        path = store.path_for(sha256)
        try:
            digest = _file_sha256(path)
        except OSError:
            yield Problem("an evidence file is missing", number=number, expected=sha256, found="no file")
            continue
        if digest != sha256:
            yield Problem("altered: an evidence file differs from its recorded SHA-256", number=number,
                          expected=sha256, found=digest)


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _mail_files(report: Report, after: int) -> Iterator[Problem]:
    """Each received e-mail (its raw .eml) whose arrival entry comes after position `after`,
    against the SHA-256 its signed arrival entry names (the row states it; the walk compared them)."""
    store = EvidenceStore(Path(current_app.config["ATTACHMENTS_DIR"]))
    rows = db.session.execute(select(InboundMail.id, InboundMail.sha256)
                              .where(InboundMail.entry_position > after).order_by(InboundMail.id))
    for mail_id, sha256 in rows:
        report.files_checked += 1
        try:
            digest = _file_sha256(store.path_for(sha256))
        except OSError:
            yield Problem(f"the raw file of received e-mail #{mail_id} is missing", expected=sha256, found="no file")
            continue
        if digest != sha256:
            yield Problem(f"altered: the raw file of received e-mail #{mail_id} differs from its signed SHA-256",
                          expected=sha256, found=digest)


def _document_files(report: Report, only: set[int] | None) -> Iterator[Problem]:
    """Each issued document's file (of every complaint, or `only` these) against the SHA-256 its
    signed "document_issued" event names (the row's own, for a row no event vouches for: that
    row is reported by itself)."""
    store = document_store()
    statement = (select(IssuedDocument.sha256, IssuedDocument.kind, IssuedDocument.language,
                        IssuedDocument.duplicate_number, RegistryEntry.payload, Complaint.number)
                 .join(Complaint, Complaint.id == IssuedDocument.complaint_id)
                 .outerjoin(RegistryEntry, RegistryEntry.position == IssuedDocument.entry_position)
                 .order_by(IssuedDocument.id))
    if only is not None:
        statement = statement.where(IssuedDocument.complaint_id.in_(sorted(only)))
    for sha256, kind, language, duplicate, payload, number in db.session.execute(statement):
        report.files_checked += 1
        signed = (json.loads(payload).get("document") or {}).get("sha256", sha256) if payload else sha256
        what = f"{kind.value} ({language}{f', duplicate {duplicate}' if duplicate else ''})"
        try:
            digest = _file_sha256(store.path_for(signed))
        except OSError:
            yield Problem(f"the file of an issued document is missing: {what}", number=number, expected=signed,
                          found="no file")
            continue
        if digest != signed:
            yield Problem(f"altered: the file of an issued document differs from its signed SHA-256: {what}",
                          number=number, expected=signed, found=digest)


def _issued_returns(report: Report, *, files: bool) -> Iterator[Problem]:
    """Each issued return (and monthly report): its row against its signed "return_issued"
    event, a row no event vouches for, an event whose row is gone, and (`files`) its file
    against the signed SHA-256."""
    store = return_store()
    vouched: set[int] = set()
    for row, payload in db.session.execute(
        select(IssuedReturn, RegistryEntry.payload)
        .outerjoin(RegistryEntry, RegistryEntry.position == IssuedReturn.entry_position).order_by(IssuedReturn.id)
    ):
        what = f"{row.kind} {iso_utc(row.period_start)}..{iso_utc(row.period_end)} ({row.format}, {row.language})"
        said = json.loads(payload) if payload else {}
        if said.get("type") != RETURN_ISSUED:
            yield Problem(f"an issued return (row {row.id}, {what}) that no signed event recorded "
                          "(added outside the registry)")
            continue
        vouched.add(row.entry_position)
        signed = {name: value for name, value in said["return"].items() if name != "figures"}
        for problem in _compare("the issued return", {**signed, "at": said["at"]},
                                {**signed_return_facts(row), "at": iso_utc(row.issued_at)}):
            found = problem if isinstance(problem, Problem) else Problem(problem)
            yield Problem(f"{found.what}: {what}", row.entry_position, None, found.expected, found.found)
        if not files:
            continue
        report.files_checked += 1
        try:
            digest = _file_sha256(store.path_for(signed["sha256"]))
        except OSError:
            yield Problem(f"the file of an issued return is missing: {what}", expected=signed["sha256"], found="no file")
            continue
        if digest != signed["sha256"]:
            yield Problem(f"altered: the file of an issued return differs from its signed SHA-256: {what}",
                          expected=signed["sha256"], found=digest)
    for position in db.session.scalars(
        select(RegistryEntry.position).where(RegistryEntry.complaint_id.is_(None), RegistryEntry.kind == EntryKind.EVENT,
                                            RegistryEntry.payload.contains(f'"type":"{RETURN_ISSUED}"'))
    ):
        if position not in vouched:
            yield Problem("the issued return this entry records is missing (removed)", position)

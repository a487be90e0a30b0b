"""Joined and related complaints.

**Joining.** A complaint that repeats an earlier one from the same complainant about the same
matter is joined to it (Romanian and Moldovan petition rules join repeated petitions to the
original file). The rules:

- *The same complainant*: as the case page's "other complaints from this person" finds them,
  the same e-mail address (ignoring case) or the same phone number; a name alone is not enough.
- The joined complaint is the later one, still open (registered, in progress, waiting,
  responded, reopened), not joined already, with no complaint joined to it; its owner, or
  management, joins it (nobody else's work is stopped behind their back). The main one is
  earlier and not annulled (it may be answered or closed already: its answer stands for both),
  and not joined itself. So a join is one step deep, from later to earlier: no circle can form.
- The joined complaint keeps its number, receipt and history; it is never deleted and the join
  is never undone. Its status becomes "joined" (states.NOT_COUNTED): a repeat, so the figures and
  the returns count its main complaint once and never it, and it is no longer open work. From
  the join on it is handled through its main complaint: its own
  deadlines (first response, resolution) stop, its regulatory clocks stop (signed "stopped"
  changes), it leaves the queue and the escalation desk, deadline enforcement never looks at it
  again (no warning, breach or escalation), and every workflow action on it but an internal note
  is refused, naming the main complaint (the "joined" status in states.py, deadlines.runs). The main one's
  deadlines, escalation and response answer for both. A reply by e-mail to it is held in the
  tray; its tracking page names the main complaint.
- Signed: a "joined" event on the joined complaint (the main's number and id, the reason in its
  private part, the clocks it stopped), which vouches for its `complaint_joins` row, and a
  "join_received" event on the main one. `flask registry verify` checks the row against it.

**Linking.** Related complaints (the same incident, the same outage; any complainants) are
linked with a note, and unlinked with one: a signed "linked" / "unlinked" event on the complaint
it was done from, each vouching for its `complaint_links` row. Nothing about either complaint's
handling changes.

Operations flush, never commit.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from flask_babel import gettext as _
from msgspec import Struct
from sqlalchemy import or_, select

from ..auth.models import User
from ..auth.permissions import Permission
from ..clock import now_utc
from ..clocks.running import follow, nearest_due
from ..complaints.errors import ComplaintChangeForbidden, ComplaintChangeRefused
from ..complaints.guards import MIN_REASON_LENGTH, check_text, lock
from ..complaints.models import Complaint
from ..extensions import db
from ..settings.store import current_settings
from . import rules
from .deadlines import stopped_resolution_clock
from .models import ComplaintJoin, ComplaintLink
from .operations import record_event
from .states import Action, next_status_of

log = logging.getLogger(__name__)


def same_complainant(a: Complaint, b: Complaint) -> bool:
    """The same e-mail address (ignoring case) or the same phone number."""
    return bool((a.email and b.email and a.email.lower() == b.email.lower())
                or (a.phone and b.phone and a.phone == b.phone))


def _require(permitted: bool, message: str) -> None:
    if not permitted:
        raise ComplaintChangeRefused(message)


def _lock_both(a: Complaint, b: Complaint) -> None:
    """Both rows locked, the lower id first (two people joining or linking the same two
    complaints the other way round wait for each other instead of deadlocking)."""
    for complaint in sorted((a, b), key=lambda c: c.id):
        lock(complaint)


def joined_here(complaint: Complaint) -> list[Complaint]:
    """The complaints joined to this one, in number order."""
    return list(db.session.scalars(
        select(Complaint).join(ComplaintJoin, ComplaintJoin.complaint_id == Complaint.id)
        .where(ComplaintJoin.main_id == complaint.id).order_by(Complaint.year, Complaint.seq)))


def join_complaint(complaint: Complaint, *, into: Complaint, reason: str, by: User) -> ComplaintJoin:
    """Join `complaint` (the later repeat) to `into` (the earlier one), with a reason (see the
    module's docstring for the rules and what it does to the joined complaint)."""
    reason = check_text(reason, _("reason"), MIN_REASON_LENGTH)
    _require(by.can(Permission.JOIN_COMPLAINTS), _("Only the front desk and complaints officers join complaints."))
    _require(complaint.id != into.id, _("A complaint cannot be joined to itself."))
    _lock_both(complaint, into)
    status = next_status_of(complaint, Action.JOIN)  # refuses a closed, annulled or already joined complaint
    if not rules.can_join(by, complaint):
        raise ComplaintChangeForbidden(_("%(number)s is being handled: only its owner or management can join it.",
                                         number=complaint.number))
    _require(not into.is_annulled, _("%(main)s is annulled: nothing is joined to it.", main=into.number))
    if into.joined is not None:
        raise ComplaintChangeRefused(_("%(main)s is itself joined to %(other)s: join to %(other)s instead.",
                                       main=into.number, other=into.joined.main.number))
    _require(not joined_here(complaint),
             _("Complaints are joined to %(number)s: it stays a main complaint.", number=complaint.number))
    _require((into.registered_at, into.year, into.seq) < (complaint.registered_at, complaint.year, complaint.seq),
             _("Join the later complaint to the earlier one: %(main)s was registered after %(number)s.",
               main=into.number, number=complaint.number))
    _require(same_complainant(complaint, into),
             _("%(number)s and %(main)s are not from the same complainant: neither the e-mail address nor the "
               "phone number is the same.", number=complaint.number, main=into.number))
    at = now_utc()
    for name, value in stopped_resolution_clock().items():
        setattr(complaint, name, value)
    settings = current_settings()
    # Its regulatory clocks stop as an annulment stops them; the main complaint's run on.
    stopped = follow(complaint.clocks, status=complaint.status.value, at=at, message_kind=None, annulled=True,
                     calendar=settings.calendar, fraction=settings.due_soon_fraction)
    complaint.clock_due = nearest_due(complaint.clocks)
    complaint.next_check_at = None  # enforcement never looks at it again
    complaint.status = status  # signed with the event: the figures count its main one, once
    entry = record_event(complaint, "joined", by=by, at=at, join={"main": into.number, "main_id": into.id},
                         private={"reason": reason}, **({"clocks": stopped} if stopped else {}))
    row = ComplaintJoin(complaint_id=complaint.id, main_id=into.id, joined_at=at, by_id=by.id,
                        entry_position=entry.position)
    db.session.add(row)
    record_event(into, "join_received", by=by, at=at, joined={"number": complaint.number, "id": complaint.id})
    db.session.flush()
    db.session.expire(complaint, ["joined"])
    log.info("complaint %s joined to %s by %s", complaint.number, into.number, by.username)
    return row


# Related complaints -------------------------------------------------------------------------


class Related(Struct, frozen=True):
    """A complaint linked to another one, with the note of the link as it stands."""

    complaint: Complaint
    note: str
    link: ComplaintLink


def _link_rows(complaint_ids: Iterable[int]) -> list[ComplaintLink]:
    ids = list(complaint_ids)
    return list(db.session.scalars(
        select(ComplaintLink).where(or_(ComplaintLink.complaint_id.in_(ids), ComplaintLink.related_id.in_(ids)))
        .order_by(ComplaintLink.id)))


def related_to(complaint: Complaint) -> list[Related]:
    """The complaints linked to this one now (the latest row of each pair says so), in number order."""
    latest: dict[int, ComplaintLink] = {}
    for row in _link_rows([complaint.id]):
        latest[row.related_id if row.complaint_id == complaint.id else row.complaint_id] = row
    linked = {other: row for other, row in latest.items() if row.linked}
    if not linked:
        return []
    others = db.session.scalars(select(Complaint).where(Complaint.id.in_(linked)).order_by(Complaint.year,
                                                                                           Complaint.seq))
    return [Related(other, linked[other.id].note, linked[other.id]) for other in others]


def _linked(a: Complaint, b: Complaint) -> bool:
    return any(r.complaint.id == b.id for r in related_to(a))


def _link_event(complaint: Complaint, other: Complaint, *, linked: bool, note: str, by: User) -> ComplaintLink:
    at = now_utc()
    entry = record_event(complaint, "linked" if linked else "unlinked", by=by, at=at,
                         link={"related": other.number, "related_id": other.id, "linked": linked},
                         private={"note": note})
    row = ComplaintLink(complaint_id=complaint.id, related_id=other.id, linked=linked, note=note, created_at=at,
                        by_id=by.id, entry_position=entry.position)
    db.session.add(row)
    db.session.flush()
    log.info("complaint %s %s %s by %s", complaint.number, "linked to" if linked else "unlinked from", other.number,
             by.username)
    return row


def link_complaints(complaint: Complaint, *, to: Complaint, note: str, by: User) -> ComplaintLink:
    """Link two related complaints with a note (a signed "linked" event on `complaint`)."""
    note = check_text(note, _("note"))
    _require(by.can(Permission.JOIN_COMPLAINTS), _("Only the front desk and complaints officers link complaints."))
    _require(complaint.id != to.id, _("A complaint cannot be linked to itself."))
    _lock_both(complaint, to)
    _require(not complaint.is_annulled and not to.is_annulled,
             _("An annulled complaint is not linked to anything."))
    _require(not _linked(complaint, to), _("%(number)s and %(other)s are linked already.", number=complaint.number,
                                           other=to.number))
    return _link_event(complaint, to, linked=True, note=note, by=by)


def unlink_complaints(complaint: Complaint, *, other: Complaint, note: str, by: User) -> ComplaintLink:
    """Undo a link, with a note saying why (a signed "unlinked" event on `complaint`)."""
    note = check_text(note, _("note"))
    _require(by.can(Permission.JOIN_COMPLAINTS), _("Only the front desk and complaints officers link complaints."))
    _lock_both(complaint, other)
    _require(complaint.id != other.id and _linked(complaint, other),
             _("%(number)s and %(other)s are not linked.", number=complaint.number, other=other.number))
    return _link_event(complaint, other, linked=False, note=note, by=by)

"""Bulk actions in the staff queue, for management: several complaints assigned to an officer,
or moved to a tier, at once. Each complaint gets its own signed event from the same operation
as the single-complaint action (`assign_owner`, `move_to_tier`), all in one unit of work: if
any selected complaint refuses, nothing is changed and every refusal is named."""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

from flask_babel import gettext as _
from msgspec import Struct
from sqlalchemy import select

from ..auth.models import User
from ..complaints.errors import ComplaintChangeRefused
from ..complaints.models import Complaint
from ..extensions import db
from ..workflow import operations as ops

#: The most complaints one bulk action takes (a queue page shows 50).
BULK_MAX = 100


class BulkAction(enum.StrEnum):
    ASSIGN = "assign"  # to an officer: `assign_owner`, as the case page's "assign"
    MOVE = "move"  # to a tier: `move_to_tier`


class Refusal(Struct, frozen=True):
    number: str  # the complaint's number, or the id given when there is no such complaint
    why: str


class BulkRefused(ComplaintChangeRefused):
    """At least one selected complaint refused: the unit of work is rolled back."""

    def __init__(self, refusals: list[Refusal]) -> None:
        super().__init__("; ".join(f"{r.number}: {r.why}" for r in refusals))
        self.refusals = refusals


def operation(action: BulkAction, *, by: User, to: User | None, tier: int | None,
              note: str | None) -> Callable[[Complaint], Any]:
    """What the action does to one complaint: the single-complaint operation, as `by`."""
    if action == BulkAction.ASSIGN:
        return lambda complaint: ops.assign_owner(complaint, to=to, note=note, by=by)
    return lambda complaint: ops.move_to_tier(complaint, tier=tier, reason=note or "", by=by)


def apply_to_each(ids: list[int], perform: Callable[[Complaint], Any]) -> list[Complaint]:
    """`perform` on each complaint of `ids` (in id order: every transaction locks them in one
    order), inside the caller's unit of work; BulkRefused naming every complaint that is not
    there or refused, so the caller's rollback leaves all of them as they were."""
    complaints = {c.id: c for c in db.session.scalars(select(Complaint).where(Complaint.id.in_(ids)))}
    refusals = [Refusal(str(i), _("There is no such complaint.")) for i in ids if i not in complaints]
    done = []
    for complaint_id in sorted(complaints):
        complaint = complaints[complaint_id]
        try:
            perform(complaint)
        except ComplaintChangeRefused as refused:
            refusals.append(Refusal(complaint.number, str(refused)))
        else:
            done.append(complaint)
    if refusals:
        raise BulkRefused(refusals)
    return done

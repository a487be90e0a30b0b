"""What escalating a complaint means (workflow/escalation.plan_escalation): plain values in, plain
values out, no database; and the case page and the deadline sweep writing the same escalation."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from _cases import T0, events, load
from app.clock import frozen_clock
from app.complaints.access import find_by_reference
from app.complaints.models import ComplaintStatus
from app.database import commit_with_retry
from app.extensions import db
from app.notifications.models import Audience, DeliveryStatus, Notification, NotificationKind
from app.settings.store import current_policy
from app.settings.tiers import Tier, policy_from_values
from app.workflow import enforcement
from app.workflow import operations as ops
from app.workflow.enforcement import enforce
from app.workflow.escalation import plan_escalation
from app.workflow.models import Escalation, EscalationReason
from app.workflow.states import OPEN

S = ComplaintStatus
R = EscalationReason
AT = datetime(2026, 11, 24, 8, 1, tzinfo=UTC)
DAY = timedelta(days=1)
#: The default tiers: 3, 5 and 10 days to resolve, none at the board; management is tier 3.
POLICY = policy_from_values(
    (Tier(1, {"en": "Support desk"}, 3), Tier(2, {"en": "Specialist department"}, 5),
     Tier(3, {"en": "Management"}, 10), Tier(4, {"en": "Board"}, None)),
    first_response_hours=24, due_soon_fraction=0.75, management_tier=3, max_transfers=2,
)


def complaint(status: S = S.IN_PROGRESS, tier: int = 1) -> SimpleNamespace:
    return SimpleNamespace(id=7, status=status, tier=tier)


def plan(to_tier: int = 2, reason: R = R.OWNER_REQUEST, *, note: str | None = None, by_id: int | None = None,
         **fields):
    return plan_escalation(complaint(**fields), to_tier, reason, note=note, by_id=by_id, at=AT, policy=POLICY)


# The planner on its own ------------------------------------------------------------------

#: Who escalates, why, with which note: by hand (the owner, a third transfer), by the
#: complainant's request, and by the deadline sweep.
WHO = [
    pytest.param(R.OWNER_REQUEST, 3, "Needs the payments team", 2, id="the owner"),
    pytest.param(R.TRANSFERS, 3, "Once more, please", 3, id="a transfer too many"),
    pytest.param(R.COMPLAINANT_REQUEST, None, None, 2, id="the complainant"),
    pytest.param(R.FIRST_RESPONSE_BREACH, None, None, 2, id="the sweep, no first response"),
    pytest.param(R.RESOLUTION_BREACH, None, None, 2, id="the sweep, not resolved"),
]


@pytest.mark.parametrize(("reason", "by_id", "note", "to_tier"), WHO)
def test_the_row_the_signed_record_and_the_notice_say_who_why_and_where_to(reason, by_id, note, to_tier):
    escalation = plan(to_tier, reason, note=note, by_id=by_id)
    assert escalation.row == {"complaint_id": 7, "from_tier": 1, "to_tier": to_tier, "reason": reason,
                              "note": note, "escalated_at": AT, "by_id": by_id}
    assert escalation.signed == {"from": 1, "to": to_tier, "reason": reason.value}  # the note: private
    [notice] = escalation.notices
    assert {**notice, "params": json.loads(notice["params"])} == {
        "kind": NotificationKind.ESCALATED, "complaint_id": 7, "audience": Audience.TIER, "user_id": None,
        "tier": to_tier, "params": {"from_tier": 1, "to_tier": to_tier, "reason": reason.value, "note": note},
        "created_at": AT, "status": DeliveryStatus.QUEUED, "attempts": 0, "next_attempt_at": AT,
    }


@pytest.mark.parametrize(("from_tier", "to_tier", "resolution_due"), [
    pytest.param(1, 2, AT + 5 * DAY, id="the next tier"),
    pytest.param(1, 3, AT + 10 * DAY, id="straight to management"),
    pytest.param(2, 3, AT + 10 * DAY, id="to management"),
    pytest.param(3, 4, None, id="to the top, where no deadline runs"),
])
def test_the_new_tiers_resolution_clock_starts_at_the_escalation(from_tier, to_tier, resolution_due):
    assert plan(to_tier, tier=from_tier).changes == {
        "tier": to_tier, "resolution_started_at": AT, "resolution_due": resolution_due, "resolution_warned_at": None,
    }


@pytest.mark.parametrize("status", sorted(OPEN))
def test_the_clock_restarts_in_every_open_status(status):
    assert plan(status=status).changes["resolution_started_at"] == AT


@pytest.mark.parametrize("status", [S.RESOLVED, S.CLOSED])
def test_a_resolved_or_closed_complaint_rises_with_its_clock_stopped(status):
    assert plan(status=status).changes == {"tier": 2, "resolution_due": None, "resolution_warned_at": None}


@pytest.mark.parametrize(("from_tier", "to_tier"), [(2, 2), (3, 2)])
def test_an_escalation_that_does_not_rise_is_refused(from_tier, to_tier):
    with pytest.raises(ValueError, match="rises"):
        plan(to_tier, tier=from_tier)


def test_the_plan_is_frozen_and_leaves_the_complaint_as_it_was():
    given = complaint()
    escalation = plan_escalation(given, 2, R.OWNER_REQUEST, note=None, by_id=None, at=AT, policy=POLICY)
    assert given == complaint()
    with pytest.raises(AttributeError, match="immutable"):
        escalation.changes = {}  # type: ignore[misc]


class _Row(SimpleNamespace):
    """A due row as the sweep reads it (enforcement._READ), without a database."""

    @property
    def _mapping(self) -> dict:
        return dict(vars(self))


def due_row(**fields) -> _Row:
    registered = AT - timedelta(hours=24, minutes=1)
    return _Row(**{
        "id": 7, "number": "2026/000007", "status": S.IN_PROGRESS, "tier": 1, "owner_id": 3,
        "received_at": registered, "registered_at": registered, "resolution_started_at": registered,
        "first_response_due": registered + timedelta(hours=24), "first_responded_at": None,
        "first_response_warned_at": registered + timedelta(hours=18), "first_response_breached_at": None,
        "resolution_due": registered + 3 * DAY, "resolution_warned_at": None,
        "next_check_at": registered + timedelta(hours=24), "resolution": None, "resolved_at": None,
        "closed_at": None, "transfer_count": 0, "contact_count": 1, "clock_due": None, **fields,
    })


@pytest.mark.parametrize(("fields", "reason"), [
    pytest.param({}, R.FIRST_RESPONSE_BREACH, id="no first response"),
    pytest.param({"first_responded_at": AT - 3 * DAY, "resolution_due": AT - timedelta(minutes=1)},
                 R.RESOLUTION_BREACH, id="not resolved"),
])
def test_the_sweep_plans_a_breachs_escalation_with_the_same_planner(fields, reason):
    row = due_row(**fields)
    swept = enforcement._plan(row, [], AT, POLICY)
    (step,) = swept.steps
    expected = plan_escalation(row, 2, reason, note=None, by_id=None, at=AT, policy=POLICY)
    assert step.escalation == expected
    assert vars(swept.state).items() >= expected.changes.items()
    assert swept.notifications[1:] == list(expected.notices)
    assert step.event["escalation"] == expected.signed
    assert step.event["state"] == {
        "status": "in_progress", "tier": 2, "owner_id": 3, "first_responded_at": step.event["state"]["first_responded_at"],
        "first_response_breached_at": step.event["state"]["first_response_breached_at"], "resolution": None,
        "resolved_at": None, "closed_at": None, "transfer_count": 0, "contact_count": 1,
    }


def test_a_breach_at_the_top_tier_plans_no_escalation():
    swept = enforcement._plan(due_row(tier=4, resolution_due=None), [], AT, POLICY)
    (step,) = swept.steps
    assert step.escalation is None and step.event["escalation"] is None
    assert [n["kind"] for n in swept.notifications] == [NotificationKind.BREACH]


# The two writers, on the database ----------------------------------------------------------

def _clock(app, number: str) -> tuple:
    complaint = load(app, number)
    return (complaint.tier, complaint.resolution_started_at, complaint.resolution_due, complaint.resolution_warned_at)


def _first(app, number: str, model, columns: tuple, *where) -> tuple:
    """The given columns of the complaint's first row of `model` (matching `where`)."""
    with app.app_context():
        complaint = find_by_reference(number)
        return tuple(db.session.execute(
            select(*columns).where(model.complaint_id == complaint.id, *where).order_by(model.id)).first())


def test_the_case_page_and_the_sweep_write_the_same_escalation(app, register):
    """One complaint escalated by `escalate_to` (the case page's operation), its twin by the
    deadline sweep, at the same moment and for the same reason: the same columns, row, notice,
    and the same `escalation` and `state` in their signed events."""
    by_hand, by_sweep = register(subject="Escalated by hand"), register(subject="Escalated by the sweep")
    at = T0 + timedelta(hours=24, minutes=1)
    with app.app_context(), frozen_clock(at):
        complaint = find_by_reference(by_hand)
        commit_with_retry(lambda: ops.escalate_to(complaint, 2, R.FIRST_RESPONSE_BREACH, note=None, by=None,
                                                  at=at, policy=current_policy()))
    by_hand_clock = _clock(app, by_hand)
    with app.app_context(), frozen_clock(at):
        enforce(at, current_policy())  # escalates the twin (and by_hand once more, to tier 3)
    assert _clock(app, by_sweep) == by_hand_clock == (2, at, at + 5 * DAY, None)

    [signed_by_hand] = [e for e in events(app, by_hand) if e["type"] == "escalated"]
    [signed_by_sweep] = [e for e in events(app, by_sweep) if e["type"] == "deadline_breached"]
    for key in ("escalation", "at", "by"):
        assert signed_by_sweep[key] == signed_by_hand[key], key
    # The same facts, but the sweep also records the first-response breach that caused it.
    hand_state = {**signed_by_hand["state"], "first_response_breached_at": None}
    assert {**signed_by_sweep["state"], "first_response_breached_at": None} == hand_state
    assert signed_by_sweep["state"]["first_response_breached_at"] is not None
    assert signed_by_hand["escalation"] == {"from": 1, "to": 2, "reason": "first_response_breach"}

    row = (Escalation.from_tier, Escalation.to_tier, Escalation.reason, Escalation.note, Escalation.escalated_at,
           Escalation.by_id)
    assert _first(app, by_sweep, Escalation, row) == _first(app, by_hand, Escalation, row) == (
        1, 2, R.FIRST_RESPONSE_BREACH, None, at, None)
    notice = (Notification.audience, Notification.user_id, Notification.tier, Notification.params,
              Notification.created_at)
    escalated = Notification.kind == NotificationKind.ESCALATED
    assert _first(app, by_sweep, Notification, notice, escalated) == _first(app, by_hand, Notification, notice,
                                                                            escalated)

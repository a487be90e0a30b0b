"""The case workflow: the state machine, ownership, transfers, escalation, responses, replies."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from _cases import T0, act, events, load, notifications, private_parts
from app.complaints.errors import ComplaintChangeRefused
from app.complaints.models import ComplaintStatus, Resolution
from app.extensions import db
from app.registry.verify import verify_registry
from app.workflow import operations as ops
from app.workflow.models import CaseMessage, Escalation, EscalationReason, MessageKind
from app.workflow.states import OPEN, TRANSITIONS, Action, TransitionRefused, allowed, next_status

S = ComplaintStatus


# The state machine on its own ---------------------------------------------------------

@pytest.mark.parametrize(("status", "action", "expected"), [(s, a, t) for (s, a), t in TRANSITIONS.items()])
def test_every_listed_transition_leads_where_the_table_says(status, action, expected):
    assert next_status(status, action) == expected
    assert allowed(status, action)


@pytest.mark.parametrize("status", list(S))
@pytest.mark.parametrize("action", [Action.RESPOND, Action.RESOLVE, Action.CLOSE, Action.DISPUTE])
def test_a_move_not_in_the_table_is_refused_with_a_message(status, action):
    if (status, action) in TRANSITIONS:
        return
    with pytest.raises(TransitionRefused) as refused:
        next_status(status, action)
    assert status.title.lower() in str(refused.value)


def test_nothing_leaves_an_annulled_complaint_and_a_closed_one_only_reopens():
    assert [a for a in Action if allowed(S.ANNULLED, a)] == []
    # A closed complaint is reopened, or what became of its final response is recorded.
    assert [a for a in Action if allowed(S.CLOSED, a)] == [
        Action.DISPUTE, Action.REOPEN, Action.RECORD_REDRESS_PAID, Action.RECORD_REFERRAL]
    assert S.CLOSED not in OPEN and S.RESOLVED not in OPEN


# Ownership -----------------------------------------------------------------------------

def test_the_first_officer_who_takes_a_complaint_owns_it_and_the_complainant_is_told(app, register, staff):
    number = register()
    act(app, number, ops.take_complaint, by=staff["olga"])
    complaint = load(app, number)
    assert (complaint.status, complaint.owner_id) == (S.IN_PROGRESS, staff["olga"])
    assert events(app, number)[-1]["type"] == "taken"
    state = events(app, number)[-1]["state"]
    assert (state["status"], state["tier"], state["owner_id"]) == ("in_progress", 1, staff["olga"])
    assert ("status_changed", "complainant", None, None) in notifications(app, number)
    with pytest.raises(ComplaintChangeRefused, match="Olga Officer owns it"):
        act(app, number, ops.take_complaint, by=staff["petru"])


def test_a_clerk_and_an_officer_below_the_tier_cannot_take_it(app, register, staff):
    number = register()
    with pytest.raises(ComplaintChangeRefused, match="tier 1"):
        act(app, number, ops.take_complaint, by=staff["clerk"])
    act(app, number, ops.take_complaint, by=staff["olga"])
    act(app, number, ops.escalate, by=staff["olga"], reason="Needs the payments team")
    with pytest.raises(ComplaintChangeRefused, match="tier 2"):
        act(app, number, ops.take_complaint, by=staff["petru"])
    act(app, number, ops.take_complaint, by=staff["sofia"])  # the new tier takes it over
    complaint = load(app, number)
    assert (complaint.owner_id, complaint.tier, complaint.status) == (staff["sofia"], 2, S.IN_PROGRESS)


def test_a_transfer_needs_a_reason_and_is_counted(app, register, staff):
    number = register()
    act(app, number, ops.take_complaint, by=staff["olga"])
    with pytest.raises(ComplaintChangeRefused, match="reason"):
        act(app, number, ops.transfer_complaint, by=staff["olga"], to=staff["petru"], reason="  ")
    assert load(app, number).owner_id == staff["olga"]
    with pytest.raises(ComplaintChangeRefused, match="Only the complaint's owner"):
        act(app, number, ops.transfer_complaint, by=staff["petru"], to=staff["petru"], reason="I know this one")
    act(app, number, ops.transfer_complaint, by=staff["olga"], to=staff["petru"], reason="Petru knows the case")
    complaint = load(app, number)
    assert (complaint.owner_id, complaint.transfer_count) == (staff["petru"], 1)
    assert ("assigned", "user", staff["petru"], None) in notifications(app, number)


def test_after_two_transfers_the_next_one_escalates_to_management_instead(app, register, staff):
    number = register()
    act(app, number, ops.take_complaint, by=staff["olga"])
    act(app, number, ops.transfer_complaint, by=staff["olga"], to=staff["petru"], reason="Petru knows the case")
    act(app, number, ops.transfer_complaint, by=staff["petru"], to=staff["olga"], reason="Back to Olga, on leave")
    outcome = act(app, number, ops.transfer_complaint, by=staff["olga"], to=staff["petru"], reason="Again, sorry")
    assert outcome.transferred_to is None
    complaint = load(app, number)
    assert (complaint.tier, complaint.owner_id, complaint.transfer_count) == (3, staff["olga"], 2)
    with app.app_context():
        escalation = db.session.scalars(select(Escalation)).one()
        assert (escalation.from_tier, escalation.to_tier, escalation.reason) == (1, 3, EscalationReason.TRANSFERS)
    assert ("escalated", "tier", None, 3) in notifications(app, number)


def test_a_transfer_to_a_colleague_at_a_higher_tier_takes_the_complaint_to_their_tier_and_signs_it(
        app, register, staff):
    number = register()
    act(app, number, ops.take_complaint, by=staff["olga"])
    act(app, number, ops.respond, by=staff["olga"], body="We are looking into it.")
    assert load(app, number).next_check_at == T0 + timedelta(days=3) * 0.75  # tier 1's resolution warning
    at = T0 + timedelta(hours=2)
    act(app, number, ops.transfer_complaint, by=staff["olga"], to=staff["sofia"], reason="A gateway fault", at=at)
    complaint = load(app, number)
    assert (complaint.owner_id, complaint.tier, complaint.transfer_count) == (staff["sofia"], 2, 1)
    assert complaint.resolution_started_at == at  # tier 2's clock starts, as on entering any tier
    assert complaint.resolution_due == at + timedelta(days=5)
    assert complaint.next_check_at == at + timedelta(days=5) * 0.75  # the alarm follows the new clock
    assert complaint.first_response_due == T0 + timedelta(hours=24)  # the first response does not move
    transferred = events(app, number)[-1]
    assert transferred["type"] == "transferred" and transferred["tiers"] == {"from": 1, "to": 2}
    assert (transferred["state"]["tier"], transferred["state"]["owner_id"]) == (2, staff["sofia"])
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Escalation)) == 0  # a transfer, not an escalation
        report = verify_registry()
    assert report.ok, [str(p) for p in report.problems]


def test_a_transfer_never_lowers_the_tier_and_at_the_same_tier_keeps_its_clock(app, register, staff):
    number = register()
    act(app, number, ops.take_complaint, by=staff["olga"])
    act(app, number, ops.transfer_complaint, by=staff["olga"], to=staff["petru"], reason="Petru knows the case",
        at=T0 + timedelta(hours=2))
    complaint = load(app, number)
    assert (complaint.tier, complaint.resolution_started_at) == (1, T0)  # the same tier: nothing restarts
    assert "tiers" not in events(app, number)[-1] and events(app, number)[-1]["state"]["tier"] == 1
    act(app, number, ops.escalate, by=staff["petru"], reason="Needs the payments team")
    act(app, number, ops.take_complaint, by=staff["sofia"])
    with pytest.raises(ComplaintChangeRefused, match="Olga Officer cannot own this complaint: it is at tier 2"):
        act(app, number, ops.transfer_complaint, by=staff["sofia"], to=staff["olga"], reason="Back to the desk")
    assert (load(app, number).tier, load(app, number).owner_id) == (2, staff["sofia"])
    with app.app_context():
        report = verify_registry()
    assert report.ok, [str(p) for p in report.problems]


def test_a_consultation_note_asks_a_colleague_without_handing_the_complaint_on(app, register, staff):
    number = register()
    act(app, number, ops.take_complaint, by=staff["olga"])
    act(app, number, ops.add_consultation, by=staff["olga"], note="Sofia, is this a known gateway fault?",
        colleague=staff["sofia"])
    complaint = load(app, number)
    assert (complaint.owner_id, complaint.first_responded_at) == (staff["olga"], None)  # the clock runs on
    assert ("consultation", "user", staff["sofia"], None) in notifications(app, number)
    assert not [n for n in notifications(app, number) if n[0] == "message"]  # the complainant sees nothing


# Answering -----------------------------------------------------------------------------

def test_a_response_stops_the_first_response_clock_and_gets_an_outgoing_number(app, register, staff):
    number = register()
    act(app, number, ops.take_complaint, by=staff["olga"])
    message = act(app, number, ops.respond, by=staff["olga"], body="Вывод средств обработан сегодня.",
                  at=T0 + timedelta(hours=23))
    complaint = load(app, number)
    assert complaint.status == S.RESPONDED
    assert complaint.first_responded_at == T0 + timedelta(hours=23)
    assert message.outgoing_number == "OUT-2026/000001"
    assert events(app, number)[-1]["message"] == {"kind": "response", "outgoing_number": "OUT-2026/000001"}
    assert private_parts(app, number)[-1]["body"] == "Вывод средств обработан сегодня."  # kept out of the payload
    assert events(app, number)[-1]["state"]["first_responded_at"] == "2026-11-24T07:00:00.000000+00:00"
    assert ("message", "complainant", None, None) in notifications(app, number)
    second = act(app, number, ops.respond, by=staff["olga"], body="A follow-up.", at=T0 + timedelta(hours=30))
    assert second.outgoing_number == "OUT-2026/000002"
    assert load(app, number).first_responded_at == T0 + timedelta(hours=23)  # the first one counts


def test_asking_for_information_waits_for_the_complainant_but_does_not_stop_the_clock(app, register, staff):
    number = register()
    act(app, number, ops.take_complaint, by=staff["olga"])
    act(app, number, ops.request_information, by=staff["olga"], body="Send the card's last four digits.")
    complaint = load(app, number)
    assert (complaint.status, complaint.first_responded_at) == (S.WAITING, None)
    act(app, number, ops.complainant_reply, by=None, body="They are 4421.")
    complaint = load(app, number)
    assert (complaint.status, complaint.contact_count) == (S.IN_PROGRESS, 2)
    assert ("complainant_reply", "user", staff["olga"], None) in notifications(app, number)


def test_the_decision_resolves_then_the_owner_closes(app, register, staff):
    number = register()
    act(app, number, ops.take_complaint, by=staff["olga"])
    with pytest.raises(ComplaintChangeRefused, match="reasons"):
        act(app, number, ops.resolve, by=staff["olga"], resolution=Resolution.UPHELD, reasons="ok")
    act(app, number, ops.respond, by=staff["olga"], body="We are checking with the bank.")
    message = act(app, number, ops.resolve, by=staff["olga"], resolution=Resolution.PARTLY_UPHELD,
                  reasons="The payment was late; the fee is refunded, the bonus is not.")
    assert message.kind == MessageKind.DECISION
    complaint = load(app, number)
    assert (complaint.status, complaint.resolution, complaint.resolution_due) == (
        S.RESOLVED, Resolution.PARTLY_UPHELD, None)
    act(app, number, ops.close, by=staff["olga"])
    assert load(app, number).status == S.CLOSED


def test_responding_to_a_closed_complaint_is_refused_and_changes_nothing(app, register, staff):
    number = register()
    act(app, number, ops.take_complaint, by=staff["olga"])
    act(app, number, ops.resolve, by=staff["olga"], resolution=Resolution.REJECTED, reasons="The bet was void.")
    act(app, number, ops.close, by=staff["olga"])
    before = (len(events(app, number)), len(notifications(app, number)))
    with pytest.raises(TransitionRefused, match="closed"):
        act(app, number, ops.respond, by=staff["olga"], body="One more thing")
    assert (len(events(app, number)), len(notifications(app, number))) == before
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CaseMessage)) == 1


def test_a_dispute_reopens_and_escalates_when_the_complainant_asks(app, register, staff):
    number = register()
    act(app, number, ops.take_complaint, by=staff["olga"])
    act(app, number, ops.resolve, by=staff["olga"], resolution=Resolution.REJECTED, reasons="The bet was void.")
    act(app, number, ops.close, by=staff["olga"])
    reply = act(app, number, ops.complainant_reply, by=None, body="I do not accept this.", dispute=True,
                ask_escalation=True, at=T0 + timedelta(days=2))
    complaint = load(app, number)
    assert (complaint.status, complaint.tier, complaint.resolution, complaint.contact_count) == (
        S.REOPENED, 2, None, 2)
    assert complaint.resolution_due == T0 + timedelta(days=2 + 5)  # tier 2's five days, from now
    assert reply.escalation.reason == EscalationReason.COMPLAINANT_REQUEST
    assert [e["type"] for e in events(app, number)][-2:] == ["disputed", "escalated"]


def test_the_owner_cannot_escalate_beyond_the_last_tier(app, register, make_user):
    board = make_user("board", "manager", tier=4)
    number = register()
    act(app, number, ops.take_complaint, by=board)
    for _ in range(3):
        act(app, number, ops.escalate, by=board, reason="Needs the board's decision")
    assert load(app, number).tier == 4
    with pytest.raises(ComplaintChangeRefused, match="highest tier"):
        act(app, number, ops.escalate, by=board, reason="Even higher")
    assert load(app, number).tier == 4


def test_workflow_events_are_signed_and_the_registry_verifies(app, register, staff):
    number = register()
    act(app, number, ops.take_complaint, by=staff["olga"])
    act(app, number, ops.respond, by=staff["olga"], body="Answered.")
    act(app, number, ops.complainant_reply, by=None, body="Thanks, but no.", dispute=True)
    with app.app_context():
        report = verify_registry()
    assert report.ok, [str(p) for p in report.problems]
    assert [e["type"] for e in events(app, number)] == ["taken", "responded", "disputed"]

"""The escalation desk's review decisions: keep with the owner (with an instruction), take over,
send back; each a signed "reviewed" event that `flask registry verify` checks, shown on the case
page, and the complaint shown as reviewed on the desk until it escalates again."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import text

from _cases import T0, act, events, load, notifications, private_parts
from _support import statements_of
from app.auth.models import User
from app.clock import frozen_clock
from app.complaints.errors import ComplaintChangeRefused
from app.complaints.models import ComplaintStatus, Resolution
from app.extensions import db
from app.settings.store import current_policy
from app.workflow import operations as ops
from app.workflow.enforcement import enforce
from app.workflow.models import ReviewDecision
from app.workflow.reviews import standing_reviews

H = timedelta(hours=1)


def sign_in(client, username: str) -> None:
    assert client.post("/staff/login", data={"username": username, "password": "correct horse 1"}).status_code == 302


def verify(runner) -> list[dict]:
    result = runner.invoke(args=["registry", "verify", "--full", "--json"])
    return json.loads(result.output)["problems"]


@pytest.fixture
def escalated(app, register, staff) -> str:
    """Taken by Sofia (tier 2), escalated by her to her tier and on to management (tier 3): on
    the desk, its latest escalation from tier 2."""
    number = register(subject="The withdrawal never arrived")
    act(app, number, ops.take_complaint, by=staff["sofia"], at=T0 + H)
    act(app, number, ops.escalate, by=staff["sofia"], reason="The payment provider must check it", at=T0 + H)
    act(app, number, ops.escalate, by=staff["sofia"], reason="The refund needs a manager's approval", at=T0 + 2 * H)
    assert (load(app, number).tier, load(app, number).owner_id) == (3, staff["sofia"])
    return number


def review(app, number: str, by: int, decision: ReviewDecision, at=T0 + 3 * H, **kwargs):
    kwargs.setdefault("instruction", None)
    return act(app, number, ops.review_escalation, by=by, at=at, decision=decision, **kwargs)


def test_keeping_it_with_the_owner_is_a_signed_event_and_the_owner_sees_the_instruction(
        app, client, runner, escalated, staff):
    sign_in(client, "mihai")
    slug = load(app, escalated).slug
    page = client.get(f"/manage/escalations/{slug}/review").get_data(as_text=True)
    assert "Keep with the owner, with an instruction" in page and "Send it back down" in page
    with frozen_clock(T0 + 3 * H):
        response = client.post(f"/manage/escalations/{slug}/review", data={
            "review-decision": "keep", "review-instruction": "Approved: refund the fee and write to him today."})
    assert response.status_code == 303
    complaint = load(app, escalated)
    assert (complaint.owner_id, complaint.tier, complaint.status) == (staff["sofia"], 3, ComplaintStatus.IN_PROGRESS)
    event = events(app, escalated)[-1]
    assert event["type"] == "reviewed" and event["review"]["decision"] == "keep"
    assert event["review"]["escalation_id"] is not None and event["by"]["id"] == staff["mihai"]
    assert private_parts(app, escalated)[-1] == {"instruction": "Approved: refund the fee and write to him today."}
    assert ("assigned", "user", staff["sofia"], None) == notifications(app, escalated)[-1]
    desk = client.get("/manage/escalations/").get_data(as_text=True)
    assert "Reviewed" in desk and "Mihai Manager" in desk and "Review again" in desk
    assert verify(runner) == []
    client.post("/staff/logout")
    sign_in(client, "sofia")
    case = client.get(f"/staff/complaints/{slug}").get_data(as_text=True)
    assert "Escalation reviewed: Keep with the owner, with an instruction" in case
    assert 'data-testid="review-decision"' in case and "Approved: refund the fee and write to him today." in case


def test_taking_over_makes_the_manager_the_owner_at_the_same_tier(app, runner, escalated, staff):
    review(app, escalated, staff["mihai"], ReviewDecision.TAKE_OVER)
    complaint = load(app, escalated)
    assert (complaint.owner_id, complaint.tier, complaint.status) == (staff["mihai"], 3, ComplaintStatus.IN_PROGRESS)
    event = events(app, escalated)[-1]
    assert (event["type"], event["review"]["decision"], event["previous_owner"]["id"]) == (
        "reviewed", "take_over", staff["sofia"])
    assert event["state"]["owner_id"] == staff["mihai"]
    assert verify(runner) == []


def test_taking_over_a_complaint_nobody_took_moves_it_to_in_progress_as_taking_does(app, runner, register, staff):
    number = register()
    with app.app_context():
        enforce(T0 + 26 * H, current_policy())  # no first response: a breach, and up a tier
    assert load(app, number).status == ComplaintStatus.REGISTERED
    review(app, number, staff["mihai"], ReviewDecision.TAKE_OVER, at=T0 + 27 * H)
    complaint = load(app, number)
    assert (complaint.status, complaint.owner_id) == (ComplaintStatus.IN_PROGRESS, staff["mihai"])
    assert ("status_changed", "complainant", None, None) in notifications(app, number)
    assert verify(runner) == []


def test_sending_back_returns_it_to_the_tier_it_rose_from_and_to_the_chosen_officer(
        app, client, runner, escalated, staff):
    sign_in(client, "mihai")
    slug = load(app, escalated).slug
    page = client.get(f"/manage/escalations/{slug}/review").get_data(as_text=True)
    assert f'<option selected value="{staff["sofia"]}">' in page  # its owner, who kept it when it rose
    assert "Olga Officer" not in page  # tier 1: below the tier it rose from
    with frozen_clock(T0 + 5 * H):
        response = client.post(f"/manage/escalations/{slug}/review", data={
            "review-decision": "send_back", "review-to": str(staff["sofia"]),
            "review-instruction": "Not for management: the payment provider answers this."})
    assert response.status_code == 303
    complaint = load(app, escalated)
    assert (complaint.tier, complaint.owner_id) == (2, staff["sofia"])
    assert complaint.resolution_due == T0 + 5 * H + timedelta(days=5)  # tier 2's clock starts again
    event = events(app, escalated)[-1]
    assert (event["review"]["decision"], event["tiers"], event["to"]["id"]) == (
        "send_back", {"from": 3, "to": 2}, staff["sofia"])
    assert verify(runner) == []


@pytest.mark.parametrize("decision, to, instruction, refusal", [
    (ReviewDecision.KEEP, None, None, "Give the instruction"),
    (ReviewDecision.KEEP, None, "ok", "at least"),
    (ReviewDecision.SEND_BACK, "olga", "Back to the first line, please.", "Choose an officer of tier 2 or above"),
    (ReviewDecision.SEND_BACK, "mihai", "Back to the first line, please.", "Choose an officer of tier 2 or above"),
    (ReviewDecision.SEND_BACK, None, "Back to the first line, please.", "Choose an officer of tier 2 or above"),
    (ReviewDecision.TAKE_OVER, "x", None, "You own it already"),
])
def test_a_refused_review_changes_nothing(app, escalated, staff, decision, to, instruction, refusal):
    if to == "x":  # Mihai owns it already
        act(app, escalated, ops.take_complaint, by=staff["mihai"], at=T0 + 2 * H)
        to = None
    before = len(events(app, escalated)), load(app, escalated).owner_id
    with pytest.raises(ComplaintChangeRefused, match=refusal):
        review(app, escalated, staff["mihai"], decision, instruction=instruction, to=staff.get(to))
    assert (len(events(app, escalated)), load(app, escalated).owner_id) == before


def test_a_complaint_that_never_rose_cannot_be_sent_back(app, register, staff):
    number = register()
    act(app, number, ops.take_complaint, by=staff["olga"])
    with pytest.raises(ComplaintChangeRefused, match="did not rise from a lower tier"):
        review(app, number, staff["mihai"], ReviewDecision.SEND_BACK, instruction="Back down, please.",
               to=staff["petru"])


def test_a_closed_complaint_is_not_reviewed(app, escalated, staff):
    act(app, escalated, ops.resolve, by=staff["sofia"], resolution=Resolution.UPHELD,
        reasons="The fee is refunded.", at=T0 + 3 * H)
    act(app, escalated, ops.close, by=staff["sofia"], at=T0 + 4 * H)
    with pytest.raises(ComplaintChangeRefused, match="You cannot record a review decision: the complaint is closed"):
        review(app, escalated, staff["mihai"], ReviewDecision.TAKE_OVER, at=T0 + 5 * H)


def test_an_officer_cannot_review(app, client, escalated, staff):
    with pytest.raises(ComplaintChangeRefused, match="Only a manager"):
        review(app, escalated, staff["sofia"], ReviewDecision.TAKE_OVER)
    sign_in(client, "sofia")
    slug = load(app, escalated).slug
    assert client.get(f"/manage/escalations/{slug}/review").status_code == 403
    assert client.post(f"/manage/escalations/{slug}/review", data={"review-decision": "take_over"}).status_code == 403
    assert events(app, escalated)[-1]["type"] == "escalated"


def test_a_review_stands_on_the_desk_until_the_complaint_escalates_again(app, client, escalated, staff):
    review(app, escalated, staff["mihai"], ReviewDecision.KEEP, instruction="Carry on, refund approved.")
    with app.app_context():
        complaint_id = load(app, escalated).id
        assert standing_reviews([complaint_id])[complaint_id].decision == ReviewDecision.KEEP
    sign_in(client, "mihai")
    assert "Review again" in client.get("/manage/escalations/").get_data(as_text=True)
    act(app, escalated, ops.escalate, by=staff["sofia"], reason="The board must decide the amount", at=T0 + 4 * H)
    with app.app_context():
        assert standing_reviews([complaint_id]) == {}
    desk = client.get("/manage/escalations/").get_data(as_text=True)
    assert "Review again" not in desk and ">Review</a>" in desk


@pytest.mark.parametrize("data, message", [
    ({"review-decision": "bogus"}, "Not a valid choice"),
    ({}, "Choose a decision."),
    ({"review-decision": "send_back", "review-to": "abc", "review-instruction": "Back down, please."},
     "Invalid Choice"),
    ({"review-decision": "send_back", "review-to": "999999", "review-instruction": "Back down, please."},
     "Not a valid choice"),
    ({"review-decision": "keep", "review-instruction": "Refund \x00 it"}, "Bad Request"),
])
def test_bad_review_input_is_refused_at_its_field_and_changes_nothing(app, client, escalated, data, message):
    sign_in(client, "mihai")
    before = len(events(app, escalated))
    response = client.post(f"/manage/escalations/{load(app, escalated).slug}/review", data=data)
    assert response.status_code == (400 if any("\x00" in value for value in data.values()) else 422)
    assert message in response.get_data(as_text=True)
    assert len(events(app, escalated)) == before


def test_an_unknown_complaint_has_no_review_page(client, staff):
    sign_in(client, "mihai")
    assert client.get("/manage/escalations/2026-999999/review").status_code == 404


@pytest.mark.parametrize("statement, what", [
    ("UPDATE escalation_reviews SET decision = 'take_over'", "altered: the review differs from its signed event"),
    ("UPDATE escalation_reviews SET instruction = 'Do nothing.'", "altered: the review differs from its signed event"),
    ("DELETE FROM escalation_reviews", "the review this entry records is missing (removed)"),
])
def test_verify_catches_a_review_changed_outside_the_registry(app, runner, escalated, staff, statement, what):
    review(app, escalated, staff["mihai"], ReviewDecision.KEEP, instruction="Carry on, refund approved.")
    with app.app_context():
        db.session.execute(text(statement))
        db.session.commit()
    problems = verify(runner)
    assert any(what in p["what"] and p["number"] == escalated for p in problems), problems


def test_a_complaint_is_not_kept_with_an_owner_who_left(app, escalated, staff):
    with app.app_context():
        db.session.get(User, staff["sofia"]).active = False
        db.session.commit()
    with pytest.raises(ComplaintChangeRefused, match="Sofia Specialist is no longer active"):
        review(app, escalated, staff["mihai"], ReviewDecision.KEEP, instruction="Carry on, refund approved.")


def test_the_review_page_sends_as_many_statements_however_many_reviews_and_escalations_there_are(
        app, client, escalated, staff, register):
    sign_in(client, "mihai")
    url = f"/manage/escalations/{load(app, escalated).slug}/review"
    review(app, escalated, staff["mihai"], ReviewDecision.KEEP, instruction="First look: refund the fee.")
    counts = [len(statements_of(app, client, url))]
    for n in range(3):  # more reviews of it, and more complaints escalated and reviewed beside it
        at = T0 + (4 + n) * H
        review(app, escalated, staff["mihai"], ReviewDecision.KEEP, at=at, instruction=f"Look number {n + 2}.")
        other = register(subject=f"Another withdrawal {n}")
        act(app, other, ops.take_complaint, by=staff["sofia"], at=at)
        act(app, other, ops.escalate, by=staff["sofia"], reason="The provider must check it", at=at)
        act(app, other, ops.escalate, by=staff["sofia"], reason="A manager must approve it", at=at)
        review(app, other, staff["mihai"], ReviewDecision.KEEP, at=at + H, instruction="Approved.")
    counts.append(len(statements_of(app, client, url)))
    assert counts[0] == counts[1]
    standing = client.get(url).get_data(as_text=True).split('data-testid="standing-review"')[1].split("</p>")[0]
    assert "Mihai Manager" in standing and "Keep with the owner" in standing

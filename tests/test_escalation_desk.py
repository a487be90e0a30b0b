"""The escalation review desk and management's power to take over and assign."""

from __future__ import annotations

from datetime import timedelta

import pytest

from _cases import T0, act, events, load, notifications
from app.clock import frozen_clock
from app.complaints.errors import ComplaintChangeRefused
from app.complaints.models import ComplaintStatus
from app.settings.store import current_policy
from app.workflow import operations as ops
from app.workflow.enforcement import enforce


def sign_in(client, username: str) -> None:
    assert client.post("/staff/login", data={"username": username, "password": "correct horse 1"}).status_code == 302


def test_the_desk_lists_breached_and_management_complaints_oldest_first(app, client, register, staff):
    quiet = register(at=T0, subject="Quiet one")
    breached = register(at=T0 + timedelta(hours=1), subject="Nobody answered")
    raised = register(at=T0 + timedelta(hours=2), subject="Raised by the owner")
    act(app, quiet, ops.take_complaint, by=staff["olga"], at=T0 + timedelta(hours=3))
    act(app, quiet, ops.respond, by=staff["olga"], body="Answered.", at=T0 + timedelta(hours=3))
    act(app, raised, ops.take_complaint, by=staff["mihai"], at=T0 + timedelta(hours=3))
    act(app, raised, ops.escalate, by=staff["mihai"], reason="The board must see this", at=T0 + timedelta(hours=4))
    act(app, raised, ops.escalate, by=staff["mihai"], reason="Now at management", at=T0 + timedelta(hours=4))
    with app.app_context(), frozen_clock(T0 + timedelta(hours=26)):
        enforce(T0 + timedelta(hours=26), current_policy())
    sign_in(client, "mihai")
    page = client.get("/manage/escalations/").get_data(as_text=True)
    assert "Quiet one" not in page
    assert page.index(breached) < page.index(raised)
    assert "No first response within the deadline" in page
    assert "Escalated by the owner" in page and "The board must see this" in page


def test_the_desks_count_read_from_the_open_works_copy_equals_the_complaints_on_it(app, client, register, staff):
    """`desk_total` counts from complaint_facts what `on_the_desk` selects from the complaints:
    breached (first response, resolution), raised to management, answered and decided ones."""
    from sqlalchemy import func, select

    from app.complaints.models import Complaint, Resolution
    from app.extensions import db
    from app.manage import rollup
    from app.manage.escalations import desk_total, on_the_desk

    quiet = register(at=T0, subject="Quiet one")
    breached = [register(at=T0 + timedelta(minutes=i)) for i in range(3)]
    raised = register(at=T0 + timedelta(hours=2))
    act(app, quiet, ops.take_complaint, by=staff["olga"], at=T0 + timedelta(hours=3))
    act(app, quiet, ops.respond, by=staff["olga"], body="Answered.", at=T0 + timedelta(hours=3))
    act(app, raised, ops.take_complaint, by=staff["mihai"], at=T0 + timedelta(hours=3))
    for _ in range(2):
        act(app, raised, ops.escalate, by=staff["mihai"], reason="The board must see this", at=T0 + timedelta(hours=4))
    with app.app_context(), frozen_clock(T0 + timedelta(hours=26)):
        enforce(T0 + timedelta(hours=26), current_policy())
    act(app, breached[0], ops.take_complaint, by=staff["mihai"], at=T0 + timedelta(hours=27))
    act(app, breached[0], ops.respond, by=staff["mihai"], body="Late, sorry.", at=T0 + timedelta(hours=27))

    def counts() -> tuple[int, int]:
        with app.app_context():
            return desk_total(), db.session.scalar(
                select(func.count()).select_from(Complaint).where(*on_the_desk()))

    assert counts() == (4, 4)
    act(app, breached[0], ops.resolve, by=staff["mihai"], resolution=Resolution.UPHELD,
        reasons="Paid in full today.", at=T0 + timedelta(hours=28))  # decided: off the desk
    assert counts() == (3, 3)
    later = T0 + timedelta(days=40)
    with app.app_context(), frozen_clock(later):  # the old open work leaves the live part for the rollups ...
        assert rollup.roll_all(later) == 4
    assert counts() == (3, 3)  # ... and stays on the desk


@pytest.mark.parametrize("role", ["officer", "clerk"])
def test_only_management_reaches_the_desk(client, login, role):
    login(client, role, tier=1)
    assert client.get("/manage/escalations/").status_code == 403


def test_management_takes_over_and_assigns_an_owner_at_any_tier(app, client, register, staff):
    number = register()
    act(app, number, ops.take_complaint, by=staff["olga"])
    act(app, number, ops.take_complaint, by=staff["mihai"])  # management takes over, whoever owns it
    assert load(app, number).owner_id == staff["mihai"]
    sign_in(client, "mihai")
    response = client.post(f"/staff/complaints/{load(app, number).slug}/assign",
                           data={"assign-to": str(staff["sofia"]), "assign-note": "Check the gateway log first."})
    assert response.status_code == 303
    complaint = load(app, number)
    assert (complaint.owner_id, complaint.transfer_count) == (staff["sofia"], 0)
    assert events(app, number)[-1]["type"] == "assigned"
    assert ("assigned", "user", staff["sofia"], None) in notifications(app, number)


def test_an_officer_cannot_assign(app, client, register, staff):
    number = register()
    with pytest.raises(ComplaintChangeRefused, match="Only management"):
        act(app, number, ops.assign_owner, by=staff["olga"], to=staff["petru"], note=None)
    sign_in(client, "olga")
    assert client.post(f"/staff/complaints/{load(app, number).slug}/assign",
                       data={"assign-to": str(staff["petru"])}).status_code == 403
    assert load(app, number).status == ComplaintStatus.REGISTERED


def test_management_sends_a_complaint_back_down_with_an_instruction(app, client, register, staff):
    number = register()
    act(app, number, ops.take_complaint, by=staff["mihai"])
    act(app, number, ops.escalate, by=staff["mihai"], reason="Needs management", at=T0 + timedelta(hours=2))
    act(app, number, ops.escalate, by=staff["mihai"], reason="Needs management", at=T0 + timedelta(hours=2))
    assert load(app, number).tier == 3
    sign_in(client, "mihai")
    slug = load(app, number).slug
    refused = client.post(f"/staff/complaints/{slug}/send-back",
                          data={"send_back-to": str(staff["sofia"]), "send_back-instruction": "no"})
    assert refused.status_code == 422 and load(app, number).tier == 3
    with frozen_clock(T0 + timedelta(hours=5)):
        response = client.post(f"/staff/complaints/{slug}/send-back", data={
            "send_back-to": str(staff["sofia"]), "send_back-instruction": "Refund the fee and write to her."})
    assert response.status_code == 303
    complaint = load(app, number)
    assert (complaint.tier, complaint.owner_id) == (2, staff["sofia"])
    assert complaint.resolution_due == T0 + timedelta(hours=5, days=5)
    assert events(app, number)[-1]["tiers"] == {"from": 3, "to": 2}
    page = client.get(f"/staff/complaints/{slug}").get_data(as_text=True)
    assert "Sent back down" in page and "Refund the fee" in page

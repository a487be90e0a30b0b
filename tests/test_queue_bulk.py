"""Bulk actions in the staff queue, for management: several complaints assigned to an officer
or moved to a tier at once, one signed event each from the single-complaint operation, all or
nothing: one complaint that may not be touched refuses the whole action, naming it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from _cases import T0, act, events, load
from app.clock import frozen_clock
from app.complaints.models import ComplaintStatus, Resolution
from app.workflow import operations as ops

H = timedelta(hours=1)
AT = T0 + 2 * H


def sign_in(client, username: str) -> None:
    assert client.post("/staff/login", data={"username": username, "password": "correct horse 1"}).status_code == 302


@pytest.fixture
def three(app, register) -> list[str]:
    return [register(subject=f"Withdrawal {n} is late") for n in (1, 2, 3)]


def ids(app, numbers: list[str]) -> list[str]:
    return [str(load(app, number).id) for number in numbers]


def post(client, data: dict, **args):
    with frozen_clock(AT):
        return client.post("/staff/queue/bulk", query_string=args, data=data)


def snapshot(app, numbers: list[str]) -> list[tuple]:
    return [(c.owner_id, c.tier, c.status, len(events(app, n))) for n in numbers for c in [load(app, n)]]


def test_a_manager_assigns_several_complaints_to_an_officer_one_signed_event_each(app, client, three, staff):
    sign_in(client, "mihai")
    page = client.get("/staff/queue", query_string={"show": "all"}).get_data(as_text=True)
    assert page.count('name="ids"') == 3 and 'form="bulk"' in page
    response = post(client, {"ids": ids(app, three), "action": "assign", "to": str(staff["sofia"]),
                             "note": "Check the gateway log first."}, show="all")
    assert response.status_code == 303 and response.location.endswith("/staff/queue?show=all")
    for number in three:
        complaint = load(app, number)
        assert (complaint.owner_id, complaint.status) == (staff["sofia"], ComplaintStatus.IN_PROGRESS)
        event = events(app, number)[-1]
        assert (event["type"], event["to"]["id"], event["by"]["id"]) == ("assigned", staff["sofia"], staff["mihai"])
    assert f"Assigned to Sofia Specialist: {', '.join(three)}." in client.get("/staff/queue").get_data(as_text=True)


def test_a_manager_moves_several_complaints_to_a_tier_with_a_reason(app, client, runner, three, staff):
    act(app, three[0], ops.take_complaint, by=staff["olga"])
    sign_in(client, "mihai")
    response = post(client, {"ids": ids(app, three), "action": "move", "tier": "2",
                             "note": "The specialists handle payment disputes this week."})
    assert response.status_code == 303
    for number in three:
        complaint = load(app, number)
        assert complaint.tier == 2 and complaint.resolution_due == AT + timedelta(days=5)
        event = events(app, number)[-1]
        assert (event["type"], event["tiers"]) == ("moved", {"from": 1, "to": 2})
    assert load(app, three[0]).owner_id == staff["olga"]  # the owner stays; tier 2 may take it over
    result = runner.invoke(args=["registry", "verify", "--full"])
    assert result.exit_code == 0, result.output


def test_one_complaint_that_cannot_be_touched_refuses_the_whole_action_and_keeps_the_selection(
        app, client, three, staff):
    closed = three[2]
    act(app, closed, ops.take_complaint, by=staff["olga"])
    act(app, closed, ops.resolve, by=staff["olga"], resolution=Resolution.UPHELD, reasons="Paid in full today.")
    act(app, closed, ops.close, by=staff["olga"])
    before = snapshot(app, three)
    sign_in(client, "mihai")
    response = post(client, {"ids": ids(app, three), "action": "assign", "to": str(staff["sofia"])}, show="all")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    refused = re.search(r'data-testid="bulk-refused">(.*?)</div>', page, re.S)[1]
    assert closed in refused and "the complaint is closed" in refused
    assert three[0] not in refused and three[1] not in refused
    assert snapshot(app, three) == before
    for number in three[:2]:  # still ticked; the closed one has left the queue
        assert re.search(rf'value="{load(app, number).id}" form="bulk" aria-label="Select {number}" checked', page)
    assert f'<option selected value="{staff["sofia"]}">' in page


def test_a_complaint_owned_already_by_the_officer_refuses_the_whole_assignment(app, client, three, staff):
    act(app, three[1], ops.assign_owner, by=staff["mihai"], to=staff["sofia"], note=None)
    before = snapshot(app, three)
    sign_in(client, "mihai")
    response = post(client, {"ids": ids(app, three), "action": "assign", "to": str(staff["sofia"])})
    assert response.status_code == 422
    assert f"{three[1]}</strong>: Sofia Specialist owns this complaint already." in response.get_data(as_text=True)
    assert snapshot(app, three) == before


@pytest.mark.parametrize("role, tier", [("officer", 1), ("officer", 2), ("clerk", None)])
def test_only_management_has_bulk_actions(app, client, login, three, staff, role, tier):
    login(client, role, tier=tier)
    if role == "officer":
        page = client.get("/staff/queue", query_string={"show": "all"}).get_data(as_text=True)
        assert 'name="ids"' not in page and 'id="bulk"' not in page
    before = snapshot(app, three)
    response = post(client, {"ids": ids(app, three), "action": "assign", "to": str(staff["sofia"])})
    assert response.status_code == 403
    assert snapshot(app, three) == before


def test_a_manager_who_works_at_no_tier_is_refused_for_each_complaint(app, client, login, three, staff):
    login(client, "manager", "nadia", tier=None)
    before = snapshot(app, three)
    response = post(client, {"ids": ids(app, three), "action": "move", "tier": "2",
                             "note": "The specialists handle it."})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert all(number in page for number in three) and "Only management moves complaints" in page
    assert snapshot(app, three) == before


@pytest.mark.parametrize("data, message", [
    ({"action": "assign", "to": "SOFIA"}, "Select at least one complaint."),
    ({"ids": [str(n) for n in range(1, 102)], "action": "assign", "to": "SOFIA"}, "Select at most 100 complaints"),
    ({"ids": ["abc"], "action": "assign", "to": "SOFIA"}, "The selection is not valid"),
    ({"ids": ["-1"], "action": "assign", "to": "SOFIA"}, "The selection is not valid"),
    ({"ids": ["99999999999999999999999"], "action": "assign", "to": "SOFIA"}, "The selection is not valid"),
    ({"ids": ["FIRST", "999999"], "action": "assign", "to": "SOFIA"}, "999999</strong>: There is no such complaint."),
    ({"ids": ["FIRST"], "action": "assign", "to": "999999"}, "Not a valid choice"),
    ({"ids": ["FIRST"], "action": "assign", "to": "x"}, "Invalid Choice"),
    ({"ids": ["FIRST"], "action": "assign"}, "Choose the officer."),
    ({"ids": ["FIRST"], "action": "assign", "to": "OLGA_CLERK"}, "Not a valid choice"),
    ({"ids": ["FIRST"], "action": "move", "tier": "9", "note": "The specialists handle it."}, "Not a valid choice"),
    ({"ids": ["FIRST"], "action": "move", "note": "The specialists handle it."}, "Choose the tier."),
    ({"ids": ["FIRST"], "action": "move", "tier": "2"}, "Give the reason"),
    ({"ids": ["FIRST"], "action": "move", "tier": "1", "note": "The specialists handle it."},
     "It is at tier 1 already."),
    ({"ids": ["FIRST"], "action": "explode", "to": "SOFIA"}, "Not a valid choice"),
    ({"ids": ["FIRST\x00"], "action": "assign", "to": "SOFIA"}, "Bad Request"),
    ({"ids": ["FIRST"], "action": "assign", "to": "SOFIA", "note": "ok\x00"}, "Bad Request"),
])
def test_bad_bulk_input_gets_a_clear_error_and_changes_nothing(app, client, three, staff, data, message):
    first = ids(app, three)[0]
    values = {"SOFIA": str(staff["sofia"]), "OLGA_CLERK": str(staff["clerk"]), "FIRST": first}

    def fill(value: str) -> str:
        for key, real in values.items():
            value = value.replace(key, real)
        return value

    data = {name: [fill(v) for v in value] if isinstance(value, list) else fill(value) for name, value in data.items()}
    before = snapshot(app, three)
    sign_in(client, "mihai")
    response = post(client, data)
    assert response.status_code == (400 if message == "Bad Request" else 422)
    assert message in response.get_data(as_text=True)
    assert snapshot(app, three) == before


"""The staff API works the case as the case page does: each action is the page's own form,
operation and permission (app/desk/actions.py), signed the same way; refusals are 403 (who
asks), 409 (the complaint's state) or 422 (the input), and change nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from _cases import T0, act, events, load
from app.auth.models import User
from app.auth.tokens import create_token
from app.clock import frozen_clock
from app.complaints.models import ComplaintStatus as S
from app.extensions import db
from app.registry.models import RegistryEntry
from app.workflow import operations as ops

H = timedelta(hours=1)


@pytest.fixture
def tokens(app, staff) -> dict[str, dict[str, str]]:
    """A bearer header for each of the staff fixture's members."""
    headers = {}
    with app.app_context():
        for name, user_id in staff.items():
            secret = create_token(db.session.get(User, user_id), "api workflow").secret
            headers[name] = {"Authorization": f"Bearer {secret}"}
        db.session.commit()
    return headers


def call(client, who: dict[str, str], number: str, action: str, body=None, at=T0 + H, **kwargs):
    with frozen_clock(at):
        return client.post(f"/api/v1/staff/complaints/{number.replace('/', '-')}/{action}", headers=who,
                           json=body, **kwargs)


def entries(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(RegistryEntry))


def test_an_officer_takes_asks_notes_and_escalates_through_the_api(app, client, register, staff, tokens):
    number = register()
    taken = call(client, tokens["olga"], number, "take")
    assert taken.status_code == 200, taken.get_json()
    assert taken.get_json()["complaint"]["owner"]["id"] == staff["olga"]
    asked = call(client, tokens["olga"], number, "request-information",
                 {"body": "Please send the screenshot of the withdrawal page."}, at=T0 + 2 * H)
    assert asked.status_code == 200 and asked.get_json()["complaint"]["status"] == S.WAITING.value
    noted = call(client, tokens["olga"], number, "consult",
                 {"note": "The payment provider confirms a delay.", "colleague": staff["petru"]}, at=T0 + 3 * H)
    assert noted.status_code == 200
    act(app, number, ops.resume, by=staff["olga"], at=T0 + 4 * H)
    raised = call(client, tokens["olga"], number, "escalate", {"reason": "The amount is above my limit."},
                  at=T0 + 5 * H)
    assert raised.status_code == 200 and raised.get_json()["complaint"]["tier"] == 2
    assert [e["type"] for e in events(app, number)] == [
        "taken", "information_requested", "consulted", "resumed", "escalated"]


def test_a_manager_assigns_and_sends_back_and_an_officer_may_not(app, client, register, staff, tokens):
    number = register()
    refused = call(client, tokens["olga"], number, "assign", {"to": staff["petru"]})
    assert refused.status_code == 403
    assigned = call(client, tokens["mihai"], number, "assign", {"to": staff["sofia"], "note": "Please look today."})
    assert assigned.status_code == 200 and assigned.get_json()["complaint"]["owner"]["id"] == staff["sofia"]
    act(app, number, ops.escalate, by=staff["sofia"], reason="Needs the head of payments.", at=T0 + 2 * H)
    back = call(client, tokens["mihai"], number, "send-back",
                {"to": staff["olga"], "instruction": "Refund the fee and answer the complainant."}, at=T0 + 3 * H)
    assert back.status_code == 200, back.get_json()
    assert load(app, number).owner_id == staff["olga"]


def test_the_owner_decides_and_closes_with_the_pages_rules(app, client, register, staff, tokens):
    number = register()
    act(app, number, ops.take_complaint, by=staff["olga"])
    short = call(client, tokens["olga"], number, "resolve", {"resolution": "upheld", "reasons": "ok"})
    assert short.status_code == 422 and "reasons" in short.get_json()["errors"]
    no_currency = call(client, tokens["olga"], number, "resolve",
                       {"resolution": "upheld", "reasons": "The fee is refunded in full.", "redress_amount": "25"})
    # The operation's own rule, as on the page (which shows it above the form): a refusal, 409.
    assert no_currency.status_code == 409 and "currency" in no_currency.get_json()["message"]
    decided = call(client, tokens["olga"], number, "resolve",
                   {"resolution": "partly_upheld", "reasons": "The fee is refunded; the bonus is not.",
                    "redress_amount": "25.00", "redress_currency": "mdl"})
    assert decided.status_code == 200, decided.get_json()
    complaint = load(app, number)
    assert (complaint.status, complaint.redress_currency) == (S.RESOLVED, "MDL")
    assert call(client, tokens["olga"], number, "close", at=T0 + 2 * H).status_code == 200
    assert call(client, tokens["olga"], number, "close", at=T0 + 3 * H).status_code == 409


@pytest.mark.parametrize(("action", "body", "status", "field"), [
    ("escalate", {"reason": "Above my limit, please."}, 403, None),  # not the owner
    ("transfer", {"to": 999999, "reason": "Not my area at all."}, 422, "to"),  # nobody the page offers
    ("transfer", {"to": "petru", "reason": "Not my area at all."}, 422, "to"),
    ("transfer", {"to": True, "reason": "Not my area at all."}, 422, "to"),
    ("consult", {"note": ["a", "list"]}, 422, "note"),
    ("consult", {"note": "A note.", "mood": "happy"}, 422, "mood"),
    ("consult", {"note": "A note\u0000with a NUL byte."}, 400, None),
    ("consult", ["not", "an", "object"], 422, "body"),
    ("resolve", {"resolution": "maybe", "reasons": "Because we looked carefully."}, 422, "resolution"),
    ("escalate", {}, 422, "reason"),
])
def test_a_refused_action_is_explained_and_changes_nothing(app, client, register, staff, tokens, action, body,
                                                           status, field):
    number = register()
    owner = "petru" if status == 403 else "olga"
    act(app, number, ops.take_complaint, by=staff[owner])
    before = entries(app)
    response = call(client, tokens["olga"], number, action, body)
    assert response.status_code == status, response.get_data(as_text=True)
    if field is not None:
        assert field in response.get_json()["errors"]
    assert entries(app) == before
    assert load(app, number).owner_id == staff[owner]


def test_an_unknown_complaint_is_a_404_and_a_session_is_not_a_token(app, client, login, tokens):
    assert call(client, tokens["olga"], "2026/999999", "take").status_code == 404
    login(client, "officer", "oleg", tier=1)
    assert call(client, {}, "2026/999999", "take").status_code == 401


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def upload(client, who, number: str, files, at=T0 + H, **fields):
    data = {"channel": "post", "received_on": "2026-11-23", **fields, "attachments": files}
    with frozen_clock(at):
        return client.post(f"/api/v1/staff/complaints/{number.replace('/', '-')}/add-documents", headers=who,
                           data=data, content_type="multipart/form-data")


def test_documents_go_up_and_come_down_through_the_api(app, client, register, staff, tokens):
    import io

    from app.audit.models import AuditAction, AuditEvent

    number = register()
    added = upload(client, tokens["olga"], number, [(io.BytesIO(PDF), "bank statement.pdf")], note="By post.")
    assert added.status_code == 200, added.get_json()
    files = added.get_json()["complaint"]["documents"]
    assert [f["filename"] for f in files] == ["bank statement.pdf"]
    slug = number.replace("/", "-")
    with frozen_clock(T0 + 2 * H):
        download = client.get(f"/api/v1/staff/complaints/{slug}/attachments/{files[0]['id']}", headers=tokens["olga"])
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Disposition"].startswith("attachment;")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == AuditAction.ATTACHMENT_DOWNLOAD)) == 1
    other = register()
    assert client.get(f"/api/v1/staff/complaints/{other.replace('/', '-')}/attachments/{files[0]['id']}",
                      headers=tokens["olga"]).status_code == 404


@pytest.mark.parametrize(("files", "fields", "field"), [
    ([], {}, "attachments"),
    ("exe", {}, "attachments"),
    ("pdf", {"channel": "pigeon"}, "channel"),
    ("pdf", {"received_on": "2099-01-01"}, "received_on"),
    ("pdf", {"colour": "blue"}, "colour"),
])
def test_bad_documents_are_refused_per_field_and_nothing_is_added(app, client, register, tokens, files, fields, field):
    import io

    number = register()
    if files == "exe":
        sent = [(io.BytesIO(b"MZ\x90\x00" + b"\x00" * 64), "setup.exe")]
    elif files == "pdf":
        sent = [(io.BytesIO(PDF), "statement.pdf")]
    else:
        sent = files
    before = entries(app)
    response = upload(client, tokens["olga"], number, sent, **fields)
    assert response.status_code == 422, response.get_data(as_text=True)
    assert field in response.get_json()["errors"]
    assert entries(app) == before
    with frozen_clock(T0 + H):
        as_json = client.post(f"/api/v1/staff/complaints/{number.replace('/', '-')}/add-documents",
                              headers=tokens["olga"], json={"channel": "post"})
    assert as_json.status_code == 422 and "body" in as_json.get_json()["errors"]


def test_a_repeat_is_joined_and_a_related_one_linked_through_the_api(app, client, register, staff, tokens):
    first, repeat, other = register(), register(at=T0 + H), register(at=T0 + H, email="someone.else@example.md", phone=None)
    joined = call(client, tokens["clerk"], repeat, "join",
                  {"into": first, "reason": "The same withdrawal complaint, sent again."}, at=T0 + 2 * H)
    assert joined.status_code == 200, joined.get_json()
    assert "joined" in [e["type"] for e in events(app, repeat)]
    again = call(client, tokens["clerk"], repeat, "take", at=T0 + 3 * H)
    assert again.status_code in (403, 409)  # handled on the main complaint now
    across = call(client, tokens["clerk"], other, "join", {"into": first, "reason": "Looks like the same thing."},
                  at=T0 + 3 * H)
    assert across.status_code == 409  # another complainant
    linked = call(client, tokens["olga"], other, "link", {"to": first, "note": "The same payment outage."},
                  at=T0 + 4 * H)
    assert linked.status_code == 200, linked.get_json()
    unlinked = call(client, tokens["olga"], other, "unlink", {"other": first, "note": "Not the same outage."},
                    at=T0 + 5 * H)
    assert unlinked.status_code == 200, unlinked.get_json()
    assert [e["type"] for e in events(app, other)][-2:] == ["linked", "unlinked"]

"""Personal API tokens and the staff endpoints they open: made once and shown once, stored as
a hash, revocable, dead with their owner's account; the queue, the case view and the response,
with the same rules as the staff pages, per role."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from _cases import T0, act, events, load, notifications
from app.api.staff import API_ACTIONS
from app.audit.models import AuditAction, AuditEvent
from app.auth.models import User
from app.auth.permissions import Permission, Role, role_may
from app.auth.tokens import ApiToken, create_token
from app.clock import frozen_clock
from app.complaints.models import ComplaintStatus, Resolution
from app.extensions import db
from app.registry.models import RegistryEntry
from app.workflow import operations as ops
from app.workflow.models import CaseMessage

NOW = T0 + timedelta(hours=2)
QUEUE = "/api/v1/staff/complaints"


def slug(number: str) -> str:
    return number.replace("/", "-")


@pytest.fixture
def token_for(app):
    """A new token (its secret) for the user with this id."""

    def make(user_id: int, name: str = "call-centre tool") -> str:
        with app.app_context():
            secret = create_token(db.session.get(User, user_id), name).secret
            db.session.commit()
            return secret

    return make


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def api(client, method: str, path: str, secret: str | None, at=NOW, **kwargs):
    with frozen_clock(at):
        return client.open(path, method=method, headers=bearer(secret) if secret else {}, **kwargs)


def stored_tokens(app) -> list[ApiToken]:
    with app.app_context():
        return list(db.session.scalars(select(ApiToken).order_by(ApiToken.id)))


def audit(app, action: AuditAction) -> list[tuple[str | None, str | None, dict]]:
    with app.app_context():
        return [(e.username, e.target, json.loads(e.details or "{}")) for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))]


def entries(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(RegistryEntry))


# --- tokens: made, shown once, stored as a hash, revoked --------------------------------------


def test_a_token_made_on_the_staff_page_is_shown_once_and_stored_only_as_its_hash(app, client, login):
    login(client, "officer", "olga", tier=1)
    response = client.post("/staff/tokens", data={"name": "  call-centre   tool "})
    assert response.status_code == 201
    page = response.get_data(as_text=True)
    secret = re.search(r'data-testid="token-secret">([^<]+)<', page)[1]
    assert secret.startswith("crt_") and len(secret) == 4 + 43
    assert "shown only this once" in page
    assert response.headers["Cache-Control"] == "no-store"

    [token] = stored_tokens(app)
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert token.name == "call-centre tool" and token.hint == secret[:8]
    assert token.created_at is not None and token.last_used_at is None and token.revoked_at is None
    with app.app_context():  # the secret itself is nowhere in the database
        for row in db.session.execute(select(ApiToken.__table__)):
            assert secret not in " ".join(str(value) for value in row)

    listing = client.get("/staff/tokens").get_data(as_text=True)
    assert "call-centre tool" in listing and secret[:8] in listing and secret not in listing
    assert audit(app, AuditAction.API_TOKEN_CREATED) == [
        ("olga", "olga", {"name": "call-centre tool", "token_id": token.id, "via": "web"})]
    assert api(client, "GET", QUEUE, secret).status_code == 200


def test_a_nameless_token_is_refused_with_a_message_and_nothing_stored(app, client, login):
    login(client, "officer", "olga", tier=1)
    response = client.post("/staff/tokens", data={"name": "   "})
    assert response.status_code == 422
    assert "Name the token." in response.get_data(as_text=True)
    assert stored_tokens(app) == []


def test_two_tokens_are_different_secrets(make_user, token_for):
    olga = make_user("olga", "officer", tier=1)
    assert token_for(olga) != token_for(olga)


def test_a_revoked_token_stops_working_at_once_and_the_revocation_is_audited(app, client, login):
    login(client, "officer", "olga", tier=1)
    page = client.post("/staff/tokens", data={"name": "bot"}).get_data(as_text=True)
    secret = re.search(r'data-testid="token-secret">([^<]+)<', page)[1]
    [token] = stored_tokens(app)
    assert api(client, "GET", QUEUE, secret).status_code == 200

    response = client.post("/staff/tokens/revoke", data={"token_id": token.id})
    assert response.status_code == 303
    assert "is revoked" in client.get("/staff/tokens").get_data(as_text=True)
    refused = api(client, "GET", QUEUE, secret)
    assert refused.status_code == 401
    assert 'error="invalid_token"' in refused.headers["WWW-Authenticate"]
    assert stored_tokens(app)[0].revoked_at is not None
    assert [(t, d["via"]) for _u, t, d in audit(app, AuditAction.API_TOKEN_REVOKED)] == [("olga", "web")]


def test_nobody_revokes_someone_elses_token(app, client, login, make_user, token_for):
    petru = make_user("petru", "officer", tier=1)
    secret = token_for(petru)
    login(client, "officer", "olga", tier=1)
    assert client.post("/staff/tokens/revoke", data={"token_id": stored_tokens(app)[0].id}).status_code == 404
    assert stored_tokens(app)[0].revoked_at is None
    assert api(client, "GET", QUEUE, secret).status_code == 200


def test_the_tokens_of_a_deactivated_account_stop_working(app, client, make_user, token_for):
    olga = make_user("olga", "officer", tier=1)
    secret = token_for(olga)
    assert api(client, "GET", QUEUE, secret).status_code == 200
    with app.app_context():
        db.session.get(User, olga).active = False
        db.session.commit()
    assert api(client, "GET", QUEUE, secret).status_code == 401


def test_last_use_is_recorded_to_the_minute(app, client, make_user, token_for):
    secret = token_for(make_user("olga", "officer", tier=1))
    api(client, "GET", QUEUE, secret, at=NOW)
    assert stored_tokens(app)[0].last_used_at == NOW
    api(client, "GET", QUEUE, secret, at=NOW + timedelta(seconds=30))
    assert stored_tokens(app)[0].last_used_at == NOW  # not written again within the minute
    api(client, "GET", QUEUE, secret, at=NOW + timedelta(minutes=5))
    assert stored_tokens(app)[0].last_used_at == NOW + timedelta(minutes=5)


def test_the_cli_makes_lists_and_revokes_tokens_and_audits_each(app, runner, make_user, client):
    make_user("olga", "officer", tier=1)
    result = runner.invoke(args=["users", "token", "create", "--username", "olga", "--name", "chat bot"])
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    assert secret.startswith("crt_")
    assert api(client, "GET", QUEUE, secret).status_code == 200
    [token] = stored_tokens(app)
    listing = runner.invoke(args=["users", "token", "list", "--username", "olga"]).output
    assert "chat bot" in listing and "in use" in listing and secret not in listing

    result = runner.invoke(args=["users", "token", "revoke", "--username", "olga", str(token.id)])
    assert result.exit_code == 0, result.output
    assert api(client, "GET", QUEUE, secret).status_code == 401
    again = runner.invoke(args=["users", "token", "revoke", "--username", "olga", str(token.id)])
    assert again.exit_code != 0 and "revoked already" in again.output
    assert [d["via"] for _u, _t, d in audit(app, AuditAction.API_TOKEN_CREATED)] == ["cli"]
    assert [d["via"] for _u, _t, d in audit(app, AuditAction.API_TOKEN_REVOKED)] == ["cli"]
    unknown = runner.invoke(args=["users", "token", "create", "--username", "nobody", "--name", "x"])
    assert unknown.exit_code != 0 and "no user named 'nobody'" in unknown.output


# --- authentication ----------------------------------------------------------------------------


@pytest.mark.parametrize("header", [None, "Basic b2xnYTpwYXNz", "Bearer", "Bearer crt_not-a-real-token", "Bearer abc"])
def test_without_a_valid_bearer_token_the_answer_is_401_with_a_challenge(client, header, register):
    number = register()
    for method, path in (("GET", QUEUE), ("GET", f"{QUEUE}/{slug(number)}"),
                         ("POST", f"{QUEUE}/{slug(number)}/responses")):
        response = client.open(path, method=method, headers={"Authorization": header} if header else {},
                               json={"body": "x"})
        assert response.status_code == 401, (path, header)
        assert response.headers["WWW-Authenticate"].startswith('Bearer realm="complaint-registry"')
        assert set(response.get_json()) == {"error", "message"}
        assert response.get_json()["error"] == "Unauthorized"
        invalid = header is not None and header.startswith("Bearer ") and header != "Bearer"
        assert ('error="invalid_token"' in response.headers["WWW-Authenticate"]) == invalid


def test_a_signed_in_browser_session_is_not_a_token(client, login):
    login(client, "officer", "olga", tier=1)
    assert client.get("/staff/queue").status_code == 200
    assert client.get(QUEUE).status_code == 401


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_each_role_reaches_exactly_the_staff_endpoints_its_permissions_allow(app, client, make_user, token_for,
                                                                             register, role):
    number = register()
    secret = token_for(make_user(f"{role}-user", role, tier=1 if role in ("officer", "manager") else None))
    rules = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/staff/")]
    # the queue, the case, responses, a document, the answer templates; the case page's actions
    assert len(rules) == 5 + len(API_ACTIONS)
    for rule in rules:
        permission = app.view_functions[rule.endpoint].required_permission
        method = "GET" if "GET" in rule.methods else "POST"
        path = rule.build({name: {"reference": slug(number), "attachment_id": 1}[name] for name in rule.arguments})[1]
        response = api(client, method, path, secret, json={"body": "A response."})
        if role_may(Role(role), permission):
            # Not refused for the role (an action may still be refused to whoever is not the owner).
            assert response.status_code != 401, (role, rule.rule)
            assert response.status_code != 403 or permission.value not in response.get_json()["message"], (
                role, rule.rule, response.get_json())
        else:
            assert response.status_code == 403, (role, rule.rule)
            assert response.get_json()["error"] == "Forbidden"
            assert permission.value in response.get_json()["message"]


def test_a_refusal_is_audited_with_the_token(app, client, make_user, token_for):
    secret = token_for(make_user("irina", "clerk"))
    assert api(client, "GET", QUEUE, secret).status_code == 403
    [(username, target, details)] = audit(app, AuditAction.FORBIDDEN)
    assert (username, target) == ("irina", QUEUE)
    assert details == {"needs": Permission.HANDLE_COMPLAINTS.value, "api_token": stored_tokens(app)[0].id}


# --- the queue ---------------------------------------------------------------------------------


def test_the_queue_lists_open_complaints_in_the_queue_pages_order_with_its_filters(
        app, client, register, staff, token_for):
    late = register(at=T0 + timedelta(hours=1))
    first = register(at=T0)
    mine = register(at=T0 + timedelta(minutes=30))
    closed = register(at=T0)
    act(app, mine, ops.take_complaint, by=staff["olga"])
    act(app, closed, ops.take_complaint, by=staff["petru"])
    act(app, closed, ops.resolve, by=staff["petru"], resolution=Resolution.REJECTED, reasons="The bet was void.")
    act(app, closed, ops.close, by=staff["petru"])
    secret = token_for(staff["olga"])

    body = api(client, "GET", QUEUE, secret).get_json()
    assert [c["number"] for c in body["complaints"]] == [first, mine, late]  # my tier by default, by due time
    assert body["counts"] == {"total": 3, "overdue": 0, "due_soon": 0, "shown": 3}
    item = body["complaints"][1]
    assert item["owner"] == {"id": staff["olga"], "name": "Olga Officer"}
    assert item["deadline"]["kind"] == "first_response" and item["deadline"]["state"] == "on_time"
    assert urlsplit(item["url"]).path == f"{QUEUE}/{slug(mine)}"

    assert [c["number"] for c in api(client, "GET", QUEUE + "?show=mine", secret).get_json()["complaints"]] == [mine]
    unassigned = api(client, "GET", QUEUE + "?show=unassigned", secret).get_json()["complaints"]
    assert [c["number"] for c in unassigned] == [first, late]
    overdue = api(client, "GET", QUEUE + "?due=overdue", secret, at=T0 + timedelta(hours=24, minutes=40)).get_json()
    assert [c["number"] for c in overdue["complaints"]] == [first, mine]
    assert overdue["counts"]["overdue"] == 2 and overdue["counts"]["shown"] == 2
    assert api(client, "GET", QUEUE + "?tier=2", secret).get_json()["complaints"] == []


def test_the_queue_is_paged_by_cursor_keeping_the_filter(client, register, staff, token_for):
    numbers = [register(at=T0 + timedelta(minutes=i)) for i in range(5)]
    secret = token_for(staff["olga"])
    seen, url, pages = [], f"{QUEUE}?show=all&limit=2", 0
    while url:
        parts = urlsplit(url)
        body = api(client, "GET", f"{parts.path}?{parts.query}", secret).get_json()
        assert len(body["complaints"]) <= 2 and "show=all" in url and "limit=2" in url
        seen += [c["number"] for c in body["complaints"]]
        url, pages = body["next_url"], pages + 1
    assert seen == numbers and pages == 3
    previous = urlsplit(body["previous_url"])
    back = api(client, "GET", f"{previous.path}?{previous.query}", secret).get_json()
    assert [c["number"] for c in back["complaints"]] == numbers[2:4]


@pytest.mark.parametrize("query, field", [
    ("show=everything", "show"), ("tier=9", "tier"), ("due=late", "due"), ("limit=0", "limit"),
    ("limit=101", "limit"), ("limit=ten", "limit"), ("after=nonsense", "after"),
    ("after=20261123T080000000000-2026-1&before=20261123T080000000000-2026-1", "before"),
])
def test_a_bad_queue_filter_is_a_422_naming_the_field(client, staff, token_for, query, field):
    response = api(client, "GET", f"{QUEUE}?{query}", token_for(staff["olga"]))
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == [field]


# --- one complaint -----------------------------------------------------------------------------


def test_the_staff_view_has_the_record_the_correspondence_and_the_signed_history(
        app, client, register, staff, token_for):
    number = register()
    act(app, number, ops.take_complaint, by=staff["olga"])
    act(app, number, ops.add_consultation, by=staff["olga"], note="Ask payments about the transfer.")
    body = api(client, "GET", f"{QUEUE}/{slug(number)}", token_for(staff["olga"])).get_json()
    assert body["number"] == number and body["status"] == "in_progress"
    assert body["complainant"]["email"] == "ana.maria@example.md"
    assert body["owner"] == {"id": staff["olga"], "name": "Olga Officer"}
    assert body["can_respond"] is True
    assert [m["kind"] for m in body["messages"]] == ["consultation"]  # staff see internal notes
    assert [h["title"] for h in body["history"]] == ["Registered", "Taken", "Internal note"]
    assert all(len(h["fingerprint"]) == 19 for h in body["history"])
    assert body["first_response"]["state"] == "on_time"
    # the display number percent-encoded works as well as the slug
    assert api(client, "GET", f"{QUEUE}/{number.replace('/', '%2F')}", token_for(staff["olga"])).status_code == 200


def test_an_unknown_number_is_a_404_in_the_apis_error_shape(client, staff, token_for):
    response = api(client, "GET", f"{QUEUE}/2026-999999", token_for(staff["olga"]))
    assert response.status_code == 404
    assert response.get_json() == {"error": "Not Found", "message": "There is no complaint with this number."}


# --- responding --------------------------------------------------------------------------------


def test_the_owner_responds_through_the_same_operation_as_the_case_page(app, client, register, staff, token_for):
    number = register()
    act(app, number, ops.take_complaint, by=staff["olga"])
    response = api(client, "POST", f"{QUEUE}/{slug(number)}/responses", token_for(staff["olga"]),
                   json={"body": "  Выплата отправлена, ждите 1–3 рабочих дня.  "})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["message"]["kind"] == "response"
    assert body["message"]["outgoing_number"] == "OUT-2026/000001"
    assert body["message"]["body"] == "Выплата отправлена, ждите 1–3 рабочих дня."
    assert body["message"]["author"] == {"id": staff["olga"], "name": "Olga Officer"}
    assert body["complaint"]["status"] == "responded"
    assert body["complaint"]["first_response"]["state"] == "met"
    assert urlsplit(response.headers["Location"]).path == f"{QUEUE}/{slug(number)}"
    complaint = load(app, number)
    assert complaint.status == ComplaintStatus.RESPONDED and complaint.first_responded_at == NOW
    assert [e["type"] for e in events(app, number)] == ["taken", "responded"]
    assert events(app, number)[-1]["by"]["id"] == staff["olga"]
    assert ("message", "complainant", None, None) in notifications(app, number)


def messages(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(CaseMessage))


def _refused(app, client, number, secret, payload, status):
    before = entries(app), messages(app)
    response = api(client, "POST", f"{QUEUE}/{slug(number)}/responses", secret, json=payload)
    assert response.status_code == status, response.get_json()
    assert (entries(app), messages(app)) == before
    return response.get_json()


def test_someone_who_does_not_own_it_is_refused_with_403(app, client, register, staff, token_for):
    number = register()
    act(app, number, ops.take_complaint, by=staff["olga"])
    body = _refused(app, client, number, token_for(staff["petru"]), {"body": "Hello"}, 403)
    assert body == {"error": "Forbidden", "message": "Only the complaint's owner can do this; take the complaint first."}


def test_a_status_that_allows_no_response_is_a_409(app, client, register, staff, token_for):
    number = register()
    act(app, number, ops.take_complaint, by=staff["olga"])
    act(app, number, ops.resolve, by=staff["olga"], resolution=Resolution.REJECTED, reasons="The bet was void.")
    act(app, number, ops.close, by=staff["olga"])
    body = _refused(app, client, number, token_for(staff["olga"]), {"body": "Late thoughts"}, 409)
    assert body == {"error": "Conflict", "message": "You cannot send a response: the complaint is closed."}


@pytest.mark.parametrize("payload, field", [
    ({"body": "   "}, "body"), ({"body": 42}, "body"), ({}, "body"), ({"body": "x" * 20_001}, "body"),
    ({"body": "Fine", "cc": "boss"}, "cc"), ([1, 2], "body"),
])
def test_an_invalid_response_is_a_422_and_sends_nothing(app, client, register, staff, token_for, payload, field):
    number = register()
    act(app, number, ops.take_complaint, by=staff["olga"])
    body = _refused(app, client, number, token_for(staff["olga"]), payload, 422)
    assert field in body["errors"]

"""Webhooks: a real HTTP receiver on loopback gets every event type, each entry once, signed,
also after being down for a while; the administrators' pages refuse bad input and change
nothing; two dispatchers at once still deliver each entry once. Time moves by the clock."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import func, insert, select

from _cases import T0, act, post
from _support import plan, statements_of
from app.audit.models import AuditAction, AuditEvent
from app.clock import frozen_clock
from app.complaints.models import Resolution
from app.extensions import db
from app.notifications.models import DeliveryStatus
from app.registry.models import RegistryEntry
from app.settings.store import current_policy
from app.webhooks import dispatch
from app.webhooks.events import WebhookEvent, events_of
from app.webhooks.models import WebhookDelivery, WebhookEndpoint
from app.workflow import operations as ops
from app.workflow.enforcement import enforce
from app.workflow.verdict import rate_handling

H = timedelta(hours=1)
MIN = timedelta(minutes=1)


class Receiver:
    """A webhook receiver on a loopback port: keeps what it was sent; `answer` is its status;
    `stop()` closes the port (a receiver that is down), `start()` opens the same port again."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.answer = 200
        self.port = 0
        self._server: ThreadingHTTPServer | None = None
        self.start()

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the standard library's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append({"headers": dict(self.headers), "body": body})
                self.send_response(receiver.answer)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/registry"

    def events(self) -> list[str]:
        return [json.loads(r["body"])["event"] for r in self.received]


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.stop()


def endpoint_for(app, url: str, events=tuple(WebhookEvent), at=T0 - H) -> int:
    from app.database import commit_with_retry
    from app.webhooks.operations import create_endpoint

    with app.app_context(), frozen_clock(at):
        return commit_with_retry(lambda: create_endpoint(
            url=url, description="CRM", events=[e.value for e in events], by=None)).id


def deliver(app, at):
    with app.app_context(), frozen_clock(at):
        return dispatch.run_once()


def valid_signature(secret: str, headers: dict, body: bytes) -> bool:
    expected = "sha256=" + hmac.new(bytes.fromhex(secret), f"{headers['X-Registry-Timestamp']}.".encode() + body,
                                    hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["X-Registry-Signature"])


def secret_of(app, endpoint_id: int) -> str:
    with app.app_context():
        return db.session.get(WebhookEndpoint, endpoint_id).secret


def run_a_complaint_through(app, register, staff) -> str:
    """Registered, taken, breached and escalated by the sweep, taken at tier 2, responded,
    decided, closed, rated by the complainant: every event type."""
    number = register()
    act(app, number, ops.take_complaint, by=staff["olga"])
    late = T0 + 24 * H + MIN
    with app.app_context(), frozen_clock(late):
        report = enforce(late, current_policy())
        assert (report.breaches, report.escalations) == (1, 1)
    act(app, number, ops.take_complaint, by=staff["sofia"], at=late + H)
    act(app, number, ops.respond, by=staff["sofia"], at=late + 2 * H, body="We are checking with the bank.")
    act(app, number, ops.resolve, by=staff["sofia"], at=late + 3 * H, resolution=Resolution.UPHELD,
        reasons="The payment was late; the fee is refunded.")
    act(app, number, ops.close, by=staff["sofia"], at=late + 4 * H)
    act(app, number, rate_handling, by=None, at=late + 5 * H, score=4, reason="Slow at first, then sorted out.")
    return number


def announced_entries(app) -> list[tuple[int, str]]:
    """(position, event) of every event the registry entries announce, in order."""
    with app.app_context():
        return [(e.position, event.value) for e in db.session.scalars(select(RegistryEntry).order_by(RegistryEntry.position))
                for event in events_of(e.kind, json.loads(e.payload))]


def test_a_receiver_gets_every_event_once_signed_in_the_order_recorded(app, register, staff, receiver):
    endpoint_id = endpoint_for(app, receiver.url)
    number = run_a_complaint_through(app, register, staff)
    report = deliver(app, T0 + 2 * 24 * H)
    expected = announced_entries(app)
    assert {event for _, event in expected} == set(WebhookEvent)
    assert report.delivered == len(expected) == len(receiver.received)
    secret = secret_of(app, endpoint_id)
    bodies = [json.loads(r["body"]) for r in receiver.received]
    assert [(b["entry"]["position"], b["event"]) for b in bodies] == expected
    for request, body in zip(receiver.received, bodies, strict=True):
        assert valid_signature(secret, request["headers"], request["body"])
        assert request["headers"]["X-Registry-Event"] == body["event"]
        assert body["number"] == number
    # The public part of the signed entry only: the complainant's name and text stay home.
    everything = b"".join(r["body"] for r in receiver.received).decode()
    assert "Ana-Maria" not in everything and "checking with the bank" not in everything
    assert "Slow at first" not in everything
    # A second pass finds nothing new and sends nothing again.
    again = deliver(app, T0 + 3 * 24 * H)
    assert (again.made, again.delivered, len(receiver.received)) == (0, 0, len(expected))
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(WebhookDelivery).where(
            WebhookDelivery.status == DeliveryStatus.SENT)) == len(expected)


def test_a_receiver_down_for_a_while_gets_everything_once_when_it_is_back(app, register, staff, receiver):
    endpoint_for(app, receiver.url)
    receiver.stop()
    number = register()
    act(app, number, ops.take_complaint, by=staff["olga"])
    first = deliver(app, T0 + H)
    assert (first.made, first.delivered, first.retried) == (2, 0, 2)
    with app.app_context():
        waiting = db.session.scalars(select(WebhookDelivery)).all()
        assert {(d.status, d.attempts) for d in waiting} == {(DeliveryStatus.QUEUED, 1)}
        assert all(d.next_attempt_at == T0 + H + timedelta(seconds=30) for d in waiting)
        assert all("no answer" in d.last_error for d in waiting)
    assert deliver(app, T0 + H + timedelta(seconds=10)).ids == []  # not yet due: nothing tried
    receiver.answer = 503  # back, but failing
    receiver.start()
    failing = deliver(app, T0 + H + timedelta(seconds=31))
    assert (failing.delivered, failing.retried) == (0, 2)
    receiver.received.clear()
    receiver.answer = 204
    assert deliver(app, T0 + H + timedelta(seconds=60)).delivered == 0  # its wait doubled: 60 s more
    back = deliver(app, T0 + H + timedelta(seconds=92))
    assert back.delivered == 2
    assert receiver.events() == ["registered", "taken"]
    assert deliver(app, T0 + 3 * H).delivered == 0


def test_a_delivery_that_keeps_failing_is_given_up_then_sent_again_by_an_administrator(app, admin, register, receiver):
    endpoint_id = endpoint_for(app, receiver.url, events=[WebhookEvent.REGISTERED])
    receiver.answer = 500
    register()
    at = T0
    for _ in range(app.config["WEBHOOK_MAX_ATTEMPTS"]):
        at += timedelta(hours=5)
        deliver(app, at)
    with app.app_context():
        delivery = db.session.scalars(select(WebhookDelivery)).one()
        assert (delivery.status, delivery.attempts, delivery.response_status) == (DeliveryStatus.FAILED, 10, 500)
        delivery_id = delivery.id
    page = admin.get(f"/admin/webhooks/{endpoint_id}")
    assert "HTTP 500" in page.get_data(as_text=True)
    receiver.answer = 200
    assert post(admin, f"/admin/webhooks/{endpoint_id}/deliveries/{delivery_id}/retry", {}, at=at).status_code == 303
    assert deliver(app, at + MIN).delivered == 1
    assert post(admin, f"/admin/webhooks/{endpoint_id}/deliveries/{delivery_id}/retry", {}, at=at).status_code == 303
    with app.app_context():
        assert db.session.get(WebhookDelivery, delivery_id).status == DeliveryStatus.SENT  # a sent one stays sent


def test_two_dispatchers_at_once_deliver_each_entry_once(app, register, staff, receiver):
    endpoint_for(app, receiver.url)
    for _ in range(5):
        act(app, register(), ops.take_complaint, by=staff["olga"])
    errors: list[BaseException] = []
    start = threading.Barrier(3)

    def worker() -> None:
        try:
            start.wait()
            with app.app_context():
                dispatch.run_once(now=T0 + 2 * H)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    with frozen_clock(T0 + 2 * H):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    positions = [json.loads(r["body"])["entry"]["position"] for r in receiver.received]
    assert sorted(positions) == [p for p, _ in announced_entries(app)]
    assert len(positions) == 10


def test_an_endpoint_gets_only_its_events_and_nothing_while_switched_off(app, admin, register, staff, receiver):
    endpoint_id = endpoint_for(app, receiver.url, events=[WebhookEvent.TAKEN])
    first = register()
    act(app, first, ops.take_complaint, by=staff["olga"])
    deliver(app, T0 + H)
    assert receiver.events() == ["taken"]
    form = {"url": receiver.url, "label": "CRM", "events": ["taken"]}  # "active" unticked
    assert post(admin, f"/admin/webhooks/{endpoint_id}", form).status_code == 303
    act(app, register(), ops.take_complaint, by=staff["olga"], at=T0 + 2 * H)
    deliver(app, T0 + 3 * H)
    assert receiver.events() == ["taken"]
    assert post(admin, f"/admin/webhooks/{endpoint_id}", {**form, "active": "y"}, at=T0 + 4 * H).status_code == 303
    act(app, register(at=T0 + 5 * H), ops.take_complaint, by=staff["petru"], at=T0 + 5 * H)
    deliver(app, T0 + 6 * H)
    assert receiver.events() == ["taken", "taken"]  # the one taken while it was off is not sent
    with app.app_context():
        changes = [json.loads(e.details) for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == AuditAction.SETTINGS_CHANGED,
                                     AuditEvent.target == f"webhook {endpoint_id}").order_by(AuditEvent.id))]
    assert [(c["old"]["active"], c["new"]["active"]) for c in changes if "old" in c] == [(True, False), (False, True)]


def test_an_administrator_registers_a_receiver_and_sees_its_secret(app, admin, receiver):
    page = admin.get("/admin/webhooks")
    assert page.status_code == 200 and "Register a receiver" in page.get_data(as_text=True)
    response = post(admin, "/admin/webhooks", {"url": receiver.url, "label": "Our CRM",
                                               "events": ["registered", "closed"]})
    assert response.status_code == 303
    with app.app_context():
        endpoint = db.session.scalars(select(WebhookEndpoint)).one()
        assert (endpoint.url, endpoint.events, endpoint.active) == (receiver.url, "registered,closed", True)
        secret, endpoint_id = endpoint.secret, endpoint.id
        created = db.session.scalars(select(AuditEvent).where(AuditEvent.target == f"webhook {endpoint_id}")).one()
        assert secret not in created.details
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert secret in page
    assert post(admin, f"/admin/webhooks/{endpoint_id}/secret", {}).status_code == 303
    assert secret_of(app, endpoint_id) != secret


@pytest.mark.parametrize(("url", "events", "field", "message"), [
    ("ftp://crm.example.md/hook", ["registered"], "url", "http:// or https://"),
    ("javascript:alert(1)", ["registered"], "url", "http:// or https://"),
    ("http://localhost/hooks", ["registered"], "url", "registry's own address"),
    ("https://user:pw@crm.example.md/hook", ["registered"], "url", "no user name or password"),
    ("https://crm.example.md/a b", ["registered"], "url", "no spaces"),
    ("https://crm.example.md/\u202e", ["registered"], "url", "no spaces or control"),
    ("https://crm.example.md/\x00", ["registered"], None, None),  # refused by the input guard, before the view
    ("https://crm.example.md:99999/", ["registered"], "url", "not a web address"),
    ("https://crm.example.md/" + "a" * 2000, ["registered"], "url", "at most 2000"),
    ("", ["registered"], "url", "Type the receiver"),
    ("https://crm.example.md/hook", [], "events", "at least one event"),
    ("https://crm.example.md/hook", ["registered", "deleted"], "events", "at least one event"),
])
def test_a_bad_receiver_is_refused_next_to_its_field_and_nothing_is_saved(app, admin, url, events, field, message):
    response = post(admin, "/admin/webhooks", {"url": url, "label": "CRM", "events": events})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    if field is not None:
        assert f'id="{field}-error"' in page and message in page.replace("&#39;", "'")
    if field is not None and url and len(url) < 300:
        assert f'value="{url}"' in page.replace("&amp;", "&") or url == "javascript:alert(1)"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(WebhookEndpoint)) == 0
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == AuditAction.SETTINGS_CHANGED)) == 0


def test_only_administrators_see_the_webhooks(client, login):
    login(client, "manager", "mara", tier=3)
    assert client.get("/admin/webhooks").status_code == 403


STATES = (DeliveryStatus.FAILED, DeliveryStatus.SENT, DeliveryStatus.QUEUED, DeliveryStatus.SENT,
          DeliveryStatus.SENDING, DeliveryStatus.SENT)


def _add_deliveries(app, endpoint_id: int) -> None:
    """A delivery of every registry entry the endpoint has none of yet, in the STATES in turn."""
    with app.app_context():
        done = set(db.session.scalars(select(WebhookDelivery.position).where(WebhookDelivery.endpoint_id == endpoint_id)))
        positions = [p for p in db.session.scalars(select(RegistryEntry.position).order_by(RegistryEntry.position))
                     if p not in done]
        db.session.execute(insert(WebhookDelivery), [
            {"endpoint_id": endpoint_id, "position": position, "event": WebhookEvent.REGISTERED, "body": "{}",
             "created_at": T0, "status": STATES[i % len(STATES)], "attempts": 1, "next_attempt_at": T0}
            for i, position in enumerate(positions, start=len(done))])
        db.session.commit()


def _counts_shown(page: str) -> list[tuple[str, str]]:
    """(waiting, failed) of each receiver on the webhooks page."""
    table = page.split('data-testid="webhooks"')[1].split("</table>")[0]
    return re.findall(r"<td>(\d+)</td>\s*<td>(\d+)</td>\s*</tr>", table)


def _expected(app, endpoint_id: int) -> tuple[str, str]:
    with app.app_context():
        states = list(db.session.scalars(select(WebhookDelivery.status).where(WebhookDelivery.endpoint_id == endpoint_id)))
    waiting = sum(s in (DeliveryStatus.QUEUED, DeliveryStatus.SENDING) for s in states)
    return str(waiting), str(states.count(DeliveryStatus.FAILED))


def test_the_webhooks_page_counts_from_the_deliveries_not_delivered_in_as_many_statements_however_many(
        app, admin, register):
    first, second = endpoint_for(app, "https://crm.example.com/a"), endpoint_for(app, "https://crm.example.com/b")
    counts = []
    for complaints in (2, 6):
        for _ in range(complaints):
            register()
        _add_deliveries(app, first)
        sent = statements_of(app, admin, "/admin/webhooks")
        counts.append(len(sent))
        page = admin.get("/admin/webhooks").get_data(as_text=True)
        assert _counts_shown(page) == [_expected(app, first), ("0", "0")]
        assert _expected(app, first) != ("0", "0")
        failed = statements_of(app, admin, f"/admin/webhooks/{first}?status=failed")
        with app.app_context():
            [counting] = [(s, p) for s, p in sent if "count(" in s and "webhook_deliveries" in s]
            [listing] = [(s, p) for s, p in failed if "FROM webhook_deliveries" in s and "LIMIT" in s.upper()]
            for statement, parameters in (counting, listing):
                assert "ix_webhook_deliveries_undelivered" in plan(statement, parameters), statement
            db.session.rollback()
    assert counts[0] == counts[1]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(WebhookDelivery).where(
            WebhookDelivery.endpoint_id == second)) == 0

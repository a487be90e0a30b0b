"""Every staff route, tried anonymously and with each role, against the permission table.

The routes are read from the app's URL map: a new staff route without a permission rule
fails `test_every_staff_route_declares_its_permission`.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from _support import valid_payload
from app.audit.models import AuditAction, AuditEvent
from app.auth.permissions import Role, role_may
from app.extensions import db

#: Routes open to everybody (the public site) or guarding themselves (sign-in, sign-out).
PUBLIC_ENDPOINTS = {"static", "auth.login", "auth.logout", "health.health"}
PUBLIC_PREFIXES = ("intake.", "registry.", "receipts.", "api.")


def _staff_rules(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS or rule.endpoint.startswith(PUBLIC_PREFIXES):
            continue
        yield rule


def _url(rule, sample: dict[str, str]) -> str:
    return rule.build({name: sample[name] for name in rule.arguments}, append_unknown=False)[1]


@pytest.fixture
def sample(client) -> dict[str, str]:
    """Values for the URL parameters of staff routes."""
    body = client.post("/api/v1/complaints", json=valid_payload()).get_json()
    return {"reference": body["number"].replace("/", "-"), "print_id": "1", "attachment_id": "1", "message_id": "1",
            "table": "summary", "code": "payments"}


def test_every_staff_route_declares_its_permission(app):
    undeclared = [
        rule.rule for rule in _staff_rules(app)
        if not hasattr(app.view_functions[rule.endpoint], "required_permission")
    ]
    assert undeclared == []
    assert any(True for _ in _staff_rules(app))


def test_staff_routes_send_anonymous_visitors_to_sign_in(app, client, sample):
    for rule in _staff_rules(app):
        method = "GET" if "GET" in rule.methods else "POST"
        response = client.open(_url(rule, sample), method=method)
        assert response.status_code == 302, rule.rule
        assert response.headers["Location"].startswith("/staff/login"), rule.rule


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_each_role_reaches_exactly_what_its_permissions_allow(app, client, login, sample, role):
    login(client, role)
    checked = 0
    for rule in _staff_rules(app):
        permission = app.view_functions[rule.endpoint].required_permission
        method = "GET" if "GET" in rule.methods else "POST"
        status = client.open(_url(rule, sample), method=method).status_code
        if role_may(Role(role), permission):
            assert status not in (401, 403), f"{role} refused {rule.rule}"
        else:
            assert status == 403, f"{role} allowed {rule.rule} ({status})"
        checked += 1
    assert checked


def test_a_refusal_is_written_to_the_audit_trail(app, client, login):
    login(client, "clerk", "irina")
    assert client.get("/staff/audit/").status_code == 403
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == AuditAction.FORBIDDEN))
        assert (event.username, event.target) == ("irina", "/staff/audit/")

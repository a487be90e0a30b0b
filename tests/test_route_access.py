"""Who may use every route of the app: one table, tried as anonymous and as each role.

`ROUTES` classifies EVERY rule of the URL map, one line per rule. A new route missing from it
fails `test_every_route_is_in_the_access_table` with its name; so does a line for a route that
is gone. To add a route: one line, `"<the rule>": PUBLIC | SIGNED_IN | needs(Permission.X)`.
Rules with parameters are requested with real records (see `records`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from _cases import T0, act
from _mail import raw_mail
from _support import form_data
from app.answers.operations import create_template
from app.auth.models import User
from app.auth.permissions import Permission, Role, role_may
from app.auth.tokens import create_token
from app.clock import frozen_clock
from app.complaints.access import find_by_reference
from app.complaints.models import Attachment
from app.database import commit_with_retry
from app.desk.operations import record_receipt_print
from app.extensions import db
from app.mailin.models import MailSource
from app.mailin.store import store_message
from app.webhooks.dispatch import collect
from app.webhooks.models import WebhookDelivery
from app.webhooks.operations import create_endpoint
from app.workflow import operations as ops
from app.workflow.models import CaseMessage


@dataclass(frozen=True)
class Access:
    """Who may use a route: anyone, any signed-in staff member, or roles with `permission`;
    `token`: only with a staff API token (`Authorization: Bearer`), never with a session."""

    public: bool = False
    permission: Permission | None = None
    token: bool = False

    def allows(self, role: Role | None) -> bool:
        if self.public:
            return True
        if role is None:
            return False
        return self.permission is None or role_may(role, self.permission)


PUBLIC = Access(public=True)
SIGNED_IN = Access()


def needs(permission: Permission) -> Access:
    return Access(permission=permission)


def token_needs(permission: Permission) -> Access:
    return Access(permission=permission, token=True)


P = Permission
ROUTES: dict[str, Access] = {
    # The public site, the API for integrations, health, static files.
    "/": PUBLIC,
    "/complaints/new": PUBLIC,
    "/complaints/<path:reference>/confirmation": PUBLIC,
    "/complaints/<path:reference>/receipt.pdf": PUBLIC,
    "/track": PUBLIC,
    "/track/<path:reference>": PUBLIC,
    "/track/<path:reference>/<any(reply, dispute):name>": PUBLIC,
    "/track/<path:reference>/letters/<int:message_id>.pdf": PUBLIC,
    "/track/<path:reference>/attachments/<int:attachment_id>": PUBLIC,
    "/track/<path:reference>/rating": PUBLIC,
    "/verify": PUBLIC,
    "/verify/registry-key.pem": PUBLIC,
    "/verify/registry-certificate.pem": PUBLIC,
    "/api/v1/categories": PUBLIC,
    "/api/v1/complaints": PUBLIC,
    "/api/v1/complaints/<path:reference>": PUBLIC,
    "/api/v1/openapi.json": PUBLIC,
    # Staff integrations: a personal API token, with its owner's permissions.
    "/api/v1/staff/complaints": token_needs(P.HANDLE_COMPLAINTS),
    "/api/v1/staff/complaints/<number:reference>": token_needs(P.VIEW_JOURNAL),
    "/api/v1/staff/complaints/<path:reference>/responses": token_needs(P.HANDLE_COMPLAINTS),
    "/api/v1/staff/complaints/<path:reference>/take": token_needs(P.HANDLE_COMPLAINTS),
    "/api/v1/staff/complaints/<path:reference>/assign": token_needs(P.REVIEW_ESCALATIONS),
    "/api/v1/staff/complaints/<path:reference>/transfer": token_needs(P.HANDLE_COMPLAINTS),
    "/api/v1/staff/complaints/<path:reference>/escalate": token_needs(P.HANDLE_COMPLAINTS),
    "/api/v1/staff/complaints/<path:reference>/request-information": token_needs(P.HANDLE_COMPLAINTS),
    "/api/v1/staff/complaints/<path:reference>/resolve": token_needs(P.HANDLE_COMPLAINTS),
    "/api/v1/staff/complaints/<path:reference>/consult": token_needs(P.HANDLE_COMPLAINTS),
    "/api/v1/staff/complaints/<path:reference>/send-back": token_needs(P.REVIEW_ESCALATIONS),
    "/api/v1/staff/complaints/<path:reference>/move": token_needs(P.REVIEW_ESCALATIONS),
    "/api/v1/staff/complaints/<path:reference>/close": token_needs(P.HANDLE_COMPLAINTS),
    "/api/v1/staff/complaints/<path:reference>/join": token_needs(P.JOIN_COMPLAINTS),
    "/api/v1/staff/complaints/<path:reference>/link": token_needs(P.JOIN_COMPLAINTS),
    "/api/v1/staff/complaints/<path:reference>/unlink": token_needs(P.JOIN_COMPLAINTS),
    "/api/v1/staff/complaints/<path:reference>/add-documents": token_needs(P.CORRESPONDENCE),
    "/api/v1/staff/complaints/<path:reference>/attachments/<int:attachment_id>": token_needs(P.VIEW_JOURNAL),
    "/api/v1/staff/templates": token_needs(P.HANDLE_COMPLAINTS),
    "/health": PUBLIC,
    "/language": PUBLIC,
    "/static/<path:filename>": PUBLIC,
    # Signing in and out.
    "/staff/login": PUBLIC,
    "/staff/set-password": PUBLIC,
    "/staff/logout": SIGNED_IN,
    "/staff/password": needs(P.USE_STAFF_DESK),
    "/staff/settings": needs(P.USE_STAFF_DESK),
    "/staff/sessions/end": needs(P.USE_STAFF_DESK),
    "/staff/language": needs(P.USE_STAFF_DESK),
    "/staff/tokens": needs(P.USE_STAFF_DESK),
    "/staff/tokens/revoke": needs(P.USE_STAFF_DESK),
    "/staff/": needs(P.USE_STAFF_DESK),
    # The registry desk.
    "/staff/complaints/new": needs(P.REGISTER),
    "/staff/complaints/<path:reference>": needs(P.VIEW_JOURNAL),
    "/staff/complaints/<path:reference>/attachments/<int:attachment_id>": needs(P.VIEW_JOURNAL),
    "/staff/complaints/<path:reference>/letters/<int:message_id>.pdf": needs(P.VIEW_JOURNAL),
    "/staff/complaints/<path:reference>/receipt": needs(P.PRINT_RECEIPT),
    "/staff/complaints/<path:reference>/prints/<int:print_id>": needs(P.PRINT_RECEIPT),
    "/staff/complaints/<path:reference>/prints/<int:print_id>.pdf": needs(P.PRINT_RECEIPT),
    "/staff/complaints/<path:reference>/annul": needs(P.ANNUL),
    "/staff/complaints/<path:reference>/correct": needs(P.CORRECT),
    # The correspondence on paper (the front desk and officers).
    "/staff/complaints/to-post": needs(P.CORRESPONDENCE),
    "/staff/complaints/<path:reference>/letters/<int:message_id>/posted": needs(P.CORRESPONDENCE),
    "/staff/complaints/<path:reference>/record-received": needs(P.CORRESPONDENCE),
    "/staff/complaints/<path:reference>/add-documents": needs(P.CORRESPONDENCE),
    "/staff/complaints/<path:reference>/join": needs(P.JOIN_COMPLAINTS),
    "/staff/complaints/<path:reference>/link": needs(P.JOIN_COMPLAINTS),
    "/staff/complaints/<path:reference>/unlink": needs(P.JOIN_COMPLAINTS),
    "/staff/registry": needs(P.VIEW_JOURNAL),
    "/staff/registry/export.csv": needs(P.EXPORT_JOURNAL),
    "/staff/registry/export.pdf": needs(P.EXPORT_JOURNAL),
    "/staff/audit/": needs(P.VIEW_AUDIT),
    # Handling complaints.
    "/staff/queue": needs(P.HANDLE_COMPLAINTS),
    "/staff/queue/bulk": needs(P.REVIEW_ESCALATIONS),
    "/staff/complaints/<path:reference>/take": needs(P.HANDLE_COMPLAINTS),
    "/staff/complaints/<path:reference>/respond": needs(P.HANDLE_COMPLAINTS),
    "/staff/complaints/<path:reference>/request-information": needs(P.HANDLE_COMPLAINTS),
    "/staff/complaints/<path:reference>/resolve": needs(P.HANDLE_COMPLAINTS),
    "/staff/complaints/<path:reference>/hold": needs(P.HANDLE_COMPLAINTS),
    "/staff/complaints/<path:reference>/extend": needs(P.HANDLE_COMPLAINTS),
    "/staff/complaints/<path:reference>/redress-paid": needs(P.HANDLE_COMPLAINTS),
    "/staff/complaints/<path:reference>/referral": needs(P.HANDLE_COMPLAINTS),
    "/staff/complaints/<path:reference>/resume": needs(P.HANDLE_COMPLAINTS),
    "/staff/complaints/<path:reference>/close": needs(P.HANDLE_COMPLAINTS),
    "/staff/complaints/<path:reference>/transfer": needs(P.HANDLE_COMPLAINTS),
    "/staff/complaints/<path:reference>/escalate": needs(P.HANDLE_COMPLAINTS),
    "/staff/complaints/<path:reference>/consult": needs(P.HANDLE_COMPLAINTS),
    "/staff/complaints/<path:reference>/reopen": needs(P.HANDLE_COMPLAINTS),
    "/staff/complaints/<path:reference>/assign": needs(P.REVIEW_ESCALATIONS),
    "/staff/complaints/<path:reference>/send-back": needs(P.REVIEW_ESCALATIONS),
    "/staff/complaints/<path:reference>/move": needs(P.REVIEW_ESCALATIONS),
    "/staff/complaints/<path:reference>/respond/template": needs(P.HANDLE_COMPLAINTS),  # insert an answer template
    "/staff/complaints/<path:reference>/request-information/template": needs(P.HANDLE_COMPLAINTS),
    "/staff/complaints/<path:reference>/resolve/template": needs(P.HANDLE_COMPLAINTS),
    # Management.
    "/manage/escalations/": needs(P.REVIEW_ESCALATIONS),
    "/manage/escalations/<path:reference>/review": needs(P.REVIEW_ESCALATIONS),
    "/manage/": needs(P.VIEW_DASHBOARD),
    "/manage/<any(summary, weeks, categories, backlog, open_status, open_tier, tiers, owners, timings, breaches, flow, outcomes, redress, closure, extensions, satisfaction, satisfaction_categories, satisfaction_tiers, satisfaction_owners):table>.csv":
        needs(P.VIEW_DASHBOARD),
    "/manage/analysis/": needs(P.VIEW_DASHBOARD),
    "/manage/templates/": needs(P.MANAGE_TEMPLATES),
    "/manage/templates/new": needs(P.MANAGE_TEMPLATES),
    "/manage/templates/<int:template_id>": needs(P.MANAGE_TEMPLATES),
    "/manage/templates/<int:template_id>/retire": needs(P.MANAGE_TEMPLATES),
    "/manage/reports/dashboard.xlsx": needs(P.VIEW_DASHBOARD),
    "/manage/reports/monthly.pdf": needs(P.VIEW_DASHBOARD),
    "/manage/returns": needs(P.VIEW_DASHBOARD),
    "/manage/returns/<any(fca, ukgc):kind>.<any(pdf, csv, xlsx):file_format>": needs(P.VIEW_DASHBOARD),
    # Administration.
    "/admin/": needs(P.CONFIGURE_REGISTRY),
    "/admin/categories": needs(P.CONFIGURE_REGISTRY),
    "/admin/categories/<code>": needs(P.CONFIGURE_REGISTRY),
    "/admin/notifications": needs(P.CONFIGURE_REGISTRY),
    "/admin/accounts": needs(P.MANAGE_USERS),
    "/admin/accounts/<int:user_id>/unlock": needs(P.MANAGE_USERS),
    "/admin/staff/": needs(P.MANAGE_USERS),
    "/admin/staff/new": needs(P.MANAGE_USERS),
    "/admin/staff/<int:user_id>": needs(P.MANAGE_USERS),
    "/admin/staff/<int:user_id>/role": needs(P.MANAGE_USERS),
    "/admin/staff/<int:user_id>/deactivate": needs(P.MANAGE_USERS),
    "/admin/staff/<int:user_id>/reactivate": needs(P.MANAGE_USERS),
    "/admin/staff/<int:user_id>/unlock": needs(P.MANAGE_USERS),
    "/admin/staff/<int:user_id>/password": needs(P.MANAGE_USERS),
    "/admin/staff/<int:user_id>/sessions/end": needs(P.MANAGE_USERS),
    "/admin/numbering": needs(P.CONFIGURE_REGISTRY),
    "/admin/organisation": needs(P.CONFIGURE_REGISTRY),
    "/admin/tiers": needs(P.CONFIGURE_REGISTRY),
    "/admin/mail": needs(P.CONFIGURE_REGISTRY),
    "/admin/webhooks": needs(P.CONFIGURE_REGISTRY),
    "/admin/webhooks/<int:endpoint_id>": needs(P.CONFIGURE_REGISTRY),
    "/admin/webhooks/<int:endpoint_id>/secret": needs(P.CONFIGURE_REGISTRY),
    "/admin/webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/retry": needs(P.CONFIGURE_REGISTRY),
    "/admin/ratings": needs(P.CONFIGURE_REGISTRY),
    "/admin/clocks": needs(P.CONFIGURE_REGISTRY),
    "/admin/clocks/preset": needs(P.CONFIGURE_REGISTRY),
    "/admin/clocks/policy": needs(P.CONFIGURE_REGISTRY),
    "/admin/clocks/categories": needs(P.CONFIGURE_REGISTRY),
    "/admin/clocks/calendar": needs(P.CONFIGURE_REGISTRY),
    "/admin/clocks/referral": needs(P.CONFIGURE_REGISTRY),
    # The tray of received e-mail (the clerks who register complaints).
    "/staff/mail/": needs(P.REGISTER),
    "/staff/mail/<int:mail_id>": needs(P.REGISTER),
    "/staff/mail/<int:mail_id>/message.eml": needs(P.REGISTER),
    "/staff/mail/<int:mail_id>/files/<int:position>": needs(P.REGISTER),
    "/staff/mail/<int:mail_id>/register": needs(P.REGISTER),
    "/staff/mail/<int:mail_id>/file": needs(P.REGISTER),
}

#: The staff each test signs in as: (name, role, tier).
STAFF = {
    "clerk": (Role.CLERK, None),
    "officer": (Role.OFFICER, 1),
    "specialist": (Role.OFFICER, 2),
    "manager": (Role.MANAGER, 3),
    "admin": (Role.ADMINISTRATOR, 3),
}

#: Run last: it ends the session the other requests need.
LAST = ("/staff/logout",)


@dataclass
class Records:
    """Real rows for the parameters of rules, and the complainant's access code."""

    values: dict[str, str]
    code: str


@pytest.fixture
def records(app: Flask, client: FlaskClient, make_user) -> Records:
    return make_records(app, client, make_user)


def make_records(app: Flask, client: FlaskClient, make_user) -> Records:
    """A complaint with an attachment, an outgoing letter (the officer's response) and a receipt
    print (tests/test_fuzz_routes.py uses them too)."""
    with app.app_context():  # a webhook receiver, so that the complaint's events make deliveries
        endpoint_id = commit_with_retry(lambda: create_endpoint(
            url="https://crm.example.md/hooks", description="", events=["registered", "taken"], by=None)).id
    data = form_data()
    data["attachments"] = [(io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "statement.pdf")]
    with frozen_clock(T0):
        response = client.post("/complaints/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 303, response.get_data(as_text=True)
    clerk = make_user("records-clerk", "clerk")
    officer = make_user("records-officer", "officer", tier=1)
    with app.app_context():
        complaint = find_by_reference(response.headers["Location"].split("/")[2])
        number, code = complaint.number, complaint.access_code
    act(app, number, ops.take_complaint, by=officer)
    act(app, number, ops.respond, by=officer, at=T0 + timedelta(hours=2), body="We refunded the 500 MDL today.")
    with app.app_context():
        complaint = find_by_reference(number)
        mail = store_message(raw_mail("alternative-with-pdf"), received_at=T0, source=MailSource.PIPE).mail
        printed = commit_with_retry(
            lambda: record_receipt_print(complaint, language="en", by=db.session.get(User, clerk)))
        collect()
        values = {
            "reference": complaint.slug,
            "attachment_id": str(db.session.scalar(select(Attachment.id).where(Attachment.complaint_id == complaint.id))),
            "message_id": str(db.session.scalar(select(CaseMessage.id).where(
                CaseMessage.complaint_id == complaint.id).order_by(CaseMessage.id.desc()))),
            "print_id": str(printed.id),
            "table": "summary",
            "name": "reply",
            "filename": "style.css",
            "code": "payments",  # a category code (administration)
            "user_id": str(clerk),  # an account to unlock (administration)
            "mail_id": str(mail.id),  # a message in the tray, and its second file
            "position": "2",
            "kind": "fca",  # a regulator return (management)
            "file_format": "csv",
            "endpoint_id": str(endpoint_id),  # a webhook receiver (administration) and one of its deliveries
            "delivery_id": str(db.session.scalar(select(WebhookDelivery.id).where(
                WebhookDelivery.endpoint_id == endpoint_id).order_by(WebhookDelivery.id))),
            "template_id": str(commit_with_retry(lambda: create_template(  # an answer template (management)
                category=None, texts={"en": ("Late withdrawal", "Dear {name}")}, by=db.session.get(User, clerk))).id),
        }
    return Records(values=values, code=code)


def _requests(app: Flask, records: Records) -> list[tuple[str, str, str]]:
    """(rule, method, URL) for every rule of the app, the public look-ups with the access code."""
    requests = []
    for rule in app.url_map.iter_rules():
        url = rule.build({name: records.values[name] for name in rule.arguments}, append_unknown=False)[1]
        if rule.rule == "/track":
            url += f"?number={records.values['reference']}&code={records.code}"
        elif rule.rule == "/verify":
            url += f"?number={records.values['reference']}&fingerprint=0000000000000000"
        elif "reference" in rule.arguments and ROUTES.get(rule.rule) == PUBLIC:
            url += f"?code={records.code}"
        method = "GET" if "GET" in rule.methods else "POST"
        requests.append((rule.rule, method, url))
    return sorted(requests, key=lambda r: r[0] in LAST)


def test_every_route_is_in_the_access_table(app: Flask):
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    missing = sorted(rules - ROUTES.keys())
    assert not missing, f"routes without a line in ROUTES (tests/test_route_access.py): {missing}"
    stale = sorted(ROUTES.keys() - rules)
    assert not stale, f"lines in ROUTES for routes that do not exist: {stale}"


def test_the_table_agrees_with_the_permission_each_view_declares(app: Flask):
    disagree = []
    for rule in app.url_map.iter_rules():
        declared = getattr(app.view_functions[rule.endpoint], "required_permission", None)
        if rule.rule in ROUTES and declared != ROUTES[rule.rule].permission:
            disagree.append(f"{rule.rule}: table {ROUTES[rule.rule].permission}, view {declared}")
    assert disagree == []


def _outcome(response: Any) -> str:
    """'login' (sent to sign in), 'refused' (403), 'error' (5xx), or 'allowed'."""
    if response.status_code in (301, 302, 303) and "/staff/login?next=" in response.headers.get("Location", ""):
        return "login"
    if response.status_code in (401, 403):
        return "refused"
    if response.status_code >= 500:
        return "error"
    return "allowed"


@pytest.mark.parametrize("who", ["anonymous", *STAFF])
def test_each_route_answers_each_role_as_the_table_says(app: Flask, client: FlaskClient, login, records: Records, who: str):
    role, bearer = None, {}
    if who != "anonymous":
        role, tier = STAFF[who]
        login(client, role.value, username=who, tier=tier)
        with app.app_context():
            user = db.session.scalar(select(User).where(User.username == who))
            bearer = {"Authorization": f"Bearer {commit_with_retry(lambda: create_token(user, 'access table').secret)}"}
    wrong = []
    for rule, method, url in _requests(app, records):
        if rule not in ROUTES:
            continue  # reported by test_every_route_is_in_the_access_table
        access = ROUTES[rule]
        if access.token:  # no redirect to sign in: 401 without a token, 403 without the permission
            expected = "allowed" if access.allows(role) else "refused"
        else:
            expected = "allowed" if access.allows(role) else ("login" if role is None else "refused")
        response = client.open(url, method=method, headers=bearer if access.token else {})
        got = _outcome(response)
        response.close()  # static files are streamed from an open file
        if got != expected:
            wrong.append(f"{method} {url}: expected {expected}, got {got} (HTTP {response.status_code})")
    assert wrong == [], f"as {who}:\n" + "\n".join(wrong)


def test_a_refusal_is_written_to_the_audit_trail(app, client, login):
    from app.audit.models import AuditAction, AuditEvent

    login(client, "clerk", "irina")
    assert client.get("/staff/audit/").status_code == 403
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == AuditAction.FORBIDDEN))
        assert (event.username, event.target) == ("irina", "/staff/audit/")

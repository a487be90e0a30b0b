"""Staff administration: /admin/staff and `flask users ...` call the same operations; every change
is audited with its old and new values; refusals change nothing; tiers nobody works at are
flagged, and an escalation to one tells the administrators."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from _cases import T0, act, enforce_at_once, notifications
from app.audit.models import AuditAction, AuditEvent
from app.auth.models import User
from app.auth.permissions import Role
from app.auth.tokens import create_token
from app.clock import frozen_clock
from app.database import commit_with_retry
from app.extensions import db
from app.workflow import operations as ops

PASSWORD = "correct horse 1"  # noqa: S105  (the fixtures' test password)


def _client(app, username: str, password: str = PASSWORD):
    client = app.test_client()
    response = client.post("/staff/login", data={"username": username, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def _signed_in(client) -> bool:
    return client.get("/staff/").status_code == 200


def _user(app, username: str) -> User:
    with app.app_context():
        return db.session.scalar(select(User).where(User.username == username))


def _audit(app, action: AuditAction) -> list[tuple[str | None, str | None, dict]]:
    """(who, target, details) of each event of `action`, oldest first."""
    with app.app_context():
        return [(e.username, e.target, json.loads(e.details or "{}")) for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.position))]


def _users(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def _issued(page: str) -> str:
    found = re.search(r'data-testid="issued">([^<]+)<', page)
    assert found, page
    return found.group(1).strip()


@pytest.fixture
def ada(app, client, login):
    """The test client signed in as the administrator "ada"."""
    return login(client, "administrator", "ada")


NEW = {"username": "nina", "full_name": "Nina Nou", "email": "nina@example.md", "language": "ro",
       "role": "officer", "tier": "2"}


# -- creating accounts ---------------------------------------------------------------------


def test_an_administrator_creates_an_account_with_a_one_time_link_that_works_once(app, ada):
    page = ada.post("/admin/staff/new", data=NEW)
    assert page.status_code == 200
    link = _issued(page.get_data(as_text=True))
    path = link.split("://", 1)[1].split("/", 1)[1]
    nina = _user(app, "nina")
    assert (nina.role, nina.tier, nina.language, nina.active, nina.must_change_password) == (
        Role.OFFICER, 2, "ro", True, False)
    _, target, details = _audit(app, AuditAction.USER_CREATED)[-1]
    assert (target, details["role"], details["tier"], details["password"], details["via"]) == (
        "nina", "officer", 2, "link", "admin page")
    stranger = app.test_client()
    assert stranger.get(f"/{path}").status_code == 200
    mismatch = stranger.post(f"/{path}", data={"new_password": "nina's own pass", "confirm": "other"})
    assert mismatch.status_code == 422
    assert stranger.post(f"/{path}", data={"new_password": "nina's own pass", "confirm": "nina's own pass"}
                         ).status_code == 303
    assert _signed_in(_client(app, "nina", "nina's own pass"))
    assert stranger.get(f"/{path}").status_code == 404  # spent
    assert stranger.post(f"/{path}", data={"new_password": "another pass 2", "confirm": "another pass 2"}
                         ).status_code == 404


def test_a_set_password_link_expires(app, ada):
    with frozen_clock(T0):
        link = _issued(ada.post("/admin/staff/new", data=NEW).get_data(as_text=True))
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    with frozen_clock(T0 + timedelta(hours=71)):
        assert app.test_client().get(path).status_code == 200
    with frozen_clock(T0 + timedelta(hours=73)):
        assert app.test_client().get(path).status_code == 404
    assert app.test_client().get("/staff/set-password?key=made-up").status_code == 404
    assert app.test_client().get("/staff/set-password").status_code == 404


def test_a_temporary_password_must_be_changed_at_the_first_sign_in(app, ada):
    page = ada.post("/admin/staff/new", data=NEW | {"temporary_password": "temporary pass 1"})
    assert _issued(page.get_data(as_text=True)) == "temporary pass 1"
    nina = _client(app, "nina", "temporary pass 1")
    for path in ("/staff/", "/staff/queue", "/staff/settings"):
        response = nina.get(path)
        assert response.status_code == 302 and response.headers["Location"].endswith("/staff/password"), path
    # In her language (Romanian, as the administrator set it).
    assert "V-ați autentificat cu o parolă temporară" in nina.get("/staff/password").get_data(as_text=True)
    changed = nina.post("/staff/password", data={"current_password": "temporary pass 1",
                                                  "new_password": "nina's own pass", "confirm": "nina's own pass"})
    assert changed.status_code == 302
    assert _signed_in(nina) and not _user(app, "nina").must_change_password


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"role": "emperor"}, "role", "Not a valid choice"),
    ({"tier": "9"}, "tier", "Not a valid choice"),
    ({"role": "officer", "tier": ""}, "tier", "Officers and managers work at a tier"),
    ({"role": "clerk", "tier": "1"}, "tier", "Clerks work at no tier"),
    ({"username": "ada"}, "username", "A user named ada exists already"),
    ({"username": "two words"}, "username", "without spaces"),
    ({"email": "OLGA@example.md"}, "email", "Another account has this e-mail address"),
    ({"email": "not an address"}, "email", "Type an e-mail address"),
    ({"temporary_password": "short"}, "temporary_password", "Use at least 10 characters"),
    ({"full_name": ""}, "full_name", "This field is required"),
])
def test_a_new_account_with_bad_input_is_refused_next_to_its_field_and_nothing_is_created(
        app, ada, make_user, change, field, message):
    make_user("olga", "officer", tier=1, email="olga@example.md")
    before = _users(app)
    response = ada.post("/admin/staff/new", data=NEW | change)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert re.search(rf'id="{field}-error">[^<]*{re.escape(message)}', page), page
    assert _users(app) == before
    assert _audit(app, AuditAction.USER_CREATED) == []


# -- changing accounts ---------------------------------------------------------------------


def test_deactivating_a_user_ends_their_sessions_revokes_their_tokens_and_is_audited(app, ada, make_user):
    olga_id = make_user("olga", "officer", tier=1)
    browser = _client(app, "olga")
    with app.app_context():
        secret = commit_with_retry(lambda: create_token(db.session.get(User, olga_id), "crm").secret)
    bearer = {"Authorization": f"Bearer {secret}"}
    assert app.test_client().get("/api/v1/staff/complaints", headers=bearer).status_code == 200
    response = ada.post(f"/admin/staff/{olga_id}/deactivate")
    assert response.status_code == 303
    assert not _signed_in(browser)
    assert browser.get("/staff/queue").headers["Location"].startswith("/staff/login")
    assert app.test_client().get("/api/v1/staff/complaints", headers=bearer).status_code == 401
    who, target, details = _audit(app, AuditAction.USER_DEACTIVATED)[-1]
    assert (who, target, details["sessions_ended"], details["tokens_revoked"]) == ("ada", "olga", 1, 1)
    assert details["changes"] == [{"field": "active", "old": True, "new": False}]
    assert "deactivated" in ada.get(f"/admin/staff/{olga_id}").get_data(as_text=True)
    assert ada.post(f"/admin/staff/{olga_id}/reactivate").status_code == 303
    assert _user(app, "olga").active
    assert _audit(app, AuditAction.USER_REACTIVATED)[-1][2]["changes"] == [{"field": "active", "old": False,
                                                                           "new": True}]
    # The tokens stay revoked: a reactivated account makes new ones.
    assert app.test_client().get("/api/v1/staff/complaints", headers=bearer).status_code == 401


def test_a_role_and_tier_change_is_audited_with_old_and_new_values(app, ada, make_user):
    olga_id = make_user("olga", "officer", tier=1)
    assert ada.post(f"/admin/staff/{olga_id}/role", data={"role": "manager", "tier": "3"}).status_code == 303
    olga = _user(app, "olga")
    assert (olga.role, olga.tier) == (Role.MANAGER, 3)
    who, target, details = _audit(app, AuditAction.USER_CHANGED)[-1]
    assert (who, target, details["via"]) == ("ada", "olga", "admin page")
    assert details["changes"] == [{"field": "role", "old": "officer", "new": "manager"},
                                  {"field": "tier", "old": 1, "new": 3}]
    assert ada.post(f"/admin/staff/{olga_id}/role", data={"role": "manager", "tier": "3"}).status_code == 303
    assert len(_audit(app, AuditAction.USER_CHANGED)) == 1  # nothing changed, nothing audited
    trail = ada.get("/staff/audit/?action=user_changed").get_data(as_text=True)
    assert "Complaints officer → Manager" in trail


@pytest.mark.parametrize(("data", "message"), [
    ({"role": "officer", "tier": ""}, "Officers and managers work at a tier"),
    ({"role": "officer", "tier": "7"}, "Not a valid choice"),
    ({"role": "boss", "tier": "1"}, "Not a valid choice"),
    ({}, "Choose one of the roles"),
])
def test_a_bad_role_or_tier_is_refused_and_changes_nothing(app, ada, make_user, data, message):
    olga_id = make_user("olga", "officer", tier=1)
    response = ada.post(f"/admin/staff/{olga_id}/role", data=data)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    olga = _user(app, "olga")
    assert (olga.role, olga.tier) == (Role.OFFICER, 1)
    assert _audit(app, AuditAction.USER_CHANGED) == []


def test_the_last_active_administrator_cannot_be_removed(app, ada, make_user, runner):
    ada_id = _user(app, "ada").id
    # Not by themselves...
    refused = ada.post(f"/admin/staff/{ada_id}/deactivate")
    assert refused.status_code == 422 and "You cannot deactivate your own account" in refused.get_data(as_text=True)
    refused = ada.post(f"/admin/staff/{ada_id}/role", data={"role": "manager", "tier": "3"})
    assert refused.status_code == 422 and "You cannot change your own role" in refused.get_data(as_text=True)
    # ...nor from the command line, where nobody is signed in.
    result = runner.invoke(args=["users", "deactivate", "ada"])
    assert result.exit_code != 0 and "last active administrator" in result.output
    result = runner.invoke(args=["users", "set-role", "ada", "clerk", "--tier", "none"])
    assert result.exit_code != 0 and "last active administrator" in result.output
    ada_now = _user(app, "ada")
    assert (ada_now.active, ada_now.role) == (True, Role.ADMINISTRATOR)
    assert _audit(app, AuditAction.USER_DEACTIVATED) == [] and _audit(app, AuditAction.USER_CHANGED) == []
    # With a second administrator, one may go.
    make_user("bob", "administrator")
    assert runner.invoke(args=["users", "deactivate", "ada"]).exit_code == 0
    result = runner.invoke(args=["users", "set-role", "bob", "manager", "--tier", "3"])
    assert result.exit_code != 0 and "last active administrator" in result.output


def test_a_password_reset_stops_the_old_password_and_the_sessions(app, ada, make_user):
    olga_id = make_user("olga", "officer", tier=1)
    browser = _client(app, "olga")
    page = ada.post(f"/admin/staff/{olga_id}/password", data={})
    link = _issued(page.get_data(as_text=True))
    assert not _signed_in(browser)
    assert app.test_client().post("/staff/login", data={"username": "olga", "password": PASSWORD}).status_code == 401
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    assert app.test_client().post(path, data={"new_password": "olga's new pass", "confirm": "olga's new pass"}
                                  ).status_code == 303
    assert _signed_in(_client(app, "olga", "olga's new pass"))
    _, target, details = _audit(app, AuditAction.PASSWORD_RESET)[-1]
    assert (target, details["password"], details["sessions_ended"]) == ("olga", "link", 1)
    weak = ada.post(f"/admin/staff/{olga_id}/password", data={"temporary_password": "short"})
    assert weak.status_code == 422 and "Use at least 10 characters" in weak.get_data(as_text=True)
    assert len(_audit(app, AuditAction.PASSWORD_RESET)) == 1


def test_an_administrator_ends_a_users_sessions_and_unlocks_an_account(app, ada, make_user):
    olga_id = make_user("olga", "officer", tier=1)
    browser = _client(app, "olga")
    assert ada.post(f"/admin/staff/{olga_id}/sessions/end").status_code == 303
    assert not _signed_in(browser)
    assert _audit(app, AuditAction.USER_SESSIONS_ENDED)[-1][1:] == ("olga", {"via": "admin page", "sessions_ended": 1})
    with app.app_context():
        olga = db.session.get(User, olga_id)
        olga.locked_until = T0 + timedelta(days=3650)
        db.session.commit()
    assert "locked" in ada.get("/admin/staff/").get_data(as_text=True)
    assert ada.post(f"/admin/staff/{olga_id}/unlock").status_code == 303
    assert _user(app, "olga").locked_until is None
    assert _audit(app, AuditAction.ACCOUNT_UNLOCKED)[-1][2]["via"] == "admin page"
    ada_id = _user(app, "ada").id
    assert ada.post(f"/admin/staff/{ada_id}/sessions/end").status_code == 422  # own sessions: My settings


def test_the_staff_list_shows_role_tier_state_and_last_sign_in(app, ada, make_user):
    make_user("olga", "officer", tier=1)
    make_user("gone", "clerk")
    assert app.test_cli_runner().invoke(args=["users", "deactivate", "gone"]).exit_code == 0
    with frozen_clock(T0):
        _client(app, "olga")
    page = ada.get("/admin/staff/").get_data(as_text=True)
    rows = re.findall(r'<tr data-testid="staff-row">(.*?)</tr>', page, re.S)
    assert [re.search(r">(\w+)</a>", row).group(1) for row in rows] == ["ada", "olga", "gone"]
    assert "Complaints officer" in rows[1] and "deactivated" in rows[2] and "never" in rows[2]
    assert "2026" in rows[1]  # olga's last sign-in
    assert ada.get("/admin/staff/999999").status_code == 404


def test_staff_administration_is_for_administrators_only(app, client, login):
    login(client, "manager", "mihai", tier=3)
    assert client.get("/admin/staff/").status_code == 403


# -- the command line --------------------------------------------------------------------


def test_the_command_line_administers_accounts_with_the_same_operations(app, runner, make_user):
    make_user("ada", "administrator")
    make_user("olga", "officer", tier=1, email="olga@example.md")
    listed = runner.invoke(args=["users", "list"])
    assert listed.exit_code == 0 and re.search(r"olga\s+officer\s+1\s+active\s+never", listed.output)
    assert runner.invoke(args=["users", "set-tier", "olga", "2"]).exit_code == 0
    assert runner.invoke(args=["users", "set-role", "olga", "manager", "--tier", "3"]).exit_code == 0
    olga = _user(app, "olga")
    assert (olga.role, olga.tier) == (Role.MANAGER, 3)
    assert [d["changes"] for _, _, d in _audit(app, AuditAction.USER_CHANGED)] == [
        [{"field": "tier", "old": 1, "new": 2}],
        [{"field": "role", "old": "officer", "new": "manager"}, {"field": "tier", "old": 2, "new": 3}]]
    assert _audit(app, AuditAction.USER_CHANGED)[0][0] is None  # nobody signed in: the command line
    bad = runner.invoke(args=["users", "set-tier", "olga", "9"])
    assert bad.exit_code != 0 and "Choose one of the tiers" in bad.output
    assert runner.invoke(args=["users", "set-tier", "olga", "none"]).exit_code != 0  # a manager needs a tier
    assert runner.invoke(args=["users", "set-role", "olga", "emperor"]).exit_code != 0
    reset = runner.invoke(args=["users", "reset-password", "olga"])
    assert reset.exit_code == 0 and "/staff/set-password?key=" in reset.output
    temporary = runner.invoke(args=["users", "reset-password", "olga", "--temporary-password", "temporary pass 1"])
    assert temporary.exit_code == 0 and _user(app, "olga").must_change_password
    weak = runner.invoke(args=["users", "reset-password", "olga", "--temporary-password", "short"])
    assert weak.exit_code != 0 and "at least 10" in weak.output
    browser = _client(app, "olga", "temporary pass 1")
    ended = runner.invoke(args=["users", "end-sessions", "olga"])
    assert ended.exit_code == 0 and "1 session(s)" in ended.output
    assert browser.get("/staff/password").status_code == 302  # to sign in
    assert runner.invoke(args=["users", "deactivate", "olga"]).exit_code == 0
    assert runner.invoke(args=["users", "reactivate", "olga"]).exit_code == 0
    again = runner.invoke(args=["users", "reactivate", "olga"])
    assert again.exit_code != 0 and "active already" in again.output
    assert runner.invoke(args=["users", "end-sessions", "nobody"]).exit_code != 0


def test_the_command_line_creates_an_account_with_a_link_or_a_temporary_password(app, runner):
    made = runner.invoke(args=["users", "create", "--username", "nina", "--name", "Nina Nou", "--role", "officer",
                               "--tier", "2", "--link"])
    assert made.exit_code == 0, made.output
    link = made.output.strip().splitlines()[-1]
    assert "/staff/set-password?key=" in link
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    assert app.test_client().post(path, data={"new_password": "nina's own pass", "confirm": "nina's own pass"}
                                  ).status_code == 303
    assert _signed_in(_client(app, "nina", "nina's own pass"))
    assert _audit(app, AuditAction.USER_CREATED)[-1][2]["password"] == "link"
    temporary = runner.invoke(args=["users", "create", "--username", "ion", "--role", "clerk", "--temporary",
                                    "--password", "temporary pass 1"])
    assert temporary.exit_code == 0 and _user(app, "ion").must_change_password
    before = _users(app)
    for refused in (["--username", "vera", "--role", "officer", "--link"],  # an officer needs a tier
                    ["--username", "vera", "--role", "clerk", "--link", "--password", "a password 1"],
                    ["--username", "vera", "--role", "clerk", "--temporary", "--password", "short"]):
        result = runner.invoke(args=["users", "create", *refused])
        assert result.exit_code != 0, refused
    assert _users(app) == before


# -- tiers nobody works at -----------------------------------------------------------------


def test_tiers_nobody_works_at_are_flagged_on_the_overview_and_the_escalation_desk(app, client, staff, login):
    login(client, "administrator", "ada")  # tier none: not a member of any tier
    overview = client.get("/admin/").get_data(as_text=True)
    flag = re.search(r'data-testid="unstaffed">(.*?)</div>', overview, re.S).group(1)
    assert "tier 4" in flag and "tier 1" not in flag and "tier 3" not in flag
    desk = client.get("/manage/escalations/").get_data(as_text=True)
    assert 'data-testid="unstaffed"' in desk
    # A management level needs someone who reviews escalations: an officer at tier 3 is not enough.
    runner = app.test_cli_runner()
    assert runner.invoke(args=["users", "set-role", "mihai", "officer"]).exit_code == 0
    flag = re.search(r'data-testid="unstaffed">(.*?)</div>', client.get("/admin/").get_data(as_text=True),
                     re.S).group(1)
    assert "tier 3" in flag


def test_an_escalation_to_a_tier_nobody_works_at_tells_the_administrators(app, register, staff, make_user):
    ada = make_user("ada", "administrator", email="ada@example.md")
    make_user("retired-admin", "administrator")
    assert app.test_cli_runner().invoke(args=["users", "deactivate", "retired-admin"]).exit_code == 0
    number = register()
    act(app, number, ops.take_complaint, by=staff["mihai"])
    act(app, number, ops.escalate, by=staff["mihai"], reason="Needs management")  # 1 -> 2: sofia works there
    assert not [n for n in notifications(app, number) if n[0] == "unstaffed_escalation"]
    act(app, number, ops.escalate, by=staff["mihai"], reason="Needs management")  # 2 -> 3: mihai
    act(app, number, ops.escalate, by=staff["mihai"], reason="The board must see this")  # 3 -> 4: nobody
    assert [n for n in notifications(app, number) if n[0] == "unstaffed_escalation"] == [
        ("unstaffed_escalation", "user", ada, None)]
    with app.app_context():
        from app.mail.compose import compose
        from app.notifications.models import Notification, NotificationKind

        mail = compose(db.session.scalar(select(Notification).where(
            Notification.kind == NotificationKind.UNSTAFFED_ESCALATION)))
    assert mail.to == ("ada@example.md",)
    assert number in mail.subject and "nobody works" in mail.subject
    assert "no active member of staff works at" in mail.body


def test_the_deadline_sweep_tells_the_administrators_of_an_escalation_to_an_empty_tier(
        app, register, staff, make_user, runner):
    ada = make_user("ada", "administrator", email="ada@example.md")
    assert runner.invoke(args=["users", "deactivate", "sofia"]).exit_code == 0  # tier 2 is empty now
    number = register()
    enforce_at_once(app, T0 + timedelta(days=3), passes=1)  # no first response: it rises to tier 2
    assert ("escalated", "tier", None, 2) in notifications(app, number)
    assert ("unstaffed_escalation", "user", ada, None) in notifications(app, number)

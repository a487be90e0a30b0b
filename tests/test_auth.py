"""Staff sign-in, throttling, sign-out, password change, and the accounts CLI."""

from __future__ import annotations

from sqlalchemy import select

from app.audit.models import AuditAction, AuditEvent
from app.auth.cli import DEMO_ACCOUNTS
from app.auth.models import User
from app.auth.operations import create_user
from app.auth.permissions import Role
from app.extensions import db
from config import Config, ProductionConfig


def _actions(app) -> list[tuple[str, str | None]]:
    with app.app_context():
        return [(e.action.value, e.username) for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_a_staff_member_signs_in_and_out_and_both_are_audited(app, client, make_user):
    make_user("irina", "clerk")
    response = client.post("/staff/login", data={"username": "Irina", "password": "correct horse 1"})
    assert response.status_code == 302 and response.headers["Location"] == "/staff/"
    assert "Signed in as Irina" in client.get("/staff/").get_data(as_text=True)
    assert client.post("/staff/logout").status_code == 302
    assert client.get("/staff/").status_code == 302  # back to the sign-in page
    assert _actions(app) == [("login", "irina"), ("logout", "irina")]


def test_a_wrong_password_and_an_unknown_user_get_the_same_generic_answer(app, client, make_user):
    make_user("irina", "clerk")
    wrong = client.post("/staff/login", data={"username": "irina", "password": "nope nope nope"})
    unknown = client.post("/staff/login", data={"username": "nobody", "password": "nope nope nope"})
    assert wrong.status_code == unknown.status_code == 401
    message = "The user name or password is not right"
    assert message in wrong.get_data(as_text=True) and message in unknown.get_data(as_text=True)
    assert ("login_failed", "irina") in _actions(app) and ("login_failed", "nobody") in _actions(app)


def test_after_five_failures_the_account_is_locked_even_for_the_right_password(app, client, make_user):
    make_user("irina", "clerk")
    for _ in range(5):
        client.post("/staff/login", data={"username": "irina", "password": "guess guess guess"})
    locked = client.post("/staff/login", data={"username": "irina", "password": "correct horse 1"})
    assert locked.status_code == 401


def test_sign_in_attempts_from_one_address_are_rate_limited(make_app, make_user):
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    answers = [client.post("/staff/login", data={"username": "x", "password": "y"}).status_code for _ in range(4)]
    assert answers == [401, 401, 401, 429]


def test_sign_in_never_redirects_to_another_site(client, make_user):
    make_user("irina", "clerk")
    response = client.post("/staff/login?next=https://evil.example/", data={"username": "irina", "password": "correct horse 1"})
    assert response.headers["Location"] == "/staff/"


def test_a_password_change_needs_the_current_password_and_a_long_new_one(app, client, login):
    login(client, "clerk", "irina")
    short = client.post("/staff/password", data={"current_password": "correct horse 1", "new_password": "short", "confirm": "short"})
    assert short.status_code == 422 and "Use at least 10 characters." in short.get_data(as_text=True)
    wrong = client.post("/staff/password", data={"current_password": "bad", "new_password": "a much longer one", "confirm": "a much longer one"})
    assert "This is not your current password." in wrong.get_data(as_text=True)
    ok = client.post("/staff/password", data={"current_password": "correct horse 1", "new_password": "a much longer one", "confirm": "a much longer one"})
    assert ok.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(User).where(User.username == "irina")).check_password("a much longer one")
    assert ("password_changed", "irina") in _actions(app)


def test_accounts_are_created_from_the_command_line(app, runner):
    result = runner.invoke(args=["users", "create", "--username", "Olga", "--name", "Olga Ș.", "--role", "manager",
                                 "--tier", "3", "--password", "long enough pass"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "olga"))
        assert (user.role.value, user.tier, user.full_name) == ("manager", 3, "Olga Ș.")
        assert user.password_hash.startswith("scrypt:")
    again = runner.invoke(args=["users", "create", "--username", "olga", "--role", "clerk", "--password", "long enough pass"])
    assert again.exit_code != 0 and "exists already" in again.output
    short = runner.invoke(args=["users", "create", "--username", "p", "--role", "clerk", "--password", "short"])
    assert short.exit_code != 0 and "at least 10" in short.output


def test_outside_the_tests_passwords_are_hashed_at_werkzeugs_full_scrypt_cost(make_app):
    """The tests lower the cost (tests/_support.py); the settings the app runs with do not."""
    assert Config.PASSWORD_HASH_METHOD == ProductionConfig.PASSWORD_HASH_METHOD == "scrypt"
    app = make_app(PASSWORD_HASH_METHOD=Config.PASSWORD_HASH_METHOD)
    with app.app_context():
        user = create_user(username="olga", full_name="Olga", password="long enough pass", role=Role.CLERK)
        assert user.password_hash.startswith("scrypt:32768:8:1$")
        db.session.rollback()


def test_demo_accounts_are_created_once_and_printed(app, runner):
    first = runner.invoke(args=["users", "demo"])
    assert "user 'clerk'" in first.output and "password 'clerk-demo-pass'" in first.output
    second = runner.invoke(args=["users", "demo"])
    assert "no demo accounts created" in second.output
    assert "user 'officer'" in first.output and "user 'specialist'" in first.output
    with app.app_context():
        assert len(db.session.scalars(select(User)).all()) == len(DEMO_ACCOUNTS)
    assert AuditAction.USER_CREATED.value in [a for a, _ in _actions(app)]

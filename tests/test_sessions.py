"""Staff sessions end on the server: sign-out, a password change, "sign out everywhere" and
deactivation; production refuses a weak SECRET_KEY and demo accounts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app import create_app
from app.audit.models import AuditAction, AuditEvent
from app.auth.models import User
from app.auth.sessions import StaffSession
from app.auth.tokens import create_token
from app.clock import frozen_clock
from app.extensions import db
from config import ProductionConfig, weak_secret_key

PASSWORD = "correct horse 1"
HOME = "/staff/"


def _sign_in(app, username: str = "irina", password: str = PASSWORD):
    client = app.test_client()
    response = client.post("/staff/login", data={"username": username, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def _signed_in(client) -> bool:
    return client.get(HOME).status_code == 200


def _actions(app, action: AuditAction) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_a_password_changed_in_one_session_ends_every_other_session_of_that_user(app, make_user):
    make_user("irina", "clerk")
    make_user("olga", "clerk")
    laptop, phone, colleague = _sign_in(app), _sign_in(app), _sign_in(app, "olga")
    changed = laptop.post("/staff/password", data={"current_password": PASSWORD, "new_password": "a much longer one",
                                                   "confirm": "a much longer one"}, follow_redirects=True)
    assert "Your 1 other session is signed out." in changed.get_data(as_text=True)
    assert _signed_in(laptop)  # the session that changed it goes on
    assert not _signed_in(phone)  # a thief's session, say
    assert phone.get(HOME).headers["Location"].startswith("/staff/login")
    assert _signed_in(colleague)  # another user's sessions are not touched
    [event] = _actions(app, AuditAction.PASSWORD_CHANGED)
    assert '"sessions_ended": 1' in event.details


def test_a_cookie_copied_before_sign_out_no_longer_works_after_it(app, make_user):
    make_user("irina", "clerk")
    browser = _sign_in(app)
    copied = browser.get_cookie("session").value
    assert browser.post("/staff/logout").status_code == 302
    replay = app.test_client()
    replay.set_cookie("session", copied)
    answer = replay.get(HOME)
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/staff/login")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(StaffSession)) == 0


def test_a_cookie_with_only_a_user_id_signs_nobody_in(app, make_user):
    """The signed cookie alone is not enough: it must name a live session on the server."""
    user_id = make_user("irina", "administrator")
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)
        session["_staff_session"] = "made-up"
    assert not _signed_in(client)


def test_sign_out_everywhere_else_ends_the_other_sessions_and_keeps_this_one(app, make_user):
    make_user("irina", "clerk")
    here, there, elsewhere = _sign_in(app), _sign_in(app), _sign_in(app)
    page = here.get("/staff/settings").get_data(as_text=True)
    assert "You are signed in in 3 places, this one included." in page
    answer = here.post("/staff/sessions/end", follow_redirects=True)
    assert "2 other sessions are signed out." in answer.get_data(as_text=True)
    assert _signed_in(here) and not _signed_in(there) and not _signed_in(elsewhere)
    [event] = _actions(app, AuditAction.SESSIONS_ENDED)
    assert event.username == "irina" and '"sessions_ended": 2' in event.details


def test_a_session_ends_on_the_server_when_its_lifetime_is_over(app, make_user):
    make_user("irina", "clerk")
    t0 = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
    with frozen_clock(t0):
        client = _sign_in(app)
    with frozen_clock(t0 + timedelta(hours=7, minutes=59)):
        assert _signed_in(client)
    with frozen_clock(t0 + timedelta(hours=8, minutes=1)):
        assert not _signed_in(client)


def test_deactivating_a_user_ends_their_sessions_and_their_api_tokens(app, runner, make_user):
    user_id = make_user("olga", "officer", tier=1)
    browser = _sign_in(app, "olga")
    with app.app_context():
        secret = create_token(db.session.get(User, user_id), "call centre").secret
        db.session.commit()
    api = app.test_client()
    bearer = {"Authorization": f"Bearer {secret}"}
    assert api.get("/api/v1/staff/complaints", headers=bearer).status_code == 200
    result = runner.invoke(args=["users", "deactivate", "olga"])
    assert result.exit_code == 0, result.output
    assert not _signed_in(browser)
    assert api.get("/api/v1/staff/complaints", headers=bearer).status_code == 401
    assert [e.target for e in _actions(app, AuditAction.USER_DEACTIVATED)] == ["olga"]
    again = runner.invoke(args=["users", "deactivate", "olga"])
    assert again.exit_code != 0 and "deactivated already" in again.output


# -- production settings ----------------------------------------------------------------------


@pytest.fixture
def production(monkeypatch, app, base_settings):
    """ProductionConfig on the test database, with the test instance's key files (`app` made them)."""
    monkeypatch.setenv("DATABASE_URL", base_settings["SQLALCHEMY_DATABASE_URI"])
    for name, value in base_settings.items():
        monkeypatch.setattr(ProductionConfig, name, value, raising=False)
    monkeypatch.setattr(ProductionConfig, "PUBLIC_BASE_URL", "https://complaints.example.md")
    return ProductionConfig


@pytest.mark.parametrize("key", [
    "x", "dev-only-not-secret", "a" * 64, "short-but-random-Zq8", "abababababababababababababababab",
])
def test_production_refuses_to_start_with_a_weak_secret_key(production, monkeypatch, key):
    monkeypatch.setattr(production, "SECRET_KEY", key)
    with pytest.raises(RuntimeError, match=r"SECRET_KEY is too weak.*secrets\.token_urlsafe\(48\)"):
        create_app(production)


def test_production_starts_with_a_strong_secret_key(production, monkeypatch):
    monkeypatch.setattr(production, "SECRET_KEY", "kT3vQ9-xLr2_M8wYpZ4nB6cD1eF7gH0jU5sA9qW2")
    app = create_app(production)
    assert app.config["SESSION_COOKIE_SECURE"] is True and app.config["DEMO_ACCOUNTS_ALLOWED"] is False
    with app.app_context():
        db.engine.dispose()
    assert weak_secret_key("kT3vQ9-xLr2_M8wYpZ4nB6cD1eF7gH0jU5sA9qW2") is None


def test_demo_accounts_are_refused_in_production(app, make_app, monkeypatch):
    runner = make_app(DEMO_ACCOUNTS_ALLOWED=False).test_cli_runner()
    result = runner.invoke(args=["users", "demo"])
    assert result.exit_code != 0 and "never created in production" in result.output
    monkeypatch.setenv("APP_ENV", "production")
    result = app.test_cli_runner().invoke(args=["users", "demo"])
    assert result.exit_code != 0 and "flask users create" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_production_refuses_to_start_without_its_public_address(production, monkeypatch):
    """Links on receipts and in e-mails must name one address, not whatever Host a request sent."""
    monkeypatch.setattr(production, "SECRET_KEY", "kT3vQ9-xLr2_M8wYpZ4nB6cD1eF7gH0jU5sA9qW2")
    monkeypatch.setattr(production, "PUBLIC_BASE_URL", "")
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL"):
        create_app(production)

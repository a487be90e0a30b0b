"""Failed sign-ins slow down the address that made them, not the account's owner elsewhere;
only an attack from many addresses locks an account, and an administrator can unlock it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.audit.models import AuditAction, AuditEvent
from app.auth.models import User
from app.clock import frozen_clock
from app.extensions import db

PASSWORD = "correct horse 1"
WRONG = "guess guess guess"
ATTACKER = "198.51.100.66"
HOME_ADDRESS = "203.0.113.10"
T0 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def _try(client, password: str, address: str, username: str = "irina") -> int:
    return client.post("/staff/login", data={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address}).status_code


def _events(app, action: AuditAction) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_an_attackers_failures_from_one_address_do_not_lock_the_real_user_out_of_theirs(app, make_user):
    make_user("irina", "clerk")
    attacker = app.test_client()
    with frozen_clock(T0):
        assert {_try(attacker, WRONG, ATTACKER) for _ in range(30)} == {401}
        assert _try(attacker, PASSWORD, ATTACKER) == 401  # the attacker's address waits, even with the password
        assert _try(app.test_client(), PASSWORD, HOME_ADDRESS) == 302  # Irina, from her own address
    assert _events(app, AuditAction.ACCOUNT_LOCKED) == []
    assert {e.ip for e in _events(app, AuditAction.LOGIN_THROTTLED)} == {ATTACKER}


def test_after_five_failures_an_address_waits_one_then_two_then_four_minutes(app, client, make_user):
    make_user("irina", "clerk")
    with frozen_clock(T0):
        assert [_try(client, WRONG, ATTACKER) for _ in range(5)] == [401] * 5
    moments = [  # (minutes after the 5th failure, password, answer)
        (0.9, PASSWORD, 401),  # waiting 1 minute: refused, and it does not count as a failure
        (1.0, WRONG, 401),  # the 6th failure: now 2 minutes
        (2.9, PASSWORD, 401),
        (3.0, WRONG, 401),  # the 7th: now 4 minutes
        (6.9, PASSWORD, 401),
        (7.0, PASSWORD, 302),
    ]
    for minutes, password, answer in moments:
        with frozen_clock(T0 + timedelta(minutes=minutes)):
            assert _try(app.test_client(), password, ATTACKER) == answer, minutes
    assert len(_events(app, AuditAction.LOGIN_FAILED)) == 7
    assert len(_events(app, AuditAction.LOGIN_THROTTLED)) == 3


def test_a_successful_sign_in_forgets_the_addresss_failures(app, make_user):
    make_user("irina", "clerk")
    with frozen_clock(T0):
        for _ in range(4):
            _try(app.test_client(), WRONG, HOME_ADDRESS)
        assert _try(app.test_client(), PASSWORD, HOME_ADDRESS) == 302
        for _ in range(4):
            _try(app.test_client(), WRONG, HOME_ADDRESS)
        assert _try(app.test_client(), PASSWORD, HOME_ADDRESS) == 302


def test_the_delay_stops_growing_at_its_maximum(make_app, make_user):
    app = make_app(LOGIN_MAX_DELAY_MINUTES=10)
    make_user("irina", "clerk")
    with frozen_clock(T0):
        for _ in range(20):
            _try(app.test_client(), WRONG, ATTACKER)  # 5 failures, then waits (not counted)
    with frozen_clock(T0 + timedelta(minutes=1)):
        _try(app.test_client(), WRONG, ATTACKER)
    for minutes in (3, 7, 15, 25, 35):  # 2, 4, 8, then 10, 10 minutes
        with frozen_clock(T0 + timedelta(minutes=minutes)):
            assert _try(app.test_client(), WRONG, ATTACKER) == 401
    with frozen_clock(T0 + timedelta(minutes=44, seconds=59)):
        assert _try(app.test_client(), PASSWORD, ATTACKER) == 401
    with frozen_clock(T0 + timedelta(minutes=45)):
        assert _try(app.test_client(), PASSWORD, ATTACKER) == 302


@pytest.fixture
def attack_app(make_app):
    """An account-wide lock after 6 failures from 3 addresses within the hour."""
    return make_app(LOGIN_LOCK_FAILURES=6, LOGIN_LOCK_ADDRESSES=3)


def _attack(app) -> None:
    for address in ("198.51.100.1", "198.51.100.2", "198.51.100.3"):
        for _ in range(2):
            assert _try(app.test_client(), WRONG, address) == 401


def test_an_attack_from_many_addresses_locks_the_account_until_an_administrator_unlocks_it(attack_app, make_user):
    app = attack_app
    make_user("irina", "clerk")
    make_user("ana", "administrator")
    with frozen_clock(T0):
        _attack(app)
        assert _try(app.test_client(), PASSWORD, HOME_ADDRESS) == 401  # locked for everyone now
        [locked] = _events(app, AuditAction.ACCOUNT_LOCKED)
        assert locked.target == "irina" and '"addresses": 3' in locked.details
        admin = app.test_client()
        assert admin.post("/staff/login", data={"username": "ana", "password": PASSWORD}).status_code == 302
        page = admin.get("/admin/accounts").get_data(as_text=True)
        assert "<td>irina " in page and "locked until" in page
        with app.app_context():
            irina_id = db.session.scalar(select(User.id).where(User.username == "irina"))
        assert admin.post(f"/admin/accounts/{irina_id}/unlock").status_code == 303
        [unlocked] = _events(app, AuditAction.ACCOUNT_UNLOCKED)
        assert (unlocked.username, unlocked.target) == ("ana", "irina")
        assert '"was_locked": true' in unlocked.details
        assert _try(app.test_client(), PASSWORD, HOME_ADDRESS) == 302
        page = admin.get("/admin/accounts").get_data(as_text=True)
        assert "irina is unlocked" in page and "<td>irina " not in page  # and its failures forgotten


def test_the_lock_lasts_login_lock_minutes(attack_app, make_user):
    make_user("irina", "clerk")
    with frozen_clock(T0):
        _attack(attack_app)
    with frozen_clock(T0 + timedelta(minutes=59)):
        assert _try(attack_app.test_client(), PASSWORD, HOME_ADDRESS) == 401
    with frozen_clock(T0 + timedelta(minutes=60)):
        assert _try(attack_app.test_client(), PASSWORD, HOME_ADDRESS) == 302


def test_an_account_is_unlocked_from_the_command_line_and_it_is_audited(app, runner, make_user):
    make_user("irina", "clerk")
    with frozen_clock(T0):
        for _ in range(5):
            _try(app.test_client(), WRONG, HOME_ADDRESS)
        assert _try(app.test_client(), PASSWORD, HOME_ADDRESS) == 401  # her own mistakes: she waits
        result = runner.invoke(args=["users", "unlock", "Irina"])
        assert result.exit_code == 0 and "'irina' is unlocked" in result.output
        assert _try(app.test_client(), PASSWORD, HOME_ADDRESS) == 302
    [event] = _events(app, AuditAction.ACCOUNT_UNLOCKED)
    assert event.target == "irina" and '"via": "cli"' in event.details
    assert runner.invoke(args=["users", "unlock", "nobody"]).exit_code != 0


def test_only_administrators_see_the_accounts_page(client, login):
    login(client, "manager", tier=3)
    assert client.get("/admin/accounts").status_code == 403


def test_password_changes_are_rate_limited_per_account(make_app, make_user):
    app = make_app(RATELIMIT_ENABLED=True, PASSWORD_CHANGE_RATE_LIMIT="3 per 15 minutes")
    make_user("irina", "clerk")
    make_user("olga", "clerk")
    irina = app.test_client()
    irina.post("/staff/login", data={"username": "irina", "password": PASSWORD})
    guesses = [irina.post("/staff/password", data={"current_password": f"guess {n}", "new_password": "a much longer one",
                                                   "confirm": "a much longer one"}).status_code for n in range(4)]
    assert guesses == [422, 422, 422, 429]
    assert irina.get("/staff/password").status_code == 200  # only the attempts count
    olga = app.test_client()  # same address, another account: her own count
    olga.post("/staff/login", data={"username": "olga", "password": PASSWORD})
    assert olga.post("/staff/password", data={"current_password": "x"}).status_code == 422

"""Nobody learns from the answers whether a user name or a complaint number exists."""

from __future__ import annotations

import re
import statistics
import time

import pytest

from app.auth import lockout
from config import Config

MESSAGE = "The user name or password is not right"
WRONG = "nope nope nope"  # a wrong password


def _sign_in(client, username: str, password: str = WRONG):
    return client.post("/staff/login", data={"username": username, "password": password})


@pytest.fixture
def app(make_app):
    """Passwords hashed at their real cost (the tests lower it): sign-ins here are timed."""
    return make_app(PASSWORD_HASH_METHOD=Config.PASSWORD_HASH_METHOD)


@pytest.fixture
def accounts(make_user):
    """'irina', and 'locked' (its address made to wait once `_lock` has failed five times for it)."""
    make_user("irina", "clerk")
    make_user("locked", "clerk")


def _lock(client) -> None:
    for _ in range(5):
        _sign_in(client, "locked")


def _without_csrf_tokens(page: str) -> str:
    """CSRF tokens carry the second they were signed in, so two pages may differ there."""
    return re.sub(r'(name="csrf_token"[^>]*value=")[^"]*"', r'\1"', page)


def _without(response, number: str) -> str:
    """The page without the number typed, in its display and its URL form (the language
    switcher's return address repeats the URL), and without the CSRF tokens."""
    page = response.get_data(as_text=True).replace(number, "").replace(number.replace("/", "-"), "")
    return _without_csrf_tokens(page)


def test_unknown_user_wrong_password_and_locked_account_get_the_same_answer(app, client, accounts):
    _lock(client)
    answers = {
        "unknown user": _sign_in(client, "nobody"),
        "wrong password": _sign_in(client, "irina"),
        "locked, right password": _sign_in(client, "locked", "correct horse 1"),
    }
    bodies = set()
    for case, response in answers.items():
        assert response.status_code == 401, case
        page = response.get_data(as_text=True)
        assert MESSAGE in page, case
        page = page.replace('value="nobody"', "").replace('value="irina"', "").replace('value="locked"', "")
        bodies.add(_without_csrf_tokens(page))
    assert len(bodies) == 1  # the same page, apart from the name typed (and the CSRF tokens' timestamps)


def test_every_failed_sign_in_does_the_same_work(app, client, accounts, monkeypatch):
    """One password hash and one count of recent failures, whichever check fails."""
    _lock(client)
    calls: list[str] = []
    real_hash, real_count = lockout.check_password_hash, lockout.address_wait
    monkeypatch.setattr(lockout, "check_password_hash",
                        lambda *args: calls.append("hash") or real_hash(*args))
    monkeypatch.setattr(lockout, "address_wait",
                        lambda *args: calls.append("count") or real_count(*args))
    for username, password in (("nobody", "x"), ("irina", "x"), ("locked", "correct horse 1")):
        calls.clear()
        assert _sign_in(client, username, password).status_code == 401
        assert sorted(calls) == ["count", "hash"], username


def test_an_unknown_user_takes_about_as_long_as_a_wrong_password(app, client, accounts):
    """Measured: without the dummy hash an unknown name answers tens of times faster."""
    _lock(client)

    def median_seconds(username: str, password: str = WRONG) -> float:
        times = []
        for _ in range(5):
            started = time.perf_counter()
            _sign_in(client, username, password)
            times.append(time.perf_counter() - started)
        return statistics.median(times)

    wrong = median_seconds("irina")
    unknown = median_seconds("nobody")
    locked = median_seconds("locked", "correct horse 1")
    assert 1 / 3 < unknown / wrong < 3, (unknown, wrong)
    assert 1 / 3 < locked / wrong < 3, (locked, wrong)


def _lookups(number: str, code: str, message_id: int = 1) -> dict[str, tuple[str, str]]:
    slug = number.replace("/", "-")
    return {
        "track form": ("GET", f"/track?number={number}&code={code}"),
        "tracking page": ("GET", f"/track/{slug}?code={code}"),
        "confirmation": ("GET", f"/complaints/{slug}/confirmation?code={code}"),
        "receipt": ("GET", f"/complaints/{slug}/receipt.pdf?code={code}"),
        "letter": ("GET", f"/track/{slug}/letters/{message_id}.pdf?code={code}"),
        "reply": ("POST", f"/track/{slug}/reply?code={code}"),
        "api": ("GET", f"/api/v1/complaints/{slug}?code={code}"),
    }


def test_a_wrong_code_and_an_unknown_number_answer_identically(client, register):
    number = register()
    wrong_code = _lookups(number, "ABCD-EFGH-JKMN")
    unknown_number = _lookups("2026/999999", "ABCD-EFGH-JKMN")
    for name, (method, url) in wrong_code.items():
        first = client.open(url, method=method, data={"reply-body": "Hello, any news?"})
        second = client.open(unknown_number[name][1], method=method, data={"reply-body": "Hello, any news?"})
        assert first.status_code == second.status_code == 404, name
        # The same answer, apart from the number typed (the track form shows it again).
        assert _without(first, number) == _without(second, "2026/999999"), name
        assert first.headers.get("Content-Type") == second.headers.get("Content-Type"), name


def test_verify_says_the_same_for_a_wrong_fingerprint_and_an_unknown_number(client, register):
    number = register()
    wrong = client.get(f"/verify?number={number}&fingerprint=0000-0000-0000-0000")
    unknown = client.get("/verify?number=2026/999999&fingerprint=0000-0000-0000-0000")
    assert wrong.status_code == unknown.status_code
    assert _without(wrong, number) == _without(unknown, "2026/999999")

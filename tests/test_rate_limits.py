"""Rate limits on the public endpoints: small limits, the 429 page and JSON, Retry-After, storage."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from _support import form_data, valid_payload
from app.complaints.models import Complaint
from app.extensions import db

SMALL = {"COMPLAINT_RATE_LIMIT": "2 per minute", "TRACKING_RATE_LIMIT": "3 per minute",
         "VERIFY_RATE_LIMIT": "2 per minute"}


@pytest.fixture
def limited(app, make_app):  # `app` first: it cleans the database afterwards
    return make_app(RATELIMIT_ENABLED=True, **SMALL)


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Complaint))


def test_the_form_and_the_api_share_one_registration_limit_per_address(limited):
    client = limited.test_client()
    # Filed in English: the pages that follow speak the complaint's language.
    assert client.post("/complaints/new", data=form_data(language="en")).status_code == 303
    assert client.post("/api/v1/complaints", json=valid_payload()).status_code == 201
    page = client.post("/complaints/new", data=form_data(language="en"))
    api = client.post("/api/v1/complaints", json=valid_payload())
    assert page.status_code == api.status_code == 429
    assert _count(limited) == 2  # nothing registered by the refused ones
    assert "Too many requests" in page.get_data(as_text=True)
    assert "Nothing was done; try again in" in page.get_data(as_text=True)
    assert 1 <= int(page.headers["Retry-After"]) <= 61
    body = api.get_json()
    assert body["error"] == "Too Many Requests" and 1 <= body["retry_after"] <= 61
    assert int(api.headers["Retry-After"]) == body["retry_after"]
    # Another address is not affected; reading the empty form never counts.
    assert client.get("/complaints/new").status_code == 200
    other = client.post("/api/v1/complaints", json=valid_payload(), environ_base={"REMOTE_ADDR": "10.0.0.7"})
    assert other.status_code == 201



def test_the_registration_count_is_flask_limiters_and_skips_what_registers_nothing(limited):
    """The registration limit is checked in one pass (app/ratelimits.py `in_one_pass`), in the
    count Flask-Limiter keeps for a shared limit: its storage, its key (address and scope)."""
    from limits import parse

    from app.extensions import limiter

    client = limited.test_client()
    for _ in range(3):  # reading the form and switching its language register nothing
        assert client.get("/complaints/new").status_code == 200
        assert client.post("/complaints/new", data={**form_data(), "switch_language": "ro"}).status_code == 200
    assert client.post("/api/v1/complaints", json=valid_payload()).status_code == 201
    with limited.test_request_context():
        stats = limiter.limiter.get_window_stats(parse(SMALL["COMPLAINT_RATE_LIMIT"]), "127.0.0.1", "complaints")
    assert stats.remaining == 1
    assert client.post("/complaints/new", data=form_data(language="en")).status_code == 303
    assert client.post("/api/v1/complaints", json=valid_payload()).status_code == 429
    assert _count(limited) == 2

def test_look_ups_by_number_and_code_share_one_limit(limited):
    client = limited.test_client()
    created = client.post("/api/v1/complaints", json=valid_payload()).get_json()
    number, code = created["number"], created["access_code"]
    slug = number.replace("/", "-")
    for _ in range(3):
        assert client.get("/track").status_code == 200  # the empty form is free
    assert client.get(f"/track?number={number}&code={code}").status_code == 303
    assert client.get(f"/track/{slug}?code={code}").status_code == 200
    assert client.get(f"/api/v1/complaints/{slug}?code={code}").status_code == 200
    for url in (f"/track/{slug}?code={code}", f"/api/v1/complaints/{slug}?code={code}",
                f"/complaints/{slug}/receipt.pdf?code={code}", f"/complaints/{slug}/confirmation?code={code}",
                f"/track?number={number}&code=WRONG"):
        response = client.get(url)
        assert response.status_code == 429, url
        assert "Retry-After" in response.headers, url
    assert client.get(f"/api/v1/complaints/{slug}?code={code}").is_json


def test_verify_checks_are_limited(limited):
    client = limited.test_client()
    assert client.get("/verify").status_code == 200
    answers = [client.get("/verify?number=2026/000001&fingerprint=0000-0000-0000-0000").status_code
               for _ in range(3)]
    assert answers == [200, 200, 429]


def test_counts_can_live_in_redis_so_several_servers_share_them(app, make_app):
    redis_uri = "redis://127.0.0.1:6379"
    try:
        import redis

        redis.Redis.from_url(redis_uri, socket_connect_timeout=1).ping()
    except Exception as error:  # noqa: BLE001  (no client library or no server: nothing to test against)
        pytest.skip(f"no Redis at {redis_uri}: {error}")
    # A fresh key prefix, so runs in parallel (SQLite and PostgreSQL) do not count together.
    settings = {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": redis_uri,
                "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}", "VERIFY_RATE_LIMIT": "2 per minute"}
    limited = make_app(**settings)
    url = "/verify?number=2026/000001&fingerprint=0000-0000-0000-0000"
    assert [limited.test_client().get(url).status_code for _ in range(3)] == [200, 200, 429]
    store = redis.Redis.from_url(redis_uri)
    keys = store.keys(f"*{settings['RATELIMIT_KEY_PREFIX']}*")
    try:
        assert keys, "the counts are not in Redis"
    finally:
        if keys:
            store.delete(*keys)


def test_limits_for_every_route_still_apply_when_an_installation_sets_them(app, make_app):
    """app/ratelimits.py `init_app` leaves Flask-Limiter's request hooks out while no setting
    needs them; a default limit for every route brings them back, and it is enforced."""
    from app.extensions import limiter

    plain = make_app(RATELIMIT_ENABLED=True)
    assert not any("Limiter" in repr(hook) for hook in plain.before_request_funcs.get(None, []))
    try:
        everywhere = make_app(RATELIMIT_ENABLED=True, RATELIMIT_DEFAULT="2 per minute")
        client = everywhere.test_client()
        assert [client.get("/complaints/new").status_code for _ in range(3)] == [200, 200, 429]
    finally:  # the limiter is one object for every app this process makes: no default for the next
        limiter.limit_manager.set_default_limits([])

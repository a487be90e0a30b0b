"""The language of what the registering API answers (the status title), and the engine
options the registering request depends on: behaviour kept while the request got lighter."""

from __future__ import annotations

import pytest
from flask_babel import force_locale
from sqlalchemy import create_engine

from _support import valid_payload
from app.complaints.models import ComplaintStatus
from app.database import configure_pool, engine_options


def _title(app, language: str) -> str:
    with app.test_request_context(), force_locale(language):
        return ComplaintStatus.REGISTERED.title


def test_an_api_client_without_a_session_gets_the_status_title_in_its_accept_language(app, client):
    answer = client.post("/api/v1/complaints", json=valid_payload(), headers={"Accept-Language": "ru"})
    assert answer.status_code == 201
    assert answer.get_json()["status_title"] == _title(app, "ru") != _title(app, "en")


def test_a_signed_in_staff_member_gets_the_status_title_in_their_own_language(app, client, login):
    login(client, "clerk", language="uk")
    answer = client.post("/api/v1/complaints", json=valid_payload(), headers={"Accept-Language": "ru"})
    assert answer.status_code == 201
    assert answer.get_json()["status_title"] == _title(app, "uk") != _title(app, "ru")


def test_sqlalchemys_own_pre_ping_is_never_on_the_pool_checks_connections_itself():
    assert engine_options({}) == {"pool_pre_ping": False}
    assert engine_options({"hide_parameters": True, "pool_pre_ping": True}) == {
        "hide_parameters": True, "pool_pre_ping": False,
    }
    with pytest.raises(ValueError, match="DATABASE_POOL_CHECK must be one of socket, ping"):
        configure_pool(create_engine("sqlite://"), "always")

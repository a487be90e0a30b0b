"""Helpers shared by the fixtures and by worker processes spawned from tests."""

from __future__ import annotations

from typing import Any

from config import Config


def config_class(**overrides: Any) -> type[Config]:
    """A settings class for tests: the development defaults with `overrides` applied."""
    defaults = {
        "TESTING": True,
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": None,
        "DATABASE_RETRIES": 20,
        "RATELIMIT_ENABLED": False,  # the test that checks throttling turns it on
        "MAIL_SEND_AFTER_COMMIT": False,  # tests deliver the outbox themselves, when they mean to
        # Still scrypt, at a cost hundreds of accounts can afford (tests/test_enumeration.py,
        # which times sign-ins, uses the real one).
        "PASSWORD_HASH_METHOD": "scrypt:1024:1:1",
    }
    return type("TestConfig", (Config,), {**defaults, **overrides})


def valid_payload(**changes: Any) -> dict[str, Any]:
    """A complaint that passes every rule; `changes` override or (with None) drop fields."""
    payload = {
        "full_name": "Ana-Maria Ștefănescu-Țurcanu",
        "email": "ana.maria@example.md",
        "phone": "+373 69 123 456",
        "postal_address": "str. Mihai Eminescu 5, ap. 12, Chișinău",
        "category": "payments",
        "subject": "Retragerea de 500 MDL nu a ajuns",
        "description": "Am cerut retragerea a 500 MDL pe 20 noiembrie; banii nu au ajuns pe card.",
        "desired_outcome": "Plata retragerii și explicația întârzierii.",
        "language": "ro",
        "signature": "Ana-Maria Ștefănescu-Țurcanu",
        "declaration": True,
    }
    for key, value in changes.items():
        if value is None:
            payload.pop(key, None)
        else:
            payload[key] = value
    return payload


def form_data(**changes: Any) -> dict[str, Any]:
    """The same complaint as the web form posts it."""
    data = valid_payload(**changes)
    if data.get("declaration") is True:
        data["declaration"] = "y"
    elif "declaration" in data:
        del data["declaration"]
    return data

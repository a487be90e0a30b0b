"""Code run in separate worker processes by the concurrency tests (spawned, so importable)."""

from __future__ import annotations

from typing import Any

from _support import config_class, valid_payload


def register_many(settings: dict[str, Any], count: int) -> list[str]:
    """Build an app in this process and file `count` complaints through the API."""
    from app import create_app
    from app.extensions import db

    app = create_app(config_class(**settings))
    client = app.test_client()
    numbers = []
    for i in range(count):
        response = client.post("/api/v1/complaints", json=valid_payload(subject=f"Process complaint {i}"))
        assert response.status_code == 201, response.get_data(as_text=True)
        numbers.append(response.get_json()["number"])
    with app.app_context():
        db.engine.dispose()
    return numbers

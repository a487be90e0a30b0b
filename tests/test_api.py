"""The JSON intake API: the contract integrations are written against."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from _support import valid_payload
from app.complaints.models import Complaint
from app.extensions import db
from app.registry.models import NumberCounter


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Complaint))


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_categories_are_listed_with_code_and_name(client):
    response = client.get("/api/v1/categories?language=ru")
    assert response.status_code == 200
    categories = response.get_json()
    assert {"code": "payments", "name": "Платежи и вывод средств"} in categories
    assert [c["code"] for c in categories][-1] == "other"


def test_a_valid_complaint_is_registered_with_every_promised_field(client, app):
    response = client.post("/api/v1/complaints", json=valid_payload())
    assert response.status_code == 201
    body = response.get_json()
    year = datetime.now().year
    assert body["number"] == f"{year}/000001"
    for field in ("registered_at", "first_response_due"):
        moment = datetime.fromisoformat(body[field])
        assert moment.utcoffset() is not None
    due = datetime.fromisoformat(body["first_response_due"]) - datetime.fromisoformat(body["registered_at"])
    assert due.total_seconds() == 24 * 3600
    assert len(body["access_code"].replace("-", "")) == 12
    assert len(body["fingerprint"]) == 19
    assert body["receipt_url"].endswith(f"/receipt.pdf?code={body['access_code'].replace('-', '')}")
    assert response.headers["Location"] == body["api_url"]
    assert _count(app) == 1


def test_the_urls_it_returns_work_as_given(client):
    body = client.post("/api/v1/complaints", json=valid_payload()).get_json()
    receipt = client.get(_path(body["receipt_url"]))
    assert receipt.status_code == 200 and receipt.mimetype == "application/pdf"
    assert receipt.data.startswith(b"%PDF")
    assert client.get(_path(body["tracking_url"])).status_code == 200
    view = client.get(_path(body["api_url"])).get_json()
    assert view["number"] == body["number"] and view["status"] == "registered"


def test_the_public_view_accepts_the_percent_encoded_display_number(client):
    body = client.post("/api/v1/complaints", json=valid_payload()).get_json()
    encoded = body["number"].replace("/", "%2F")
    code = body["access_code"]
    response = client.get(f"/api/v1/complaints/{encoded}?code={code}")
    assert response.status_code == 200
    assert set(response.get_json()) >= {
        "number", "status", "registered_at", "first_response_due", "category", "subject"
    }
    assert client.get(f"/complaints/{encoded}/receipt.pdf?code={code}").status_code == 200


def test_a_wrong_code_looks_exactly_like_an_unknown_number(client):
    body = client.post("/api/v1/complaints", json=valid_payload()).get_json()
    slug = body["number"].replace("/", "-")
    wrong = client.get(f"/api/v1/complaints/{slug}?code=AAAABBBBCCCC")
    missing = client.get(f"/api/v1/complaints/1999-000042?code={body['access_code']}")
    no_code = client.get(f"/api/v1/complaints/{slug}")
    assert wrong.status_code == missing.status_code == no_code.status_code == 404
    assert wrong.get_json() == missing.get_json()
    assert client.get(f"/complaints/{slug}/receipt.pdf?code=AAAABBBBCCCC").status_code == 404


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"full_name": ""}, "full_name"),
        ({"full_name": "x" * 201}, "full_name"),
        ({"email": "not-an-address"}, "email"),
        ({"phone": "12"}, "phone"),
        ({"email": None, "phone": None}, "email"),
        ({"category": "casino"}, "category"),
        ({"subject": "   "}, "subject"),
        ({"description": "short"}, "description"),
        ({"description": "x" * 10001}, "description"),
        ({"desired_outcome": ""}, "desired_outcome"),
        ({"language": "de"}, "language"),
        ({"signature": ""}, "signature"),
        ({"signature": "Somebody Else"}, "signature"),
        ({"declaration": False}, "declaration"),
        ({"declaration": "yes"}, "declaration"),
        ({"subject": 42}, "subject"),
        ({"surprise": "field"}, "surprise"),
    ],
)
def test_invalid_input_is_refused_field_by_field_and_stores_nothing(client, app, changes, field):
    response = client.post("/api/v1/complaints", json=valid_payload(**changes))
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert field in errors and all(isinstance(m, str) and m for m in errors[field])
    assert _count(app) == 0
    with app.app_context():  # no number was taken either
        assert db.session.scalar(select(func.coalesce(func.max(NumberCounter.last_value), 0))) == 0


@pytest.mark.parametrize("body", [b"", b"[1, 2]", b'"text"'])  # not JSON at all: 400 (test_hostile_input.py)
def test_a_body_that_is_not_a_json_object_gets_422(client, body):
    response = client.post("/api/v1/complaints", data=body, content_type="application/json")
    assert response.status_code == 422
    assert "body" in response.get_json()["errors"]


def test_a_repeated_idempotency_key_returns_the_first_registration(client, app):
    headers = {"Idempotency-Key": "chatbot-conversation-1234"}
    first = client.post("/api/v1/complaints", json=valid_payload(), headers=headers)
    second = client.post("/api/v1/complaints", json=valid_payload(), headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.get_json() == first.get_json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert _count(app) == 1
    other = client.post("/api/v1/complaints", json=valid_payload(), headers={"Idempotency-Key": "other"})
    assert other.get_json()["number"].endswith("000002")


def test_an_idempotency_key_reused_for_different_content_is_refused_with_409(client, app):
    headers = {"Idempotency-Key": "k-1"}
    client.post("/api/v1/complaints", json=valid_payload(), headers=headers)
    response = client.post(
        "/api/v1/complaints", json=valid_payload(subject="A different complaint"), headers=headers
    )
    assert response.status_code == 409  # a conflict with the first registration, as documented
    assert "Idempotency-Key" in response.get_json()["errors"]
    assert _count(app) == 1


def test_contact_details_are_stored_normalised(client, app):
    client.post(
        "/api/v1/complaints",
        json=valid_payload(email="Ana@Example.MD", phone="069 123 456"),
    )
    with app.app_context():
        complaint = db.session.scalar(select(Complaint))
        assert complaint.phone == "+37369123456"
        assert complaint.email == "Ana@example.md"


def test_unknown_api_paths_answer_in_json(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404 and response.is_json

"""No cache keeps personal data: every answer but the few that show nobody's data says
`Cache-Control: no-store`, found by walking the whole URL map (as tests/test_route_access.py
does) as an administrator, with a staff API token, and anonymously with the complainant's code."""

from __future__ import annotations

import pytest
import test_route_access as access
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.auth.models import User
from app.auth.tokens import create_token
from app.database import commit_with_retry
from app.extensions import db
from app.serving.headers import CACHEABLE_GET_ENDPOINTS

records = access.records  # the fixture: a complaint with an attachment, a letter and a receipt print
Records = access.Records


def _endpoint(app: Flask, rule: str) -> str:
    return next(r.endpoint for r in app.url_map.iter_rules() if r.rule == rule)


@pytest.mark.parametrize("who", ["anonymous", "admin"])
def test_every_answer_showing_personal_data_says_no_store(app: Flask, client: FlaskClient, login, records: Records,
                                                          who: str):
    headers = {}
    if who == "admin":
        login(client, "administrator", username="cache-admin", tier=3)
        with app.app_context():
            user = db.session.scalar(select(User).where(User.username == "cache-admin"))
            headers = {"Authorization": f"Bearer {commit_with_retry(lambda: create_token(user, 'cache').secret)}"}
    wrong, private_answers = [], 0
    for rule, method, url in access._requests(app, records):
        if rule in access.LAST and who == "anonymous":
            continue
        response = client.open(url, method=method, headers=headers)
        cacheable = method == "GET" and _endpoint(app, rule) in CACHEABLE_GET_ENDPOINTS
        cache_control = response.headers.get("Cache-Control", "")
        response.close()
        if cacheable:
            if "no-store" in cache_control:
                wrong.append(f"{method} {url}: shows no personal data but says {cache_control!r}")
        else:
            private_answers += 1
            if "no-store" not in cache_control or response.headers.get("Pragma") != "no-cache":
                wrong.append(f"{method} {url} (HTTP {response.status_code}): Cache-Control {cache_control!r}")
    assert wrong == [], f"as {who}:\n" + "\n".join(wrong)
    assert private_answers >= len(access.ROUTES) - len(CACHEABLE_GET_ENDPOINTS) - 1


def test_the_pages_a_complainant_reaches_with_the_code_are_not_stored(client: FlaskClient, records: Records):
    code, reference = records.code, records.values["reference"]
    for url in (f"/complaints/{reference}/confirmation?code={code}", f"/complaints/{reference}/receipt.pdf?code={code}",
                f"/track/{reference}?code={code}", f"/track?number={reference}&code={code}",
                f"/api/v1/complaints/{reference}?code={code}"):
        response = client.get(url)
        assert response.status_code in (200, 302, 303), url
        assert response.headers["Cache-Control"] == "no-store", url


def test_the_public_form_after_a_refused_post_is_not_stored_but_the_empty_form_may_be(client: FlaskClient):
    assert "no-store" not in client.get("/complaints/new").headers.get("Cache-Control", "")
    refused = client.post("/complaints/new", data={"full_name": "Ana"})
    assert refused.status_code in (200, 422) and refused.headers["Cache-Control"] == "no-store"

"""Cross-cutting protections: CSRF on every form, the health check."""

from __future__ import annotations

import pytest

#: POST routes that are not browser forms: the JSON API authenticates nothing by cookie.
NOT_FORMS = ("api.",)


def test_every_form_posted_without_a_csrf_token_is_refused(make_app, make_user):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    make_user("mihai", "administrator", tier=3)
    with client.session_transaction() as session:  # a signed-in staff member, to get past @requires
        session["_user_id"] = "1"
        session["_fresh"] = True
    posts = [rule for rule in app.url_map.iter_rules()
             if "POST" in rule.methods and not rule.endpoint.startswith(NOT_FORMS)]
    assert len(posts) > 10
    for rule in posts:
        url = rule.build({name: "1" if name.endswith("_id") else "2026-000001" for name in rule.arguments}
                         | ({"name": "reply"} if "name" in rule.arguments else {}), append_unknown=False)[1]
        response = client.post(url, data={"anything": "x"})
        assert response.status_code == 400, f"{rule.rule} accepted a post without a CSRF token"
        assert "This form has expired" in response.get_data(as_text=True), rule.rule


def test_health_answers_ok_when_the_database_does(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_health_answers_503_when_the_database_is_gone(app, make_app):  # `app` first: it cleans up
    app = make_app(SQLALCHEMY_DATABASE_URI="postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")
    response = app.test_client().get("/health")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"


@pytest.mark.parametrize("path", ["/", "/track", "/verify", "/staff/login"])
def test_pages_send_strict_security_headers(client, path):
    headers = client.get(path).headers
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"

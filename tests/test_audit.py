"""Administrators browse and filter the audit trail."""

from __future__ import annotations


def test_the_audit_trail_lists_events_newest_first_and_filters_them(app, client, login, make_user):
    make_user("irina", "clerk")
    app.test_client().post("/staff/login", data={"username": "irina", "password": "wrong password!"})
    login(client, "administrator", "ana")
    page = client.get("/staff/audit/").get_data(as_text=True)
    assert page.index("<td>Signed in</td>") < page.index("<td>Failed sign-in</td>")  # newest first
    failed = client.get("/staff/audit/?action=login_failed").get_data(as_text=True)
    assert "irina" in failed and "<td>Signed in</td>" not in failed
    by_user = client.get("/staff/audit/?username=ana").get_data(as_text=True)
    assert "<td>Failed sign-in</td>" not in by_user and "<td>Signed in</td>" in by_user


def test_the_audit_trail_pages_by_id(app, client, login, monkeypatch):
    from app.audit import routes

    monkeypatch.setattr(routes, "PAGE_SIZE", 2)
    stranger = app.test_client()
    for name in ("x1", "x2", "x3"):
        stranger.post("/staff/login", data={"username": name, "password": "y"})
    login(client, "administrator", "ana")
    def user_cell(name: str) -> str:  # the user column's markup, not a stray match in a CSRF token
        return f'<span class="muted">{name}</span>'

    first = client.get("/staff/audit/?action=login_failed").get_data(as_text=True)
    assert user_cell("x3") in first and user_cell("x2") in first and user_cell("x1") not in first
    link = first.split('href="/staff/audit/?', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    second = client.get(f"/staff/audit/?{link}").get_data(as_text=True)
    assert user_cell("x1") in second and user_cell("x3") not in second and "Older events" not in second

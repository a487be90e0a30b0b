"""Administrators browse and filter the audit trail."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

from app.audit.models import AuditAction
from app.audit.service import record
from app.clock import frozen_clock
from app.extensions import db


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


def _details_cells(page: str) -> list[str]:
    """Each event's details cell as text lines ("label: value"), newest first."""
    cells = re.findall(r'<td class="details">(.*?)</td>', page, re.S)
    return [" | ".join(" ".join(html.unescape(re.sub(r"<[^>]+>", " ", line)).split())
                       for line in re.findall(r"<div>(.*?)</div>", cell, re.S)) for cell in cells]


def test_the_details_are_label_and_value_lines_in_the_readers_language_never_raw_json(app, client, login):
    with app.test_request_context(), frozen_clock(datetime(2026, 11, 23, 8, 0, tzinfo=UTC)):
        record(AuditAction.FORBIDDEN, username="irina", target="/staff/audit/", details={"needs": "view_audit"})
        record(AuditAction.OWN_SETTINGS_CHANGED, username="irina", details={"language": {"from": "en", "to": "ru"}})
        record(AuditAction.ACCOUNT_LOCKED, target="irina", details={
            "until": "2026-11-23T08:15:00+00:00", "failures": 1200, "addresses": 7})
        record(AuditAction.EXPORT, target="registry journal",
               details={"format": "csv", "filters": {"category": "payments", "channel": "post", "year": "2026"}})
        record(AuditAction.CORRECTION, target="2026/000001", details={"fields": ["category", "full_name"]})
        record(AuditAction.RECEIPT_REPRINT, target="2026/000001", details={"reprint": 2, "language": "uk"})
        record(AuditAction.USER_DEACTIVATED, target="irina", details={"via": "cli", "sessions_ended": 0,
                                                                      "something_new": [1, 2]})
        db.session.commit()
    login(client, "administrator", "ana", language="ro")
    page = client.get("/staff/audit/").get_data(as_text=True)
    cells = _details_cells(page)[1:8][::-1]  # oldest first; ana's sign-in (no details) on top left out
    locked = cells.pop(2)
    assert cells == [
        "Permisiune necesară: Consultarea jurnalului de audit",
        "Limbă: English → Русский",
        "Filtre: Categorie: Plăți și retrageri; Canal: Poștă; An: 2026 | Format: CSV",
        "Câmpuri corectate: Categorie, Nume complet",
        "Limbă: Українська | Exemplar: Duplicat 2",
        "Sesiuni închise: 0 | something_new: [1, 2] | Prin: linia de comandă",  # unknown: as stored
    ]
    # the moment is written as the page writes moments (10:15 in Chișinău), the counts the Romanian way
    assert re.fullmatch(r"Adrese: 7 \| Autentificări eșuate: 1\.200 \| Blocat până la: \S.*10:15", locked), locked
    assert "{" not in " ".join(cells[:5]) and '"' not in " ".join(cells)


def test_each_export_is_named_for_what_it_exported(app, client, login):
    with app.test_request_context():
        record(AuditAction.EXPORT, username="ana", target="registry journal", details={"format": "pdf"})
        record(AuditAction.MONTHLY_REPORT, username="ana", target="monthly report 2026-11", details={"format": "pdf"})
        record(AuditAction.FIGURES_EXPORT, username="ana", target="dashboard: all tables", details={"format": "xlsx"})
        db.session.commit()
    login(client, "administrator", "ana")
    page = client.get("/staff/audit/").get_data(as_text=True)
    rows = {target: action for action, target in re.findall(r"<td>([^<]+)</td><td>([^<]*)</td><td class=\"details\">",
                                                            page)}
    assert rows["registry journal"] == "Exported the journal"
    assert rows["monthly report 2026-11"] == "Generated the monthly report"
    assert rows["dashboard: all tables"] == "Exported the dashboard figures"

"""Every role's main pages and the public pages fit the screen: at 1280, 1024 and 390 px wide
nothing overflows sideways (a wide table scrolls in its own box, with its title and CSV link in
view, and the queue's deadlines and time left are never scrolled out of it), the staff menu keeps
to one row (on a phone: one "Menu" row that opens without script), and the access code stays in
one piece.

One server and one Chromium for all of it. The screenshots go to <artifacts>/layout/<width>/
<who>-<page>.png for people to look at (test-artifacts/ is git-ignored). Skipped like
tests/test_browser.py when Chromium or Playwright is missing (a failure under REQUIRE_BROWSER=1).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask

from _cases import act
from _support import valid_payload
from app.clock import frozen_clock
from app.complaints.access import find_by_reference
from app.intake.links import confirmation_url
from app.workflow import operations as ops
from test_browser import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, _sync_playwright

pytestmark = pytest.mark.browser

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
WIDTHS = (1280, 1024, 390)
PHONE = 390

#: username -> (role, tier, full name): one account of every kind the demo has.
STAFF = {
    "clerk": ("clerk", None, "Irina Grosu-Munteanu"),
    "officer": ("officer", 1, "Olga Rusu"),
    "specialist": ("officer", 2, "Sergiu Popa"),
    "manager": ("manager", 3, "Mihai Ciobanu"),
    "admin": ("administrator", None, "Ecaterina Andronachi-Vasilescu"),
}
#: Pages the menu does not link to, walked as well (the case page is added for everyone).
EXTRA_PAGES = {
    "clerk": ["/staff/settings"],
    "officer": ["/staff/settings"],
    "specialist": [],
    "manager": ["/staff/settings"],
    "admin": ["/staff/audit/", "/admin/categories", "/admin/tiers", "/admin/clocks", "/admin/organisation",
              "/admin/numbering", "/admin/notifications", "/admin/accounts", "/admin/webhooks", "/staff/tokens"],
}
#: The fewest menu sections each role must be offered (the walk follows what the menu shows).
MENU_AT_LEAST = {"clerk": 3, "officer": 3, "specialist": 3, "manager": 7, "admin": 8}
#: The longest menu (an administrator's) in the languages whose words are longest: its home page.
ADMIN_LANGUAGES = ("ro", "ru", "uk")

SECTIONS = ".site-header nav.sections a"
ACCOUNT = ".site-header .account a, .site-header .account button"
MENU_BUTTON = ".site-header details.site-menu > summary"

OVERFLOW = """() => {
  const root = document.documentElement;
  const wide = [...document.body.querySelectorAll('*')].filter(e => {
    const box = e.getBoundingClientRect();
    return box.width > 0 && box.right > root.clientWidth + 0.5 && getComputedStyle(e).position !== 'fixed'
      && !e.closest('.scroll, .figure-tables > *');
  }).slice(0, 3).map(e => e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).split(' ')[0] : '')
                         + ' right=' + Math.round(e.getBoundingClientRect().right));
  // A table's title and its CSV link stay in the window even where the table itself scrolls,
  // and so does what the queue is for: each complaint's deadline and the time left.
  const cut = [...document.body.querySelectorAll('.table-title, a.csv, table.queue td.deadline, table.queue td.due')].filter(e => {
    const box = e.getBoundingClientRect();
    return box.width > 0 && box.right > root.clientWidth + 0.5;
  }).slice(0, 3).map(e => (e.textContent || '').trim().slice(0, 60) + ' right=' + Math.round(e.getBoundingClientRect().right));
  return {scroll: root.scrollWidth, client: root.clientWidth, wide, cut};
}"""
#: How many rows the visible items take: a new row starts with an item below the bottom of the first.
ROWS = """(nodes) => {
  const boxes = nodes.filter(n => n.getClientRects().length).map(n => n.getBoundingClientRect());
  return boxes.length ? 1 + boxes.filter(b => b.top >= Math.min(...boxes.map(a => a.bottom))).length : 0;
}"""


def _name(path: str) -> str:
    """A file name for a page: '/staff/complaints/new' -> 'staff-complaints-new'."""
    return re.sub(r"[^a-z0-9]+", "-", urlsplit(path).path.lower()).strip("-") or "home"


def test_every_page_of_every_role_fits_1280_1024_and_390_px_without_a_wrapped_menu(
    csrf_app: Flask, live_server: str, make_user: Callable[..., int], artifacts_dir: Path
) -> None:
    sync_playwright = _sync_playwright()
    from playwright.sync_api import expect

    users = {name: make_user(name, role, tier=tier, full_name=full, email=f"{name}@example.md")
             for name, (role, tier, full) in STAFF.items()}
    for language in ADMIN_LANGUAGES:
        make_user(f"admin-{language}", "administrator", full_name=STAFF["admin"][2], language=language)
    runner = csrf_app.test_cli_runner()
    with frozen_clock(NOW):
        seeded = runner.invoke(args=["registry", "seed-demo", "--count", "40", "--days", "40", "--seed", "3"])
    assert seeded.exit_code == 0, seeded.output
    api = csrf_app.test_client()
    with frozen_clock(NOW):
        filed = api.post("/api/v1/complaints", json=valid_payload(
            full_name="Ana-Maria Ștefănescu-Țurcanu", signature="Ana-Maria Ștefănescu-Țurcanu",
            subject="Retragerea de 500 MDL nu a ajuns pe card după trei săptămâni de așteptare"))
    assert filed.status_code == 201, filed.get_data(as_text=True)
    body = filed.get_json()
    number, code, fingerprint = body["number"], body["access_code"], body["fingerprint"]
    act(csrf_app, number, ops.take_complaint, by=users["officer"], at=NOW)
    act(csrf_app, number, ops.respond, by=users["officer"], at=NOW,
        body="Bună ziua,\n\nretragerea a fost procesată astăzi; banii vor ajunge în 1–3 zile lucrătoare.")
    with csrf_app.test_request_context():
        complaint = find_by_reference(number)
        confirmation = confirmation_url(complaint)
        tracking = urlsplit(body["tracking_url"])
        case = f"/staff/complaints/{complaint.slug}"
    public_pages = {
        "form": "/",
        "confirmation": confirmation,
        "track-form": "/track",
        "tracking": f"{tracking.path}?{tracking.query}",
        "verify": f"/verify?number={number}&fingerprint={fingerprint}",
        "staff-login": "/staff/login",
        "not-found": "/track/2026-999999?code=WRONG",
    }

    problems: list[str] = []
    walked: dict[str, int] = {}
    with frozen_clock(NOW), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            for width in WIDTHS:
                shots = artifacts_dir / "layout" / str(width)
                shots.mkdir(parents=True, exist_ok=True)

                def look(page: Any, who: str, label: str, *, staff: bool, _shots: Path = shots,
                         _width: int = width) -> None:
                    """Check the page in view and save its picture."""
                    where = f"{_width} px, {who}, {label} ({urlsplit(page.url).path})"
                    page.screenshot(path=_shots / f"{who}-{label}.png", full_page=True)
                    fit = page.evaluate(OVERFLOW)
                    if fit["scroll"] > fit["client"]:
                        problems.append(f"{where}: {fit['scroll']} px wide in a {fit['client']} px window; "
                                        f"too wide: {fit['wide']}")
                    if fit["cut"]:
                        problems.append(f"{where}: cut off by the window's edge: {fit['cut']}")
                    if not staff:
                        return
                    summary = page.locator(MENU_BUTTON)
                    if _width == PHONE:
                        if not summary.is_visible():
                            problems.append(f"{where}: no Menu button on a phone")
                        elif summary.bounding_box()["height"] > 48:
                            problems.append(f"{where}: the Menu button is not one row")
                        if page.locator(SECTIONS).first.is_visible():
                            problems.append(f"{where}: the menu is open before it is asked for")
                        return
                    if summary.is_visible():
                        problems.append(f"{where}: the menu is collapsed at {_width} px")
                    for group, selector in (("sections", SECTIONS), ("account", ACCOUNT)):
                        rows = page.locator(selector).evaluate_all(ROWS)
                        if rows != 1:
                            problems.append(f"{where}: the menu's {group} take {rows} rows")

                context = browser.new_context(locale="en-GB", viewport={"width": width, "height": 900})
                context.set_default_timeout(TIMEOUT_MS)
                expect.set_options(timeout=TIMEOUT_MS)
                try:
                    page = context.new_page()
                    page.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))
                    page.on("console", lambda m: problems.append(f"console: {m.text}")
                            if m.type == "error" and "404" not in m.text and "403" not in m.text else None)
                    for label, path in public_pages.items():
                        page.goto(live_server + path)
                        look(page, "public", label, staff=False)
                    page.goto(live_server + confirmation)
                    access_code = page.get_by_test_id("access-code")
                    expect(access_code).to_have_text(code)
                    box = access_code.bounding_box()
                    lines = access_code.evaluate("e => e.getClientRects().length")
                    if lines != 1 or box["x"] < 0 or box["x"] + box["width"] > width:
                        problems.append(f"{width} px: the access code is broken or cut: {lines} line(s), {box}")
                finally:
                    context.close()

                for who in [*STAFF, *(f"admin-{language}" for language in ADMIN_LANGUAGES)]:
                    context = browser.new_context(locale="en-GB", viewport={"width": width, "height": 900})
                    context.set_default_timeout(TIMEOUT_MS)
                    try:
                        page = context.new_page()
                        page.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))
                        page.goto(f"{live_server}/staff/login")
                        page.locator("#username").fill(who)
                        page.locator("#password").fill("correct horse 1")
                        page.locator("main button[type=submit]").click()
                        expect(page.locator(MENU_BUTTON)).to_have_count(1)
                        look(page, who, "home", staff=True)
                        if who not in STAFF:
                            continue
                        if width == PHONE:
                            page.locator(MENU_BUTTON).click()
                            expect(page.locator(SECTIONS).first).to_be_visible()
                            look(page, who, "menu-open", staff=False)
                            hidden = page.locator(f"{SECTIONS}, {ACCOUNT}").evaluate_all(
                                "(nodes) => nodes.filter(n => !n.getClientRects().length).length")
                            if hidden:
                                problems.append(f"{width} px, {who}: {hidden} menu item(s) hidden in the open menu")
                        hrefs = page.locator(SECTIONS).evaluate_all("(nodes) => nodes.map(n => n.pathname)")
                        if len(hrefs) < MENU_AT_LEAST[who]:
                            problems.append(f"{width} px, {who}: only {len(hrefs)} menu sections: {hrefs}")
                        for path in [*hrefs, case, *EXTRA_PAGES[who]]:
                            response = page.goto(live_server + path)
                            if response.status != 200:
                                problems.append(f"{width} px, {who}: {path} answered {response.status}")
                            look(page, who, "case" if path == case else _name(path), staff=True)
                        if who == "clerk":  # refused a manager's page: told so in the staff frame
                            response = page.goto(f"{live_server}/manage/")
                            assert response.status == 403
                            expect(page.get_by_role("link", name="Back to the staff desk")).to_be_visible()
                            look(page, who, "refused", staff=True)
                        walked[who] = walked.get(who, 0) + len(hrefs) + 1
                    finally:
                        context.close()
        finally:
            browser.close()

    assert set(walked) == set(STAFF)
    assert problems == [], "\n".join(problems)

"""A clerk joins a repeated complaint to the earlier one and links a related one on the case
page, in a real Chromium; the pages are photographed at desktop and phone width
(<artifacts>/browser/joins-*.png) and must not overflow sideways. Skipped like
tests/test_browser.py when Chromium or Playwright is missing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from test_browser_layout import OVERFLOW

from _support import valid_payload
from app.clock import frozen_clock
from test_browser import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, _sync_playwright

pytestmark = pytest.mark.browser

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)


def _file(app: Flask, at: datetime, **changes: str) -> str:
    with frozen_clock(at):
        response = app.test_client().post("/api/v1/complaints", json=valid_payload(**changes))
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["number"]


def test_a_clerk_joins_a_repeat_and_links_a_related_complaint_and_the_case_pages_show_both(
    csrf_app: Flask, live_server: str, make_user: Callable[..., int], artifacts_dir: Path
) -> None:
    sync_playwright = _sync_playwright()
    from playwright.sync_api import expect

    make_user("irina", "clerk", full_name="Irina Grosu-Munteanu")
    main = _file(csrf_app, NOW - timedelta(days=2))
    repeat = _file(csrf_app, NOW - timedelta(hours=3), subject="Retragerea de 500 MDL tot nu a ajuns")
    related = _file(csrf_app, NOW - timedelta(hours=2), full_name="Ion Popescu", signature="Ion Popescu",
                    email="ion.popescu@example.md", phone="+373 79 555 444",
                    subject="Cardul a fost refuzat în timpul întreruperii din 23 noiembrie")
    shots = artifacts_dir / "browser"
    shots.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    with frozen_clock(NOW), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
            context.set_default_timeout(TIMEOUT_MS)
            expect.set_options(timeout=TIMEOUT_MS)
            page = context.new_page()
            page.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))
            page.goto(f"{live_server}/staff/login")
            page.locator("#username").fill("irina")
            page.locator("#password").fill("correct horse 1")
            page.locator("main button[type=submit]").click()

            page.goto(f"{live_server}/staff/complaints/{repeat}")
            join = page.get_by_test_id("form-join")
            join.locator("xpath=..").locator("summary").click()
            join.get_by_label("Number of the earlier complaint").fill(main)
            join.get_by_label("Why it repeats that complaint (kept on the record)").fill(
                "The same withdrawal of 500 MDL, filed again from the web form")
            join.get_by_role("button", name="Join").click()
            expect(page.get_by_test_id("joined-banner")).to_contain_text(f"Joined to {main}")
            expect(page.get_by_test_id("form-join")).to_have_count(0)

            page.get_by_test_id("joined-to").get_by_role("link", name=main).click()
            expect(page.get_by_test_id("joined-here")).to_contain_text(repeat)
            link = page.get_by_test_id("form-link")
            link.locator("xpath=..").locator("summary").click()
            link.get_by_label("Number of the related complaint").fill(related)
            link.get_by_label("How they are related").fill("The same card outage of 23 November")
            link.get_by_role("button", name="Link", exact=True).click()
            expect(page.get_by_test_id("related")).to_contain_text(related)
            expect(page.get_by_test_id("related")).to_contain_text("The same card outage of 23 November")

            for width, label in ((1280, "desktop"), (390, "phone")):
                page.set_viewport_size({"width": width, "height": 900})
                for number, what in ((main, "main"), (repeat, "joined")):
                    page.goto(f"{live_server}/staff/complaints/{number}")
                    page.get_by_test_id("joins").scroll_into_view_if_needed()
                    page.screenshot(path=shots / f"joins-{what}-{label}.png", full_page=True)
                    fit = page.evaluate(OVERFLOW)
                    if fit["scroll"] > fit["client"]:
                        problems.append(f"{what} at {width} px: {fit['scroll']} px wide; too wide: {fit['wide']}")
            context.close()
        finally:
            browser.close()
    assert problems == []

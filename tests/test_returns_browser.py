"""The dashboard's outcome section and the returns page in a real headless Chromium, saved as
screenshots under <artifacts>/browser/ for people to look at (skipped like tests/test_browser.py
when Chromium or Playwright is missing)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask

from app.clock import frozen_clock
from test_browser import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, _sync_playwright

pytestmark = pytest.mark.browser

NOW = datetime(2026, 12, 4, 9, tzinfo=UTC)


def test_the_dashboard_shows_the_outcomes_and_the_returns_page_its_figures(
    csrf_app: Flask, live_server: str, make_user: Callable[..., int], artifacts_dir: Path
) -> None:
    sync_playwright = _sync_playwright()
    from playwright.sync_api import expect

    shots = artifacts_dir / "browser"
    shots.mkdir(parents=True, exist_ok=True)
    make_user("mihai", "manager", tier=3, full_name="Mihai Ciobanu")
    with frozen_clock(NOW), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(locale="ro-RO", viewport={"width": 1280, "height": 900})
            context.set_default_timeout(TIMEOUT_MS)
            expect.set_options(timeout=TIMEOUT_MS)
            page = context.new_page()
            page.goto(f"{live_server}/staff/login")
            page.locator("#username").fill("mihai")
            page.locator("#password").fill("correct horse 1")
            page.locator("#password").press("Enter")
            page.wait_for_url("**/staff/**")
            page.goto(f"{live_server}/manage/?date_from=2026-11-01&date_to=2026-11-30")
            expect(page.locator("#table-outcomes")).to_be_visible()
            page.locator("#outcomes").scroll_into_view_if_needed()
            page.screenshot(path=shots / "dashboard-outcomes.png", full_page=True)
            page.goto(f"{live_server}/manage/returns?kind=ukgc&date_from=2026-11-01&date_to=2026-11-30")
            expect(page.locator("#table-return")).to_be_visible()
            page.screenshot(path=shots / "returns-page.png", full_page=True)
        finally:
            browser.close()

"""Staff administration in a real headless Chromium: an administrator deactivates an officer,
whose open session stops at once (the next page is the sign-in) and whose API token is refused,
and moves another officer to another tier.

Skipped like tests/test_browser.py when Chromium or Playwright is missing (a failure under
REQUIRE_BROWSER=1). Screenshots at desktop and phone width are saved under <artifacts>/browser/.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from app.auth.models import User
from app.auth.tokens import create_token
from app.database import commit_with_retry
from app.extensions import db
from test_browser import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, _sync_playwright

pytestmark = pytest.mark.browser

PASSWORD = "correct horse 1"  # noqa: S105  (the fixtures' test password)


def test_an_administrator_deactivates_an_officer_whose_session_and_token_stop_at_once_and_moves_another_to_a_tier(
    csrf_app: Flask, live_server: str, make_user: Callable[..., int], artifacts_dir: Path
) -> None:
    sync_playwright = _sync_playwright()
    from playwright.sync_api import expect

    shots = artifacts_dir / "browser"
    shots.mkdir(parents=True, exist_ok=True)
    make_user("ada", "administrator", full_name="Ana Administrator")
    olga = make_user("olga", "officer", tier=1, full_name="Olga Rusu")
    petru = make_user("petru", "officer", tier=1, full_name="Petru Ceban")
    with csrf_app.app_context():
        secret = commit_with_retry(lambda: create_token(db.session.get(User, olga), "call centre").secret)
    bearer = {"Authorization": f"Bearer {secret}"}

    def sign_in(page, username: str) -> None:
        page.goto(f"{live_server}/staff/login")
        page.locator("#username").fill(username)
        page.locator("#password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.locator("h1")).not_to_have_text("Staff sign-in")

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            admin = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
            officer = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
            phone = browser.new_context(locale="en-GB", viewport={"width": 390, "height": 844}, is_mobile=True)
            for context in (admin, officer, phone):
                context.set_default_timeout(TIMEOUT_MS)
            expect.set_options(timeout=TIMEOUT_MS)
            try:
                olga_page = officer.new_page()
                sign_in(olga_page, "olga")
                olga_page.goto(f"{live_server}/staff/queue")
                expect(olga_page.locator("h1")).to_have_text("Queue")
                assert officer.request.get(f"{live_server}/api/v1/staff/complaints", headers=bearer).status == 200

                page = admin.new_page()
                problems: list[str] = []
                page.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))
                page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
                        if m.type == "error" else None)
                sign_in(page, "ada")
                page.goto(f"{live_server}/admin/")
                page.get_by_role("link", name="Staff accounts", exact=True).first.click()
                expect(page.locator("h1")).to_have_text("Staff accounts")
                expect(page.get_by_test_id("staff-row")).to_have_count(3)
                page.screenshot(path=shots / "staff-01-list.png", full_page=True)

                page.get_by_role("link", name="olga", exact=True).click()
                expect(page.get_by_test_id("state")).to_have_text("active")
                page.screenshot(path=shots / "staff-02-account.png", full_page=True)
                page.get_by_role("button", name="Deactivate").click()
                expect(page.locator(".flash")).to_contain_text("olga is deactivated")
                expect(page.get_by_test_id("state")).to_have_text("deactivated")
                page.screenshot(path=shots / "staff-03-deactivated.png", full_page=True)

                # Olga's open page: her next request goes to sign in; her token is refused.
                olga_page.reload()
                expect(olga_page.locator("h1")).to_have_text("Staff sign-in")
                assert "/staff/login" in olga_page.url
                assert officer.request.get(f"{live_server}/api/v1/staff/complaints", headers=bearer).status == 401

                # Petru moves to tier 2.
                page.goto(f"{live_server}/admin/staff/")
                page.get_by_role("link", name="petru", exact=True).click()
                page.get_by_label("Tier").select_option("2")
                page.get_by_role("button", name="Save role and tier").click()
                expect(page.locator(".flash")).to_contain_text("petru: role and tier saved.")
                expect(page.get_by_label("Tier")).to_have_value("2")
                with csrf_app.app_context():
                    moved = db.session.scalar(select(User).where(User.id == petru))
                    assert (moved.tier, moved.role.value) == (2, "officer")
                assert problems == []

                small = phone.new_page()
                sign_in(small, "ada")
                small.goto(f"{live_server}/admin/staff/")
                small.screenshot(path=shots / "staff-04-list-phone.png", full_page=True)
                small.goto(f"{live_server}/admin/staff/{petru}")
                width = small.evaluate("document.documentElement.scrollWidth")
                assert width <= 390, f"the account page is {width} px wide on a phone"
                small.screenshot(path=shots / "staff-05-account-phone.png", full_page=True)
            finally:
                for context in (admin, officer, phone):
                    context.close()
        finally:
            browser.close()

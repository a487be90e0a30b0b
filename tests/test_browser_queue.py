"""The staff queue in a real headless Chromium: countdown.js fills and updates the countdowns.

Skipped like tests/test_browser.py when Chromium or Playwright is missing (a failure under
REQUIRE_BROWSER=1). Screenshots are saved under <artifacts>/browser/ for people to look at.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import update

from _support import valid_payload
from app.clock import frozen_clock
from app.complaints.models import Complaint, ComplaintStatus
from app.extensions import db
from test_browser import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, _sync_playwright

pytestmark = pytest.mark.browser

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def test_the_queue_countdowns_are_filled_and_move_on_without_a_reload(
    csrf_app: Flask, live_server: str, make_user: Callable[..., int], artifacts_dir: Path
) -> None:
    sync_playwright = _sync_playwright()
    from playwright.sync_api import expect

    shots = artifacts_dir / "browser"
    shots.mkdir(parents=True, exist_ok=True)
    officer = make_user("olga", "officer", tier=1, full_name="Olga Rusu")
    api = csrf_app.test_client()

    def file(hours_ago: float, **changes: str) -> str:
        with frozen_clock(NOW - timedelta(hours=hours_ago)):
            response = api.post("/api/v1/complaints", json=valid_payload(**changes))
        assert response.status_code == 201, response.get_data(as_text=True)
        return response.get_json()["number"]

    overdue = file(25.5, subject="Câștigul nu a fost plătit")
    turning_overdue = file(23 + 50 / 60, subject="Contul blocat fără explicație", category="account")
    turning_due_soon = file(17 + 55 / 60, subject="Bonusul de bun venit lipsește", category="bonuses")
    taken = file(2, subject="Aplicația se închide la pariurile live", category="technical")
    with csrf_app.app_context():
        db.session.execute(
            update(Complaint).where(Complaint.number == overdue)
            .values(first_response_breached_at=NOW - timedelta(hours=1.5))
        )
        db.session.execute(
            update(Complaint).where(Complaint.number == taken)
            .values(status=ComplaintStatus.IN_PROGRESS, owner_id=officer)
        )
        db.session.commit()

    def row(number: str) -> Any:  # a Playwright locator
        return page.locator("tr", has=page.get_by_role("link", name=number, exact=True))

    with frozen_clock(NOW), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
            context.set_default_timeout(TIMEOUT_MS)
            expect.set_options(timeout=TIMEOUT_MS)
            page = context.new_page()
            problems: list[str] = []
            page.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))
            # Console errors include Content-Security-Policy violations (an inline script would be one).
            page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
            # The browser's own clock is years away from the server's frozen one: the script must count
            # by the server's. Timers are faked so the test can move the page 25 minutes on.
            page.clock.install(time=datetime(2031, 7, 1, 12, 0, tzinfo=UTC))
            # Paused, so no millisecond passes between the script's reading of the clock and its
            # first count (a flowing clock made "in 10 min" read "in 9 min" on a busy machine).
            page.clock.pause_at(datetime(2031, 7, 1, 12, 1, tzinfo=UTC))
            try:
                page.goto(f"{live_server}/staff/login")
                page.locator("#username").fill("olga")
                page.locator("#password").fill("correct horse 1")
                page.get_by_role("button", name="Sign in").click()
                page.get_by_role("link", name="Queue", exact=True).click()
                expect(page.locator("h1")).to_have_text("Queue")

                table = page.locator("table.queue")
                # The script ran, by the server's clock (a millisecond may pass between two reads).
                expect(table).to_have_attribute("data-updated", re.compile(r"^2026-03-02T10:00:00\.\d{3}Z$"))
                expect(row(overdue)).to_have_class("overdue")
                expect(row(overdue).locator(".countdown")).to_have_text("overdue by 1 h 30 min")
                expect(row(overdue)).to_contain_text("First response was late")
                expect(row(turning_overdue)).to_have_class("due-soon")
                expect(row(turning_overdue).locator(".countdown")).to_have_text("in 10 min")
                expect(row(turning_due_soon)).to_have_class("")
                expect(row(turning_due_soon).locator(".countdown")).to_have_text("in 6 h 5 min")
                expect(row(taken)).to_contain_text("Olga Rusu")
                expect(page.get_by_test_id("count-overdue")).to_have_text("1")
                expect(page.get_by_test_id("count-due-soon")).to_have_text("1")
                expect(page.get_by_test_id("count-total")).to_have_text("4")
                page.screenshot(path=shots / "queue-01.png", full_page=True)

                # Twenty-five minutes on, without a reload: the 30-second timer has recounted.
                page.clock.run_for("25:00")
                expect(row(turning_overdue)).to_have_class("overdue")
                expect(row(turning_overdue).locator(".due-label")).to_have_text("Overdue")
                expect(row(turning_overdue).locator(".countdown")).to_have_text("overdue by 15 min")
                expect(row(turning_due_soon)).to_have_class("due-soon")
                expect(row(turning_due_soon).locator(".due-label")).to_have_text("Due soon")
                expect(row(turning_due_soon).locator(".countdown")).to_have_text("in 5 h 40 min")
                expect(row(overdue).locator(".countdown")).to_have_text("overdue by 1 h 55 min")
                page.screenshot(path=shots / "queue-02-25-minutes-later.png", full_page=True)

                assert problems == []
            finally:
                context.close()
        finally:
            browser.close()

"""Management's bulk assignment in the queue, a review decision on the escalation desk and a move
to another tier from the case page, in a real headless Chromium, at desktop and phone width:
plain forms (the checkboxes name the bulk form), no script needed, nothing refused by the
Content-Security-Policy.

Skipped like tests/test_browser.py when Chromium or Playwright is missing (a failure under
REQUIRE_BROWSER=1). Screenshots are saved under <artifacts>/browser/desk-review/.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask

from _support import valid_payload
from app.auth.models import User
from app.clock import frozen_clock
from app.complaints.access import find_by_reference
from app.database import commit_with_retry
from app.extensions import db
from app.workflow import operations as ops
from test_browser import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, _sync_playwright

pytestmark = pytest.mark.browser

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def test_a_manager_assigns_two_complaints_at_once_and_reviews_an_escalation(
    csrf_app: Flask, live_server: str, make_user: Callable[..., int], artifacts_dir: Path
) -> None:
    sync_playwright = _sync_playwright()
    from playwright.sync_api import expect

    shots = artifacts_dir / "browser" / "desk-review"
    shots.mkdir(parents=True, exist_ok=True)
    make_user("mihai", "manager", tier=3, full_name="Mihai Ceban")
    sofia = make_user("sofia", "officer", tier=2, full_name="Sofia Lungu")
    make_user("olga", "officer", tier=1, full_name="Olga Rusu")
    api = csrf_app.test_client()

    def file(hours_ago: float, **changes: str) -> str:
        with frozen_clock(NOW - timedelta(hours=hours_ago)):
            response = api.post("/api/v1/complaints", json=valid_payload(**changes))
        assert response.status_code == 201, response.get_data(as_text=True)
        return response.get_json()["number"]

    first = file(5, subject="Câștigul nu a fost plătit")
    second = file(4, subject="Contul blocat fără explicație", category="account")
    file(3, subject="Bonusul de bun venit lipsește", category="bonuses")
    raised = file(6, subject="Retragerea a fost anulată de două ori")
    with csrf_app.app_context():
        for operation, at, kwargs in (
            (ops.take_complaint, 5.5, {}),
            (ops.escalate, 5, {"reason": "The payment provider must check it"}),
            (ops.escalate, 4.5, {"reason": "The refund needs a manager's approval"}),
        ):
            with frozen_clock(NOW - timedelta(hours=at)):
                complaint, user = find_by_reference(raised), db.session.get(User, sofia)
                commit_with_retry(lambda op=operation, c=complaint, u=user, kw=kwargs: op(c, by=u, **kw))

    with frozen_clock(NOW), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            for width, height, name in ((1280, 900, "desktop"), (390, 844, "phone")):
                context = browser.new_context(locale="en-GB", viewport={"width": width, "height": height})
                context.set_default_timeout(TIMEOUT_MS)
                expect.set_options(timeout=TIMEOUT_MS)
                page = context.new_page()
                problems: list[str] = []
                page.on("pageerror", lambda error, p=problems: p.append(f"JavaScript error: {error}"))
                # Console errors include CSP violations; the refused submit's 422 is meant.
                page.on("console", lambda m, p=problems: p.append(f"console {m.type}: {m.text}")
                        if m.type == "error" and "status of 422" not in m.text else None)
                try:
                    page.goto(f"{live_server}/staff/login")
                    page.locator("#username").fill("mihai")
                    page.locator("#password").fill("correct horse 1")
                    page.get_by_role("button", name="Sign in").click()
                    page.goto(f"{live_server}/staff/queue?show=all")
                    expect(page.locator("h1")).to_have_text("Queue")
                    if name == "desktop":
                        # Submitted with nothing ticked: refused, nothing changed.
                        page.get_by_test_id("bulk-submit").click()
                        expect(page.get_by_test_id("bulk-selection")).to_have_text("Select at least one complaint.")
                        page.get_by_label(f"Select {first}").check()
                        page.get_by_label(f"Select {second}").check()
                        page.get_by_label("Officer").select_option(label="Sofia Lungu (tier 2)")
                        page.get_by_label("Reason or instruction").fill("Payment complaints go to Sofia this week.")
                        page.screenshot(path=shots / f"{name}-01-queue-ticked.png", full_page=True)
                        page.get_by_test_id("bulk-submit").click()
                        expect(page.locator(".flash").first).to_have_text(
                            f"Assigned to Sofia Lungu: {first}, {second}.")
                        for number in (first, second):
                            row = page.locator("tr", has=page.get_by_role("link", name=number, exact=True))
                            expect(row).to_contain_text("Sofia Lungu")
                    page.screenshot(path=shots / f"{name}-02-queue.png", full_page=True)

                    page.get_by_role("link", name="Escalations").first.click() if name == "desktop" else \
                        page.goto(f"{live_server}/manage/escalations/")
                    expect(page.locator("h1")).to_have_text("Escalation review desk")
                    row = page.locator("tr", has=page.get_by_role("link", name=raised, exact=True))
                    if name == "desktop":
                        row.get_by_role("link", name="Review").click()
                        expect(page.locator("h1")).to_have_text(f"Review {raised}")
                        page.get_by_label("Keep with the owner, with an instruction").check()
                        page.get_by_label("Instruction to the owner").fill(
                            "Approved: refund the fee and write to the complainant today.")
                        page.screenshot(path=shots / f"{name}-03-review.png", full_page=True)
                        page.get_by_test_id("record-review").click()
                        expect(page.locator("h1")).to_have_text("Escalation review desk")
                        row = page.locator("tr", has=page.get_by_role("link", name=raised, exact=True))
                        expect(row.get_by_test_id("desk-review")).to_contain_text("Reviewed")
                        expect(row.get_by_test_id("desk-review")).to_contain_text("Mihai Ceban")
                    else:
                        expect(row.get_by_test_id("desk-review")).to_contain_text("Reviewed")
                    page.screenshot(path=shots / f"{name}-04-desk.png", full_page=True)
                    page.goto(f"{live_server}/manage/escalations/{raised.replace('/', '-')}/review")
                    expect(page.get_by_test_id("standing-review")).to_contain_text("Keep with the owner")
                    page.screenshot(path=shots / f"{name}-05-review-page.png", full_page=True)
                    page.get_by_role("link", name="Open the case page").click()
                    expect(page.get_by_test_id("review-decision")).to_contain_text(
                        "Approved: refund the fee and write to the complainant today.")
                    page.get_by_test_id("review-decision").scroll_into_view_if_needed()
                    page.screenshot(path=shots / f"{name}-06-case.png")
                    if name == "desktop":
                        # Move one complaint to another tier from its case page: the reason is required.
                        page.goto(f"{live_server}/staff/complaints/{first.replace('/', '-')}")
                        page.get_by_text("Move to another tier (management)").click()
                        move = page.get_by_test_id("form-move")
                        move.get_by_label("Move to tier").select_option(label="2 · Specialist department")
                        move.get_by_role("button", name="Move").click()
                        move = page.get_by_test_id("form-move")
                        expect(move).to_contain_text("Give the reason.")
                        expect(move.get_by_label("Move to tier")).to_have_value("2")  # what was chosen, kept
                        move.get_by_label("Reason").fill("Payment disputes go to the specialists this week.")
                        move.get_by_role("button", name="Move").click()
                        expect(page.locator(".flash").first).to_have_text(f"{first} is moved to another tier.")
                        page.screenshot(path=shots / f"{name}-07-moved.png")
                    assert problems == []
                finally:
                    context.close()
        finally:
            browser.close()

"""Evidence at any time, in a real headless Chromium: a complainant replies from the tracking
page with a file before anyone took the complaint, and the officer sees and downloads it on the
case page. Skipped like tests/test_browser.py when Chromium or Playwright is missing; a failure
under REQUIRE_BROWSER=1 (CI)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from test_journeys import START, Journey, _complaint, _file_by_api, _sign_in, chromium  # noqa: F401

from app.clock import frozen_clock
from app.complaints.models import ComplaintStatus

pytestmark = pytest.mark.browser

STATEMENT = b"%PDF-1.4\n" + b"bank statement, November 2026 " * 20 + b"\n%%EOF\n"


@pytest.fixture
def journey(chromium: Any, artifacts_dir: Path) -> Iterator[Journey]:  # noqa: F811
    trip = Journey(chromium, artifacts_dir / "journeys" / "5-reply-with-evidence")
    try:
        yield trip
    finally:
        if not trip.closed:
            trip.context.close()


def test_a_complainant_replies_with_a_file_and_the_officer_sees_it(
    live_server: str, csrf_app: Flask, journey: Journey, make_user: Callable[..., int], tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    make_user("olga", "officer", tier=1, full_name="Olga Rusu", email="olga@example.md")
    number, tracking_url = _file_by_api(csrf_app, START, language="en")
    statement = tmp_path / "bank-statement.pdf"
    statement.write_bytes(STATEMENT)
    page = journey.page
    note = "Here is my bank statement showing the withdrawal."
    with frozen_clock(START + timedelta(hours=1)):  # nobody has taken it yet
        page.goto(live_server + tracking_url)
        expect(page.locator(".status")).to_have_text(ComplaintStatus.REGISTERED.title)
        journey.shot("tracking-registered")
        reply = page.get_by_test_id("form-reply")
        reply.locator("textarea").fill(note)
        reply.locator("input[type=file]").set_input_files(str(statement))
        reply.get_by_role("button", name="Send").click()
        expect(page.locator(".flash")).to_contain_text("Your message is registered")
        files = page.get_by_test_id("message-files")
        expect(files).to_contain_text("bank-statement.pdf")
        journey.shot("tracking-replied")
        downloaded = journey.download(lambda: files.get_by_role("link", name="bank-statement.pdf").click(),
                                      "complainant-copy.pdf")
        assert downloaded == STATEMENT
    assert _complaint(csrf_app, number).status == ComplaintStatus.REGISTERED

    with frozen_clock(START + timedelta(hours=2)):
        _sign_in(journey, live_server, "olga")
        page.goto(f"{live_server}/staff/complaints/{number.replace('/', '-')}")
        page.wait_for_url(re.compile(r"/staff/complaints/\d{4}-\d{6}"))
        message = page.get_by_test_id("message").filter(has_text=note)
        expect(message.get_by_test_id("message-files")).to_contain_text("bank-statement.pdf")
        expect(message).to_contain_text(hashlib.sha256(STATEMENT).hexdigest()[:16])
        journey.shot("case-with-evidence")
        downloaded = journey.download(lambda: message.get_by_role("link", name="bank-statement.pdf").click(),
                                      "officer-copy.pdf")
        assert downloaded == STATEMENT
    journey.finish()

"""A complainant without e-mail, end to end in a real headless Chromium: a clerk registers the
walk-in complaint and prints the receipt; the access code is read off the complainant's copy
(the bottom half of the page) with poppler's pdftotext; in a browser of their own the
complainant tracks the complaint with it, replies, and, once the officer has answered,
disputes the answer online.

Time is moved, never waited for (the live server's `now_utc()` follows `frozen_clock`).
Skipped like tests/test_journeys.py when Chromium, Playwright or poppler is missing.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from reportlab.lib.pagesizes import A4
from test_journeys import NUMBER, START, Journey, _complaint, _sign_in
from test_journeys import chromium as chromium  # the module's one browser, a fixture

from _cases import act
from app.clock import frozen_clock
from app.complaints.models import ComplaintStatus
from app.extensions import db
from app.registry.verify import verify_registry
from app.workflow import operations as ops

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler's pdftotext is not installed")

#: How an access code is printed: three groups of four, without 0/O or 1/I/L.
#: Three groups of four, not part of a longer run (a fingerprint has four groups and may use
#: the same letters and digits).
CODE = re.compile(r"(?<![-\w])[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}(?![-\w])")
WIDTH, HEIGHT = (round(v) for v in A4)


@pytest.fixture
def trips(chromium: Any, artifacts_dir: Path) -> Iterator[Callable[[str], Journey]]:
    """Journeys (each its own browser context: no shared cookies), closed at the end."""
    opened: list[Journey] = []

    def open_trip(name: str) -> Journey:
        trip = Journey(chromium, artifacts_dir / "journeys" / f"5-offline-{name}")
        opened.append(trip)
        return trip

    yield open_trip
    for trip in opened:
        if not trip.closed:
            trip.context.close()


def _half(pdf: bytes, *, top: bool) -> str:
    """The text of one copy: the top (the organisation's) or bottom (the complainant's) half."""
    crop = ["-x", "0", "-y", "0" if top else str(HEIGHT // 2), "-W", str(WIDTH), "-H", str(HEIGHT // 2)]
    return subprocess.run(["pdftotext", "-layout", "-r", "72", *crop, "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode()


def test_a_walk_in_complainant_without_e_mail_tracks_replies_and_disputes_with_the_code_from_the_receipt(
    live_server: str, csrf_app: Flask, trips: Callable[[str], Journey], make_user: Callable[..., int]
) -> None:
    from playwright.sync_api import expect

    make_user("irina", "clerk", full_name="Irina Clerk")
    olga = make_user("olga", "officer", tier=1, full_name="Olga Rusu", email="olga@example.md")

    # 1. The clerk registers the walk-in complaint (no e-mail) and prints the receipt.
    desk = trips("clerk")
    desk.context.add_init_script(  # headless Chromium has no print dialog: count the requests instead
        "window.print = function () { window.top.__printRequests = (window.top.__printRequests || 0) + 1; };")
    page = desk.page
    with frozen_clock(START):
        _sign_in(desk, live_server, "irina")
        page.get_by_role("link", name="Register", exact=True).click()
        page.locator("#channel").select_option("in_person")
        values = {"full_name": "Ion Ciobanu", "phone": "+373 69 000 111", "postal_address": "str. Independenței 3, Cahul",
                  "subject": "The cashier refused to pay my winnings", "signature": "Ion Ciobanu",
                  "description": "On 21 November the cashier in Cahul refused to pay out my ticket of 800 MDL.",
                  "desired_outcome": "Pay the 800 MDL."}
        for name, value in values.items():
            page.locator(f"#{name}").fill(value)
        page.locator("#category").select_option("payments")
        page.locator("#language").select_option("en")
        page.locator("#declaration").check()
        desk.shot("desk-form-filled")
        page.get_by_role("button", name="Register and give a number").click()
        page.wait_for_url(re.compile(r"/staff/complaints/\d{4}-\d{6}$"))
        number = page.locator("h1 .number").inner_text().strip()
        assert NUMBER.match(number), number
        desk.shot("case-page")
        with page.expect_popup() as popup:
            page.get_by_test_id("print-receipt").click()
        printing = popup.value
        printing.wait_for_url(re.compile(r"/prints/\d+$"))
        printing.wait_for_function("() => window.__printRequests === 1")
        desk.shot("print-page", printing)
        response = desk.context.request.get(live_server + printing.get_by_test_id("receipt-pdf").get_attribute("href"))
        assert response.status == 200
        receipt = response.body()
        (desk.folder / "receipt.pdf").write_bytes(receipt)
        printing.close()
    desk.finish()

    # 2. The access code, read off the complainant's copy; the organisation's copy has none.
    complainants_copy, organisations_copy = _half(receipt, top=False), _half(receipt, top=True)
    assert "Copy 2" in complainants_copy and "Copy 1" in organisations_copy
    codes = CODE.findall(complainants_copy)
    assert len(codes) == 1, complainants_copy
    assert CODE.search(organisations_copy) is None
    assert number in complainants_copy and f"{live_server}/track" in complainants_copy.replace("\n", "")
    code = codes[0]

    act(csrf_app, number, ops.take_complaint, by=olga, at=START + timedelta(hours=1))

    # 3. At home, in a browser of their own: track by number and code, and reply.
    home = trips("complainant")
    page = home.page
    with frozen_clock(START + timedelta(hours=2)):
        page.goto(f"{live_server}/track")
        home.shot("track-form")
        page.locator("#number").fill(number)
        page.locator("#code").fill(code)
        page.locator("form:has(#number)").get_by_role("button").click()
        page.wait_for_url(re.compile(r"/track/\d{4}-\d{6}\?code="))
        expect(page.locator("h1 .number")).to_have_text(number)
        home.shot("tracking")
        reply = page.get_by_test_id("form-reply")
        reply.locator("textarea").fill("The ticket number is 445-221; I still have the paper ticket.")
        reply.get_by_role("button", name="Send").click()
        expect(page.locator(".flash")).to_contain_text(number)
        home.shot("replied")

    act(csrf_app, number, ops.respond, by=olga, body="The ticket was paid on 21 November; see the cash register.",
        at=START + timedelta(hours=3))

    # 4. They read the answer and dispute it.
    with frozen_clock(START + timedelta(hours=4)):
        page.reload()
        expect(page.locator(".status")).to_have_text(ComplaintStatus.RESPONDED.title)
        expect(page.get_by_test_id("message").filter(has_text="cash register")).to_have_count(1)
        home.shot("answered")
        dispute = page.get_by_test_id("form-dispute")
        dispute.locator("textarea").fill("I was never paid; the cashier's record is wrong.")
        dispute.get_by_role("button", name="Send my objection").click()
        expect(page.locator(".status")).to_have_text(ComplaintStatus.REOPENED.title)
        home.shot("disputed")
    home.finish()

    complaint = _complaint(csrf_app, number)
    assert complaint.email is None and complaint.status == ComplaintStatus.REOPENED
    with csrf_app.app_context():
        report = verify_registry()
        assert report.ok, [str(p) for p in report.problems]
        db.session.remove()


def test_a_clerk_records_a_dispute_that_came_by_post_and_the_dashboard_counts_it(
    live_server: str, csrf_app: Flask, trips: Callable[[str], Journey], make_user: Callable[..., int]
) -> None:
    from playwright.sync_api import expect

    from _cases import T0
    from _support import valid_payload
    from app.complaints.models import Resolution

    make_user("irina", "clerk", full_name="Irina Clerk")
    make_user("maria", "manager", tier=3, full_name="Maria Manager", email="maria@example.md")
    olga = make_user("olga", "officer", tier=1, full_name="Olga Rusu", email="olga@example.md")
    with frozen_clock(T0):
        filed = csrf_app.test_client().post("/api/v1/complaints", json=valid_payload(email=None, language="en"))
    number = filed.get_json()["number"]
    act(csrf_app, number, ops.take_complaint, by=olga, at=T0 + timedelta(hours=1))
    act(csrf_app, number, ops.resolve, by=olga, resolution=Resolution.REJECTED, reasons="Paid on 21 November.",
        at=T0 + timedelta(hours=2))
    act(csrf_app, number, ops.close, by=olga, at=T0 + timedelta(hours=3))

    desk = trips("postal-dispute")
    page = desk.page
    with frozen_clock(T0 + timedelta(days=3)):
        _sign_in(desk, live_server, "irina")
        page.goto(f"{live_server}/staff/complaints/{number.replace('/', '-')}")
        desk.shot("case-closed")
        page.get_by_text("Record what the complainant sent by post, by phone or in person").click()
        form = page.get_by_test_id("form-record_received")
        form.locator("select[name='record_received-what']").select_option("dispute")
        form.locator("select[name='record_received-channel']").select_option("post")
        form.locator("input[name='record_received-received_on']").fill("2026-11-30")  # in the future
        form.locator("textarea").fill("Scrisoare: nu am primit banii.")
        form.get_by_role("button", name="Record it").click()
        expect(form.locator(".error")).to_contain_text("The date cannot be in the future.")
        expect(form.locator("textarea")).to_have_value("Scrisoare: nu am primit banii.")
        desk.shot("date-refused")
        form.locator("input[name='record_received-received_on']").fill("2026-11-25")
        form.get_by_role("button", name="Record it").click()
        expect(page.locator(".flash")).to_contain_text("is recorded")
        expect(page.get_by_test_id("received")).to_contain_text("Post")
        desk.shot("dispute-recorded")
        # The decision went to a complainant without e-mail: it waits in the tray until posted.
        page.get_by_role("link", name="To post", exact=True).click()
        expect(page.get_by_test_id("letter-to-post")).to_have_count(1)
        desk.shot("tray")
        page.get_by_role("button", name="Mark as posted").click()
        expect(page.get_by_test_id("to-post-empty")).to_be_visible()
        desk.shot("tray-empty")
        page.goto(f"{live_server}/staff/complaints/{number.replace('/', '-')}")
        expect(page.get_by_test_id("posted")).to_contain_text("posted on")
        desk.shot("case-letter-posted")
    expected = [p for p in desk.problems if "422" in p]  # the refused date: answered 422, as it should be
    assert len(expected) == 2, desk.problems
    desk.problems = [p for p in desk.problems if p not in expected]
    desk.finish()
    assert _complaint(csrf_app, number).status == ComplaintStatus.REOPENED

    manager = trips("postal-dispute-dashboard")
    with frozen_clock(T0 + timedelta(days=3)):
        _sign_in(manager, live_server, "maria")
        manager.page.get_by_role("link", name="Dashboard", exact=True).click()
        expect(manager.page.locator("main")).to_contain_text("1 of 1 answered")
        manager.shot("dashboard")
    manager.finish()

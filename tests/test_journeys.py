"""End-to-end journeys in a real headless Chromium against a real HTTP server.

1. A complainant files a complaint with evidence, sees the number, downloads the receipt, tracks it.
2. A clerk signs in, registers a walk-in complaint at the desk and prints its receipt.
3. The owner (an officer) takes and answers it before the deadline; the complainant sees the answer.
4. An unanswered complaint passes its deadline, the enforcement sweep escalates it, and a
   manager decides it from the escalation desk.

Time is moved, never waited for: each journey runs at a frozen moment (the live server's
`now_utc()` follows it), and the deadline sweep is the real `flask deadlines enforce --at`.
Every page visited is photographed into <artifacts>/journeys/<journey>/ (the test checks that
none was missed). After each journey the e-mails it caused are delivered and every link in
them is followed on the live server, by its addressee; each answers 200. Skipped like tests/test_browser.py when Chromium or Playwright is missing; a
failure under REQUIRE_BROWSER=1 (CI).
"""

from __future__ import annotations

import io
import re
import shutil
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
import requests
from flask import Flask
from pypdf import PdfReader
from sqlalchemy import select

from _support import valid_payload
from app.auth.models import User
from app.clock import frozen_clock, now_utc
from app.complaints.access import find_by_reference
from app.complaints.models import Complaint, ComplaintStatus, Resolution
from app.extensions import db
from app.mail.delivery import deliver_all_due
from test_browser import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, _sync_playwright, _tiny_png

if TYPE_CHECKING:
    from playwright.sync_api import Route

pytestmark = pytest.mark.browser

#: A Monday morning in Chișinău; each journey starts here and moves on from it.
START = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)
PASSWORD = "correct horse 1"  # make_user's
NUMBER = re.compile(r"^\d{4}/\d{6}$")
# The print page's receipt frame has loaded its PDF (the frame's document, not the blank one it starts with).
FRAME_LOADED = """() => {
  const frame = document.getElementById("receipt-frame");
  return frame.contentWindow.location.href !== "about:blank" && frame.contentDocument.readyState === "complete";
}"""


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """One browser for all journeys (each gets its own context: no shared cookies)."""
    sync_playwright = _sync_playwright()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


class Journey:
    """A browser tab that photographs every page it visits and collects what went wrong."""

    def __init__(self, browser: Any, folder: Path) -> None:
        from playwright.sync_api import expect

        expect.set_options(timeout=TIMEOUT_MS)
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.png"):
            old.unlink()
        self.context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900},
                                           accept_downloads=True)
        self.context.set_default_timeout(TIMEOUT_MS)
        self.context.set_default_navigation_timeout(TIMEOUT_MS)
        self.problems: list[str] = []
        self.visited: list[str] = []
        self.photographed: set[str] = set()
        self.shots = 0
        self.closed = False
        self.context.on("page", self._watch)  # every tab, pop-ups included
        self.page = self.open_page()

    def open_page(self) -> Any:
        return self.context.new_page()

    def _watch(self, page: Any) -> None:
        page.on("pageerror", lambda error: self.problems.append(f"JavaScript error: {error}"))
        # Console errors include Content-Security-Policy violations.
        page.on("console", lambda m: self.problems.append(f"console: {m.text}") if m.type == "error" else None)
        page.on("response", lambda r: self.problems.append(f"HTTP {r.status} for {r.request.method} {r.url}")
                if r.status >= 400 else None)
        page.on("framenavigated", lambda frame: self.visited.append(frame.url) if frame == frame.page.main_frame else None)

    def shot(self, name: str, page: Any = None) -> None:
        page = page or self.page
        page.wait_for_load_state()
        self.shots += 1
        path = self.folder / f"{self.shots:02d}-{name}.png"
        from playwright.sync_api import Error as PlaywrightError
        try:
            page.screenshot(path=path, full_page=True)
        except PlaywrightError as error:
            # Chromium now and then cannot capture a frame under a loaded machine's CI run
            # ("Unable to capture screenshot"); the page is there, so it is captured again once.
            if "Unable to capture screenshot" not in str(error):
                raise
            page.wait_for_timeout(250)
            page.screenshot(path=path, full_page=True)
        self.photographed.add(page.url)

    def download(self, click: Callable[[], None], name: str) -> bytes:
        with self.page.expect_download() as downloading:
            click()
        download = downloading.value
        assert download.failure() is None, download.failure()
        target = self.folder / name
        download.save_as(target)
        return target.read_bytes()

    def finish(self) -> None:
        self.context.close()
        self.closed = True
        pages = [u for u in self.visited if u.startswith("http") and not u.endswith(".pdf")]
        missed = sorted(set(pages) - self.photographed)
        assert missed == [], f"pages visited without a screenshot: {missed}"
        assert self.problems == []


#: Where each journey's screenshots go, under <artifacts>/journeys/.
FOLDERS = {
    "test_a_complainant_files_with_evidence_downloads_the_receipt_and_tracks_it": "1-complainant-files",
    "test_a_clerk_registers_a_walk_in_complaint_and_prints_the_receipt": "2-clerk-walk-in",
    "test_the_owner_answers_before_the_deadline_and_the_complainant_reads_it": "3-owner-answers",
    "test_an_unanswered_complaint_is_escalated_and_a_manager_decides_it": "4-escalated-and-decided",
}


@pytest.fixture(autouse=True)
def every_mail_link_opens(csrf_app: Flask, live_server: str) -> Iterator[None]:
    """After each journey, every e-mail it caused is delivered (to the outbox directory, as
    .eml files) and every link in every one is followed on the live server, as its recipient
    would: a complainant's link as is, a staff member's signed in as the addressee. Each must
    answer 200, and point at the address the registry is served on (PUBLIC_BASE_URL)."""
    csrf_app.config["PUBLIC_BASE_URL"] = f"{live_server}/"
    outbox = Path(csrf_app.config["MAIL_OUTBOX_DIR"])
    shutil.rmtree(outbox, ignore_errors=True)
    yield
    report = _in_a_thread(csrf_app, lambda: deliver_all_due(now=now_utc() + timedelta(days=1)))
    assert (report.retried, report.failed) == (0, 0), report
    with csrf_app.app_context():
        addressees = {user.email: user.username for user in db.session.scalars(select(User)) if user.email}
    for path in sorted(outbox.glob("*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=default_policy)
        body = message.get_body(("plain",)).get_content()
        links = MAIL_LINK.findall(body)
        assert links, f"{path.name} gives its reader no way to the complaint: {body}"
        for link in links:
            assert link.startswith(f"{live_server}/"), f"{path.name} links outside the registry: {link}"
            browser = requests.Session()
            if urlsplit(link).path.startswith("/staff/"):
                _sign_in_over_http(browser, live_server, addressees[message["To"]])
            answer = browser.get(link, timeout=30)
            assert answer.status_code == 200, f"{path.name}: {link} answered {answer.status_code}"


def _in_a_thread(app: Flask, work: Callable[[], Any]) -> Any:
    """`work` in an app context on a thread of its own, as the watcher process would run it:
    this thread runs Playwright's event loop, inside which nothing can start another."""
    answer: list[Any] = []
    def run() -> None:
        with app.app_context():
            answer.append(work())
    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    assert answer, "the work failed: see the log"
    return answer[0]


#: A link in a plain-text e-mail: up to the first space or line end (our links hold neither).
MAIL_LINK = re.compile(r"https?://[^\s<>\"]+")


def _sign_in_over_http(browser: requests.Session, base: str, username: str) -> None:
    form = browser.get(f"{base}/staff/login", timeout=30).text
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', form).group(1)
    answer = browser.post(f"{base}/staff/login", data={"csrf_token": token, "username": username,
                                                       "password": PASSWORD}, timeout=30)
    assert answer.status_code == 200 and "/staff/login" not in answer.url, f"{username} could not sign in"


@pytest.fixture
def journey(chromium: Any, artifacts_dir: Path, request: pytest.FixtureRequest) -> Iterator[Journey]:
    trip = Journey(chromium, artifacts_dir / "journeys" / FOLDERS[request.node.name])
    try:
        yield trip
    finally:
        if not trip.closed:  # the journey failed before finish(): just free the browser
            trip.context.close()


def _pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF"), content[:100]
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)


def _sign_in(trip: Journey, base: str, username: str) -> None:
    page = trip.page
    page.goto(f"{base}/staff/login")
    trip.shot("sign-in")
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/staff/$"))
    trip.shot("staff-home")


def _file_by_api(app: Flask, at: datetime, **changes: Any) -> tuple[str, str]:
    with frozen_clock(at):
        response = app.test_client().post("/api/v1/complaints", json=valid_payload(**changes))
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    return body["number"], urlsplit(body["tracking_url"])._replace(scheme="", netloc="").geturl()


def _complaint(app: Flask, number: str) -> Complaint:
    with app.app_context():
        return find_by_reference(number)


def test_a_complainant_files_with_evidence_downloads_the_receipt_and_tracks_it(
    live_server: str, journey: Journey, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    page = journey.page
    data = valid_payload(language="en")
    evidence = tmp_path / "card-statement.png"
    evidence.write_bytes(_tiny_png())
    with frozen_clock(START):
        page.goto(f"{live_server}/")
        expect(page.locator("h1")).to_have_text("File a formal complaint")
        journey.shot("empty-form")
        for name in ("full_name", "email", "phone", "postal_address", "subject", "description",
                     "desired_outcome", "signature"):
            page.locator(f"#{name}").fill(data[name])
        page.locator("#category").select_option(data["category"])
        page.locator("#language").select_option("en")
        page.locator("#attachments").set_input_files(evidence)
        page.locator("#declaration").check()
        journey.shot("filled-form")
        page.get_by_role("button", name="Sign and register my complaint").click()

        page.wait_for_url(re.compile(r"/confirmation\?code="))
        number = page.get_by_test_id("number").inner_text().strip()
        assert NUMBER.match(number), number
        expect(page.get_by_test_id("access-code")).not_to_be_empty()
        journey.shot("confirmation")

        receipt = journey.download(lambda: page.get_by_test_id("receipt-link").click(), "receipt.pdf")
        text = _pdf_text(receipt)
        assert number in text and data["full_name"].split("-")[0] in text

        page.get_by_test_id("tracking-link").click()
        page.wait_for_url(re.compile(r"/track/\d{4}-\d{6}\?code="))
        expect(page.locator("h1 .number")).to_have_text(number)
        expect(page.locator(".status")).to_have_text(ComplaintStatus.REGISTERED.title)
        journey.shot("tracking")

        # Tracking again the way a complainant coming back would: by number and access code.
        code = page.url.split("code=")[1]
        page.goto(f"{live_server}/track")
        journey.shot("track-form")
        page.locator("#number").fill(number)
        page.locator("#code").fill(code)
        page.locator("form:has(#number)").get_by_role("button").click()
        page.wait_for_url(re.compile(r"/track/\d{4}-\d{6}\?code="))
        expect(page.locator("h1 .number")).to_have_text(number)
        journey.shot("tracking-again")
    journey.finish()


def test_a_clerk_registers_a_walk_in_complaint_and_prints_the_receipt(
    live_server: str, csrf_app: Flask, journey: Journey, make_user: Callable[..., int]
) -> None:
    from playwright.sync_api import expect

    make_user("irina", "clerk", full_name="Irina Clerk")
    page = journey.page
    data = valid_payload(full_name="Vasile Moraru", signature="Vasile Moraru", email="vasile@example.md",
                         language="en", subject="The bonus was taken back without reason")
    # Headless Chromium has no print dialog (printing the PDF frame crashes its renderer): record
    # the print page's request to print instead, in every frame, and check that it was made.
    journey.context.add_init_script(
        "window.print = function () { window.top.__printRequests = (window.top.__printRequests || 0) + 1; };"
    )
    with frozen_clock(START):
        _sign_in(journey, live_server, "irina")
        page.get_by_role("link", name="Register", exact=True).click()
        expect(page.locator("h1")).to_have_text("Register a complaint")
        journey.shot("desk-form")
        page.locator("#channel").select_option("in_person")
        for name in ("full_name", "email", "phone", "postal_address", "subject", "description",
                     "desired_outcome", "signature"):
            page.locator(f"#{name}").fill(data[name])
        page.locator("#category").select_option(data["category"])
        page.locator("#language").select_option("en")
        page.locator("#declaration").check()
        journey.shot("desk-form-filled")
        page.get_by_role("button", name="Register and give a number").click()

        page.wait_for_url(re.compile(r"/staff/complaints/\d{4}-\d{6}$"))
        number = page.locator("h1 .number").inner_text().strip()
        assert NUMBER.match(number), number
        expect(page.locator(".eyebrow")).to_contain_text("In person")
        journey.shot("case-page")

        # Hold print.js back until the receipt's frame has loaded: the order a loaded machine can
        # meet, where the frame's load event has fired before the script could listen for it.
        held: list[Route] = []
        journey.context.route("**/static/print.js*", lambda route: held.append(route))
        with page.expect_popup() as popup:  # the print form opens the print page in a new tab
            page.get_by_test_id("print-receipt").click()
        printing = popup.value
        printing.wait_for_url(re.compile(r"/prints/\d+$"), wait_until="commit")
        expect(printing.locator("h1")).to_contain_text(number)
        printing.wait_for_function(FRAME_LOADED)
        assert len(held) == 1 and printing.evaluate("window.__printRequests") is None
        held[0].continue_()
        printing.wait_for_function("() => window.__printRequests === 1")  # print.js asked, once the PDF loaded
        journey.shot("print-page", printing)
        pdf = journey.context.request.get(live_server + printing.get_by_test_id("receipt-pdf").get_attribute("href"))
        assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
        (journey.folder / "receipt.pdf").write_bytes(pdf.body())
        text = _pdf_text(pdf.body())
        assert number in text and "Vasile Moraru" in text
        printing.close()

        page.reload()
        expect(page.get_by_test_id("print-receipt")).to_have_text("Reprint receipt (duplicate)")
        journey.shot("case-page-printed")
    complaint = _complaint(csrf_app, number)
    assert complaint.channel.value == "in_person" and complaint.registered_by_id is not None
    journey.finish()


def test_the_owner_answers_before_the_deadline_and_the_complainant_reads_it(
    live_server: str, csrf_app: Flask, journey: Journey, make_user: Callable[..., int]
) -> None:
    from playwright.sync_api import expect

    make_user("olga", "officer", tier=1, full_name="Olga Rusu", email="olga@example.md")
    number, tracking_url = _file_by_api(csrf_app, START, language="en")
    page = journey.page
    answer = "We found the withdrawal of 500 MDL; it was sent again today and is on your card."
    with frozen_clock(START + timedelta(hours=3)):  # 21 hours before the first-response deadline
        _sign_in(journey, live_server, "olga")
        page.get_by_role("link", name="Queue", exact=True).click()
        expect(page.locator("h1")).to_have_text("Queue")
        journey.shot("queue")
        page.get_by_role("link", name=number, exact=True).click()
        page.wait_for_url(re.compile(r"/staff/complaints/\d{4}-\d{6}"))
        journey.shot("case-page")
        page.get_by_test_id("take").click()
        expect(page.get_by_test_id("owner")).to_contain_text("Olga Rusu")
        journey.shot("case-taken")
        respond = page.get_by_test_id("form-respond")
        respond.locator("textarea").fill(answer)
        respond.get_by_role("button", name="Send the response").click()
        expect(page.locator(".flash")).to_contain_text("is recorded and sent")
        expect(page.locator("#handling")).to_contain_text("met")
        journey.shot("case-answered")

        complainant = journey.open_page()
        complainant.goto(live_server + tracking_url)
        expect(complainant.locator("h1 .number")).to_have_text(number)
        expect(complainant.get_by_test_id("message").first).to_contain_text(answer)
        expect(complainant.locator(".status")).to_have_text(ComplaintStatus.RESPONDED.title)
        journey.shot("tracking-with-answer", complainant)
    complaint = _complaint(csrf_app, number)
    assert complaint.first_responded_at < complaint.first_response_due
    journey.finish()


def test_an_unanswered_complaint_is_escalated_and_a_manager_decides_it(
    live_server: str, csrf_app: Flask, journey: Journey, make_user: Callable[..., int]
) -> None:
    from playwright.sync_api import expect

    make_user("olga", "officer", tier=1, email="olga@example.md")
    make_user("mihai", "manager", tier=3, full_name="Mihai Manager", email="mihai@example.md")
    number, tracking_url = _file_by_api(csrf_app, START, language="en", subject="Nobody answers about my account")
    late = START + timedelta(hours=25)
    with frozen_clock(late):  # the sweep, as cron runs it an hour after the deadline passed
        result = csrf_app.test_cli_runner().invoke(args=["deadlines", "enforce"])
    assert result.exit_code == 0, result.output
    escalated = _complaint(csrf_app, number)
    assert escalated.tier == 2 and escalated.first_response_breached_at is not None

    page = journey.page
    reasons = "The first response was late; the withdrawal is paid today and the fee refunded."
    with frozen_clock(late + timedelta(hours=1)):
        _sign_in(journey, live_server, "mihai")
        page.get_by_role("link", name="Escalations", exact=True).click()
        expect(page.locator("h1")).to_have_text("Escalation review desk")
        row = page.get_by_test_id("desk-row").filter(has=page.get_by_role("link", name=number, exact=True))
        expect(row).to_contain_text("Breached")
        journey.shot("escalation-desk")
        row.get_by_role("link", name=number, exact=True).click()
        page.wait_for_url(re.compile(r"/staff/complaints/\d{4}-\d{6}"))
        expect(page.get_by_test_id("breaches")).to_be_visible()
        journey.shot("case-page")
        page.get_by_test_id("take").click()
        expect(page.get_by_test_id("owner")).to_contain_text("Mihai Manager")
        journey.shot("case-taken-over")
        decide = page.get_by_test_id("form-resolve")
        decide.locator("xpath=..").locator("summary").click()
        decide.locator("select").select_option(Resolution.UPHELD.value)
        decide.get_by_label("Reasons for the decision").fill(reasons)
        decide.get_by_label("Redress offered: amount (optional)").fill("500")
        decide.get_by_label("Currency (three letters, e.g. MDL, EUR, GBP)").fill("mdl")
        decide.get_by_role("button", name="Send the decision").click()
        expect(page.locator(".flash")).to_contain_text("is recorded and sent")
        expect(page.locator("#handling")).to_contain_text(Resolution.UPHELD.title)
        expect(page.get_by_test_id("redress")).to_contain_text("500.00 MDL")
        journey.shot("case-decided")

        complainant = journey.open_page()
        complainant.goto(live_server + tracking_url)
        expect(complainant.get_by_test_id("message").first).to_contain_text(reasons)
        journey.shot("tracking-with-decision", complainant)
    with csrf_app.app_context():
        decided = db.session.scalar(select(Complaint).where(Complaint.number == number))
        assert decided.resolution == Resolution.UPHELD and decided.owner.username == "mihai"
    journey.finish()

"""The public journey in a real headless Chromium, against a real HTTP server.

Skipped when Chromium or Playwright is missing, unless REQUIRE_BROWSER=1 (CI), where a
missing browser is a failure: browser tests must not silently disappear.
Screenshots and the downloaded receipt are saved under <artifacts>/browser/ for people to look at.
"""

from __future__ import annotations

import os
import re
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, session
from flask_babel import force_locale
from pypdf import PdfReader

from _support import valid_payload
from app.complaints.categories import category_name
from app.complaints.models import Channel, ComplaintStatus
from app.i18n import select_locale

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 5_000
NUMBER = re.compile(r"^\d{4}/\d{6}$")


def _tiny_png() -> bytes:
    """A valid 1x1 RGBA PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)
    pixels = zlib.compress(b"\x00" + b"\x1f\x4f\xa3\xff")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def _sync_playwright() -> Any:
    """`sync_playwright`, or a skip when it cannot run: a failure under REQUIRE_BROWSER=1 (CI)."""
    reason = None
    sync_playwright = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        reason = f"playwright cannot be imported ({error}); install it in the venv"
    if reason is None and not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        reason = f"Chromium not found at {CHROMIUM} (install Debian's chromium package)"
    if reason is not None:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but the browser test cannot run: {reason}", pytrace=False)
        pytest.skip(reason)
    return sync_playwright


@pytest.fixture
def shots(artifacts_dir: Path) -> Path:
    path = artifacts_dir / "browser"
    path.mkdir(parents=True, exist_ok=True)
    return path


def test_a_complainant_files_downloads_the_receipt_and_tracks_the_complaint(
    live_server: str, csrf_app: Flask, shots: Path, tmp_path: Path
) -> None:
    sync_playwright = _sync_playwright()
    from playwright.sync_api import expect

    data = valid_payload(
        full_name="Ana-Maria Ștefănescu-Țurcanu",
        signature="Ana-Maria Ștefănescu-Țurcanu",
        postal_address="str. Mihai Eminescu 5, ap. 12\nMD-2012 Chișinău",
        language="ro",
    )
    evidence = tmp_path / "captură-ecran.png"
    evidence.write_bytes(_tiny_png())
    # After registration the session remembers the complaint's language; pages use it when
    # they have a catalogue in it (else English). Expect the words of that page language.
    with csrf_app.test_request_context():
        session["language"] = data["language"]
        page_language = select_locale()
        with force_locale(page_language):
            expected_status = ComplaintStatus.REGISTERED.title
            expected_channel = Channel.WEB.title
        expected_category = category_name(data["category"], page_language)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(
                locale="en-GB", viewport={"width": 1280, "height": 900}, accept_downloads=True
            )
            context.set_default_timeout(TIMEOUT_MS)
            context.set_default_navigation_timeout(TIMEOUT_MS)
            expect.set_options(timeout=TIMEOUT_MS)
            page = context.new_page()
            problems: list[str] = []
            page.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))
            # Console errors include Content-Security-Policy violations.
            page.on(
                "console",
                lambda m: problems.append(f"console {m.type}: {m.text}")
                if m.type == "error" and "status of 422" not in m.text  # the expected bad-input round trip
                else None,
            )
            page.on(
                "response",
                lambda r: problems.append(f"HTTP {r.status} for {r.request.method} {r.url}")
                if r.status >= 400 and not (r.status == 422 and r.request.method == "POST")
                else None,
            )
            try:
                # 1. The empty form, with a CSRF token in it.
                page.goto(f"{live_server}/complaints/new")
                expect(page.locator("h1")).to_have_text("File a formal complaint")
                expect(page.locator("#csrf_token")).to_have_value(re.compile(r".{20,}"))  # the form's own token
                assert page.evaluate(
                    "() => [...document.styleSheets].some(s => (s.href || '').endsWith('/static/style.css')"
                    " && s.cssRules.length > 0)"
                ), "the stylesheet did not load"
                page.screenshot(path=shots / "01-empty-form.png", full_page=True)

                def fill(email: str) -> None:
                    page.locator("#full_name").fill(data["full_name"])
                    page.locator("#email").fill(email)
                    page.locator("#phone").fill(data["phone"])
                    page.locator("#postal_address").fill(data["postal_address"])
                    page.locator("#language").select_option(data["language"])
                    page.locator("#category").select_option(data["category"])
                    page.locator("#subject").fill(data["subject"])
                    page.locator("#description").fill(data["description"])
                    page.locator("#desired_outcome").fill(data["desired_outcome"])
                    page.locator("#attachments").set_input_files(evidence)
                    page.locator("#signature").fill(data["signature"])
                    page.locator("#declaration").check()

                submit = page.get_by_role("button", name="Sign and register my complaint")

                # 2. The whole form filled in, with a file attached.
                fill(data["email"])
                expect(page.locator("#language")).to_have_value("ro")
                page.screenshot(path=shots / "02-filled-form.png", full_page=True)

                # 3. A bad e-mail comes back with its message, and what was typed is kept.
                page.locator("#email").fill("ana.maria(at)example")
                with page.expect_response(lambda r: r.request.method == "POST") as posted:
                    submit.click()
                assert posted.value.status == 422
                expect(page.locator("#email-error")).to_have_text("This is not a valid e-mail address.")
                expect(page.locator("#email")).to_have_attribute("aria-invalid", "true")
                expect(page.locator("#email")).to_have_value("ana.maria(at)example")
                expect(page.locator("#full_name")).to_have_value(data["full_name"])
                expect(page.locator("#subject")).to_have_value(data["subject"])
                expect(page.locator("[role=alert]")).to_contain_text("please attach them again")
                expect(page.locator(".error")).to_have_count(1)
                page.screenshot(path=shots / "03-invalid-email.png", full_page=True)

                # Corrected (the file attached again) and sent from the re-rendered form, whose
                # CSRF token must still be accepted: registered, and redirected to the confirmation.
                fill(data["email"])
                with page.expect_response(lambda r: r.request.method == "POST") as posted:
                    submit.click()
                assert posted.value.status == 303, f"POST answered HTTP {posted.value.status}"

                # 4. The confirmation: incoming number, receipt link, access code, tracking link.
                expect(page).to_have_url(re.compile(r"/complaints/\d{4}-\d{6}/confirmation\?code="))
                number_box = page.get_by_test_id("number")
                expect(number_box).to_have_text(NUMBER)
                number = number_box.inner_text().strip()
                expect(page.get_by_test_id("access-code")).not_to_be_empty()
                expect(page.locator(".facts")).to_contain_text(data["subject"])
                expect(page.locator(".facts")).to_contain_text(expected_category)
                page.screenshot(path=shots / "04-confirmation.png", full_page=True)

                # 5. The receipt, downloaded through the link.
                with page.expect_download() as downloading:
                    page.get_by_test_id("receipt-link").click()
                download = downloading.value
                if download.failure() is not None:
                    probe = context.request.get(download.url)
                    pytest.fail(
                        f"receipt download failed ({download.failure()}): GET {download.url} answered "
                        f"HTTP {probe.status}: {probe.text()[:300]!r}"
                    )
                assert download.suggested_filename.endswith(".pdf"), download.suggested_filename
                receipt = shots / "05-receipt.pdf"
                download.save_as(receipt)
                content = receipt.read_bytes()
                assert content.startswith(b"%PDF"), content[:200]
                text = "\n".join(p.extract_text() or "" for p in PdfReader(receipt).pages)
                assert number in text, text[:2000]

                # 6. The private tracking link shows the number and the status.
                page.get_by_test_id("tracking-link").click()
                expect(page).to_have_url(re.compile(r"/track/\d{4}-\d{6}\?code="))
                expect(page.locator("h1 .number")).to_have_text(number)
                expect(page.locator(".status.status-registered")).to_have_text(expected_status)
                expect(page.locator(".facts")).to_contain_text(expected_channel)
                page.screenshot(path=shots / "06-tracking.png", full_page=True)

                assert problems == []
            finally:
                context.close()
        finally:
            browser.close()

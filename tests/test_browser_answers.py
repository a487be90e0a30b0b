"""Answer templates in a real headless Chromium: a manager writes one (a wrong placeholder is
refused at its field first), an officer answers a Romanian complaint with it, edits the text
before sending, and the letter sent holds the edit. No script is involved: the template is
filled in by the server when the officer presses Insert.

Skipped like tests/test_browser.py when Chromium or Playwright is missing (a failure under
REQUIRE_BROWSER=1). Screenshots at desktop and phone width are saved under <artifacts>/browser/.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from _support import valid_payload
from app.answers.models import AnswerTemplateUse
from app.complaints.access import find_by_reference
from app.extensions import db
from app.registry.models import EntryPrivate, RegistryEntry
from app.workflow.models import CaseMessage
from test_browser import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, _sync_playwright

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
BODY_RO = ("Stimată doamnă {name},\n\nAm examinat plângerea nr. {number} din {received}. "
           "Retragerea a fost procesată.\n\nCu respect,\n{officer}")


def test_an_officer_answers_a_romanian_complaint_with_a_template_and_edits_it_before_sending(
    csrf_app: Flask, live_server: str, make_user: Callable[..., int], artifacts_dir: Path
) -> None:
    sync_playwright = _sync_playwright()
    from playwright.sync_api import expect

    shots = artifacts_dir / "browser"
    shots.mkdir(parents=True, exist_ok=True)
    make_user("mihai", "manager", tier=3, full_name="Mihai Manager")
    make_user("olga", "officer", tier=1, full_name="Olga Rusu")
    response = csrf_app.test_client().post("/api/v1/complaints", json=valid_payload(language="ro"))
    assert response.status_code == 201
    number = response.get_json()["number"]
    slug = number.replace("/", "-")

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            problems: list[str] = []

            def open_page(viewport: dict[str, int]):
                context = browser.new_context(locale="en-GB", viewport=viewport)
                context.set_default_timeout(TIMEOUT_MS)
                page = context.new_page()
                page.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))
                page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
                        if m.type == "error" and "status of 422" not in m.text else None)
                return context, page

            def sign_in(page, username: str) -> None:
                page.goto(f"{live_server}/staff/login")
                page.locator("#username").fill(username)
                page.locator("#password").fill("correct horse 1")
                page.get_by_role("button", name="Sign in").click()

            expect.set_options(timeout=TIMEOUT_MS)
            # The manager writes the template; a misspelt placeholder is refused at its field.
            context, page = open_page(DESKTOP)
            sign_in(page, "mihai")
            page.goto(f"{live_server}/manage/templates/")
            page.get_by_test_id("new-template").click()
            page.locator("#title_en").fill("Withdrawal processed")
            page.locator("#body_en").fill("Dear {name}, complaint {number} is answered.")
            page.locator("#title_ro").fill("Retragere procesată")
            page.locator("#body_ro").fill(BODY_RO.replace("{received}", "{primit}"))
            page.get_by_test_id("save-template").click()
            expect(page.locator("#body_ro-error")).to_contain_text("Unknown placeholder: {primit}.")
            page.screenshot(path=shots / "answers-01-refused-placeholder.png", full_page=True)
            page.locator("#body_ro").fill(BODY_RO)
            page.get_by_test_id("save-template").click()
            expect(page.locator(".flash").first).to_contain_text("version 1")
            page.screenshot(path=shots / "answers-02-template-saved.png", full_page=True)
            context.close()

            # The officer takes the complaint, inserts the template and edits it.
            context, page = open_page(DESKTOP)
            sign_in(page, "olga")
            page.goto(f"{live_server}/staff/complaints/{slug}")
            page.get_by_test_id("take").click()
            form = page.get_by_test_id("form-respond")
            form.locator("select[name=answer_template]").select_option(label="Retragere procesată")
            form.get_by_test_id("insert-template-respond").click()
            body = page.locator("#respond-body")
            filled = body.input_value()
            assert filled.startswith("Stimată doamnă Ana-Maria Ștefănescu-Țurcanu,")
            assert f"plângerea nr. {number} din " in filled and filled.endswith("Cu respect,\nOlga Rusu")
            assert "{" not in filled
            page.screenshot(path=shots / "answers-03-inserted.png", full_page=True)
            edited = filled.replace("Retragerea a fost procesată.",
                                    "Retragerea de 500 MDL a fost procesată azi; banii ajung în 1–3 zile lucrătoare.")
            body.fill(edited)
            form.get_by_role("button", name="Send the response").click()
            messages = page.get_by_test_id("message")
            expect(messages.first).to_contain_text("banii ajung în 1–3 zile lucrătoare")
            page.screenshot(path=shots / "answers-04-sent.png", full_page=True)
            context.close()

            # On a phone: the owner starts the decision from the same template.
            context, page = open_page(PHONE)
            sign_in(page, "olga")
            page.goto(f"{live_server}/staff/complaints/{slug}")
            decide = page.locator("details.action", has=page.get_by_test_id("form-resolve"))
            decide.locator("summary").click()
            decide.get_by_test_id("insert-template-resolve").click()
            expect(page.locator("#resolve-reasons")).to_contain_text(f"plângerea nr. {number} din ")
            page.get_by_test_id("form-resolve").scroll_into_view_if_needed()
            page.screenshot(path=shots / "answers-05-decision-phone.png")
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
            context.close()
            context, page = open_page(PHONE)
            sign_in(page, "mihai")
            page.goto(f"{live_server}/manage/templates/1")
            page.screenshot(path=shots / "answers-06-template-phone.png", full_page=True)
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
            context.close()
            assert problems == []
        finally:
            browser.close()

    with csrf_app.app_context():
        complaint = find_by_reference(number)
        message = db.session.scalar(select(CaseMessage).where(CaseMessage.complaint_id == complaint.id,
                                                              CaseMessage.outgoing_number.is_not(None)))
        assert message.body.replace("\r\n", "\n") == edited  # a browser sends a text area's lines with CRLF
        assert db.session.scalar(select(AnswerTemplateUse)).message_id == message.id
        issued = db.session.scalar(select(EntryPrivate.data).join(
            RegistryEntry, RegistryEntry.position == EntryPrivate.position).where(
            RegistryEntry.position == message.entry_position))
        assert json.loads(issued)["letter"]["body"] == message.body  # what the letter (PDF) is drawn from

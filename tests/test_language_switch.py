"""The public form's language switcher carries what was typed: its buttons belong to the form,
so switching posts the form back, the page returns in the new language with every field as it
was, and nothing is registered (no number is taken)."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from _support import form_data
from app.complaints.models import Complaint
from app.extensions import db
from app.languages import LANGUAGES
from app.registry.models import NumberCounter

TYPED = {
    "full_name": "Ana-Maria Ștefănescu-Țurcanu",
    "subject": "Retragerea nu a ajuns în cont",
    "description": "Am cerut retragerea a 1 500 lei pe 28.11.2026 și banii nu au ajuns. Ce s-a întâmplat?",
    "signature": "Ana-Maria Ștefănescu-Țurcanu",
}


def _counts(app) -> tuple[int, int]:
    with app.app_context():
        complaints = db.session.scalar(select(func.count()).select_from(Complaint))
        issued = db.session.scalar(select(func.coalesce(func.sum(NumberCounter.last_value), 0)))
        return complaints, issued


def test_switching_language_brings_the_form_back_in_that_language_with_everything_typed(client, app):
    client.get("/")
    switched = client.post("/complaints/new", data={**form_data(**TYPED), "switch_language": "ro"})

    assert switched.status_code == 200
    page = switched.get_data(as_text=True)
    assert '<html lang="ro">' in page
    assert "Depuneți o reclamație oficială" in page or "reclamație" in page
    for value in (TYPED["full_name"], TYPED["subject"], TYPED["signature"]):
        assert f'value="{value}"' in page
    assert TYPED["description"] in page
    assert 'class="alert"' not in page  # nothing was checked: no error messages
    assert _counts(app) == (0, 0)  # nothing registered, no number taken

    # The next page keeps the language; sending the same form now registers it, as number 1.
    sent = client.post("/complaints/new", data=form_data(**TYPED))
    assert sent.status_code == 303
    assert _counts(app) == (1, 1)


def test_switching_with_files_chosen_keeps_the_text_and_asks_for_the_files_again(client, app):
    data = {**form_data(**TYPED), "switch_language": "ru",
            "attachments": [(io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "extras.pdf")]}
    page = client.post("/complaints/new", data=data, content_type="multipart/form-data").get_data(as_text=True)

    assert '<html lang="ru">' in page and f'value="{TYPED["full_name"]}"' in page
    assert "прикрепите" in page.lower()  # "attach them again", in Russian
    assert _counts(app) == (0, 0)


@pytest.mark.parametrize("language", ["xx", "", "ro\x00"])
def test_an_unknown_language_is_refused_and_registers_nothing(client, app, language):
    response = client.post("/complaints/new", data={**form_data(**TYPED), "switch_language": language})
    assert response.status_code == 400
    assert _counts(app) == (0, 0)


def test_the_switcher_on_the_form_page_is_part_of_the_form(client):
    page = client.get("/").get_data(as_text=True)
    buttons = re.findall(r'<button type="submit" form="complaint-form" formnovalidate name="switch_language" value="(\w+)"', page)
    assert buttons == list(LANGUAGES)
    assert 'id="complaint-form"' in page
    # Elsewhere the switcher is its own small form, as before.
    track = client.get("/track").get_data(as_text=True)
    assert 'name="language" value="ro"' in track and "switch_language" not in track


@pytest.mark.browser
def test_in_a_browser_the_switcher_keeps_what_was_typed(live_server, csrf_app, artifacts_dir):
    """Real Chromium: the header's buttons submit the complaint form (the HTML `form`
    attribute), past its required fields (`formnovalidate`), and the typed text comes back."""
    from test_browser import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, _sync_playwright

    sync_playwright = _sync_playwright()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(locale="en-GB", viewport={"width": 390, "height": 844})
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(f"{live_server}/complaints/new")
            page.locator("#full_name").fill(TYPED["full_name"])
            page.locator("#subject").fill(TYPED["subject"])
            page.locator("#description").fill(TYPED["description"])
            page.get_by_role("button", name="Română").click()
            page.wait_for_load_state()
            assert page.locator("html").get_attribute("lang") == "ro"
            assert page.locator("#full_name").input_value() == TYPED["full_name"]
            assert page.locator("#subject").input_value() == TYPED["subject"]
            assert page.locator("#description").input_value() == TYPED["description"]
            page.screenshot(path=str(artifacts_dir / "language-switch-390.png"), full_page=True)
        finally:
            browser.close()
    assert _counts(csrf_app) == (0, 0)

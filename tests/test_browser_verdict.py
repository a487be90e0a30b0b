"""A complainant rates the handling of their closed complaint from the tracking page, in a real
headless Chromium against a real HTTP server, on a desktop and on a phone. Screenshots land in
<artifacts>/browser/verdict-*.png."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask

from _cases import T0, act, load
from _support import valid_payload
from app.clock import frozen_clock
from app.complaints.models import Resolution
from app.registry.verify import verify_registry
from app.workflow import operations as ops
from test_browser import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, _sync_playwright

pytestmark = pytest.mark.browser

CLOSED_AT = T0 + timedelta(hours=3)
NOW = CLOSED_AT + timedelta(days=2)


@pytest.mark.parametrize(("device", "viewport"), [("desktop", {"width": 1280, "height": 900}),
                                                  ("phone", {"width": 390, "height": 844})])
def test_a_complainant_rates_a_closed_complaint_from_the_tracking_page(
    csrf_app: Flask, live_server: str, make_user: Callable[..., int], artifacts_dir: Path,
    device: str, viewport: dict[str, int],
) -> None:
    sync_playwright = _sync_playwright()
    from playwright.sync_api import expect

    shots = artifacts_dir / "browser"
    shots.mkdir(parents=True, exist_ok=True)
    officer = make_user("olga", "officer", tier=1, full_name="Olga Rusu")
    with frozen_clock(T0):
        response = csrf_app.test_client().post("/api/v1/complaints", json=valid_payload(language="ro"))
    number = response.get_json()["number"]
    act(csrf_app, number, ops.take_complaint, by=officer, at=T0 + timedelta(hours=1))
    act(csrf_app, number, ops.resolve, by=officer, resolution=Resolution.UPHELD,
        reasons="Retragerea a întârziat; suma a fost plătită.", at=T0 + timedelta(hours=2))
    act(csrf_app, number, ops.close, by=officer, at=CLOSED_AT)
    complaint = load(csrf_app, number)

    with frozen_clock(NOW), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(locale="ro-RO", viewport=viewport, is_mobile=device == "phone")
            context.set_default_timeout(TIMEOUT_MS)
            expect.set_options(timeout=TIMEOUT_MS)
            page = context.new_page()
            problems: list[str] = []
            page.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))
            page.on("console", lambda m: problems.append(f"console: {m.text}")
                    if m.type == "error" and "status of 422" not in m.text else None)

            page.goto(f"{live_server}/track/{complaint.slug}?code={complaint.access_code}#rating")
            panel = page.get_by_test_id("rating")
            expect(panel.locator("h2")).to_have_text("Cum am gestionat reclamația dumneavoastră?")
            expect(panel).to_contain_text("o puteți evalua o singură dată, până la 23.12.2026, 13:00")
            panel.scroll_into_view_if_needed()
            page.screenshot(path=shots / f"verdict-{device}-1-form.png", full_page=True)
            assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"), \
                "the page is wider than the screen"

            # Sent without a score: the error at the field, what was typed kept.
            panel.get_by_label("De ce, într-o propoziție").fill("Răspuns clar, dar a durat o săptămână.")
            panel.get_by_role("button", name="Trimite evaluarea").click()
            panel = page.get_by_test_id("rating")
            expect(panel.locator("#rating-score-error")).to_have_text("Alegeți o evaluare de la 1 la 5.")
            expect(panel.get_by_label("De ce, într-o propoziție")).to_have_value(
                "Răspuns clar, dar a durat o săptămână.")
            page.screenshot(path=shots / f"verdict-{device}-2-error.png", full_page=True)

            panel.get_by_text("4", exact=True).click()
            panel.get_by_role("button", name="Trimite evaluarea").click()
            expect(page.get_by_text(f"Vă mulțumim: evaluarea soluționării este înregistrată la reclamația {number}."))\
                .to_be_visible()
            expect(page.get_by_test_id("rating-given")).to_contain_text("Ați evaluat soluționarea cu 4 din 5")
            expect(page.get_by_test_id("form-rating")).to_have_count(0)
            page.get_by_test_id("rating").scroll_into_view_if_needed()
            page.screenshot(path=shots / f"verdict-{device}-3-rated.png", full_page=True)
            assert problems == []
        finally:
            browser.close()

    with csrf_app.app_context():
        assert verify_registry().ok

"""The Content-Security-Policy allows no inline script or style; no page may need one.

Two checks: every template's source, and every page the app renders (each GET route, as
anonymous and as an administrator, with real records), parsed as HTML.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from test_route_access import Records, _requests, records  # noqa: F401  (records is a fixture)

from app.serving.headers import CONTENT_SECURITY_POLICY

APP_DIR = Path(__file__).resolve().parent.parent / "app"


class InlineCode(HTMLParser):
    """Collects what the policy would block: inline scripts, on* handlers, style attributes,
    <style> blocks and javascript: URLs."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "script" and not names.get("src"):
            self._in_script = True
        if tag == "style":
            self.found.append("<style> element")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
            elif name == "style":
                self.found.append(f"<{tag} style=...>")
            elif name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}=javascript:...>")

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.found.append(f"inline <script>: {data.strip()[:60]!r}")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    parser.close()
    return parser.found


def test_the_policy_allows_no_inline_script_or_style():
    directives = dict(part.strip().split(" ", 1) for part in CONTENT_SECURITY_POLICY.split(";"))
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY


def test_the_checker_finds_what_the_policy_blocks():
    page = ('<script>alert(1)</script><button onclick="x()">b</button><p style="color:red">s</p>'
            '<a href="javascript:x()">a</a><style>p{}</style><script src="/static/ok.js"></script>')
    assert len(inline_code(page)) == 5


@pytest.mark.parametrize("template", sorted(str(p.relative_to(APP_DIR)) for p in APP_DIR.rglob("templates/**/*.html")))
def test_no_template_has_inline_script_handlers_or_styles(template):
    assert inline_code((APP_DIR / template).read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("who", ["anonymous", "administrator"])
def test_no_rendered_page_has_inline_script_handlers_or_styles(
    app: Flask, client: FlaskClient, login, records: Records, who: str  # noqa: F811
):
    if who != "anonymous":
        login(client, "administrator", username="admin", tier=3)
    pages = 0
    problems = []
    for _rule, method, url in _requests(app, records):
        if method != "GET":
            continue
        response = client.get(url)
        if response.mimetype == "text/html":
            pages += 1
            problems += [f"{url}: {found}" for found in inline_code(response.get_data(as_text=True))]
            assert "script-src 'self'" in response.headers["Content-Security-Policy"], url
        response.close()
    for url in ("/no-such-page", "/track?number=2026/999999&code=WRONG"):  # error pages too
        problems += [f"{url}: {found}" for found in inline_code(client.get(url).get_data(as_text=True))]
    assert pages >= (8 if who == "anonymous" else 20)
    assert problems == []


def test_only_the_desk_receipt_print_may_be_framed_and_only_by_this_site(
    app: Flask, client: FlaskClient, login, records: Records  # noqa: F811
):
    login(client, "clerk", username="irina")
    reference, print_id = records.values["reference"], records.values["print_id"]
    framed = client.get(f"/staff/complaints/{reference}/prints/{print_id}.pdf")
    assert framed.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in framed.headers["Content-Security-Policy"]
    # The app's defaults (app/serving/headers.py `add_security_headers`) fill in only what the view left out.
    assert framed.headers.getlist("X-Frame-Options") == ["SAMEORIGIN"]
    assert len(framed.headers.getlist("Content-Security-Policy")) == 1
    assert framed.headers.getlist("Referrer-Policy") == ["no-referrer"]
    assert framed.headers.getlist("X-Content-Type-Options") == ["nosniff"]
    page = client.get(f"/staff/complaints/{reference}/prints/{print_id}")
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]

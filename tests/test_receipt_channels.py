"""A receipt says how its complaint was received and signed, from the signed intake record:
one complaint per channel, registered through the path that channel really takes (the public
form, the API, the clerk's form), its receipt downloaded as the complainant or the clerk gets it."""

from __future__ import annotations

import io
import json
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from _support import form_data, valid_payload
from app.auth.models import User
from app.complaints.models import Complaint
from app.extensions import db
from app.receipts.service import as_registered, render_complaint_receipt
from app.registry.chain import intake_entry
from app.registry.verify import verify_registry

ZONE = ZoneInfo("Europe/Chisinau")
CLERK = "Irina Popescu"


def _text(pdf: bytes) -> str:
    """The receipt's text with its lines joined (values wrap), NBSP read as a space."""
    page = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    return " ".join(page.replace("\u00a0", " ").split())


def _by_web_form(client, language: str) -> bytes:
    response = client.post("/complaints/new", data=form_data(language=language))
    assert response.status_code == 303, response.get_data(as_text=True)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    receipt = re.search(r'href="([^"]*/receipt\.pdf\?[^"]+)"', page).group(1).replace("&amp;", "&")
    return client.get(receipt).data


def _by_api(client, language: str) -> bytes:
    body = client.post("/api/v1/complaints", json=valid_payload(language=language)).get_json()
    return client.get(body["receipt_url"]).data


def _by_clerk(client, channel: str, language: str) -> bytes:
    """Registered at the desk by the clerk signed in, then printed from its case page."""
    data = form_data(language=language, channel=channel, received_on=datetime.now(ZONE).date().isoformat())
    response = client.post("/staff/complaints/new", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)
    slug = response.headers["Location"].rsplit("/", 1)[1]
    print_page = client.post(f"/staff/complaints/{slug}/receipt", data={"language": language}).headers["Location"]
    pdf_url = re.search(r'src="([^"]+\.pdf)"', client.get(print_page).get_data(as_text=True)).group(1)
    return client.get(pdf_url).data


def _receipt(client, login, channel: str, language: str = "en") -> bytes:
    if channel == "web":
        return _by_web_form(client, language)
    if channel == "api":
        return _by_api(client, language)
    login(client, "clerk", "irina", full_name=CLERK)
    return _by_clerk(client, channel, language)


NAME = "Ana-Maria Ștefănescu-Țurcanu"


@pytest.mark.parametrize(
    ("channel", "received", "signed"),
    [
        ("web", "Received Through the web form", f"Signed electronically: {NAME} — declaration “I confirm this "
                                                  "complaint is true and I sign it” confirmed"),
        ("api", "Received Through an integration (API)", f"Signed electronically: {NAME} — declaration"),
        ("paper", f"Received On paper, handed in; received by {CLERK}", f"Signed by hand on paper: {NAME}"),
        ("in_person", f"Received In person, at the desk; received by {CLERK}", f"Signed by hand on paper: {NAME}"),
        ("post", f"Received By post; registered by {CLERK}", f"Signed by hand on paper: {NAME}"),
        ("phone", f"Received By phone; taken down by {CLERK}",
         f"Not signed by the complainant: {NAME} gave it by phone and confirmed it orally"),
        ("email", f"Received By e-mail from ana.maria@example.md; registered by {CLERK}",
         f"Not signed by hand: sent by e-mail in the name of {NAME}"),
    ],
)
def test_the_receipt_says_how_the_complaint_was_received_and_signed(app, client, login, channel, received, signed):
    text = _text(_receipt(client, login, channel))
    assert received in text
    assert signed in text
    if channel in ("web", "api"):
        assert CLERK not in text
    else:  # the clerk's name on the registering officer's line too, and no electronic signature
        assert f"Registering officer: {CLERK}" in text
        assert "Signed electronically" not in text
    with app.app_context():
        report = verify_registry()
    assert report.ok, [str(p) for p in report.problems]


@pytest.mark.parametrize(
    ("channel", "language", "received", "signed"),
    [
        ("phone", "ro", f"Primită Prin telefon; consemnată de {CLERK}",
         f"Nesemnată de reclamant: {NAME} a depus-o prin telefon și a confirmat-o verbal"),
        ("post", "ru", f"Поступила По почте; зарегистрировал(а): {CLERK}",
         f"Подписана собственноручно на бумаге: {NAME}"),
        ("email", "uk", f"Надійшла Електронною поштою з адреси ana.maria@example.md; зареєстрував(ла): {CLERK}",
         f"Власноручного підпису немає: надіслана електронною поштою від імені: {NAME}"),
        ("web", "ro", "Primită Prin formularul web", f"Semnat electronic: {NAME} — declarația"),
    ],
)
def test_the_receipt_says_it_in_the_receipts_language(app, client, login, channel, language, received, signed):
    text = _text(_receipt(client, login, channel, language))
    assert received in text and signed in text


def test_registration_signs_how_the_complaint_was_signed_and_the_clerk_as_named_then(app, client, login):
    login(client, "clerk", "irina", full_name=CLERK)
    _by_clerk(client, "phone", "ro")
    client.post("/complaints/new", data=form_data())
    with app.app_context():
        phoned, typed = db.session.scalars(select(Complaint).order_by(Complaint.seq))
        payloads = [json.loads(intake_entry(c.id).payload) for c in (phoned, typed)]
    assert payloads[0]["registration"] == {
        "signature": "oral", "by": {"id": phoned.registered_by_id, "username": "irina", "name": CLERK}}
    assert payloads[1]["registration"] == {"signature": "electronic", "by": None}


def test_a_clerk_renamed_later_leaves_the_receipt_as_issued(app, client, login):
    login(client, "clerk", "irina", full_name=CLERK)
    first = _by_clerk(client, "paper", "en")
    with app.test_request_context():
        complaint = db.session.scalar(select(Complaint))
        db.session.get(User, complaint.registered_by_id).full_name = "Irina Rusu"
        db.session.commit()
        again = render_complaint_receipt(complaint, language="en")  # made anew, not the kept file
    assert f"received by {CLERK}" in _text(again)
    assert again == first


def test_a_record_from_before_registration_was_signed_prints_the_channels_usual_wording(app):
    """Intake records written before they carried `registration` (demo data, older databases)."""
    payload = {"number": "2026/000001", "channel": "post", "category": "payments",
               "registered_at": "2026-11-23T08:00:00Z", "first_response_due": "2026-11-24T08:00:00Z",
               "declaration": True, "registered_by_id": 3}
    private = {"complainant": {"full_name": NAME, "email": "ana@example.md"}, "signature_name": NAME}
    registered = as_registered(Complaint(access_code="X"), payload, private)
    assert (registered.signature, registered.registered_by, registered.sender) == ("handwritten", "", "")
    e_mailed = as_registered(Complaint(access_code="X"), {**payload, "channel": "email"}, private)
    assert (e_mailed.signature, e_mailed.sender) == ("email", "ana@example.md")


def test_a_complaint_received_by_e_mail_needs_the_address_it_came_from(app, client, login):
    login(client, "clerk")
    data = form_data(channel="email", email=None, received_on=datetime.now(ZONE).date().isoformat())
    response = client.post("/staff/complaints/new", data=data)
    assert response.status_code == 422
    assert "Give the address the e-mail came from." in response.get_data(as_text=True)

"""The public complaint form: filing, bad input, attachments, double submission, tracking."""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from _support import form_data, valid_payload
from app.complaints.models import Attachment, Complaint
from app.extensions import db

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + b"\x00" * 40


def _count(app, model=Complaint) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _token(html: str) -> str:
    return re.search(r'name="submission_token" type="hidden" value="([^"]+)"', html).group(1)


def test_the_form_says_plainly_that_this_is_a_formal_registered_complaint(client):
    page = client.get("/").get_data(as_text=True)
    assert "formal complaint" in page and "incoming number" in page
    for label in ("Full name", "E-mail", "Phone", "Postal address", "Category", "Subject",
                  "What happened", "What outcome do you want?", "Preferred language",
                  "I confirm this complaint is true and I sign it."):
        assert label in page
    assert _token(page)
    assert client.get("/complaints/new").status_code == 200


def test_a_filed_complaint_leads_to_a_confirmation_with_number_receipt_and_tracking_link(client, app):
    response = client.post("/complaints/new", data=form_data(language="en"))  # pages follow its language
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        complaint = db.session.scalar(select(Complaint))
        assert complaint.channel.value == "web"
        number, code = complaint.number, complaint.access_code
    assert number in page
    assert f"/complaints/{number.replace('/', '-')}/receipt.pdf?code={code}" in page
    assert f"/track/{number.replace('/', '-')}?code={code}" in page
    assert "First response due by" in page


def test_invalid_input_comes_back_with_everything_typed_and_a_message_per_field(client, app):
    data = form_data(full_name="Олександр Євгенович Ґудзь", email="nope", phone=None,
                     description="short", signature="Олександр Євгенович Ґудзь")
    del data["declaration"]
    response = client.post("/complaints/new", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="Олександр Євгенович Ґудзь"' in page
    assert "Retragerea de 500 MDL nu a ajuns" in page  # the subject, kept
    assert "This is not a valid e-mail address." in page
    assert "Write at least 10 characters." in page
    assert "Tick the declaration to sign the complaint." in page
    assert page.count('class="error"') == 3
    assert _count(app) == 0


def test_a_complaint_without_any_contact_is_refused_on_both_contact_fields(client, app):
    response = client.post("/complaints/new", data=form_data(email=None, phone=None))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert page.count("Give an e-mail address or a phone number (or both)") == 2
    assert _count(app) == 0


def test_evidence_is_stored_outside_the_web_root_under_its_hash(client, app):
    data = form_data()
    data["attachments"] = [(io.BytesIO(PDF_BYTES), "выписка банка.pdf"), (io.BytesIO(PNG_BYTES), "screen.png")]
    response = client.post("/complaints/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 303
    with app.app_context():
        files = db.session.scalars(select(Attachment).order_by(Attachment.id)).all()
        assert [(f.filename, f.content_type) for f in files] == [
            ("выписка банка.pdf", "application/pdf"), ("screen.png", "image/png")]
        stored = Path(app.config["ATTACHMENTS_DIR"]) / files[0].sha256[:2] / files[0].sha256
        assert files[0].sha256 == hashlib.sha256(PDF_BYTES).hexdigest()
        assert stored.read_bytes() == PDF_BYTES
        assert not str(stored).startswith(app.static_folder)


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([(b"MZ\x90\x00" + b"\x00" * 60, "invoice.pdf")], "is not an accepted file type"),
        ([(b"\x00\x01binary", "notes.txt")], "is not an accepted file type"),
        ([(b"", "empty.pdf")], "is empty"),
        ([(PDF_BYTES + b"x" * 2000, "big.pdf")], "is larger than"),
        ([(PDF_BYTES, f"f{i}.pdf") for i in range(6)], "Attach at most 5 files."),
    ],
)
def test_bad_attachments_are_refused_and_nothing_is_stored(make_app, files, message):
    app = make_app(ATTACHMENT_MAX_BYTES=1024)
    data = form_data()
    data["attachments"] = [(io.BytesIO(content), name) for content, name in files]
    response = app.test_client().post("/complaints/new", data=data, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page
    assert "please attach them again" in page
    assert _count(app) == 0
    assert not any(Path(app.config["ATTACHMENTS_DIR"]).rglob("*")) if Path(app.config["ATTACHMENTS_DIR"]).exists() else True


def test_a_double_click_registers_one_complaint(client, app):
    token = _token(client.get("/").get_data(as_text=True))
    first = client.post("/complaints/new", data=form_data(submission_token=token))
    second = client.post("/complaints/new", data=form_data(submission_token=token))
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert _count(app) == 1


def test_a_sent_form_changed_and_resent_is_not_silently_merged(client, app):
    token = _token(client.get("/").get_data(as_text=True))
    client.post("/complaints/new", data=form_data(submission_token=token, language="en"))
    again = client.post("/complaints/new", data=form_data(submission_token=token, subject="Another thing",
                                                          language="en"))
    page = again.get_data(as_text=True)
    assert again.status_code == 422
    assert "already sent and registered as" in page
    assert 'value="Another thing"' in page and _token(page) != token
    assert _count(app) == 1


def test_a_form_posted_without_its_csrf_token_is_refused(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    response = app.test_client().post("/complaints/new", data=form_data())
    assert response.status_code == 400
    assert _count(app) == 0


def test_tracking_by_number_and_code_shows_status_and_deadline(client, app):
    client.post("/complaints/new", data=form_data(language="en"))
    with app.app_context():
        complaint = db.session.scalar(select(Complaint))
        number, code = complaint.number, complaint.access_code
    found = client.get("/track", query_string={"number": number, "code": code.lower()})
    assert found.status_code == 303
    page = client.get(found.headers["Location"]).get_data(as_text=True)
    assert number in page and "Registered, awaiting first response" in page
    assert "First response due by" in page
    wrong = client.get("/track", query_string={"number": number, "code": "ZZZZZZZZZZZZ"})
    assert wrong.status_code == 404 and "No complaint matches" in wrong.get_data(as_text=True)


def test_the_verify_page_confirms_a_genuine_receipt_and_rejects_a_wrong_fingerprint(client):
    body = client.post("/api/v1/complaints", json=valid_payload()).get_json()
    ok = client.get("/verify", query_string={"number": body["number"], "fingerprint": body["fingerprint"].lower()})
    assert "Genuine." in ok.get_data(as_text=True)
    bad = client.get("/verify", query_string={"number": body["number"], "fingerprint": "0000-0000-0000-0000"})
    assert "No registered complaint matches" in bad.get_data(as_text=True)
    assert client.get("/verify/registry-key.pem").data.startswith(b"-----BEGIN PUBLIC KEY-----")

"""A document the registry issues is one file, whoever asks for it and wherever it is delivered:
the receipt from the API's receipt_url, the confirmation and tracking pages and the desk's first
print; the letter attached to the e-mail, on the tracking page and on the case page. Rendering
is a pure function of the signed record (reportlab's invariant mode, the signing time = the issue
time, deterministic ECDSA), so the bytes are equal, and each still passes pdfsig and
`flask registry verify-document`."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from test_document_signatures import pdfsig, verify_document

from _cases import T0, act
from _support import valid_payload
from app.clock import frozen_clock
from app.extensions import db
from app.mail.compose import compose
from app.notifications.models import Notification, NotificationKind
from app.workflow import operations as ops

PUBLIC = "https://complaints.example.md"


@pytest.fixture
def public_app(make_app):
    """The app as deployed: its public address configured, whatever host a request names."""
    return make_app(PUBLIC_BASE_URL=PUBLIC)


def _link(page: str, pattern: str) -> str:
    return re.search(pattern, page).group(1).replace("&amp;", "&")


def _registered(public_app) -> dict:
    with frozen_clock(T0):
        return public_app.test_client().post("/api/v1/complaints", json=valid_payload()).get_json()


def _assert_genuine(public_app, pdf: bytes, tmp_path) -> None:
    assert "Signature Validation: Signature is Valid." in pdfsig(pdf, tmp_path)
    result = verify_document(public_app, pdf, tmp_path)
    assert result.exit_code == 0 and result.output.startswith("genuine: "), result.output


def test_the_receipt_is_one_file_from_the_api_the_complainants_pages_and_the_desk(public_app, login, tmp_path):
    body = _registered(public_app)
    complainant = public_app.test_client()
    from_api = complainant.get(body["receipt_url"]).data
    confirmation = complainant.get(body["tracking_url"].replace("/track/", "/complaints/", 1).split("?")[0]
                                   + "/confirmation?" + body["tracking_url"].split("?")[1]).get_data(as_text=True)
    from_confirmation = complainant.get(_link(confirmation, r'href="([^"]*/receipt\.pdf\?[^"]+)"')).data
    tracking = complainant.get(body["tracking_url"]).get_data(as_text=True)
    receipt_link = _link(tracking, r'href="([^"]*/receipt\.pdf\?[^"]+)"')
    from_tracking = complainant.get(receipt_link).data
    # Later, from another address of the same server, on another day.
    with frozen_clock(T0 + timedelta(days=40)):
        again = public_app.test_client().get(receipt_link, base_url="http://127.0.0.1:5000").data

    clerk = login(public_app.test_client(), "clerk")
    slug = body["number"].replace("/", "-")
    printed = clerk.post(f"/staff/complaints/{slug}/receipt", data={"language": "ro"}).headers["Location"]
    first_print = clerk.get(_link(clerk.get(printed).get_data(as_text=True), r'src="([^"]+\.pdf)"')).data
    reprinted = clerk.post(f"/staff/complaints/{slug}/receipt", data={"language": "ro"}).headers["Location"]
    duplicate = clerk.get(_link(clerk.get(reprinted).get_data(as_text=True), r'src="([^"]+\.pdf)"')).data

    assert from_api[:5] == b"%PDF-"
    assert from_api == from_confirmation == from_tracking == again == first_print
    assert duplicate != from_api  # a reprint says DUPLICATE 1: another document by design
    _assert_genuine(public_app, from_api, tmp_path)
    metadata = PdfReader(io.BytesIO(from_api)).metadata  # dated when issued, not at some download
    assert metadata.creation_date == metadata.modification_date
    assert metadata.creation_date.year > 2000  # not reportlab's invariant placeholder


def test_the_letter_attached_to_the_e_mail_is_the_file_the_tracking_and_case_pages_give(
    public_app, staff, login, tmp_path
):
    body = _registered(public_app)
    act(public_app, body["number"], ops.take_complaint, by=staff["olga"])
    act(public_app, body["number"], ops.respond, by=staff["olga"],
        body="Am verificat retragerea: banca beneficiară a reținut plata; banii sunt acum în cont.")
    with public_app.app_context():  # as the sender composes it after the commit: outside any request
        notification = db.session.scalar(select(Notification).where(Notification.kind == NotificationKind.MESSAGE))
        (attachment,) = compose(notification).attachments

    complainant = public_app.test_client()
    tracking = complainant.get(body["tracking_url"], base_url="http://127.0.0.1:5000").get_data(as_text=True)
    letter_link = _link(tracking, r'href="([^"]*/letters/\d+\.pdf\?[^"]+)"')
    from_tracking = complainant.get(letter_link).data
    with frozen_clock(T0 + timedelta(days=40)):
        again = complainant.get(letter_link).data
    clerk = login(public_app.test_client(), "clerk")
    slug = body["number"].replace("/", "-")
    message_id = re.search(r"/letters/(\d+)\.pdf", letter_link).group(1)
    from_case_page = clerk.get(f"/staff/complaints/{slug}/letters/{message_id}.pdf").data

    assert attachment.data[:5] == b"%PDF-"
    assert attachment.data == from_tracking == again == from_case_page
    _assert_genuine(public_app, attachment.data, tmp_path)

"""Every document issued (receipt, reprint, letter) stays exactly as it was issued: the first
delivery keeps the PDF in the write-once store and signs its SHA-256 ("document_issued"); every
later delivery serves those bytes, even after the wording or the date style changed; `flask
registry verify` checks each file and each row against its signed event; two first deliveries
at once keep one document.

Runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL (the concurrent first deliveries then
meet on the unique key)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import threading
import traceback
from datetime import timedelta
from pathlib import Path

import msgspec
import pytest
from pypdf import PdfReader
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from test_document_signatures import verify_document

from _cases import T0, act
from _support import valid_payload
from app.clock import frozen_clock
from app.complaints.access import find_by_reference
from app.database import in_unit_of_work
from app.extensions import db
from app.letters import context as letter_context
from app.letters import service as letters
from app.mail.compose import compose
from app.notifications.models import Notification, NotificationKind
from app.receipts import context as receipt_context
from app.receipts import service as receipts
from app.registry import issued
from app.registry.issued import DocumentStore
from app.registry.models import DocumentKind, EntryKind, IssuedDocument, RegistryEntry
from app.workflow import operations as ops
from app.workflow.models import CaseMessage

H = timedelta(hours=1)


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _registered(app) -> dict:
    with frozen_clock(T0):
        response = app.test_client().post("/api/v1/complaints", json=valid_payload())
    assert response.status_code == 201
    return response.get_json()


def _documents(app) -> list[IssuedDocument]:
    with app.app_context():
        return list(db.session.scalars(select(IssuedDocument).order_by(IssuedDocument.id)))


def _issued_events(app) -> list[dict]:
    with app.app_context():
        return [json.loads(payload) for payload in db.session.scalars(
            select(RegistryEntry.payload).where(RegistryEntry.kind == EntryKind.EVENT,
                                                RegistryEntry.payload.contains('"document_issued"'))
            .order_by(RegistryEntry.position))]


def _stored_file(app, document: IssuedDocument) -> Path:
    return DocumentStore(Path(app.config["DOCUMENTS_DIR"])).path_for(document.sha256)


def _verify(runner, *args: str) -> tuple[int, list[dict]]:
    result = runner.invoke(args=["registry", "verify", "--full", "--json", *args])
    return result.exit_code, json.loads(result.output)["problems"]


@pytest.fixture
def new_date_style(monkeypatch):
    """From now on the code prints dates another way (as a release changing the style would)."""
    monkeypatch.setattr(receipt_context, "format_moment", lambda *args, **kwargs: "the 23rd of November")
    monkeypatch.setattr(receipt_context, "format_day", lambda *args, **kwargs: "23/XI/2026")
    monkeypatch.setattr(letter_context, "format_day", lambda *args, **kwargs: "23/XI/2026")


@pytest.fixture
def new_receipt_wording(monkeypatch):
    """From now on the receipt's title reads otherwise (as a release rewording it would)."""
    load = receipts.load_receipt_template

    def reworded(templates_dir, language):
        template = load(templates_dir, language)
        return msgspec.structs.replace(template, wording=msgspec.structs.replace(template.wording, title="RECEIPT, REWORDED"))

    monkeypatch.setattr(receipts, "load_receipt_template", reworded)


# -- stored once, served unchanged --------------------------------------------------------------


def test_a_receipt_is_kept_at_its_first_download_and_served_unchanged_after_the_wording_and_date_style_change(
    app, login, tmp_path, request
):
    body = _registered(app)
    complainant = app.test_client()
    assert _documents(app) == []  # registering issues nothing yet: the first delivery does

    with frozen_clock(T0 + H):
        first = complainant.get(body["receipt_url"]).data
    (document,) = _documents(app)
    assert (document.kind, document.language, document.duplicate_number, document.message_id) == (
        DocumentKind.RECEIPT, "ro", 0, None)
    assert (document.sha256, document.size) == (hashlib.sha256(first).hexdigest(), len(first))
    assert document.issued_at == T0 + H
    assert _stored_file(app, document).read_bytes() == first
    (event,) = _issued_events(app)
    assert event == {"type": "document_issued", "number": body["number"], "at": "2026-11-23T09:00:00.000000+00:00",
                     "document": {"kind": "receipt", "language": "ro", "duplicate": 0,
                                  "sha256": document.sha256, "size": len(first)}}

    request.getfixturevalue("new_date_style")
    request.getfixturevalue("new_receipt_wording")
    with app.test_request_context():
        complaint = find_by_reference(body["number"])
        rendered_now = receipts.render_complaint_receipt(complaint, language="ro")
    assert "RECEIPT, REWORDED" in _text(rendered_now) and "the 23rd of November" in _text(rendered_now)

    with frozen_clock(T0 + 40 * 24 * H):
        again = complainant.get(body["receipt_url"]).data
    clerk = login(app.test_client(), "clerk")
    slug = body["number"].replace("/", "-")
    printed = clerk.post(f"/staff/complaints/{slug}/receipt", data={"language": "ro"}).headers["Location"]
    print_pdf = re.search(r'src="([^"]+\.pdf)"', clerk.get(printed).get_data(as_text=True)).group(1)
    first_print = clerk.get(print_pdf).data

    assert again == first_print == first
    assert "RECEIPT, REWORDED" not in _text(again) and "the 23rd of November" not in _text(again)
    assert len(_documents(app)) == 1 and len(_issued_events(app)) == 1  # the desk's first print is that receipt
    result = verify_document(app, again, tmp_path)
    assert result.exit_code == 0 and result.output.startswith(f"genuine: receipt {body['number']}"), result.output
    case_page = clerk.get(f"/staff/complaints/{slug}").get_data(as_text=True)
    assert "Document issued and kept" in case_page and f"SHA-256 {document.sha256[:16]}" in case_page


def test_each_language_and_each_reprint_is_its_own_document_kept_at_its_first_delivery(
    app, login, new_receipt_wording, request
):
    body = _registered(app)
    complainant = app.test_client()
    in_romanian = complainant.get(body["receipt_url"]).data
    in_english = complainant.get(body["receipt_url"] + "&lang=en").data
    in_english_again = complainant.get(body["receipt_url"] + "&lang=en-GB").data
    clerk = login(app.test_client(), "clerk")
    slug = body["number"].replace("/", "-")
    pdfs = []
    for _ in range(2):
        printed = clerk.post(f"/staff/complaints/{slug}/receipt", data={"language": "en"}).headers["Location"]
        pdfs.append(clerk.get(re.search(r'src="([^"]+\.pdf)"', clerk.get(printed).get_data(as_text=True)).group(1)))
    original, duplicate = (response.data for response in pdfs)

    assert in_english == in_english_again == original != in_romanian
    assert "DUPLICATE 1" in _text(duplicate)
    assert [(d.kind, d.language, d.duplicate_number) for d in _documents(app)] == [
        (DocumentKind.RECEIPT, "ro", 0), (DocumentKind.RECEIPT, "en", 0), (DocumentKind.RECEIPT_PRINT, "en", 1)]
    request.getfixturevalue("new_date_style")
    assert clerk.get(pdfs[1].request.path).data == duplicate  # the reprint, opened again later


def test_a_letter_is_kept_when_first_e_mailed_and_the_tracking_and_case_pages_give_that_file(
    app, staff, login, new_date_style, request
):
    body = _registered(app)
    act(app, body["number"], ops.take_complaint, by=staff["olga"])
    act(app, body["number"], ops.respond, by=staff["olga"], body="Banca a reținut plata; banii sunt acum în cont.")
    with app.app_context():  # the sender composes the e-mail after the commit, outside any request
        notification = db.session.scalar(select(Notification).where(Notification.kind == NotificationKind.MESSAGE))
        (attachment,) = compose(notification).attachments
        message = db.session.scalar(select(CaseMessage).where(CaseMessage.outgoing_number.is_not(None)))
    (document,) = _documents(app)
    assert (document.kind, document.message_id, document.language) == (DocumentKind.LETTER, message.id, "ro")
    assert _issued_events(app)[0]["document"] == {
        "kind": "letter", "language": "ro", "duplicate": 0, "message_id": message.id,
        "outgoing_number": message.outgoing_number, "sha256": hashlib.sha256(attachment.data).hexdigest(),
        "size": len(attachment.data)}

    request.getfixturevalue("monkeypatch").setattr(letter_context, "format_day", lambda *a, **k: "23 XI 2026")
    with app.test_request_context():
        assert letters.render_message_letter(db.session.get(CaseMessage, message.id)) != attachment.data
    tracking = app.test_client().get(body["tracking_url"]).get_data(as_text=True)
    link = re.search(r'href="([^"]*/letters/\d+\.pdf\?[^"]+)"', tracking).group(1).replace("&amp;", "&")
    from_tracking = app.test_client().get(link).data
    clerk = login(app.test_client(), "clerk")
    from_case_page = clerk.get(f"/staff/complaints/{body['number'].replace('/', '-')}/letters/{message.id}.pdf").data
    assert from_tracking == from_case_page == attachment.data
    assert len(_documents(app)) == 1


def test_a_document_issued_before_the_store_existed_is_kept_at_its_next_delivery(app, staff):
    """A letter sent and a receipt registered before the upgrade have no row: their next delivery
    renders them from their signed records (as they were issued) and keeps that file."""
    body = _registered(app)
    act(app, body["number"], ops.take_complaint, by=staff["olga"])
    act(app, body["number"], ops.respond, by=staff["olga"], body="We are checking the payment.")
    assert _documents(app) == []
    with app.test_request_context():
        complaint = find_by_reference(body["number"])
        message = db.session.scalar(select(CaseMessage).where(CaseMessage.outgoing_number.is_not(None)))
        receipt, letter = receipts.complaint_receipt_pdf(complaint, language="ro"), letters.message_letter_pdf(message)
        assert receipt == receipts.render_complaint_receipt(complaint, language="ro")
        assert letter == letters.render_message_letter(message)
    assert [d.kind for d in _documents(app)] == [DocumentKind.RECEIPT, DocumentKind.LETTER]


# -- verify -----------------------------------------------------------------------------------------


@pytest.fixture
def delivered(app, staff) -> dict:
    """A receipt and a letter, each delivered once."""
    body = _registered(app)
    act(app, body["number"], ops.take_complaint, by=staff["olga"])
    act(app, body["number"], ops.respond, by=staff["olga"], body="We are checking the payment.")
    client = app.test_client()
    client.get(body["receipt_url"])
    with app.test_request_context():
        letters.message_letter_pdf(db.session.scalar(select(CaseMessage).where(CaseMessage.outgoing_number.is_not(None))))
    receipt, letter = _documents(app)
    return {"body": body, "receipt": receipt, "letter": letter}


def _replace_file(path: Path, content: bytes) -> None:
    os.chmod(path, 0o640)  # the store writes read-only files; someone with access changes that first
    path.write_bytes(content)


def test_verify_checks_each_issued_documents_file_against_its_signed_sha256(app, runner, delivered):
    assert _verify(runner) == (0, [])
    result = runner.invoke(args=["registry", "verify", "--full"])
    assert result.exit_code == 0 and "2 files" in result.output, result.output

    receipt_file = _stored_file(app, delivered["receipt"])
    _replace_file(receipt_file, _stored_file(app, delivered["letter"]).read_bytes())  # swapped for another document
    _stored_file(app, delivered["letter"]).unlink()
    code, problems = _verify(runner)
    assert code == 1
    assert [(p["number"], p["what"], p["expected"], p["found"]) for p in problems] == [
        (delivered["body"]["number"], "altered: the file of an issued document differs from its signed SHA-256: receipt (ro)",
         delivered["receipt"].sha256, delivered["letter"].sha256),
        (delivered["body"]["number"], "the file of an issued document is missing: letter (ro)",
         delivered["letter"].sha256, "no file"),
    ]
    assert _verify(runner, "--no-files") == (0, [])

    # ... and neither is served: not the changed file, nor a new rendering in place of the lost one.
    client = app.test_client()
    refused = client.get(delivered["body"]["receipt_url"])
    assert refused.status_code == 503 and b"being restored" in refused.data
    tracking = client.get(delivered["body"]["tracking_url"]).get_data(as_text=True)
    link = re.search(r'href="([^"]*/letters/\d+\.pdf\?[^"]+)"', tracking).group(1).replace("&amp;", "&")
    assert client.get(link).status_code == 503
    assert len(_documents(app)) == 2


def test_verify_names_a_document_row_changed_removed_or_added_outside_the_registry(app, runner, delivered):
    receipt, letter = delivered["receipt"], delivered["letter"]
    with app.app_context():  # point the receipt's row at the letter's file (which exists and is intact)
        db.session.execute(text("UPDATE issued_documents SET sha256 = :sha WHERE id = :id"),
                           {"sha": letter.sha256, "id": receipt.id})
        db.session.commit()
    code, problems = _verify(runner)
    assert code == 1 and [(p["position"], p["what"]) for p in problems] == [
        (receipt.entry_position, "altered: the issued document differs from its signed event")]
    assert f"sha256={json.dumps(receipt.sha256)}" in problems[0]["expected"]

    with app.app_context():
        db.session.execute(text("DELETE FROM issued_documents WHERE id = :id"), {"id": receipt.id})
        db.session.execute(text(
            "INSERT INTO issued_documents (kind, complaint_id, language, duplicate_number, sha256, size, issued_at)"
            " VALUES ('receipt', :complaint, 'en', 0, :sha, :size, :at)"),
            {"complaint": receipt.complaint_id, "sha": letter.sha256, "size": letter.size, "at": letter.issued_at})
        db.session.commit()
        added = db.session.scalar(select(func.max(IssuedDocument.id)))
    code, problems = _verify(runner)
    assert code == 1 and [(p["position"], p["what"]) for p in problems] == [
        (receipt.entry_position, "the issued document this entry records is missing (removed)"),
        (None, f"an issued document (row {added}) that no signed event recorded (added outside the registry)"),
    ]


# -- two first deliveries at once -----------------------------------------------------------------


def test_two_first_downloads_at_once_keep_one_document_and_both_get_its_bytes(app, monkeypatch):
    """Both requests find no document, both render (they meet at the barrier, so each has looked
    before either stored), both store a file; one row and one signed event win, and the other
    request serves the winner's bytes, not its own. On PostgreSQL they also meet after looking
    again inside their units of work, so both insert and the second fails on the unique key
    (SQLite runs one writer at a time: the second looks after the first committed)."""
    body = _registered(app)
    barrier = threading.Barrier(2, timeout=60)
    render = receipts.render_complaint_receipt

    def render_at_once(complaint, **kwargs):
        pdf = render(complaint, **kwargs)
        barrier.wait()
        return pdf + f"% rendered by {threading.current_thread().name}\n".encode()

    monkeypatch.setattr(receipts, "render_complaint_receipt", render_at_once)
    postgresql = app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
    looked_again = threading.Barrier(2, timeout=60)
    find, commit = issued.issued_document, issued.commit_with_retry
    refused: list[BaseException] = []

    def find_then_meet(key):
        found = find(key)
        if postgresql and in_unit_of_work():
            looked_again.wait()
        return found

    def commit_and_note(work):
        try:
            return commit(work)
        except IntegrityError as error:
            refused.append(error)
            raise

    monkeypatch.setattr(issued, "issued_document", find_then_meet)
    monkeypatch.setattr(issued, "commit_with_retry", commit_and_note)
    answers: dict[str, bytes] = {}
    failures: list[str] = []  # each with its traceback, so a failure says where it happened

    def download(name: str) -> None:
        try:
            response = app.test_client().get(body["receipt_url"])
            assert response.status_code == 200, response.status_code
            answers[name] = response.data
        except BaseException as error:  # noqa: BLE001 - reported by the test below
            failures.append("".join(traceback.format_exception(error)))
            barrier.abort()
            looked_again.abort()

    threads = [threading.Thread(target=download, args=(name,), name=name) for name in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, "\n".join(failures)
    assert len(answers) == 2

    (document,) = _documents(app)
    assert len(_issued_events(app)) == 1
    stored = _stored_file(app, document).read_bytes()
    assert answers["first"] == answers["second"] == stored
    assert stored.endswith(b"\n") and b"% rendered by " in stored[-40:]
    assert len(refused) == (1 if postgresql else 0)  # PostgreSQL: the loser met the unique key
    assert _verify(app.test_cli_runner()) == (0, [])

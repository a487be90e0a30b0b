"""Evidence at any time: the complainant's replies and disputes take files, the complainant can
write from registration on, officers enclose files with their letters, the desk adds documents
that arrived later; each file's SHA-256 is signed in the event that brought it and verified."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from _cases import T0, act, events, load, notifications, private_parts
from _support import valid_payload
from app.clock import frozen_clock
from app.complaints.access import find_by_reference
from app.complaints.models import Attachment, ComplaintStatus
from app.extensions import db
from app.registry.verify import verify_registry
from app.workflow import operations as ops
from app.workflow.models import CaseMessage

H = timedelta(hours=1)
PDF = b"%PDF-1.4\n" + b"statement " * 40 + b"\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8"
                    "cfc0f01f0005000201a5e2a3d50000000049454e44ae426082")


def _track(app, number: str) -> tuple[str, str]:
    complaint = load(app, number)
    return complaint.slug, complaint.access_code


def _files(app, number: str) -> list[Attachment]:
    with app.app_context():
        complaint = load(app, number)
        return list(db.session.scalars(select(Attachment).where(Attachment.complaint_id == complaint.id)
                                       .order_by(Attachment.id)))


def _reply(client, app, number: str, name: str = "reply", files=(), **fields):
    slug, code = _track(app, number)
    data = {f"{name}-body": fields.pop("body", "Here is my bank statement."), **fields,
            f"{name}-attachments": [(io.BytesIO(content), filename) for filename, content in files]}
    return client.post(f"/track/{slug}/{name}?code={code}", data=data, content_type="multipart/form-data")


def _verified(app) -> list:
    with app.app_context():
        return verify_registry().problems


# The complainant writes from registration on --------------------------------------------------


def test_a_complainant_can_write_before_anyone_takes_the_complaint_and_the_clock_keeps_running(
        app, client, register, staff):
    number = register()
    page = client.get("/track/{}?code={}".format(*_track(app, number))).get_data(as_text=True)
    assert 'data-testid="form-reply"' in page and 'data-testid="form-dispute"' not in page
    response = _reply(client, app, number, body="I forgot: the card ends in 1234.")
    assert response.status_code == 303
    complaint = load(app, number)
    assert complaint.status == ComplaintStatus.REGISTERED  # nobody took it: it waits, registered
    assert complaint.first_responded_at is None  # the first-response clock is not stopped
    assert complaint.next_check_at is not None  # and its alarm still set
    assert complaint.contact_count == 2 and complaint.owner_id is None
    # Nobody owns it: the tier is told.
    assert ("complainant_reply", "tier", None, 1) in notifications(app, number)
    assert events(app, number)[-1]["type"] == "complainant_replied"
    # An officer can still take it, and its state machine goes on as before.
    act(app, number, ops.take_complaint, by=staff["olga"])
    assert load(app, number).status == ComplaintStatus.IN_PROGRESS
    assert _verified(app) == []


def test_a_reply_to_an_owned_complaint_tells_the_owner(app, client, register, staff):
    number = register()
    act(app, number, ops.take_complaint, by=staff["olga"])
    act(app, number, ops.request_information, by=staff["olga"], body="Send the statement.")
    assert _reply(client, app, number, files=[("statement.pdf", PDF)]).status_code == 303
    assert load(app, number).status == ComplaintStatus.IN_PROGRESS
    assert notifications(app, number)[-1][:3] == ("complainant_reply", "user", staff["olga"])


# Files with a reply or a dispute ---------------------------------------------------------------


def test_a_reply_with_files_signs_their_sha256_and_lists_them_for_both_sides(app, client, login, register, staff):
    number = register()
    response = _reply(client, app, number, files=[("statement.pdf", PDF), ("photo.png", PNG)])
    assert response.status_code == 303
    event = events(app, number)[-1]
    assert event["type"] == "complainant_replied"
    assert event["attachments"] == [
        {"content_type": "application/pdf", "size": len(PDF), "sha256": hashlib.sha256(PDF).hexdigest()},
        {"content_type": "image/png", "size": len(PNG), "sha256": hashlib.sha256(PNG).hexdigest()},
    ]
    assert private_parts(app, number)[-1]["attachments"] == ["statement.pdf", "photo.png"]
    rows = _files(app, number)
    with app.app_context():
        message = db.session.scalars(select(CaseMessage)).one()
        assert [(r.filename, r.message_id, r.entry_position) for r in rows] == [
            ("statement.pdf", message.id, message.entry_position), ("photo.png", message.id, message.entry_position)]
    with app.app_context():
        assert find_by_reference(number).attachments == []  # not part of the intake record
    # The complainant sees them on the tracking page and downloads them behind the access code.
    slug, code = _track(app, number)
    page = client.get(f"/track/{slug}?code={code}").get_data(as_text=True)
    link = re.search(r'href="(/track/[^"]+/attachments/\d+\?code=[^"]+)"[^>]*>statement.pdf<', page).group(1)
    download = client.get(link.replace("&amp;", "&"))
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert client.get(re.sub(r"code=[^&]+", "code=WRONG", link)).status_code == 404
    # Staff see them on the case page, and download them (audited).
    staff_client = login(app.test_client(), "officer", username="reader", tier=1)
    case = staff_client.get(f"/staff/complaints/{slug}").get_data(as_text=True)
    assert 'data-testid="message-files"' in case and "photo.png" in case
    staff_link = re.search(r'href="(/staff/complaints/[^"]+/attachments/\d+)">photo.png<', case).group(1)
    assert staff_client.get(staff_link).data == PNG
    assert _verified(app) == []


@pytest.mark.parametrize("attachment_id", ["2147483648", "9223372036854775807"])
def test_a_file_id_beyond_the_databases_integers_is_no_file_on_any_page(app, client, login, register, staff,
                                                                        attachment_id):
    """An id the URL's `int` lets through but an INTEGER column cannot hold (PostgreSQL refused
    it in the driver: a 500): the tracking page, the case page and the staff API answer 404."""
    number = register()
    slug, code = _track(app, number)
    assert client.get(f"/track/{slug}/attachments/{attachment_id}?code={code}").status_code == 404
    staff_client = login(app.test_client(), "officer", username="reader", tier=1)
    assert staff_client.get(f"/staff/complaints/{slug}/attachments/{attachment_id}").status_code == 404
    with app.app_context():
        from app.auth.models import User
        from app.auth.tokens import create_token

        secret = create_token(db.session.get(User, staff["olga"]), "files").secret
        db.session.commit()
    api = client.get(f"/api/v1/staff/complaints/{slug}/attachments/{attachment_id}",
                     headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 404 and api.is_json


def test_a_dispute_takes_files_too(app, client, register, staff):
    number = register()
    act(app, number, ops.take_complaint, by=staff["olga"])
    act(app, number, ops.respond, by=staff["olga"], body="We refuse.")
    response = _reply(client, app, number, "dispute", files=[("receipt.png", PNG)], body="Here is the receipt.")
    assert response.status_code == 303
    assert load(app, number).status == ComplaintStatus.REOPENED
    assert events(app, number)[-1]["attachments"][0]["sha256"] == hashlib.sha256(PNG).hexdigest()
    assert [f.filename for f in _files(app, number)] == ["receipt.png"]
    assert _verified(app) == []


@pytest.mark.parametrize(("files", "error"), [
    ([("virus.exe", b"MZ\x90\x00" + b"\x00" * 200)], "virus.exe is not an accepted file type"),
    ([("invoice.pdf", PNG)], "invoice.pdf is really a PNG file"),
    ([("empty.pdf", b"")], "empty.pdf is empty."),
    ([(f"page{i}.pdf", PDF + bytes([i])) for i in range(6)], "Attach at most 5 files."),
])
def test_a_refused_file_is_named_at_its_field_and_nothing_is_written(app, client, register, files, error):
    number = register(language="en")
    before = len(events(app, number))
    response = _reply(client, app, number, files=files, body="Typed and kept.")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert error in page
    assert re.search(r'id="reply-attachments-error">[^<]*' + re.escape(error), page)
    assert "Typed and kept." in page  # what was typed comes back
    assert "please attach them again" in page
    assert len(events(app, number)) == before and _files(app, number) == []


def _filed(app) -> str:
    with frozen_clock(T0):
        return app.test_client().post("/api/v1/complaints", json=valid_payload(language="en")).get_json()["number"]


def test_a_file_over_the_size_limit_is_refused(make_app):
    app = make_app(ATTACHMENT_MAX_BYTES=1024)
    number = _filed(app)
    response = _reply(app.test_client(), app, number, files=[("big.pdf", b"%PDF-1.4\n" + b"x" * 2000)])
    assert response.status_code == 422 and "big.pdf is larger than" in response.get_data(as_text=True)
    assert _files(app, number) == []


def test_the_store_cap_holds_for_replies(make_app):
    app = make_app(EVIDENCE_STORAGE_MAX_BYTES=100)
    client = app.test_client()
    number = _filed(app)
    response = _reply(client, app, number, files=[("statement.pdf", PDF)])
    assert response.status_code == 422
    assert "storage for them is full" in response.get_data(as_text=True)
    assert _files(app, number) == []


def test_the_same_file_twice_is_stored_once_on_disk_but_signed_with_each_event(app, client, register, staff):
    number = register()
    assert _reply(client, app, number, files=[("statement.pdf", PDF)]).status_code == 303
    assert _reply(client, app, number, files=[("again.pdf", PDF)], body="Sending it again.").status_code == 303
    rows = _files(app, number)
    assert len(rows) == 2 and rows[0].entry_position != rows[1].entry_position
    with app.app_context():
        assert db.session.scalar(select(func.count(func.distinct(Attachment.sha256)))) == 1
    assert _verified(app) == []


# Officers enclose files with their letters -----------------------------------------------------


def _officer_sends(app, login, number: str, files, action: str = "respond", **fields) -> object:
    client = login(app.test_client(), "officer", username="olga", tier=1, full_name="Olga Officer")
    slug = load(app, number).slug
    with frozen_clock(T0 + H):
        assert client.post(f"/staff/complaints/{slug}/take").status_code == 303
    data = {f"{action}-body": "We refund the fee; the bank's confirmation is enclosed.", **fields,
            f"{action}-attachments": [(io.BytesIO(content), filename) for filename, content in files]}
    with frozen_clock(T0 + 2 * H):
        response = client.post(f"/staff/complaints/{slug}/{action.replace('_', '-')}", data=data,
                               content_type="multipart/form-data")
    return client, response


def _pdf_text(pdf: bytes) -> str:
    from pypdf import PdfReader
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_a_response_encloses_files_listed_on_the_letter_and_attached_to_its_e_mail(make_app, login):
    from _smtp import running_smtp_server
    from app.mail.delivery import deliver_due

    with running_smtp_server() as smtp:
        app = make_app(**smtp.settings())
        with frozen_clock(T0):
            number = app.test_client().post("/api/v1/complaints", json=valid_payload(language="ro")).get_json()["number"]
        client, response = _officer_sends(app, login, number, [("confirmare-bancă.pdf", PDF), ("chitanta.png", PNG)])
        assert response.status_code == 303, response.get_data(as_text=True)
        event = events(app, number)[-1]
        assert event["type"] == "responded"
        assert [f["sha256"] for f in event["attachments"]] == [hashlib.sha256(PDF).hexdigest(),
                                                              hashlib.sha256(PNG).hexdigest()]
        letter = private_parts(app, number)[-1]["letter"]
        assert letter["attachments"] == [{"name": "confirmare-bancă.pdf", "sha256": hashlib.sha256(PDF).hexdigest()},
                                         {"name": "chitanta.png", "sha256": hashlib.sha256(PNG).hexdigest()}]
        with app.app_context():
            message = db.session.scalars(select(CaseMessage)).one()
            assert [a.filename for a in message.attachments] == ["confirmare-bancă.pdf", "chitanta.png"]
            message_id = message.id
        slug = load(app, number).slug
        pdf = client.get(f"/staff/complaints/{slug}/letters/{message_id}.pdf").data
        text = _pdf_text(pdf)
        assert "Anexe:" in text and "confirmare-bancă.pdf" in text
        assert hashlib.sha256(PDF).hexdigest()[:16] in text
        with app.app_context(), frozen_clock(T0 + 3 * H):
            assert deliver_due().sent >= 1
        [mail] = [m for m in smtp.messages if m.rcpt_tos == [valid_payload()["email"]]
                  and any(part.get_filename() == "chitanta.png" for part in m.message.iter_attachments())]
        names = [part.get_filename() for part in mail.message.iter_attachments()]
        assert "confirmare-bancă.pdf" in names and "chitanta.png" in names and len(names) == 3
        body = mail.message.get_body(preferencelist=("plain",)).get_content()
        assert "confirmare-bancă.pdf" in body
        # The complainant downloads the enclosures from the tracking page too.
        slug, code = _track(app, number)
        page = app.test_client().get(f"/track/{slug}?code={code}").get_data(as_text=True)
        assert "chitanta.png" in page
    assert _verified(app) == []


def test_enclosures_too_large_for_one_e_mail_are_named_and_left_on_the_tracking_page(make_app, login):
    from _smtp import running_smtp_server
    from app.mail.delivery import deliver_due

    with running_smtp_server() as smtp:
        app = make_app(**smtp.settings(), MAIL_ENCLOSURES_MAX_BYTES=100)
        with frozen_clock(T0):
            number = app.test_client().post("/api/v1/complaints", json=valid_payload(language="en")).get_json()["number"]
        _client, response = _officer_sends(app, login, number, [("statement.pdf", PDF)])
        assert response.status_code == 303
        with app.app_context(), frozen_clock(T0 + 3 * H):
            deliver_due()
        mail = [m for m in smtp.messages if m.message.get_body(preferencelist=("plain",)).get_content().count(
            "statement.pdf")][-1]
        names = [part.get_filename() for part in mail.message.iter_attachments()]
        assert names == [n for n in names if n.startswith("letter-")]  # the letter only
        assert "download them from your tracking page" in mail.message.get_body(preferencelist=("plain",)).get_content()


def test_a_refused_enclosure_keeps_the_response_unsent_with_the_error_at_the_field(app, login, register):
    number = register(language="en")
    _client, response = _officer_sends(app, login, number, [("notes.pdf", b"not a pdf at all")])
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert re.search(r'id="respond-attachments-error">[^<]*notes.pdf is not an accepted file type', page)
    assert "the bank&#39;s confirmation is enclosed" in page and "attach them again" in page
    assert events(app, number)[-1]["type"] == "taken"


# The desk adds documents that arrived later -----------------------------------------------------


def _add_documents(app, client, number: str, files, **fields):
    slug = load(app, number).slug
    data = {"add_documents-channel": "post", "add_documents-received_on": "2026-11-24",
            "add_documents-note": "Came by post in a brown envelope.", **fields,
            "add_documents-attachments": [(io.BytesIO(content), filename) for filename, content in files]}
    with frozen_clock(T0 + 30 * H):
        return client.post(f"/staff/complaints/{slug}/add-documents", data=data, content_type="multipart/form-data")


def test_a_clerk_adds_documents_that_came_by_post_as_a_signed_event(app, client, login, register, staff):
    number = register()
    clerk = login(app.test_client(), "clerk", username="desk", full_name="Dana Desk")
    response = _add_documents(app, clerk, number, [("scan.pdf", PDF), ("photo.png", PNG)])
    assert response.status_code == 303, response.get_data(as_text=True)
    event = events(app, number)[-1]
    assert event["type"] == "documents_added"
    assert event["received"]["channel"] == "post" and event["received"]["received_on"] == "2026-11-24"
    assert event["by"]["name"] == "Dana Desk"
    assert [f["sha256"] for f in event["attachments"]] == [hashlib.sha256(PDF).hexdigest(),
                                                          hashlib.sha256(PNG).hexdigest()]
    assert private_parts(app, number)[-1] == {"attachments": ["scan.pdf", "photo.png"],
                                              "note": "Came by post in a brown envelope."}
    complaint = load(app, number)
    assert complaint.status == ComplaintStatus.REGISTERED and complaint.contact_count == 1  # nothing else moves
    case = clerk.get(f"/staff/complaints/{complaint.slug}").get_data(as_text=True)
    assert 'data-testid="added-documents"' in case and "scan.pdf" in case and "Documents added" in case
    # The complainant downloads what they sent, behind the access code.
    slug, code = _track(app, number)
    rows = _files(app, number)
    page = client.get(f"/track/{slug}?code={code}").get_data(as_text=True)
    assert 'data-testid="later-documents"' in page and "photo.png" in page
    assert client.get(f"/track/{slug}/attachments/{rows[0].id}?code={code}").data == PDF
    assert _verified(app) == []


@pytest.mark.parametrize(("fields", "files", "field", "error"), [
    ({}, [], "attachments", "Attach at least one document."),
    ({"add_documents-channel": ""}, [("scan.pdf", PDF)], "channel", "Choose how they came."),
    ({"add_documents-received_on": "2030-01-01"}, [("scan.pdf", PDF)], "received_on", "cannot be in the future"),
    ({}, [("scan.exe", b"MZ" + b"\x00" * 100)], "attachments", "scan.exe is not an accepted file type"),
])
def test_documents_with_a_missing_or_wrong_field_are_refused_at_the_field(app, login, register, fields, files,
                                                                          field, error):
    number = register(language="en")
    clerk = login(app.test_client(), "clerk", username="desk")
    before = len(events(app, number))
    response = _add_documents(app, clerk, number, files, **fields)
    assert response.status_code == 422
    assert re.search(rf'id="add_documents-{field}-error">[^<]*{re.escape(error)}', response.get_data(as_text=True))
    assert len(events(app, number)) == before and _files(app, number) == []


def test_nothing_is_added_to_an_annulled_complaint(app, login, register, staff):
    from app.desk.operations import annul_complaint
    number = register()
    act(app, number, annul_complaint, by=staff["clerk"], reason="Registered twice by mistake")
    clerk = login(app.test_client(), "clerk", username="desk")
    assert _add_documents(app, clerk, number, [("scan.pdf", PDF)]).status_code in (403, 422)
    assert _files(app, number) == []


# verify checks every file an event brought -------------------------------------------------------


@pytest.fixture
def with_files(app, client, login, register, staff) -> str:
    """A complaint with a reply with a file, a response with an enclosure and documents added."""
    number = register()
    assert _reply(client, app, number, files=[("statement.pdf", PDF)]).status_code == 303
    clerk = login(app.test_client(), "clerk", username="desk")
    assert _add_documents(app, clerk, number, [("photo.png", PNG)]).status_code == 303
    assert _verified(app) == []
    return number


def _tamper(app, statement) -> None:
    with app.app_context():
        db.session.execute(statement)
        db.session.commit()


def test_verify_names_a_swapped_file_on_disk(app, with_files):
    from pathlib import Path
    digest = hashlib.sha256(PDF).hexdigest()
    path = Path(app.config["ATTACHMENTS_DIR"]) / digest[:2] / digest
    path.chmod(0o644)
    path.write_bytes(b"%PDF-1.4\nsomething else\n%%EOF\n")
    [problem] = _verified(app)
    assert problem.what == "altered: an evidence file differs from its recorded SHA-256" and problem.expected == digest
    path.unlink()
    assert [p.what for p in _verified(app)] == ["an evidence file is missing"]


def test_verify_names_a_file_row_whose_hash_or_name_was_changed(app, with_files):
    from sqlalchemy import update
    _tamper(app, update(Attachment).where(Attachment.filename == "statement.pdf")
            .values(sha256=hashlib.sha256(PNG).hexdigest(), size=len(PNG)))
    problems = [p for p in _verified(app) if "the files it brought" in p.what]
    assert len(problems) == 1 and "sha256" in problems[0].expected
    _tamper(app, update(Attachment).where(Attachment.filename == "statement.pdf")
            .values(sha256=hashlib.sha256(PDF).hexdigest(), size=len(PDF), filename="other.pdf"))
    [problem] = _verified(app)
    assert "the files it brought" in problem.what and "statement.pdf" in problem.expected


def test_verify_names_a_file_row_removed_or_added_outside_the_registry(app, with_files):
    from sqlalchemy import delete, insert
    with app.app_context():
        row = db.session.scalars(select(Attachment).where(Attachment.filename == "photo.png")).one()
        values = {c.name: getattr(row, c.name) for c in Attachment.__table__.columns if c.name != "id"}
    _tamper(app, delete(Attachment).where(Attachment.filename == "photo.png"))
    [problem] = _verified(app)
    assert "the files it brought" in problem.what
    _tamper(app, insert(Attachment).values(**values))  # put back: clean again
    assert _verified(app) == []
    # A file slipped in under an entry that brought none (the intake record's, or a reply's).
    with app.app_context():
        taken = db.session.scalars(select(CaseMessage.entry_position)).one()
    _tamper(app, insert(Attachment).values(**{**values, "entry_position": taken + 0, "filename": "extra.png"}))
    assert any("the files it brought" in p.what or "records none" in p.what for p in _verified(app))
    _tamper(app, delete(Attachment).where(Attachment.filename == "extra.png"))
    _tamper(app, insert(Attachment).values(**{**values, "entry_position": None, "filename": "extra.png"}))
    assert any("differs from its signed record" in p.what for p in _verified(app))

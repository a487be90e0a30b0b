"""Evidence files are checked by what they contain, and their name must agree with it."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from _support import form_data
from app.complaints.models import Attachment, Complaint
from app.complaints.storage import ALLOWED_TYPES
from app.extensions import db


def _zip(*members: tuple[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members:
            archive.writestr(name, content)
    return buffer.getvalue()


#: The smallest content of every accepted type, as its magic bytes announce it: type -> (name, bytes).
SAMPLES: dict[str, tuple[str, bytes]] = {
    "application/pdf": ("statement.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"),
    "image/jpeg": ("photo.JPG", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40),
    "image/png": ("screen.png", bytes.fromhex("89504e470d0a1a0a0000000d49484452") + b"\x00" * 40),
    "image/gif": ("anim.gif", b"GIF89a" + b"\x00" * 40),
    "image/webp": ("pic.webp", b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"\x00" * 40),
    "image/tiff": ("scan.tiff", b"II*\x00" + b"\x00" * 40),
    "image/heic": ("phone.heic", b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 40),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (
        "letter.docx", _zip(("[Content_Types].xml", "<Types/>"), ("word/document.xml", "<w:document/>"))),
    "application/vnd.oasis.opendocument.text": ("letter.odt", _zip(("mimetype", "application/vnd.oasis.opendocument.text"))),
    "text/plain": ("notes.txt", "Дата: 20.11.2026, оператор Ion.\n".encode()),
}

EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00"


def _post(app, name: str, content: bytes):
    data = form_data()
    data["attachments"] = [(io.BytesIO(content), name)]
    return app.test_client().post("/complaints/new", data=data, content_type="multipart/form-data")


def _stored(app) -> tuple[int, int, bool]:
    directory = Path(app.config["ATTACHMENTS_DIR"])
    with app.app_context():
        complaints = db.session.scalar(select(func.count()).select_from(Complaint))
        files = db.session.scalar(select(func.count()).select_from(Attachment))
    return complaints, files, directory.exists() and any(p.is_file() for p in directory.rglob("*"))


def test_every_accepted_type_has_a_sample_here():
    assert set(SAMPLES) == set(ALLOWED_TYPES)


@pytest.mark.parametrize("content_type", sorted(SAMPLES))
def test_each_accepted_type_is_recognised_by_its_content(app, content_type):
    name, content = SAMPLES[content_type]
    assert _post(app, name, content).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(Attachment.content_type)) == content_type


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("invoice.pdf", EXECUTABLE, "invoice.pdf is not an accepted file type"),
        ("invoice.pdf", b"<html><script>alert(1)</script></html>", "invoice.pdf is not an accepted file type"),
        ("invoice.pdf", SAMPLES["image/png"][1], "invoice.pdf is really a PNG file, which its name does not say; "
                                                 "rename it to end in .png."),
        ("photo.png", SAMPLES["application/pdf"][1], "photo.png is really a PDF file"),
        ("setup.exe", SAMPLES["application/pdf"][1], "setup.exe is really a PDF file"),
        ("evidence", SAMPLES["image/jpeg"][1], "evidence is really a JPEG file"),
    ],
)
def test_a_file_whose_content_is_not_what_its_name_says_is_refused_and_nothing_is_stored(app, name, content, message):
    response = _post(app, name, content)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    field_error = re.search(r'<p class="error" id="attachments-error">(.*?)</p>', page, re.S)
    assert field_error is not None and message in field_error.group(1)  # shown at the field
    assert _stored(app) == (0, 0, False)


# The store's total size cap (EVIDENCE_STORAGE_MAX_BYTES) --------------------------------------------


def _files_on_disk(app) -> int:
    return sum(1 for p in Path(app.config["ATTACHMENTS_DIR"]).rglob("*") if p.is_file())


def _field_error(page: str) -> str:
    found = re.search(r'<p class="error" id="attachments-error">(.*?)</p>', page, re.S)
    return found.group(1) if found else ""


def test_a_full_evidence_store_refuses_new_files_at_the_field_and_stores_nothing(make_app):
    first, second = b"%PDF-1.4\n" + b"a" * 600 + b"\n%%EOF\n", b"%PDF-1.4\n" + b"b" * 600 + b"\n%%EOF\n"
    app = make_app(EVIDENCE_STORAGE_MAX_BYTES=len(first) + len(second) - 1)

    assert _post(app, "first.pdf", first).status_code == 303
    refused = _post(app, "second.pdf", second)

    assert refused.status_code == 422
    assert "storage for them is full" in _field_error(refused.get_data(as_text=True))
    assert 'value="Retragerea de 500 MDL nu a ajuns"' in refused.get_data(as_text=True)  # what was typed is kept
    assert _stored(app)[:2] == (1, 1) and _files_on_disk(app) == 1
    # A file the store already holds takes no more room; a complaint without files is always taken.
    assert _post(app, "same-again.pdf", first).status_code == 303
    no_files = form_data()
    assert app.test_client().post("/complaints/new", data=no_files).status_code == 303
    assert _stored(app)[:2] == (3, 2) and _files_on_disk(app) == 1


def test_the_clerks_form_has_the_same_cap(make_app, login):
    app = make_app(EVIDENCE_STORAGE_MAX_BYTES=100)
    client = login(app.test_client(), "clerk")
    today = datetime.now(ZoneInfo(app.config["REGISTRY_TIMEZONE"])).date().isoformat()
    data = form_data(channel="paper", received_on=today)
    data["attachments"] = [(io.BytesIO(b"%PDF-1.4\n" + b"c" * 200 + b"\n%%EOF\n"), "scan.pdf")]

    refused = client.post("/staff/complaints/new", data=data, content_type="multipart/form-data")

    assert refused.status_code == 422
    assert "storage for them is full" in _field_error(refused.get_data(as_text=True))
    assert _stored(app) == (0, 0, False)


def test_the_stored_total_counts_each_distinct_file_once(app):
    from app.complaints.storage import Evidence, has_room_for, new_evidence_bytes, stored_evidence_bytes

    pdf = SAMPLES["application/pdf"][1]
    assert _post(app, "a.pdf", pdf).status_code == 303
    assert _post(app, "b.pdf", pdf).status_code == 303
    with app.test_request_context():
        assert stored_evidence_bytes(db.session) == len(pdf)
        again = Evidence("c.pdf", "application/pdf", pdf)
        new = Evidence("d.txt", "text/plain", b"new notes")
        assert new_evidence_bytes(db.session, [again, new, new]) == len(b"new notes")
        assert has_room_for(db.session, [again], max_bytes=0)
        assert not has_room_for(db.session, [new], max_bytes=len(pdf) + 8)
        assert has_room_for(db.session, [new], max_bytes=len(pdf) + 9)

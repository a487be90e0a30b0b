"""Receipts and letters prove themselves: a PAdES signature by the document certificate, the
registry's record embedded in the file, and the offline check (`flask registry verify-document`).

Signatures are checked three ways: pyHanko's validation with the certificate as the trust root,
poppler's `pdfsig` (skipped when it is missing, a failure under REQUIRE_BROWSER=1 as in CI), and
our own check. Most tests sign rendered documents without a database; the last ones sign a
receipt of a registered complaint with the app's own keys.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import stat
import subprocess
import sys
import threading
import traceback
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader
from reportlab.pdfgen import canvas
from test_letters import BASE as LETTER
from test_letters import long_body, stored_letter  # noqa: F401  (a fixture, used below)
from test_letters import render as render_letter
from test_receipt_render import BASE as RECEIPT
from test_receipt_render import render as render_receipt

from _support import config_class
from app import create_app
from app.clock import frozen_clock
from app.documents.signature import (
    RECORD_FILE_NAME,
    DocumentSigner,
    DocumentSignerMissing,
    load_document_signer,
    sign_document,
)
from app.registry.digest import fingerprint_of
from app.registry.document_check import CheckError, check_document
from app.registry.signing import RegistrySigner

CERTIFICATE_START = datetime(2026, 1, 1, tzinfo=UTC)
ISSUED_AT = datetime(2026, 11, 22, 12, 5, 30, tzinfo=UTC)
ORGANISATION = "Demo Betting SRL"


def _pdfsig() -> str:
    """The pdfsig command, or a skip when it is missing: a failure under REQUIRE_BROWSER=1 (CI)."""
    path = shutil.which("pdfsig")
    if path is None:
        reason = "poppler's pdfsig is not installed (Debian's poppler-utils)"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but {reason}", pytrace=False)
        pytest.skip(reason)
    return path


def pdfsig(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "document.pdf"
    path.write_bytes(pdf)
    completed = subprocess.run([_pdfsig(), str(path)], capture_output=True, text=True, timeout=60, check=False)
    return completed.stdout + completed.stderr


def make_signer(folder: Path, organisation: str = ORGANISATION) -> DocumentSigner:
    with frozen_clock(CERTIFICATE_START):
        return load_document_signer(folder / "key.pem", folder / "certificate.pem", autocreate=True,
                                    organisation_name=organisation)


@pytest.fixture(scope="module")
def signer(tmp_path_factory: pytest.TempPathFactory) -> DocumentSigner:
    return make_signer(tmp_path_factory.mktemp("document-key"))


@pytest.fixture(scope="module")
def registry() -> RegistrySigner:
    return RegistrySigner(Ed25519PrivateKey.generate())


def registry_record(registry: RegistrySigner, kind: str, seed: str) -> dict[str, Any]:
    """What the registry signed about a document: its digest, signed by the registry key."""
    digest = hashlib.sha256(seed.encode()).hexdigest()
    record = {"kind": kind, "number": "2026/000123", "position": 17, "digest": digest,
              "signature": registry.sign(bytes.fromhex(digest)).hex(), "key_id": registry.key_id}
    if kind == "letter":
        record["outgoing_number"] = "OUT-2026/000012"
    return record


def rendered(kind: str, record: dict[str, Any]) -> bytes:
    """A real receipt, or a real two-page letter, printing the record's fingerprint."""
    fingerprint = fingerprint_of(record["digest"])
    if kind == "receipt":
        return render_receipt(msgspec.structs.replace(RECEIPT, fingerprint=fingerprint))
    return render_letter(msgspec.structs.replace(LETTER, fingerprint=fingerprint, body=long_body(5000)))


@pytest.fixture(scope="module")
def issued(signer: DocumentSigner, registry: RegistrySigner) -> dict[str, tuple[bytes, bytes, dict[str, Any]]]:
    """Per kind: (the unsigned PDF, the signed PDF, the record)."""
    documents = {}
    for kind in ("receipt", "letter"):
        record = registry_record(registry, kind, kind)
        plain = rendered(kind, record)
        documents[kind] = (plain, sign_document(plain, record=record, credentials=signer, issued_at=ISSUED_AT), record)
    return documents


def pyhanko_status(pdf: bytes, signer: DocumentSigner) -> Any:
    [signature] = PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures
    roots = [signature.signer_cert]  # the same certificate, as pyHanko reads it
    assert roots[0].dump() == signer.certificate.public_bytes(Encoding.DER)
    context = ValidationContext(trust_roots=roots, moment=ISSUED_AT, allow_fetching=False)
    return validate_pdf_signature(signature, signer_validation_context=context)


def flip_byte_in_signed_range(pdf: bytes, offset: int = 12) -> bytes:
    """One bit changed in the header's binary comment: still a readable PDF, no longer the signed one."""
    changed = bytearray(pdf)
    changed[offset] ^= 0x01
    assert bytes(changed) != pdf
    return bytes(changed)


def updated_after_signing(pdf: bytes) -> bytes:
    """An incremental update appended to a signed file (the catalog's language changed)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    writer.root["/Lang"] = generic.pdf_string("ro")
    writer.update_root()
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


# -- signing ----------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["receipt", "letter"])
def test_a_signed_document_is_valid_for_pyhanko_with_the_certificate_as_trust_root(issued, signer, kind):
    status = pyhanko_status(issued[kind][1], signer)
    assert status.intact and status.valid and status.trusted
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert status.bottom_line
    assert status.signer_reported_dt == ISSUED_AT.replace(microsecond=0)


@pytest.mark.parametrize("kind", ["receipt", "letter"])
def test_a_signed_document_is_valid_for_pdfsig(issued, kind, tmp_path):
    output = pdfsig(issued[kind][1], tmp_path)
    assert "Signature Validation: Signature is Valid." in output, output
    assert "Total document signed" in output
    assert f"Signer Certificate Common Name: {ORGANISATION} complaint registry" in output
    assert "Signature Type: ETSI.CAdES.detached" in output  # PAdES, not adbe.pkcs7
    assert "Signing Time: Nov 22 2026 12:05:30" in output


@pytest.mark.parametrize("kind", ["receipt", "letter"])
def test_a_flipped_byte_in_the_signed_range_is_invalid_for_pyhanko_and_pdfsig(issued, signer, kind, tmp_path):
    tampered = flip_byte_in_signed_range(issued[kind][1])
    assert not pyhanko_status(tampered, signer).intact
    output = pdfsig(tampered, tmp_path)
    assert "Signature Validation: Digest Mismatch." in output, output
    assert "Signature is Valid" not in output


def test_an_update_after_signing_is_reported_by_pyhanko_and_pdfsig(issued, signer, tmp_path):
    updated = updated_after_signing(issued["receipt"][1])
    status = pyhanko_status(updated, signer)
    assert status.coverage != SignatureCoverageLevel.ENTIRE_FILE
    output = pdfsig(updated, tmp_path)
    assert "Not total document signed" in output, output


@pytest.mark.parametrize("kind", ["receipt", "letter"])
def test_the_record_is_embedded_as_registry_record_json(issued, kind):
    import json

    attachments = PdfReader(io.BytesIO(issued[kind][1])).attachments
    assert list(attachments) == [RECORD_FILE_NAME]
    [content] = attachments[RECORD_FILE_NAME]
    assert json.loads(content) == issued[kind][2]


def test_signing_keeps_the_pages_and_their_text(issued):
    plain, signed, _ = issued["letter"]
    before, after = PdfReader(io.BytesIO(plain)), PdfReader(io.BytesIO(signed))
    assert len(after.pages) == len(before.pages) == 2
    assert [page.extract_text() for page in after.pages] == [page.extract_text() for page in before.pages]
    assert signed.startswith(plain)  # an incremental update: the rendered bytes are untouched


def test_signing_does_not_change_how_the_receipt_looks(issued, tmp_path, artifacts_dir):
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        _pdfsig()  # the same poppler-utils: fail under REQUIRE_BROWSER=1, skip otherwise
        pytest.skip("poppler's pdftoppm is not installed")
    plain, signed, _ = issued["receipt"]
    pictures = []
    for name, pdf in (("plain", plain), ("signed", signed)):
        (tmp_path / f"{name}.pdf").write_bytes(pdf)
        subprocess.run([pdftoppm, "-png", "-r", "60", "-singlefile", str(tmp_path / f"{name}.pdf"),
                        str(tmp_path / name)], check=True, timeout=60)
        pictures.append((tmp_path / f"{name}.png").read_bytes())
    shutil.copy(tmp_path / "signed.png", artifacts_dir / "signed-receipt.png")
    assert pictures[0] == pictures[1]


def test_signing_the_same_document_twice_gives_the_same_bytes(issued, signer):
    plain, signed, record = issued["receipt"]
    assert sign_document(plain, record=record, credentials=signer, issued_at=ISSUED_AT) == signed


def test_threads_signing_a_processs_first_documents_at_once_all_sign_them(tmp_path):
    """pyHanko's signer is made once per process and shared by its threads (gunicorn's gthread
    workers, the two first downloads of tests/test_issued_documents.py), and the asn1crypto
    certificate and key in it parse themselves lazily on first use: unguarded, two threads
    signing their first documents at once read each other's half-parsed fields (a KeyError or an
    IndexError, a 500 for the download). Each round starts from a fresh signer, with the
    interpreter switching threads as often as it can, so the first uses overlap."""
    page = io.BytesIO()
    drawing = canvas.Canvas(page)
    drawing.drawString(72, 720, "A short document, so the threads reach the signer together")
    drawing.save()
    plain, record = page.getvalue(), {"kind": "receipt", "number": "2026/000123"}
    expected = sign_document(plain, record=record, credentials=make_signer(tmp_path), issued_at=ISSUED_AT)
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    failures: list[str] = []
    results: list[bytes] = []
    try:
        for _ in range(8):
            fresh = make_signer(tmp_path)  # the same key and certificate, a signer not used yet
            start = threading.Barrier(4, timeout=60)

            def sign(credentials: DocumentSigner = fresh, barrier: threading.Barrier = start) -> None:
                try:
                    barrier.wait()
                    results.append(sign_document(plain, record=record, credentials=credentials, issued_at=ISSUED_AT))
                except Exception as error:  # noqa: BLE001 - reported below
                    failures.append("".join(traceback.format_exception(error)))

            threads = [threading.Thread(target=sign) for _ in range(4)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
    finally:
        sys.setswitchinterval(switch_interval)
    assert not failures, f"{len(failures)} of 32 signatures failed; the first:\n{failures[0]}"
    assert results == [expected] * 32  # each is the document a single thread signs


def test_a_document_issued_before_the_certificate_is_signed_when_the_certificate_starts(issued, signer):
    plain, _, record = issued["receipt"]
    early = sign_document(plain, record=record, credentials=signer, issued_at=CERTIFICATE_START - timedelta(days=30))
    [signature] = PdfFileReader(io.BytesIO(early), strict=False).embedded_signatures
    assert signature.self_reported_timestamp == CERTIFICATE_START


def test_signing_needs_an_aware_issue_time(issued, signer):
    plain, _, record = issued["receipt"]
    with pytest.raises(ValueError, match="timezone-aware"):
        sign_document(plain, record=record, credentials=signer, issued_at=ISSUED_AT.replace(tzinfo=None))


# -- the key and certificate files -------------------------------------------------------------

def test_the_key_and_a_self_signed_certificate_naming_the_organisation_are_created_once(tmp_path):
    first = make_signer(tmp_path, "Alfa Pariuri SRL")
    again = make_signer(tmp_path, "Another name")
    assert first.certificate == again.certificate and first.certificate.issuer == first.certificate.subject
    assert first.subject == "O=Alfa Pariuri SRL,CN=Alfa Pariuri SRL complaint registry"
    assert stat.S_IMODE((tmp_path / "key.pem").stat().st_mode) == 0o600
    assert first.valid_from == CERTIFICATE_START


def test_processes_starting_at_once_all_get_the_same_key_and_certificate(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    def load(_: int) -> DocumentSigner:
        return load_document_signer(tmp_path / "key.pem", tmp_path / "certificate.pem", autocreate=True,
                                    organisation_name=ORGANISATION)

    with ThreadPoolExecutor(max_workers=8) as pool:
        signers = list(pool.map(load, range(8)))
    assert len({signer.certificate_pem() for signer in signers}) == 1
    assert len({signer.private_key.private_numbers().private_value for signer in signers}) == 1
    assert sorted(path.name for path in tmp_path.iterdir()) == ["certificate.pem", "key.pem"]  # no leftovers


def test_without_autocreate_a_missing_key_or_certificate_refuses_to_load(tmp_path):
    with pytest.raises(DocumentSignerMissing, match="does not exist"):
        load_document_signer(tmp_path / "key.pem", tmp_path / "cert.pem", autocreate=False, organisation_name="X")
    make_signer(tmp_path)
    with pytest.raises(DocumentSignerMissing, match="certificate .* does not exist"):
        load_document_signer(tmp_path / "key.pem", tmp_path / "absent.pem", autocreate=False, organisation_name="X")


def test_a_certificate_without_its_key_is_not_silently_replaced(tmp_path):
    make_signer(tmp_path)
    (tmp_path / "key.pem").unlink()
    with pytest.raises(DocumentSignerMissing, match="exists but its key"):
        make_signer(tmp_path)


def test_a_certificate_of_another_key_is_refused(tmp_path):
    make_signer(tmp_path / "one")
    make_signer(tmp_path / "two")
    with pytest.raises(DocumentSignerMissing, match="not the signing key's"):
        load_document_signer(tmp_path / "one" / "key.pem", tmp_path / "two" / "certificate.pem",
                             autocreate=False, organisation_name=ORGANISATION)


def test_production_refuses_to_start_without_the_document_key_and_certificate(monkeypatch, tmp_path):
    from config import ProductionConfig

    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", "set")
    registry_key = tmp_path / "registry.pem"
    registry_key.write_text("present")
    monkeypatch.setattr(ProductionConfig, "REGISTRY_KEY_PATH", str(registry_key))
    monkeypatch.setattr(ProductionConfig, "DOCUMENT_SIGNING_KEY_PATH", str(tmp_path / "absent-key.pem"))
    monkeypatch.setattr(ProductionConfig, "DOCUMENT_CERTIFICATE_PATH", str(tmp_path / "absent-cert.pem"))
    with pytest.raises(RuntimeError, match="DOCUMENT_SIGNING_KEY_PATH.*DOCUMENT_CERTIFICATE_PATH"):
        ProductionConfig.validate()
    assert ProductionConfig.DOCUMENT_SIGNING_AUTOCREATE is False


# -- the offline check ----------------------------------------------------------------------------

def check(pdf: bytes, signer: DocumentSigner, registry: RegistrySigner) -> Any:
    return check_document(pdf, certificate_pem=signer.certificate_pem(), public_key_pem=registry.public_pem())


@pytest.mark.parametrize("kind", ["receipt", "letter"])
def test_an_issued_document_is_genuine(issued, signer, registry, kind):
    result = check(issued[kind][1], signer, registry)
    assert result.genuine, result.reasons
    assert result.reasons == [] and result.record == issued[kind][2]
    assert result.signer == f"{ORGANISATION} complaint registry"
    assert result.signed_at == ISSUED_AT.replace(microsecond=0)
    assert result.fingerprint == fingerprint_of(issued[kind][2]["digest"])


def forged(issued, signer, registry, change: dict[str, Any]) -> bytes:
    """The receipt signed with a record that the registry did not sign."""
    plain, _, record = issued["receipt"]
    return sign_document(plain, record={**record, **change}, credentials=signer, issued_at=ISSUED_AT)


@pytest.mark.parametrize(("damage", "reason"), [
    (lambda pdf: flip_byte_in_signed_range(pdf), "changed after it was signed"),
    (lambda pdf: flip_byte_in_signed_range(pdf, len(pdf) // 3), "not genuine"),
    (lambda pdf: pdf[: len(pdf) // 2], "damaged and cannot be read"),
    (lambda pdf: pdf[:-200], "damaged and cannot be read"),
    (lambda pdf: updated_after_signing(pdf), "does not cover the whole file"),
    (lambda pdf: b"GIF89a not a pdf at all", "not a PDF document"),
    (lambda pdf: b"", "not a PDF document"),
])
def test_a_damaged_document_is_not_genuine_and_says_why(issued, signer, registry, damage, reason):
    result = check(damage(issued["receipt"][1]), signer, registry)
    assert not result.genuine and result.reasons
    if reason != "not genuine":
        assert any(reason in text for text in result.reasons), result.reasons


def test_an_unsigned_document_is_not_genuine(issued, signer, registry):
    result = check(issued["receipt"][0], signer, registry)
    assert (result.genuine, result.reasons) == (False, ["the document carries no PDF signature"])


def test_a_document_signed_by_another_certificate_is_not_genuine(issued, signer, registry, tmp_path):
    plain, _, record = issued["receipt"]
    impostor = make_signer(tmp_path, ORGANISATION)  # the same name, another key
    result = check(sign_document(plain, record=record, credentials=impostor, issued_at=ISSUED_AT), signer, registry)
    assert not result.genuine
    assert result.reasons == [f"the PDF is signed with another certificate ({ORGANISATION} complaint registry), "
                              "not the registry's"]


def test_a_record_with_a_forged_signature_is_not_genuine(issued, signer, registry):
    other = RegistrySigner(Ed25519PrivateKey.generate())
    digest = issued["receipt"][2]["digest"]
    result = check(forged(issued, signer, registry, {"signature": other.sign(bytes.fromhex(digest)).hex()}),
                   signer, registry)
    assert not result.genuine
    assert result.reasons == ["the registry record's signature does not verify with the registry's public key"]


def test_a_record_for_another_digest_is_not_genuine(issued, signer, registry):
    record = registry_record(registry, "receipt", "another complaint")  # genuinely signed, another document
    result = check(forged(issued, signer, registry, record), signer, registry)
    assert not result.genuine
    assert result.reasons == [f"the record's fingerprint {fingerprint_of(record['digest'])} is not printed on the document"]


def test_a_record_naming_another_registry_key_is_not_genuine(issued, signer, registry):
    result = check(forged(issued, signer, registry, {"key_id": "0123456789abcdef"}), signer, registry)
    assert result.reasons == ["the registry record was signed with another registry key (0123456789abcdef)"]


def test_checking_with_files_that_are_not_a_certificate_and_a_key_is_an_error(issued, signer, registry):
    with pytest.raises(CheckError, match="certificate"):
        check_document(issued["receipt"][1], certificate_pem=b"nonsense", public_key_pem=registry.public_pem())
    with pytest.raises(CheckError, match="Ed25519"):
        check_document(issued["receipt"][1], certificate_pem=signer.certificate_pem(),
                       public_key_pem=signer.certificate.public_key().public_bytes(
                           Encoding.PEM, PublicFormat.SubjectPublicKeyInfo))


# -- flask registry verify-document ------------------------------------------------------------------

@pytest.fixture
def offline_app(tmp_path):
    """An app whose database cannot be reached: the command must not need it."""
    settings = {
        "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:9/unreachable?connect_timeout=2",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "REGISTRY_KEY_PATH": str(tmp_path / "instance" / "registry.pem"),
        "DOCUMENT_SIGNING_KEY_PATH": str(tmp_path / "instance" / "document-key.pem"),
        "DOCUMENT_CERTIFICATE_PATH": str(tmp_path / "instance" / "document-certificate.pem"),
    }
    return create_app(config_class(**settings))


@pytest.fixture
def public_files(tmp_path, signer, registry) -> list[str]:
    (tmp_path / "certificate.pem").write_bytes(signer.certificate_pem())
    (tmp_path / "registry-key.pem").write_bytes(registry.public_pem())
    return ["--certificate", str(tmp_path / "certificate.pem"), "--public-key", str(tmp_path / "registry-key.pem")]


def verify_document(app, pdf: bytes, tmp_path: Path, *options: str) -> Any:
    path = tmp_path / "to-check.pdf"
    path.write_bytes(pdf)
    return app.test_cli_runner().invoke(args=["registry", "verify-document", str(path), *options])


@pytest.mark.parametrize("kind", ["receipt", "letter"])
def test_verify_document_says_genuine_with_the_published_files_and_no_database(
    offline_app, issued, public_files, tmp_path, kind
):
    result = verify_document(offline_app, issued[kind][1], tmp_path, *public_files)
    fingerprint = fingerprint_of(issued[kind][2]["digest"])
    what = "receipt 2026/000123" if kind == "receipt" else "letter OUT-2026/000012 (complaint 2026/000123)"
    assert (result.exit_code, result.output) == (
        0, f"genuine: {what}, fingerprint {fingerprint}, signed by {ORGANISATION} complaint registry "
           "on 2026-11-22 12:05 UTC\n")


@pytest.mark.parametrize(("damage", "reason"), [
    (lambda pdf: pdf[: len(pdf) - 500], "the PDF document is damaged and cannot be read"),
    (flip_byte_in_signed_range, "the document was changed after it was signed"),
    (lambda pdf: b"%!PS-Adobe-3.0\n", "the file is not a PDF document"),
])
def test_verify_document_says_not_genuine_with_exit_status_1_and_no_traceback(
    offline_app, issued, public_files, tmp_path, damage, reason
):
    result = verify_document(offline_app, damage(issued["receipt"][1]), tmp_path, *public_files)
    assert result.exit_code == 1
    assert result.output.startswith(f"not genuine: {reason}"), result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)


def test_verify_document_refuses_a_document_signed_by_another_key(offline_app, issued, public_files, tmp_path):
    plain, _, record = issued["receipt"]
    impostor = make_signer(tmp_path / "impostor")
    result = verify_document(offline_app, sign_document(plain, record=record, credentials=impostor,
                                                        issued_at=ISSUED_AT), tmp_path, *public_files)
    assert result.exit_code == 1 and result.output.startswith("not genuine: the PDF is signed with another certificate")


def test_verify_document_refuses_a_forged_record(offline_app, issued, signer, registry, public_files, tmp_path):
    result = verify_document(offline_app, forged(issued, signer, registry, {"signature": "00" * 64}), tmp_path,
                             *public_files)
    assert (result.exit_code, result.output) == (
        1, "not genuine: the registry record's signature does not verify with the registry's public key\n")


def test_verify_document_without_the_files_checks_against_this_instance(offline_app, issued, public_files, tmp_path):
    # This instance has keys of its own, so a document of the test registry is not its own.
    result = verify_document(offline_app, issued["receipt"][1], tmp_path)
    assert result.exit_code == 1 and "another certificate" in result.output


def test_verify_document_with_an_unreadable_certificate_is_a_usage_error(offline_app, issued, public_files, tmp_path):
    (tmp_path / "certificate.pem").write_text("not a certificate")
    result = verify_document(offline_app, issued["receipt"][1], tmp_path, *public_files)
    assert result.exit_code == 2 and "the certificate is not a PEM X.509 certificate" in result.output


# -- a registered complaint's receipt, signed with the app's own keys ---------------------------------

def test_a_registered_complaints_receipt_signed_by_the_app_is_genuine_to_verify_document(app, register, tmp_path):
    from app.complaints.access import find_by_reference
    from app.receipts.service import complaint_receipt_pdf
    from app.registry.chain import intake_entry

    number = register()
    with app.test_request_context():
        complaint = find_by_reference(number)
        entry = intake_entry(complaint.id)
        signer = app.extensions["document_signer"]
        pdf = complaint_receipt_pdf(complaint, language="en")  # signed as it is made
    result = verify_document(app, pdf, tmp_path)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"genuine: receipt {number}, fingerprint {fingerprint_of(entry.digest)}, "
                                    f"signed by {ORGANISATION} complaint registry on ")
    assert app.test_client().get("/verify/registry-certificate.pem").data == signer.certificate_pem()


def test_a_stored_letter_signed_by_the_app_is_genuine_to_verify_document(app, stored_letter, tmp_path):  # noqa: F811  (the fixture)
    from app.extensions import db
    from app.letters.service import message_letter_pdf
    from app.workflow.models import CaseMessage

    stored = stored_letter("We checked your withdrawal; the bank held the payment.")
    with app.test_request_context():
        message = db.session.get_one(CaseMessage, stored["message_id"])
        pdf = message_letter_pdf(message)  # signed as it is made
    result = verify_document(app, pdf, tmp_path)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(
        f"genuine: letter {message.outgoing_number} (complaint {stored['number']}), "
        f"fingerprint {stored['letter_fingerprint']}, signed by {ORGANISATION} complaint registry on ")


def test_the_certificate_is_published_beside_the_registry_key(client, app):
    response = client.get("/verify/registry-certificate.pem")
    assert response.status_code == 200 and response.mimetype == "application/x-pem-file"
    assert response.data.startswith(b"-----BEGIN CERTIFICATE-----")
    assert response.data == app.extensions["document_signer"].certificate_pem()

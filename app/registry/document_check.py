"""Check a receipt or letter PDF offline: is it a document the registry issued, unaltered?

Needs nothing but the file and two public files of the registry: the document-signing
certificate (/verify/registry-certificate.pem) and the registry's Ed25519 public key
(/verify/registry-key.pem). No database, no network, no app. A document is genuine when

- its one PDF signature is intact and covers the whole file (nothing appended after it),
- that signature was made with the registry's document-signing certificate,
- the registry's record embedded in it (registry-record.json) carries an Ed25519 signature
  of its digest that the registry key verifies, and
- the fingerprint of that digest is the one printed on the page.

Whatever the bytes are (truncated, tampered, not a PDF), the answer is a DocumentCheck with
the reasons, never an exception.
"""

from __future__ import annotations

import io
import json
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.x509.oid import NameOID
from msgspec import Struct, field
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader

from ..documents.signature import RECORD_FILE_NAME
from .digest import fingerprint_of
from .signing import key_id_of

if TYPE_CHECKING:
    from .models import RegistryEntry

log = logging.getLogger(__name__)


def document_record(
    entry: RegistryEntry, *, kind: str, number: str, outgoing_number: str | None = None
) -> dict[str, Any]:
    """What the registry signed about a document, to embed in it (sign_document's `record`):
    the entry behind the document's printed fingerprint, its digest and Ed25519 signature."""
    record: dict[str, Any] = {"kind": kind, "number": number, "position": entry.position,
                              "digest": entry.digest, "signature": entry.signature, "key_id": entry.key_id}
    if outgoing_number is not None:
        record["outgoing_number"] = outgoing_number
    return record


class DocumentCheck(Struct, frozen=True):
    """What the check found: genuine, or the reasons it is not."""

    genuine: bool
    reasons: list[str] = field(default_factory=list)
    #: The registry's record embedded in the document (when it could be read).
    record: dict[str, Any] | None = None
    #: Who signed the PDF: the signing certificate's common name (or its whole subject).
    signer: str | None = None
    #: When the PDF says it was signed (the document's issue time).
    signed_at: datetime | None = None

    @property
    def fingerprint(self) -> str | None:
        """The fingerprint of the record's digest, as printed on the document."""
        digest = (self.record or {}).get("digest")
        return fingerprint_of(digest) if isinstance(digest, str) and _is_hex(digest, 64) else None


class CheckError(ValueError):
    """The certificate or the public key given to check with cannot be read."""


def load_check_credentials(certificate_pem: bytes, public_key_pem: bytes) -> tuple[list[x509.Certificate], Ed25519PublicKey]:
    """The registry's document certificate (then its issuers) and its Ed25519 public key."""
    try:
        certificates = x509.load_pem_x509_certificates(certificate_pem)
    except ValueError as error:
        raise CheckError(f"the certificate is not a PEM X.509 certificate ({error})") from None
    try:
        public_key = serialization.load_pem_public_key(public_key_pem)
    except ValueError as error:
        raise CheckError(f"the public key is not a PEM public key ({error})") from None
    if not isinstance(public_key, Ed25519PublicKey):
        raise CheckError("the public key is not the registry's Ed25519 key")
    return certificates, public_key


def check_document(pdf_bytes: bytes, *, certificate_pem: bytes, public_key_pem: bytes) -> DocumentCheck:
    """Check `pdf_bytes` against the registry's certificate and public key (PEM); raises
    CheckError only when those two cannot be read, never because of the document."""
    certificates, public_key = load_check_credentials(certificate_pem, public_key_pem)
    if not pdf_bytes.lstrip()[:5] == b"%PDF-":
        return DocumentCheck(False, ["the file is not a PDF document"])
    try:
        return _check(pdf_bytes, certificates, public_key)
    except Exception as error:  # a file damaged in a way no rule above foresaw is still an answer
        log.info("document check failed on a damaged file", exc_info=True)
        return DocumentCheck(False, [f"the PDF document is damaged and cannot be read ({type(error).__name__})"])


def _check(pdf_bytes: bytes, certificates: list[x509.Certificate], public_key: Ed25519PublicKey) -> DocumentCheck:
    try:
        reader = PdfFileReader(io.BytesIO(pdf_bytes), strict=False)
        signatures = reader.embedded_regular_signatures
    except Exception as error:
        return DocumentCheck(False, [f"the PDF document is damaged and cannot be read ({error})"])
    if not signatures:
        return DocumentCheck(False, ["the document carries no PDF signature"])
    if len(signatures) > 1:
        return DocumentCheck(False, [f"the document carries {len(signatures)} PDF signatures; "
                                     "a registry document carries exactly one"])
    signature = signatures[0]
    signed_at = signature.self_reported_timestamp
    signer_der = signature.signer_cert.dump()
    signer_certificate = x509.load_der_x509_certificate(signer_der)
    signer = _display_name(signer_certificate)
    reasons = _pdf_signature_problems(signature, signer_der, certificates, signed_at)
    record, record_problems = _record(reader, public_key)
    reasons += record_problems
    # The page's text is evidence only once the signature vouches for it.
    if record is not None and not reasons:
        fingerprint = fingerprint_of(record["digest"])
        if fingerprint not in _page_text(pdf_bytes):
            reasons.append(f"the record's fingerprint {fingerprint} is not printed on the document")
    return DocumentCheck(not reasons, reasons, record, signer, signed_at)


def _pdf_signature_problems(
    signature: Any, signer_der: bytes, certificates: list[x509.Certificate], signed_at: datetime | None
) -> list[str]:
    expected = certificates[0]
    if signer_der != expected.public_bytes(serialization.Encoding.DER):
        return [f"the PDF is signed with another certificate ({_display_name(x509.load_der_x509_certificate(signer_der))}),"
                " not the registry's"]
    roots = [asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)) for cert in certificates]
    # Checked as of the signing time the document states: the registry's own Ed25519 record
    # is what dates it, so a document stays checkable after the certificate expires.
    context = ValidationContext(trust_roots=roots, moment=signed_at or datetime.now(UTC), allow_fetching=False)
    status = validate_pdf_signature(signature, signer_validation_context=context)
    problems = []
    if not status.intact:
        problems.append("the document was changed after it was signed: its content does not match the PDF signature")
    elif not status.valid:
        problems.append("the PDF signature does not match the registry's certificate")
    if status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        problems.append("the PDF signature does not cover the whole file: something was added after signing")
    if status.intact and status.valid and not status.trusted:
        problems.append(f"the registry's certificate could not be trusted at the signing time "
                        f"({status.trust_problem_indic or 'no reason given'})")
    return problems


def _record(reader: Any, public_key: Ed25519PublicKey) -> tuple[dict[str, Any] | None, list[str]]:
    """The embedded registry record and what is wrong with it."""
    data = _embedded_file(reader, RECORD_FILE_NAME)
    if data is None:
        return None, [f"the document carries no registry record ({RECORD_FILE_NAME})"]
    try:
        record = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None, ["the embedded registry record is not readable JSON"]
    if not isinstance(record, dict):
        return None, ["the embedded registry record is not a JSON object"]
    digest, signature = record.get("digest"), record.get("signature")
    if not (isinstance(digest, str) and _is_hex(digest, 64)):
        return record, ["the registry record has no valid digest"]
    if not (isinstance(signature, str) and _is_hex(signature, 128)):
        return record, ["the registry record has no valid signature"]
    problems = []
    if record.get("key_id") not in (None, key_id_of(public_key)):
        problems.append(f"the registry record was signed with another registry key ({record.get('key_id')})")
    try:
        public_key.verify(bytes.fromhex(signature), bytes.fromhex(digest))
    except InvalidSignature:
        problems.append("the registry record's signature does not verify with the registry's public key")
    return record, problems


def _embedded_file(reader: Any, name: str) -> bytes | None:
    """The content of the document-level embedded file called `name` (a flat name tree)."""
    root = reader.root
    try:
        names = root["/Names"]["/EmbeddedFiles"]["/Names"]
    except KeyError:
        return None
    for index in range(0, len(names) - 1, 2):
        if str(names[index]) == name:
            file_spec = names[index + 1].get_object()
            return file_spec["/EF"]["/F"].get_object().data
    return None


def _page_text(pdf_bytes: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf_bytes)).pages)


def _display_name(certificate: x509.Certificate) -> str:
    common_names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(common_names[0].value) if common_names else certificate.subject.rfc4514_string()


def _is_hex(text: str, length: int) -> bool:
    return len(text) == length and all(ch in "0123456789abcdefABCDEF" for ch in text)

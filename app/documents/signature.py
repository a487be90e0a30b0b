"""PAdES signatures on the documents the registry issues (receipts, outgoing letters).

A document leaves with two proofs that survive without the registry: the registry's own
record of it (what the Ed25519 registry key signed: number, digest, signature), embedded as
the attachment `registry-record.json`, and a PDF signature (PAdES baseline B-B, invisible,
covering the whole file) by the organisation's document-signing key and X.509 certificate,
which any PDF reader or poppler's `pdfsig` can check.

The document key is not the registry key: PDF readers cannot check Ed25519 signatures
(poppler's NSS backend reports them as corrupted), so documents are signed with an ECDSA
P-256 key (or the RSA/ECDSA key of a certificate an organisation buys from a trust service).
In development the key and a self-signed certificate naming the organisation are created on
first run; in production both files must exist (config.py).

Signing is a pure function of its inputs: the signing time and the creation and modification
dates are the document's issue time (reportlab draws in invariant mode, without a date), ECDSA signatures are deterministic (RFC 6979) where OpenSSL allows it,
and the document's second ID is derived from the content, so downloading a document twice
gives the same bytes.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from msgspec import Struct

from ..clock import now_utc
from ..files import write_new_file

#: The name of the embedded file that carries the registry's record of the document.
RECORD_FILE_NAME = "registry-record.json"
#: The name of the (invisible) signature field.
SIGNATURE_FIELD = "RegistrySignature"
#: Years a self-signed development certificate is valid for.
SELF_SIGNED_YEARS = 20

SigningKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

#: One document at a time per process. pyHanko's signer is made once and shared by the
#: process's threads (gunicorn's gthread workers), and the asn1crypto certificate and key inside
#: it parse themselves lazily and keep what they parsed: two threads signing their first
#: documents at once read each other's half-built fields (KeyError 'organization_name',
#: IndexError). Signing holds the interpreter all but the key operation's microseconds, so
#: threads gain nothing by signing side by side.
_SIGNING = threading.Lock()


class DocumentSignerMissing(RuntimeError):
    """The document-signing key or certificate is absent (and may not be created here), or
    the two do not belong together."""


class DocumentSigner(Struct, frozen=True, dict=True):
    """The document-signing key with its certificate (and the certificate's issuers, if any)."""

    private_key: SigningKey
    certificate: x509.Certificate
    #: Issuer certificates given after the signer's in the certificate file, embedded in the
    #: signature so a reader can build the path to the trust service's root.
    chain: tuple[x509.Certificate, ...] = ()

    def __post_init__(self) -> None:
        if self.certificate.public_key().public_numbers() != self.private_key.public_key().public_numbers():
            raise DocumentSignerMissing("the document-signing certificate is not the signing key's")

    @cached_property
    def _pyhanko(self) -> Any:
        """pyHanko's signer for this key, made on the first document signed: pyHanko (and the
        PDF libraries under it) is loaded only by a process that signs (app/documents/pades.py)."""
        from .pades import pyhanko_signer

        return pyhanko_signer(self.private_key, self.certificate, self.chain)

    @property
    def subject(self) -> str:
        """The certificate's subject, e.g. 'CN=Demo Betting SRL complaint registry,O=Demo Betting SRL'."""
        return self.certificate.subject.rfc4514_string()

    @property
    def valid_from(self) -> datetime:
        return self.certificate.not_valid_before_utc

    def certificate_pem(self) -> bytes:
        """The certificate, then its issuers: what is published for anyone to check with."""
        return b"".join(cert.public_bytes(serialization.Encoding.PEM) for cert in (self.certificate, *self.chain))


def record_file_bytes(record: dict[str, Any]) -> bytes:
    """The embedded record as a file: sorted, indented JSON, UTF-8."""
    return (json.dumps(record, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def sign_document(pdf: bytes, *, record: dict[str, Any], credentials: DocumentSigner, issued_at: datetime) -> bytes:
    """`pdf` with `record` embedded as registry-record.json and a PAdES B-B signature over the
    whole file, made at `issued_at` (or when the certificate became valid, if that is later).

    The same arguments give the same bytes (see the module's docstring)."""
    if issued_at.tzinfo is None:
        raise ValueError("issued_at must be timezone-aware")
    from .pades import sign_pdf  # pyHanko loads on the first document a process signs

    signing_time = max(issued_at.astimezone(UTC), credentials.valid_from).replace(microsecond=0)
    with _SIGNING:
        return sign_pdf(pdf, record_name=RECORD_FILE_NAME, record_bytes=record_file_bytes(record),
                        field_name=SIGNATURE_FIELD, signer=credentials._pyhanko,  # noqa: SLF001
                        signing_time=signing_time, bytes_reserved=_reserved_bytes(credentials))


def _reserved_bytes(credentials: DocumentSigner) -> int:
    """Room for the CMS signature: the certificates it carries plus the signature and signed
    attributes (fixed, so pyHanko need not make a trial signature to measure it)."""
    certificates = sum(len(cert.public_bytes(serialization.Encoding.DER))
                       for cert in (credentials.certificate, *credentials.chain))
    return 2 * certificates + 4096


# -- the key and certificate files --------------------------------------------------------

def load_document_signer(
    key_path: Path, certificate_path: Path, *, autocreate: bool, organisation_name: str
) -> DocumentSigner:
    """Load the document-signing key and certificate; when allowed, create whichever is absent
    first: a P-256 key, and a self-signed certificate for it naming `organisation_name`.

    Creation is atomic (a temporary file hard-linked into place), so worker processes starting
    at once all end up with the same key and the same certificate."""
    key_path, certificate_path = Path(key_path), Path(certificate_path)
    if not key_path.exists():
        if not autocreate:
            raise DocumentSignerMissing(
                f"document-signing key {key_path} does not exist; see docs/security.md "
                "('Documents carry their own signature')"
            )
        # A process starting at the same moment may have made both since the check above (its
        # key always before its certificate): only a certificate whose key is still missing is
        # an orphan.
        if certificate_path.exists() and not key_path.exists():
            raise DocumentSignerMissing(
                f"{certificate_path} exists but its key {key_path} does not: restore the key, or remove both"
            )
        create_document_key_file(key_path)
    private_key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    if not isinstance(private_key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise DocumentSignerMissing(f"{key_path} holds neither an ECDSA nor an RSA private key")
    if not certificate_path.exists():
        if not autocreate:
            raise DocumentSignerMissing(f"document-signing certificate {certificate_path} does not exist")
        write_new_file(certificate_path, self_signed_certificate(private_key, organisation_name).public_bytes(
            serialization.Encoding.PEM), mode=0o644)
    certificates = x509.load_pem_x509_certificates(certificate_path.read_bytes())
    return DocumentSigner(private_key, certificates[0], tuple(certificates[1:]))


def create_document_key_file(path: Path) -> bool:
    """Write a new P-256 private key to `path` unless one exists; True when this call created it."""
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return write_new_file(path, pem, mode=0o600)


def self_signed_certificate(private_key: SigningKey, organisation_name: str) -> x509.Certificate:
    """A certificate for signing documents, issued by the organisation to itself, valid from now."""
    name = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, f"{organisation_name} complaint registry"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation_name),
    ])
    start = now_utc().replace(microsecond=0)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=365 * SELF_SIGNED_YEARS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=True, key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False,
        ), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(private_key.public_key()), critical=False)
    )
    return builder.sign(private_key, hashes.SHA256())


if __name__ == "__main__":  # python -m app.documents.signature KEY.pem CERT.pem "Organisation"
    import sys

    key_file, certificate_file, organisation = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    created = not key_file.exists()
    signer = load_document_signer(key_file, certificate_file, autocreate=True, organisation_name=organisation)
    print(f"{'Created' if created else 'Kept'} document-signing key {key_file}; certificate {certificate_file}: "
          f"{signer.subject}. Back the key up.")

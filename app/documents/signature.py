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

import hashlib
import io
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.embed import EmbeddedFileObject, EmbeddedFileParams, FileSpec, embed_file
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.metadata.model import DocumentMetadata
from pyhanko.sign import fields, signers
from pyhanko.sign.signers.pdf_signer import PdfSigningSession
from pyhanko_certvalidator.registry import SimpleCertificateStore

from ..clock import now_utc
from ..files import write_new_file


def _prepare_asn1_maps() -> None:
    """Set up every asn1crypto class of the signing path now, at import, in one thread. It sets
    each class up lazily, on first use, by assigning empty maps and then filling them, so two
    threads signing their first documents at once could see a map half-filled (a KeyError such
    as 'organization_name')."""
    from asn1crypto import algos, cms, core, keys, x509  # noqa: F401  (load every class of the signing path)

    pending: list[type] = [core.Asn1Value, core.ValueMap]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if getattr(cls, "_map", None) is not None and getattr(cls, "_reverse_map", 1) is None:
            cls._reverse_map = {value: key for key, value in cls._map.items()}  # complete before it is seen
        if issubclass(cls, core.Asn1Value) and cls not in core._SETUP_CLASSES:
            try:
                cls()  # its first instance sets the class up (core.Asn1Value.__init__)
            except Exception:  # noqa: S112  (a class that needs arguments is set up at its first real use)
                continue


_prepare_asn1_maps()

#: The name of the embedded file that carries the registry's record of the document.
RECORD_FILE_NAME = "registry-record.json"
#: The name of the (invisible) signature field.
SIGNATURE_FIELD = "RegistrySignature"
#: Years a self-signed development certificate is valid for.
SELF_SIGNED_YEARS = 20

SigningKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


class DocumentSignerMissing(RuntimeError):
    """The document-signing key or certificate is absent (and may not be created here), or
    the two do not belong together."""


@dataclass(frozen=True)
class DocumentSigner:
    """The document-signing key with its certificate (and the certificate's issuers, if any)."""

    private_key: SigningKey
    certificate: x509.Certificate
    #: Issuer certificates given after the signer's in the certificate file, embedded in the
    #: signature so a reader can build the path to the trust service's root.
    chain: tuple[x509.Certificate, ...] = ()
    _pyhanko: signers.SimpleSigner = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.certificate.public_key().public_numbers() != self.private_key.public_key().public_numbers():
            raise DocumentSignerMissing("the document-signing certificate is not the signing key's")
        der = serialization.Encoding.DER
        store = SimpleCertificateStore()
        store.register_multiple(asn1_x509.Certificate.load(cert.public_bytes(der)) for cert in self.chain)
        key_info = asn1_keys.PrivateKeyInfo.load(self.private_key.private_bytes(
            der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        signer = _DeterministicSigner(
            signing_cert=asn1_x509.Certificate.load(self.certificate.public_bytes(der)),
            signing_key=key_info,
            cert_registry=store,
        )
        signer.private_key = self.private_key
        object.__setattr__(self, "_pyhanko", signer)

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


class _DeterministicSigner(signers.SimpleSigner):
    """pyHanko's in-memory signer, with RFC 6979 deterministic ECDSA when OpenSSL has it (a
    document signed twice is then the same bytes) and without re-reading the key each time."""

    private_key: SigningKey

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        if isinstance(self.private_key, ec.EllipticCurvePrivateKey):
            algorithm = _HASHES[digest_algorithm]()
            try:
                return self.private_key.sign(data, ec.ECDSA(algorithm, deterministic_signing=True))
            except Exception:  # an OpenSSL before 3.2: ECDSA with a random nonce, valid all the same
                return self.private_key.sign(data, ec.ECDSA(algorithm))
        return super().sign_raw(data, digest_algorithm)


_HASHES = {"sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}


class _IssuedAtSigner(signers.PdfSigner):
    """A PdfSigner whose signing time is the document's issue time rather than the clock's:
    pyHanko takes the time when the session starts and has no parameter for it."""

    def __init__(self, *args: Any, signing_time: datetime, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._signing_time = signing_time

    def init_signing_session(self, pdf_out: Any, existing_fields_only: bool = False) -> PdfSigningSession:
        session = super().init_signing_session(pdf_out, existing_fields_only=existing_fields_only)
        session.system_time = self._signing_time
        return session


@dataclass
class _IssuedAtMetadata(DocumentMetadata):
    """The document's metadata with the issue time as its modification date: pyHanko sets the
    modification date to "now" when it writes the file, and this keeps `issued_at` instead."""

    issued_at: datetime | None = None

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "last_modified" and value == "now" and self.__dict__.get("issued_at") is not None:
            value = self.__dict__["issued_at"]
        super().__setattr__(name, value)


def record_file_bytes(record: dict[str, Any]) -> bytes:
    """The embedded record as a file: sorted, indented JSON, UTF-8."""
    return (json.dumps(record, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def sign_document(pdf: bytes, *, record: dict[str, Any], credentials: DocumentSigner, issued_at: datetime) -> bytes:
    """`pdf` with `record` embedded as registry-record.json and a PAdES B-B signature over the
    whole file, made at `issued_at` (or when the certificate became valid, if that is later).

    The same arguments give the same bytes (see the module's docstring)."""
    if issued_at.tzinfo is None:
        raise ValueError("issued_at must be timezone-aware")
    signing_time = max(issued_at.astimezone(UTC), credentials.valid_from).replace(microsecond=0)
    record_bytes = record_file_bytes(record)
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    # The document ID (its first half kept if the PDF has one, as the standard asks) and the
    # update's half: derived from what is signed, not drawn at random as pyHanko would.
    first_id = writer.document_id[0] if "/ID" in writer.prev.trailer else hashlib.sha256(pdf).digest()[:16]
    second_id = hashlib.sha256(pdf + record_bytes + signing_time.isoformat().encode()).digest()[:16]
    writer._document_id = generic.ArrayObject(  # noqa: SLF001  (pyHanko draws it at random otherwise)
        [generic.ByteStringObject(first_id), generic.ByteStringObject(second_id)]
    )
    writer._meta = _IssuedAtMetadata(  # noqa: SLF001  (the update's metadata: dated when issued)
        created=signing_time, last_modified=signing_time, issued_at=signing_time)
    embed_file(writer, FileSpec(
        file_spec_string=RECORD_FILE_NAME,
        file_name=RECORD_FILE_NAME,
        embedded_data=EmbeddedFileObject.from_file_data(
            writer, record_bytes, mime_type="application/json",
            params=EmbeddedFileParams(creation_date=signing_time, modification_date=signing_time),
        ),
        description="The complaint registry's signed record of this document",
    ))
    metadata = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
    )
    signer = _IssuedAtSigner(metadata, signer=credentials._pyhanko, signing_time=signing_time)  # noqa: SLF001
    output = signer.sign_pdf(writer, bytes_reserved=_reserved_bytes(credentials))
    return output.getvalue()


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
        if certificate_path.exists():
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

"""The pyHanko half of document signing (app/documents/signature.py): the PAdES signature
itself. Imported on the first document a process signs, not at start-up: pyHanko, with the
PDF, ASN.1 and HTTP libraries it pulls in, takes about half a second to import and tens of
megabytes that a worker serving pages never needs.

Everything here is a pure function of its arguments (see signature.py's docstring).
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.embed import EmbeddedFileObject, EmbeddedFileParams, FileSpec, embed_file
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.metadata.model import DocumentMetadata
from pyhanko.sign import fields, signers
from pyhanko.sign.signers.pdf_signer import PdfSigningSession
from pyhanko_certvalidator.registry import SimpleCertificateStore


def _prepare_asn1_maps() -> None:
    """Set up every asn1crypto class of the signing path now, at import, in one thread. It sets
    each class up lazily, on first use, by assigning empty maps and then filling them, so two
    threads signing their first documents at once could see a map half-filled (a KeyError such
    as 'organization_name'). Python's import lock holds any other thread importing this module
    until it is done."""
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

SigningKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
_HASHES = {"sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}


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


def pyhanko_signer(
    private_key: SigningKey, certificate: x509.Certificate, chain: tuple[x509.Certificate, ...]
) -> signers.SimpleSigner:
    """pyHanko's signer for the key, its certificate and the certificate's issuers."""
    der = serialization.Encoding.DER
    store = SimpleCertificateStore()
    store.register_multiple(asn1_x509.Certificate.load(cert.public_bytes(der)) for cert in chain)
    key_info = asn1_keys.PrivateKeyInfo.load(private_key.private_bytes(
        der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    signer = _DeterministicSigner(
        signing_cert=asn1_x509.Certificate.load(certificate.public_bytes(der)),
        signing_key=key_info,
        cert_registry=store,
    )
    signer.private_key = private_key
    return signer


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


def sign_pdf(
    pdf: bytes, *, record_name: str, record_bytes: bytes, field_name: str, signer: signers.SimpleSigner,
    signing_time: datetime, bytes_reserved: int,
) -> bytes:
    """`pdf` with `record_bytes` embedded as the file `record_name` and a PAdES B-B signature
    by `signer` over the whole file, in the invisible field `field_name`, made at `signing_time`."""
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
        file_spec_string=record_name,
        file_name=record_name,
        embedded_data=EmbeddedFileObject.from_file_data(
            writer, record_bytes, mime_type="application/json",
            params=EmbeddedFileParams(creation_date=signing_time, modification_date=signing_time),
        ),
        description="The complaint registry's signed record of this document",
    ))
    metadata = signers.PdfSignatureMetadata(
        field_name=field_name,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
    )
    output = _IssuedAtSigner(metadata, signer=signer, signing_time=signing_time).sign_pdf(
        writer, bytes_reserved=bytes_reserved)
    return output.getvalue()

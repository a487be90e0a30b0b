"""Documents as issued: the first delivery of a receipt, a reprint or a letter renders it, keeps
the PDF in a write-once store and signs its SHA-256 into the chain; every later delivery serves
exactly those bytes.

Rendering is deterministic, but only for one version of the code, the fonts, the wording and the
date style: any change of those would change a document already in someone's hands. So the
document is kept, not re-made. It is kept at its first delivery rather than at registration: a
registration holds the number lock, and rendering and signing a receipt there would cost every
registration its time (a receipt nobody downloads is never made). Documents issued before this
store existed are kept at their first delivery after the upgrade.

The store is content-addressed (`<DOCUMENTS_DIR>/ab/abcdef….pdf`), outside the web root, and
never replaces or deletes a file: a file written by a unit of work that then rolled back is an
orphan nobody names, never a document that changes. Reading checks the file against its
SHA-256, so a changed or lost file is refused, never served (and `flask registry verify`
reports it).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Response, current_app
from flask_babel import gettext as _
from msgspec import Struct
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import ServiceUnavailable

from ..clock import now_utc
from ..database import commit_with_retry, in_unit_of_work
from ..extensions import db
from ..files import write_new_file
from .chain import append_entry
from .digest import iso_utc
from .models import DocumentKind, EntryKind, IssuedDocument

log = logging.getLogger(__name__)

#: The event type that records an issued document.
DOCUMENT_ISSUED = "document_issued"


class DocumentKey(Struct, frozen=True):
    """Which document: a receipt of a complaint in a language (or its n-th reprint), or a letter."""

    kind: DocumentKind
    complaint_id: int
    language: str
    duplicate_number: int = 0
    message_id: int | None = None

    def lookup(self) -> Any:
        """The statement that finds this document's row."""
        statement = select(IssuedDocument)
        if self.kind == DocumentKind.LETTER:
            return statement.where(IssuedDocument.message_id == self.message_id)
        return statement.where(
            IssuedDocument.kind == self.kind,
            IssuedDocument.complaint_id == self.complaint_id,
            IssuedDocument.language == self.language,
            IssuedDocument.duplicate_number == self.duplicate_number,
            IssuedDocument.message_id.is_(None),
        )


class StoredDocumentDamaged(RuntimeError):
    """An issued document's file is missing or no longer has its signed SHA-256: it is not served
    (restore it from the backup; `flask registry verify` lists every such file)."""


class DocumentStore:
    """Write-once, content-addressed PDF files under one directory outside the web root."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, sha256: str) -> Path:
        return self.root / sha256[:2] / f"{sha256}.pdf"

    def put(self, content: bytes) -> str:
        """Keep `content` (once: a file with the same content is left as it is); its SHA-256."""
        digest = hashlib.sha256(content).hexdigest()
        write_new_file(self.path_for(digest), content, mode=0o440)
        return digest

    def read(self, sha256: str) -> bytes:
        """The file with this SHA-256; raises `StoredDocumentDamaged` when it is gone or changed."""
        path = self.path_for(sha256)
        try:
            content = path.read_bytes()
        except OSError as error:
            raise StoredDocumentDamaged(f"issued document {path} cannot be read ({error.strerror})") from None
        if hashlib.sha256(content).hexdigest() != sha256:
            raise StoredDocumentDamaged(f"issued document {path} differs from its signed SHA-256")
        return content


def stored_document_damaged(error: StoredDocumentDamaged) -> Response:
    """A 503 page, never another rendering: the document stays unavailable until the operator
    restores its file (logged as an error, and reported by `flask registry verify`)."""
    log.error("%s; not served (restore it from the backup)", error)
    unavailable = ServiceUnavailable(_("This document cannot be delivered at the moment: its issued copy is being "
                                       "restored. Please try again later."))
    return current_app.make_response(current_app.handle_http_exception(unavailable))


def document_store() -> DocumentStore:
    return DocumentStore(Path(current_app.config["DOCUMENTS_DIR"]))


def issued_document(key: DocumentKey) -> IssuedDocument | None:
    """The row of the document `key`, if it was issued."""
    return db.session.scalars(key.lookup()).one_or_none()


def issue_document(key: DocumentKey, pdf: bytes, *, number: str, outgoing_number: str | None = None) -> IssuedDocument:
    """Record `pdf` (already in the store) as the document `key`, with a signed "document_issued"
    event naming its kind, complaint, language, copy and SHA-256; or return the row of the one
    issued before. Flushes, never commits. A concurrent first issue of the same key makes the
    flush fail on the unique key (IntegrityError), and the caller serves that one instead."""
    existing = issued_document(key)
    if existing is not None:
        return existing
    at = now_utc()
    document = IssuedDocument(
        kind=key.kind, complaint_id=key.complaint_id, message_id=key.message_id, language=key.language,
        duplicate_number=key.duplicate_number, sha256=hashlib.sha256(pdf).hexdigest(), size=len(pdf), issued_at=at,
    )
    db.session.add(document)
    db.session.flush()  # the unique key first: a second first-delivery stops here, before the chain
    entry = append_entry(EntryKind.EVENT, {
        "type": DOCUMENT_ISSUED, "number": number, "at": iso_utc(at), "document": signed_facts(document, outgoing_number),
    }, complaint_id=key.complaint_id)
    document.entry_position = entry.position
    db.session.flush()
    log.info("%s of %s (%s, copy %d) issued: sha256 %s", key.kind.value, outgoing_number or number, key.language,
             key.duplicate_number, document.sha256)
    return document


def signed_facts(document: Any, outgoing_number: str | None) -> dict[str, Any]:
    """What a "document_issued" event signs about the document (a model or a row)."""
    facts = {"kind": document.kind.value, "language": document.language, "duplicate": document.duplicate_number,
             "sha256": document.sha256, "size": document.size}
    if document.message_id is not None:
        facts |= {"message_id": document.message_id, "outgoing_number": outgoing_number}
    return facts


def issued_pdf(key: DocumentKey, *, number: str, render: Callable[[], bytes], outgoing_number: str | None = None) -> bytes:
    """The document `key` exactly as it was issued: the stored file; at its first delivery,
    `render()`'s PDF, stored and recorded in its own unit of work first. Call it outside a unit
    of work (it commits the request's read transaction, as `commit_with_retry` does)."""
    return kept_once(
        document_store(), lambda: issued_document(key), render,
        lambda pdf: issue_document(key, pdf, number=number, outgoing_number=outgoing_number),
        what=f"the {key.kind.value} of {outgoing_number or number}",
    )


def kept_once(store: DocumentStore, find: Callable[[], Any], make: Callable[[], bytes],
              record: Callable[[bytes], Any], *, what: str) -> bytes:
    """A file issued once and kept: the one `find()`'s row names (by its `sha256`), read from
    `store`; at its first request, `make()`'s bytes, put in the store and then recorded by
    `record(content)` in a unit of work of its own. A concurrent first request that recorded it
    first fails `record` on its row's unique key, and that one's file is served. Documents
    (here) and regulator returns (app/manage/issued_returns.py) are kept this way. Call it
    outside a unit of work: it commits."""
    if in_unit_of_work():
        raise RuntimeError(f"{what} is issued outside a unit of work (its first delivery commits)")
    row = find()
    if row is None:
        content = make()
        store.put(content)  # before the commit, so no committed row names a file not there yet
        try:
            row = commit_with_retry(lambda: record(content))
        except IntegrityError:
            row = find()  # another delivery issued it first: that one is the file
            if row is None:
                raise
            log.info("%s was issued by a concurrent delivery; serving that one", what)
    return store.read(row.sha256)

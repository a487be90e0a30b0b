"""Evidence files: checked by content, stored outside the web root under their SHA-256.

A file is written before the transaction commits (a committed record never points at a
missing file); if the transaction rolls back, files first written by it are removed again.
The store has a total size cap (`EVIDENCE_STORAGE_MAX_BYTES`): `has_room_for` answers from the
database (the sizes of the distinct files the attachments name), never by walking the disk.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
from pathlib import Path

from msgspec import Struct
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from .models import Attachment

#: Types accepted as evidence, by what the content is (not what the name says).
ALLOWED_TYPES: dict[str, str] = {
    "application/pdf": "PDF",
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/gif": "GIF",
    "image/webp": "WebP",
    "image/tiff": "TIFF",
    "image/heic": "HEIC",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "DOCX",
    "application/vnd.oasis.opendocument.text": "ODT",
    "text/plain": "TXT",
}

#: The file name endings each type may carry: the content decides the type, and the name must
#: agree with it (a PNG called .pdf, or an executable called .pdf, is refused).
EXTENSIONS: dict[str, tuple[str, ...]] = {
    "application/pdf": (".pdf",),
    "image/jpeg": (".jpg", ".jpeg", ".jpe", ".jfif"),
    "image/png": (".png",),
    "image/gif": (".gif",),
    "image/webp": (".webp",),
    "image/tiff": (".tif", ".tiff"),
    "image/heic": (".heic", ".heif"),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (".docx",),
    "application/vnd.oasis.opendocument.text": (".odt",),
    "text/plain": (".txt",),
}

_NEW_FILES_KEY = "complaints.new_files"


class Evidence(Struct, frozen=True):
    """An uploaded file, already checked: what it is, what it is called, what it holds."""

    filename: str
    content_type: str
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def detect_content_type(content: bytes, filename: str) -> str | None:
    """The file's real type when it is an allowed one, else None. filetype (15 modules of
    signatures) loads with the first upload, not in every worker's start."""
    import filetype

    kind = filetype.guess(content)
    if kind is not None:
        return kind.mime if kind.mime in ALLOWED_TYPES else None
    if filename.lower().endswith(".txt"):
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            return None
        if "\x00" not in text:
            return "text/plain"
    return None


def name_fits_type(filename: str, content_type: str) -> bool:
    """Whether the file's name ends as files of its (detected) type do."""
    return filename.lower().endswith(EXTENSIONS[content_type])


def safe_filename(name: str) -> str:
    """Keep a readable name (any script), without paths, control characters or odd punctuation."""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[^\w.\- ()]+", "_", name).strip(" .")
    return name[-200:] or "attachment"


def stored_evidence_bytes(session: Session) -> int:
    """The bytes the store holds: each distinct file (by SHA-256) once, as the attachments name
    them. One aggregate query over the attachments' index, no walk of the directory."""
    files = select(Attachment.sha256, func.max(Attachment.size).label("size")).group_by(Attachment.sha256).subquery()
    return int(session.scalar(select(func.coalesce(func.sum(files.c.size), 0))) or 0)


def new_evidence_bytes(session: Session, evidence: tuple[Evidence, ...] | list[Evidence]) -> int:
    """The bytes storing `evidence` would add: files the store already holds (or that repeat
    within `evidence`) take no more room."""
    unique = {item.sha256: len(item.content) for item in evidence}
    if not unique:
        return 0
    stored = set(session.scalars(select(Attachment.sha256).where(Attachment.sha256.in_(unique)).distinct()))
    return sum(size for digest, size in unique.items() if digest not in stored)


def has_room_for(session: Session, evidence: tuple[Evidence, ...] | list[Evidence], max_bytes: int) -> bool:
    """Whether the store can take `evidence` within its cap of `max_bytes` in all."""
    added = new_evidence_bytes(session, evidence)
    return added == 0 or stored_evidence_bytes(session) + added <= max_bytes


class EvidenceStore:
    """Content-addressed file store rooted at a directory outside the web root."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def put(self, session: Session, evidence: Evidence) -> str:
        """Store the bytes (once per content) and return their SHA-256."""
        digest = evidence.sha256
        target = self.path_for(digest)
        if target.exists():
            return digest
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(evidence.content)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, target)
        except FileExistsError:  # another request stored the same content meanwhile
            return digest
        finally:
            os.unlink(tmp)
        session.info.setdefault(_NEW_FILES_KEY, []).append(target)
        return digest

    def read(self, sha256: str) -> bytes:
        return self.path_for(sha256).read_bytes()


@event.listens_for(Session, "after_commit")
def _keep_new_files(session: Session) -> None:
    session.info.pop(_NEW_FILES_KEY, None)


@event.listens_for(Session, "after_soft_rollback")
def _remove_new_files(session: Session, _previous_transaction: object) -> None:
    for path in session.info.pop(_NEW_FILES_KEY, []):
        path.unlink(missing_ok=True)

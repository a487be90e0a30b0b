"""Returns as issued: a regulator return (or the monthly report) for a period that has ended is
made once, at its first download, kept in a write-once content-addressed store and signed into
the chain ("return_issued", with the figures it states); every later download serves those
bytes, whatever changed in the complaints of the period since (a redress paid late, a
complaint reopened) or in the code that renders it.

The same scheme as the documents of a complaint (app/registry/issued.py), with its own
directory (`<DOCUMENTS_DIR>/returns/ab/abcdef…`) and table (`issued_returns`). A period that
has not ended yet is never kept: its return is rendered live and marked provisional.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import current_app
from msgspec import Struct
from sqlalchemy import select

from ..clock import now_utc
from ..extensions import db
from ..registry.chain import append_entry
from ..registry.digest import iso_utc
from ..registry.issued import DocumentStore, kept_once
from ..registry.models import EntryKind, RegistryEntry
from .models import IssuedReturn

log = logging.getLogger(__name__)

#: The event type that records an issued return.
RETURN_ISSUED = "return_issued"


class ReturnStore(DocumentStore):
    """Write-once, content-addressed files (PDF, CSV, XLSX) of the returns issued."""

    def path_for(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256


def return_store() -> ReturnStore:
    return ReturnStore(Path(current_app.config["DOCUMENTS_DIR"]) / "returns")


class ReturnKey(Struct, frozen=True):
    """Which file: a kind of return for a period [start, end), in a format and a language."""

    kind: str
    start: datetime
    end: datetime
    format: str
    language: str

    def lookup(self) -> Any:
        return select(IssuedReturn).where(
            IssuedReturn.kind == self.kind, IssuedReturn.period_start == self.start,
            IssuedReturn.period_end == self.end, IssuedReturn.format == self.format,
            IssuedReturn.language == self.language,
        )


def signed_facts(row: Any) -> dict[str, Any]:
    """What a "return_issued" event signs about the file (a model or a row), figures aside."""
    return {"kind": row.kind, "period_start": iso_utc(row.period_start), "period_end": iso_utc(row.period_end),
            "format": row.format, "language": row.language, "sha256": row.sha256, "size": row.size}


def issued_figures(kind: str, start: datetime, end: datetime) -> dict[str, Any] | None:
    """The figures signed with the first return of this kind and period issued (in any format
    or language), so that every file of a period states the same numbers; None: none yet."""
    payload = db.session.scalar(
        select(RegistryEntry.payload).join(IssuedReturn, IssuedReturn.entry_position == RegistryEntry.position)
        .where(IssuedReturn.kind == kind, IssuedReturn.period_start == start, IssuedReturn.period_end == end)
        .order_by(IssuedReturn.id).limit(1)
    )
    if payload is None:
        return None
    return json.loads(payload)["return"].get("figures")


def issue_return(key: ReturnKey, content: bytes, figures: dict[str, Any]) -> IssuedReturn:
    """Record `content` (already in the store) as the file `key`, with a signed "return_issued"
    event naming it and its figures; or the row of the one issued before. Flushes, never commits."""
    existing = db.session.scalars(key.lookup()).one_or_none()
    if existing is not None:
        return existing
    at = now_utc()
    row = IssuedReturn(kind=key.kind, period_start=key.start, period_end=key.end, format=key.format,
                       language=key.language, sha256=hashlib.sha256(content).hexdigest(), size=len(content),
                       issued_at=at)
    db.session.add(row)
    db.session.flush()  # the unique key first: a concurrent first download stops here
    entry = append_entry(EntryKind.EVENT, {
        "type": RETURN_ISSUED, "at": iso_utc(at), "return": {**signed_facts(row), "figures": figures},
    })
    row.entry_position = entry.position
    db.session.flush()
    log.info("%s return %s..%s (%s, %s) issued: sha256 %s", key.kind, iso_utc(key.start), iso_utc(key.end),
             key.format, key.language, row.sha256)
    return row


def issued_file(key: ReturnKey, render: Callable[[dict[str, Any] | None], tuple[bytes, dict[str, Any]]]) -> bytes:
    """The file `key` exactly as issued: the stored one; at its first download, `render`'s,
    stored and signed in its own unit of work first. `render` gets the figures signed with an
    earlier file of the same period (None: none) and returns the file and the figures it states.
    Only for a period that has ended; called outside a unit of work (it commits)."""
    if key.end > now_utc():
        raise ValueError("a return is kept only once its period has ended")
    stated: dict[str, Any] = {}  # the figures the first file states, signed with it

    def make() -> bytes:
        content, figures = render(issued_figures(key.kind, key.start, key.end))
        stated.update(figures=figures)
        return content

    return kept_once(return_store(), lambda: db.session.scalars(key.lookup()).one_or_none(), make,
                     lambda content: issue_return(key, content, stated["figures"]),
                     what=f"the {key.kind} return {key.format} ({key.language})")

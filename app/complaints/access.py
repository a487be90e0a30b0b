"""How a complaint is found: by its number (or URL slug), and by the complainant's access code."""

from __future__ import annotations

import hmac
import secrets

from flask import abort
from sqlalchemy import or_, select

from ..extensions import db
from .models import Complaint

#: No 0/O, 1/I/L: codes are read off paper and typed by hand.
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
ACCESS_CODE_LENGTH = 12


def new_access_code() -> str:
    """A random tracking code (about 59 bits), stored and compared without dashes."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(ACCESS_CODE_LENGTH))


def display_access_code(code: str) -> str:
    """'ABCD2345WXYZ' -> 'ABCD-2345-WXYZ'."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalise_access_code(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalnum())


def find_by_reference(reference: str) -> Complaint | None:
    """A complaint by its display number ('2026/000123') or its slug ('2026-000123')."""
    reference = reference.strip()
    if not reference or len(reference) > 40:
        return None
    return db.session.scalar(
        select(Complaint).where(or_(Complaint.number == reference, Complaint.slug == reference))
    )


def find_for_complainant(reference: str, code: str | None) -> Complaint | None:
    """The complaint, only when `code` is its access code. A wrong code and an unknown number
    look the same, so numbers cannot be probed."""
    complaint = find_by_reference(reference)
    given = normalise_access_code(code or "")
    expected = complaint.access_code if complaint else new_access_code()
    if hmac.compare_digest(given.encode(), expected.encode()) and complaint is not None:
        return complaint
    return None


def find_for_complainant_or_404(reference: str, code: str | None) -> Complaint:
    """`find_for_complainant`, answering 404 (never 403) when there is no match."""
    complaint = find_for_complainant(reference, code)
    if complaint is None:
        abort(404)
    return complaint

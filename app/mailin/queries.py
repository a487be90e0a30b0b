"""What the clerks' tray shows: the messages, newest first, and the counts by kind and outcome.
Reads only."""

from __future__ import annotations

from sqlalchemy import func, select

from ..extensions import db
from .models import InboundMail, MailKind, MailOutcome

#: The most messages one page of the tray lists (the newest).
TRAY_LIMIT = 200


def tray_items(outcome: MailOutcome, limit: int = TRAY_LIMIT) -> list[InboundMail]:
    """The messages with `outcome`, newest first."""
    return list(db.session.scalars(
        select(InboundMail).where(InboundMail.outcome == outcome)
        .order_by(InboundMail.stored_at.desc(), InboundMail.id.desc()).limit(limit)
    ))


def waiting_by_kind() -> dict[MailKind, int]:
    """How many messages wait in the tray, by kind (every kind listed, 0 included)."""
    counts = dict(db.session.execute(
        select(InboundMail.kind, func.count()).where(InboundMail.outcome == MailOutcome.WAITING)
        .group_by(InboundMail.kind)).all())
    return {kind: counts.get(kind, 0) for kind in MailKind}


def by_outcome() -> dict[MailOutcome, int]:
    counts = dict(db.session.execute(select(InboundMail.outcome, func.count()).group_by(InboundMail.outcome)).all())
    return {outcome: counts.get(outcome, 0) for outcome in MailOutcome}


def waiting_count() -> int:
    """Messages a clerk has still to look at (what the staff desk shows)."""
    return int(db.session.scalar(
        select(func.count()).select_from(InboundMail).where(InboundMail.outcome == MailOutcome.WAITING)) or 0)

"""The complainant's verdict on the handling: a rating from 1 to 5 and a sentence saying why,
given once, from the tracking page, within the window the administrators set after closing.

`rate_handling` is the one operation (the tracking page calls it); `send_rating_reminders` is
the sweep's part (`flask deadlines enforce` and `watch`): the one reminder per complaint, at
half the window, to those who were asked by e-mail and have not rated yet. The invitation
itself is queued when the complaint is closed (`verdict_models.request_rating`).
"""

from __future__ import annotations

import logging
import unicodedata
from datetime import datetime

from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from msgspec import Struct
from sqlalchemy import select

from ..clock import now_utc
from ..complaints.errors import ComplaintChangeRefused
from ..complaints.guards import lock
from ..complaints.models import Complaint, ComplaintStatus
from ..dates import format_moment
from ..extensions import db
from ..notifications.models import Audience, NotificationKind
from ..notifications.queue import notification_row, queue_rows
from ..settings.store import current_settings
from ..text import ascii_integer, clean_text
from .operations import _record
from .verdict_models import (
    HIGHEST_SCORE,
    LOWEST_SCORE,
    MAX_REASON_LENGTH,
    Rating,
    RatingRequest,
    rating_window,
)

log = logging.getLogger(__name__)

#: How many due reminders one sweep transaction sends at most (the next pass takes the rest).
REMINDER_BATCH = 500


class RatingRefused(ComplaintChangeRefused):
    """The rating cannot be taken; the message says why, plainly, to the complainant."""


def rating_of(complaint: Complaint) -> Rating | None:
    return db.session.scalar(select(Rating).where(Rating.complaint_id == complaint.id))


def rating_ends_at(complaint: Complaint) -> datetime | None:
    """The end of the time to rate a closed complaint (None: it is not closed)."""
    if complaint.status != ComplaintStatus.CLOSED or complaint.closed_at is None:
        return None
    return complaint.closed_at + rating_window(current_settings().rating_window_days)


class Verdict(Struct, frozen=True):
    """What the tracking page and the case page show of the verdict: the rating given, or
    whether one may still be given and until when."""

    rating: Rating | None
    ends_at: datetime | None  # the window's end (a closed complaint)
    open: bool  # a rating may be given now


def verdict_of(complaint: Complaint, now: datetime | None = None) -> Verdict:
    rating = rating_of(complaint)
    ends_at = rating_ends_at(complaint)
    return Verdict(rating, ends_at, rating is None and ends_at is not None and (now or now_utc()) < ends_at)


def check_score(value: object) -> int:
    """The score as a whole number 1..5, or RatingRefused (a text is read as ASCII digits only)."""
    score = value if isinstance(value, int) and not isinstance(value, bool) else ascii_integer(
        value if isinstance(value, str) else None, LOWEST_SCORE, HIGHEST_SCORE)
    if score is None or not LOWEST_SCORE <= score <= HIGHEST_SCORE:
        raise RatingRefused(_("Choose a rating from %(low)d to %(high)d.", low=LOWEST_SCORE, high=HIGHEST_SCORE))
    return score


def check_reason(value: str | None) -> str:
    """The reason trimmed, in one paragraph; refused if empty, longer than MAX_REASON_LENGTH, or
    holding control characters (a NUL byte...)."""
    text = unicodedata.normalize("NFC", value or "")
    if clean_text(text) != text.strip():  # control characters were dropped
        raise RatingRefused(_("The reason holds characters that cannot be kept; write it again."))
    reason = " ".join(text.split())
    if not reason:
        raise RatingRefused(_("Say in a sentence why you give this rating."))
    if len(reason) > MAX_REASON_LENGTH:
        raise RatingRefused(_("Keep the reason to one sentence (at most %(num)d characters).", num=MAX_REASON_LENGTH))
    return reason


def rate_handling(complaint: Complaint, *, score: object, reason: str | None) -> Rating:
    """The complainant rates the handling of their closed complaint: a signed "rated" event (the
    score in the clear with the complaint's category; the reason in its private part) and the
    rating row; once per complaint, and only within the window after closing."""
    score = check_score(score)
    reason = check_reason(reason)
    lock(complaint)
    if complaint.status != ComplaintStatus.CLOSED:
        raise RatingRefused(_("You can rate the handling once the complaint is closed."))
    if rating_of(complaint) is not None:
        raise RatingRefused(_("You have already rated the handling of this complaint. Thank you."))
    at = now_utc()
    ends_at = rating_ends_at(complaint)
    if ends_at is None or at >= ends_at:
        raise RatingRefused(_("The time to rate the handling ended on %(when)s.",
                              when=format_moment(ends_at or at, str(get_locale() or "en"),
                                                 current_app.config["REGISTRY_TIMEZONE"])))
    entry = _record(complaint, "rated", by=None, at=at, rating={"score": score, "category": complaint.category},
                    private={"reason": reason})
    rating = Rating(complaint_id=complaint.id, score=score, reason=reason, rated_at=at, category=complaint.category,
                    tier=complaint.tier, owner_id=complaint.owner_id, entry_position=entry.position)
    db.session.add(rating)
    request = db.session.get(RatingRequest, complaint.id)
    if request is not None:
        request.remind_at = None  # nothing to remind of any more
    db.session.flush()
    log.info("complaint %s rated %d", complaint.number, score)
    return rating


def send_rating_reminders(at: datetime, *, batch: int = REMINDER_BATCH) -> tuple[int, int]:
    """Queue the one reminder of each invitation due by `at` whose complaint is still closed,
    not rated, and within its window; settle the others without sending. Idempotent: an
    invitation is reminded (or settled) once. Answers how many invitations it looked at (at
    most `batch`: the caller calls again while it is full) and how many reminders it queued."""
    requests = db.session.scalars(
        select(RatingRequest).where(RatingRequest.remind_at.is_not(None), RatingRequest.remind_at <= at)
        .order_by(RatingRequest.remind_at, RatingRequest.complaint_id).limit(batch).with_for_update()
    ).all()
    if not requests:
        return 0, 0
    complaints = {c.id: c for c in db.session.scalars(
        select(Complaint).where(Complaint.id.in_([r.complaint_id for r in requests])))}
    rated = set(db.session.scalars(select(Rating.complaint_id).where(
        Rating.complaint_id.in_([r.complaint_id for r in requests]))))
    window = rating_window(current_settings().rating_window_days)
    rows = []
    for request in requests:
        complaint = complaints[request.complaint_id]
        request.remind_at = None
        if (complaint.status == ComplaintStatus.CLOSED and complaint.id not in rated and complaint.email
                and complaint.closed_at is not None and at < complaint.closed_at + window):
            request.reminded_at = at
            rows.append(notification_row(NotificationKind.RATING_REMINDER, complaint.id, Audience.COMPLAINANT, at=at))
    queue_rows(rows)
    db.session.flush()
    log.info("rating reminders at %s: %d of %d due", at.isoformat(), len(rows), len(requests))
    return len(requests), len(rows)

"""Steps every operation on a complaint shares: lock its row, name who acted, check the text given.

Used by the workflow's operations (take, answer, transfer, escalate, ...) and the desk's
(annul, correct); it sits below both.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext

from ..auth.models import User
from ..extensions import db
from .errors import ComplaintChangeRefused
from .models import Complaint

#: The shortest reason, instruction or decision's reasons a change accepts.
MIN_REASON_LENGTH = 5
#: The longest text (a message, a note, a reason) an operation accepts.
MAX_TEXT_LENGTH = 20_000


def lock(complaint: Complaint) -> None:
    """Re-read the complaint and hold its row until commit: two people (or a person and the
    deadline enforcement) acting at once are serialised, and the second sees the first's change
    (so a complaint is not, say, annulled twice)."""
    db.session.refresh(complaint, with_for_update=True)


def actor(user: User | None) -> dict[str, Any] | None:
    """Who acted, as a signed entry records it (None: the complainant or the system)."""
    return None if user is None else {"id": user.id, "username": user.username, "name": user.full_name}


def check_text(text: str, what: str, minimum: int = 1) -> str:
    """The text trimmed; refused if shorter than `minimum` or longer than MAX_TEXT_LENGTH
    (`what` names it in the refusal: "response", "reason", ...)."""
    text = (text or "").strip()
    if len(text) < minimum:
        if minimum == 1:
            raise ComplaintChangeRefused(_("Write the %(what)s.", what=what))
        raise ComplaintChangeRefused(ngettext("Give the %(what)s (at least %(num)d character).",
                                                "Give the %(what)s (at least %(num)d characters).", minimum, what=what))
    if len(text) > MAX_TEXT_LENGTH:
        raise ComplaintChangeRefused(ngettext("The %(what)s is too long (at most %(num)d character).",
                                                "The %(what)s is too long (at most %(num)d characters).",
                                                MAX_TEXT_LENGTH, what=what))
    return text


def check_reason(reason: str) -> str:
    """The reason for annulling or correcting a record, its whitespace collapsed to single spaces
    (as the signed entry keeps it); refused if shorter than MIN_REASON_LENGTH."""
    reason = " ".join(reason.split())
    if len(reason) < MIN_REASON_LENGTH:
        raise ComplaintChangeRefused(ngettext("Give the reason (at least %(num)d character).",
                                                "Give the reason (at least %(num)d characters).", MIN_REASON_LENGTH))
    return reason

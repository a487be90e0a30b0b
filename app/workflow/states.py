"""The complaint state machine: every status, and every move between them, in one table.

Operations ask `next_status(current, action)`; nothing else decides which status comes next.
Actions that do not change the status (a consultation note, a transfer, an escalation) are
listed with the statuses they are allowed in.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..complaints.errors import ComplaintChangeRefused
from ..complaints.models import ComplaintStatus as Status
from ..enums import TitledEnum


class Action(TitledEnum):
    TAKE = "take", _l("take the complaint")  # a member of staff becomes the owner
    REQUEST_INFORMATION = "request_information", _l("ask the complainant for information")  # the owner asks the complainant for something
    RESPOND = "respond", _l("send a response")  # a substantive response is sent to the complainant
    RESOLVE = "resolve", _l("record the decision")  # the decision: upheld, partly upheld or rejected, with reasons
    CLOSE = "close", _l("close the complaint")
    COMPLAINANT_REPLY = "complainant_reply", _l("reply")  # the complainant writes back from the tracking page
    DISPUTE = "dispute", _l("dispute the response")  # the complainant does not accept the response or the decision
    RESUME = "resume", _l("resume work")  # the owner takes a reopened or answered case up again
    REOPEN = "reopen", _l("reopen the complaint")  # the owner or management reopens a decided case, with a reason
    ANNUL = "annul", _l("annul the record")  # registered by mistake (the desk)
    # Actions that leave the status as it is:
    CONSULT = "consult", _l("add a consultation note")  # an internal note or a question to a colleague
    TRANSFER = "transfer", _l("transfer ownership")
    ESCALATE = "escalate", _l("escalate")
    HOLD = "hold", _l("send a holding response")  # why there is no final response yet, and when it will come
    EXTEND = "extend", _l("extend a deadline")  # a regulatory clock, once, with a reason (and a notice letter)
    RECORD_REDRESS_PAID = "record_redress_paid", _l("record the redress as paid")
    RECORD_REFERRAL = "record_referral", _l("record a referral to the ADR entity or ombudsman")
    JOIN = "join", _l("join the complaint to an earlier one")  # a repeat of it (app/workflow/joins.py)
    # Management:
    REVIEW = "review", _l("record a review decision")  # keep with the owner, take over or send back (the desk)
    MOVE = "move", _l("move to another tier")  # a manager moves the complaint to a tier, with a reason


#: Statuses in which the organisation still owes the complainant something.
OPEN = frozenset({Status.REGISTERED, Status.IN_PROGRESS, Status.WAITING, Status.RESPONDED, Status.REOPENED})
#: Statuses in which the resolution deadline runs.
RESOLUTION_CLOCK_RUNS = OPEN
#: Statuses the figures and the returns never count: a record made by mistake, and a repeat
#: joined to an earlier complaint (which is counted, once, and whose answer answers both).
NOT_COUNTED = frozenset({Status.ANNULLED, Status.JOINED})

#: (status, action) -> the status it leads to. A pair not listed is refused.
TRANSITIONS: dict[tuple[Status, Action], Status] = {
    (Status.REGISTERED, Action.TAKE): Status.IN_PROGRESS,
    (Status.REGISTERED, Action.ANNUL): Status.ANNULLED,
    # The complainant may write from the moment of registration: nobody has taken it yet, so it
    # stays registered, its first-response clock running; the tier is told (operations).
    (Status.REGISTERED, Action.COMPLAINANT_REPLY): Status.REGISTERED,
    (Status.IN_PROGRESS, Action.REQUEST_INFORMATION): Status.WAITING,
    (Status.IN_PROGRESS, Action.RESPOND): Status.RESPONDED,
    (Status.IN_PROGRESS, Action.RESOLVE): Status.RESOLVED,
    (Status.IN_PROGRESS, Action.ANNUL): Status.ANNULLED,
    (Status.IN_PROGRESS, Action.COMPLAINANT_REPLY): Status.IN_PROGRESS,
    (Status.WAITING, Action.COMPLAINANT_REPLY): Status.IN_PROGRESS,
    (Status.WAITING, Action.RESUME): Status.IN_PROGRESS,
    (Status.WAITING, Action.RESPOND): Status.RESPONDED,
    (Status.RESPONDED, Action.RESPOND): Status.RESPONDED,
    (Status.RESPONDED, Action.REQUEST_INFORMATION): Status.WAITING,
    (Status.RESPONDED, Action.RESOLVE): Status.RESOLVED,
    (Status.RESPONDED, Action.RESUME): Status.IN_PROGRESS,
    (Status.RESPONDED, Action.COMPLAINANT_REPLY): Status.IN_PROGRESS,
    (Status.RESPONDED, Action.DISPUTE): Status.REOPENED,
    (Status.RESOLVED, Action.CLOSE): Status.CLOSED,
    (Status.RESOLVED, Action.DISPUTE): Status.REOPENED,
    (Status.CLOSED, Action.DISPUTE): Status.REOPENED,
    (Status.RESOLVED, Action.REOPEN): Status.REOPENED,
    (Status.CLOSED, Action.REOPEN): Status.REOPENED,
    (Status.REOPENED, Action.RESUME): Status.IN_PROGRESS,
    (Status.REOPENED, Action.RESPOND): Status.RESPONDED,
    (Status.REOPENED, Action.REQUEST_INFORMATION): Status.WAITING,
    (Status.REOPENED, Action.RESOLVE): Status.RESOLVED,
    (Status.REOPENED, Action.COMPLAINANT_REPLY): Status.REOPENED,
    # A repeat of an earlier complaint, still owed an answer, is joined to it: the main one's
    # answers answer it, and nothing but an internal note (CONSULT below) happens on it again.
    **{(status, Action.JOIN): Status.JOINED for status in sorted(OPEN)},
}

#: Actions that keep the status, and the statuses they are allowed in.
STATUS_KEEPING: dict[Action, frozenset[Status]] = {
    # Taking over a complaint that rose past its owner's tier keeps its status.
    Action.TAKE: OPEN - {Status.REGISTERED},
    # A joined complaint allows this alone: everything else happens on its main complaint.
    Action.CONSULT: OPEN | {Status.RESOLVED, Status.JOINED},
    Action.TRANSFER: OPEN - {Status.REGISTERED},
    Action.ESCALATE: OPEN,
    Action.HOLD: OPEN - {Status.REGISTERED},
    Action.EXTEND: OPEN - {Status.REGISTERED},
    # What happens after the final response: the redress is paid, the complainant goes further.
    Action.RECORD_REDRESS_PAID: frozenset({Status.RESOLVED, Status.CLOSED}),
    Action.RECORD_REFERRAL: OPEN | {Status.RESOLVED, Status.CLOSED},
    # A review decision that takes the complaint over or sends it back to an officer of a lower
    # tier makes the manager or that officer its owner: a registered complaint is taken in
    # passing (Action.TAKE moves it), any other open one keeps its status.
    Action.REVIEW: OPEN,
    Action.MOVE: OPEN,
}


class TransitionRefused(ComplaintChangeRefused):
    """The action is not allowed in the complaint's status; the message says so plainly."""


def allowed(status: Status, action: Action) -> bool:
    return (status, action) in TRANSITIONS or status in STATUS_KEEPING.get(action, ())


def next_status(status: Status, action: Action) -> Status:
    """The status `action` leads to from `status`, or TransitionRefused."""
    if (status, action) in TRANSITIONS:
        return TRANSITIONS[(status, action)]
    if status in STATUS_KEEPING.get(action, ()):
        return status
    raise TransitionRefused(
        _("You cannot %(action)s: the complaint is %(status)s.", action=action.title, status=status.title.lower())
    )


def is_open(status: Status) -> bool:
    return status in OPEN


def is_joined(complaint: Any) -> bool:
    """Joined to an earlier complaint (a model or a plain row with its status)."""
    return complaint.status == Status.JOINED


def allowed_for(complaint: Any, action: Action) -> bool:
    """`allowed` for a complaint (a model or a plain row with its status)."""
    return allowed(complaint.status, action)


def next_status_of(complaint: Any, action: Action) -> Status:
    """`next_status` for a complaint; a joined one's refusal names its main complaint."""
    if is_joined(complaint) and not allowed(complaint.status, action):
        raise TransitionRefused(_("%(number)s is joined to %(main)s: it is handled there now.",
                                  number=complaint.number, main=complaint.joined.main.number))
    return next_status(complaint.status, action)

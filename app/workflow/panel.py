"""What the case page shows about handling a complaint, and which actions it offers whom."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..auth.models import User
from ..auth.permissions import ROLE_PERMISSIONS, Permission
from ..clock import now_utc
from ..complaints.models import Complaint
from ..extensions import db
from ..settings.store import current_policy
from ..settings.tiers import Tier
from . import rules
from .deadlines import DueState, first_response_state, resolution_state
from .forms import (
    AssignForm,
    ConfirmForm,
    ConsultationForm,
    DecisionForm,
    InformationRequestForm,
    ReasonedForm,
    ResponseForm,
    SendBackForm,
    TransferForm,
)
from .models import Breach, CaseMessage, Escalation, MessageKind
from .states import Action

#: The case page's action forms: name -> (form class, the action it performs).
FORMS: dict[str, tuple[type, Action]] = {
    "take": (ConfirmForm, Action.TAKE),
    "respond": (ResponseForm, Action.RESPOND),
    "request_information": (InformationRequestForm, Action.REQUEST_INFORMATION),
    "resolve": (DecisionForm, Action.RESOLVE),
    "resume": (ConfirmForm, Action.RESUME),
    "close": (ConfirmForm, Action.CLOSE),
    "transfer": (TransferForm, Action.TRANSFER),
    "escalate": (ReasonedForm, Action.ESCALATE),
    "consult": (ConsultationForm, Action.CONSULT),
    "assign": (AssignForm, Action.TRANSFER),  # management: any owner, any tier, not counted
    "send_back": (SendBackForm, Action.TRANSFER),  # management: down to a lower tier's officer
}


def handlers() -> list[User]:
    """Active staff who handle complaints, by tier and name."""
    roles = [role for role, permissions in ROLE_PERMISSIONS.items() if Permission.HANDLE_COMPLAINTS in permissions]
    return list(db.session.scalars(
        select(User).where(User.active.is_(True), User.role.in_(roles), User.tier.is_not(None))
        .order_by(User.tier, User.full_name)
    ))


#: The forms that name a colleague, and whom each offers among the active handlers
#: (candidate, complaint, the user filling the form in).
_COLLEAGUES: dict[str, Callable[[User, Complaint, User], bool]] = {
    "assign": lambda u, c, me: u.id != c.owner_id,
    "send_back": lambda u, c, me: u.tier < c.tier,
    "transfer": lambda u, c, me: u.id != me.id and rules.may_receive(u, c),
    "consult": lambda u, c, me: u.id != me.id,
}


def make_form(name: str, complaint: Complaint, user: User, formdata: Any = None,
              staff: list[User] | None = None) -> Any:
    """The action form `name`, bound to the request's data when given; `staff` is the list of
    handlers when the caller has it already."""
    form_class, _action = FORMS[name]
    kwargs: dict[str, Any] = {"prefix": name}
    offers = _COLLEAGUES.get(name)
    if offers is not None:
        kwargs["colleagues"] = [u for u in (handlers() if staff is None else staff) if offers(u, complaint, user)]
    if formdata is None:
        kwargs["formdata"] = None
    return form_class(**kwargs)


@dataclass
class CasePanel:
    complaint: Complaint
    tier: Tier
    max_transfers: int
    first_response: DueState
    resolution: DueState
    messages: list[CaseMessage]
    escalations: list[Escalation]
    breaches: list[Breach]
    offered: list[str]  # names of the action forms this user may use, in display order
    forms: dict[str, Any] = field(default_factory=dict)
    tiers: dict[int, Tier] = field(default_factory=dict)


def _offered(user: User, complaint: Complaint) -> list[str]:
    offered = []
    for name, (_form, action) in FORMS.items():
        if name == "assign":
            permitted = rules.can_assign(user, complaint)
        elif name == "send_back":
            permitted = rules.can_assign(user, complaint) and complaint.tier > 1
        elif action == Action.TAKE:
            permitted = rules.can_take(user, complaint)
        elif action == Action.CONSULT:
            permitted = rules.can_consult(user, complaint)
        else:
            permitted = rules.can_act(user, complaint, action)
        if permitted:
            offered.append(name)
    return offered


def case_panel(complaint: Complaint, user: User, bound: dict[str, Any] | None = None) -> CasePanel:
    """Everything the case page's handling panels show; `bound` holds a submitted form to show
    again with its errors."""
    policy = current_policy()
    now = now_utc()
    offered = _offered(user, complaint)
    staff = handlers() if any(name in _COLLEAGUES for name in offered) else []  # one query for every form
    forms = {name: make_form(name, complaint, user, staff=staff) for name in offered}
    for name, form in (bound or {}).items():  # a refused form is shown again, with why
        forms[name] = form
        if name not in offered:
            offered.append(name)
    return CasePanel(
        complaint=complaint,
        tier=policy.tier(complaint.tier),
        max_transfers=policy.max_transfers,
        first_response=first_response_state(complaint, now, policy.due_soon_fraction),
        resolution=resolution_state(complaint, now, policy.due_soon_fraction),
        messages=list(db.session.scalars(
            select(CaseMessage).where(CaseMessage.complaint_id == complaint.id)
            .options(selectinload(CaseMessage.author), selectinload(CaseMessage.consulted))
            .order_by(CaseMessage.id)
        )),
        escalations=list(db.session.scalars(
            select(Escalation).where(Escalation.complaint_id == complaint.id).order_by(Escalation.id))),
        breaches=list(db.session.scalars(
            select(Breach).where(Breach.complaint_id == complaint.id).order_by(Breach.id))),
        offered=offered,
        forms=forms,
        tiers={t.level: t for t in policy.tiers},
    )


def complainant_messages(complaint: Complaint) -> list[CaseMessage]:
    """The correspondence the complainant sees: letters to them and their own messages."""
    return list(db.session.scalars(
        select(CaseMessage)
        .where(CaseMessage.complaint_id == complaint.id, CaseMessage.kind != MessageKind.CONSULTATION)
        .order_by(CaseMessage.id)
    ))

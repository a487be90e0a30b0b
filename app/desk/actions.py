"""The case page's actions in one table: each action's form, the operation it performs, the
permission its route needs, whom the page offers it to, and the message on success. The page
(case.py) shows the forms it offers from this table; the routes (routes.py) register one POST
route per row."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from msgspec import Struct
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from ..answers.operations import check_version, record_use
from ..auth.models import User
from ..auth.permissions import ROLE_PERMISSIONS, Permission
from ..clocks.policy import ClockKind
from ..complaints.access import find_by_reference
from ..complaints.errors import ComplaintChangeRefused
from ..complaints.models import Channel, Complaint, Resolution
from ..extensions import db
from ..forms import AppForm
from ..workflow import joins, rules
from ..workflow import operations as ops
from ..workflow.forms import (
    AssignForm,
    ConfirmForm,
    ConsultationForm,
    DecisionForm,
    DocumentsForm,
    ExtensionForm,
    HoldingResponseForm,
    InformationRequestForm,
    JoinForm,
    LinkForm,
    MoveForm,
    ReasonedForm,
    ReceivedForm,
    RedressPaidForm,
    ReferralForm,
    ResponseForm,
    SendBackForm,
    TransferForm,
    UnlinkForm,
)
from ..workflow.states import Action


class CaseAction(Struct, frozen=True):
    name: str  # also the form's prefix, the endpoint's name and (with dashes) the URL's last part
    form: type[AppForm]
    perform: Callable[[Complaint, User, Any], Any]  # (complaint, user, the valid form) -> outcome
    success: Any  # the message once done, with %(number)s
    offered: Callable[[User, Complaint], bool]  # whether the page offers the action to this user
    permission: Permission = Permission.HANDLE_COMPLAINTS  # what the route requires
    #: For a form that names a colleague: whom it offers among the active handlers
    #: (candidate, complaint, the user filling the form in).
    colleagues: Callable[[User, Complaint, User], bool] | None = None
    #: The form checks its values against the complaint (it is given as `complaint=`).
    takes_complaint: bool = False

    @property
    def path(self) -> str:
        return self.name.replace("_", "-")


def _owner_may(action: Action) -> Callable[[User, Complaint], bool]:
    """Offered to the complaint's owner where its status allows `action`."""
    return lambda user, complaint: rules.can_act(user, complaint, action)


def _received(complaint: Complaint, user: User, form: ReceivedForm) -> ops.ComplainantReply:
    """What came by post, phone or in person: the complainant's own reply or dispute, recorded."""
    return ops.complainant_reply(
        complaint, body=form.body.data, dispute=form.what.data != "reply",
        ask_escalation=form.what.data == "escalation", evidence=form.evidence,
        received=ops.Received(Channel(form.channel.data), form.received_on.data, user),
    )


def _documents(complaint: Complaint, user: User, form: DocumentsForm) -> list:
    """Documents that arrived later, added to the complaint."""
    return ops.add_documents(complaint, evidence=form.evidence, note=form.note.data,
                             received=ops.Received(Channel(form.channel.data), form.received_on.data, user))


def _templated(perform: Callable[[Complaint, User, Any], Any]) -> Callable[[Complaint, User, Any], Any]:
    """`perform` (which writes a letter), then the answer template it was started from, if any."""
    def run(complaint: Complaint, user: User, form: Any) -> Any:
        message = perform(complaint, user, form)
        if form.template_version.data:
            record_use(int(form.template_version.data), message, by=user)
        return message

    return run


def _user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise ComplaintChangeRefused(_("Choose a colleague from the list."))
    return user


#: Every action of the case page, in the order the page shows them.
ACTIONS: dict[str, CaseAction] = {action.name: action for action in (
    CaseAction("take", ConfirmForm, lambda c, u, f: ops.take_complaint(c, by=u),
               _l("You own %(number)s now."), offered=rules.can_take),
    CaseAction("respond", ResponseForm,
               _templated(lambda c, u, f: ops.respond(c, body=f.body.data, by=u, evidence=f.evidence)),
               _l("The response to %(number)s is recorded and sent."), offered=_owner_may(Action.RESPOND)),
    CaseAction("request_information", InformationRequestForm,
               _templated(lambda c, u, f: ops.request_information(c, body=f.body.data, by=u, evidence=f.evidence)),
               _l("The request is sent; %(number)s waits for the complainant."),
               offered=_owner_may(Action.REQUEST_INFORMATION)),
    CaseAction("resolve", DecisionForm,
               _templated(lambda c, u, f: ops.resolve(c, resolution=Resolution(f.resolution.data),
                                                      reasons=f.reasons.data, by=u, evidence=f.evidence,
                                                      redress=f.redress)),
               _l("The decision on %(number)s is recorded and sent."), offered=_owner_may(Action.RESOLVE)),
    CaseAction("hold", HoldingResponseForm,
               lambda c, u, f: ops.send_holding_response(c, body=f.body.data, reason=f.reason.data,
                                                         expected_on=f.expected_on.data, by=u, evidence=f.evidence),
               _l("The holding response on %(number)s is recorded and sent."), offered=rules.can_send_holding_response),
    CaseAction("extend", ExtensionForm,
               lambda c, u, f: ops.extend_clock(c, kind=ClockKind(f.clock.data), amount=f.amount.data,
                                                reason=f.reason.data, notice=f.notice.data, by=u),
               _l("The deadline of %(number)s is extended."), offered=rules.can_extend, takes_complaint=True),
    CaseAction("redress_paid", RedressPaidForm,
               lambda c, u, f: ops.record_redress_paid(c, paid_on=f.paid_on.data, by=u),
               _l("The redress of %(number)s is recorded as paid."), offered=rules.can_record_redress_paid),
    CaseAction("referral", ReferralForm,
               lambda c, u, f: ops.record_referral(c, referred_on=f.referred_on.data, reference=f.reference.data,
                                                   by=u),
               _l("The referral of %(number)s is recorded."), offered=rules.can_record_referral),
    CaseAction("resume", ConfirmForm, lambda c, u, f: ops.resume(c, by=u),
               _l("%(number)s is in progress again."), offered=_owner_may(Action.RESUME)),
    CaseAction("close", ConfirmForm, lambda c, u, f: ops.close(c, by=u),
               _l("%(number)s is closed."), offered=_owner_may(Action.CLOSE)),
    CaseAction("reopen", ReasonedForm, lambda c, u, f: ops.reopen(c, reason=f.reason.data, by=u),
               _l("%(number)s is reopened; its resolution clock runs again."), offered=rules.can_reopen),
    # The front desk as well as officers: what the complainant sent on paper, by phone, in person.
    CaseAction("record_received", ReceivedForm, _received,
               _l("What the complainant sent is recorded with %(number)s."), offered=rules.can_record_received,
               permission=Permission.CORRESPONDENCE, takes_complaint=True),
    CaseAction("add_documents", DocumentsForm, _documents,
               _l("The documents are added to %(number)s."), offered=rules.can_add_documents,
               permission=Permission.CORRESPONDENCE, takes_complaint=True),
    CaseAction("transfer", TransferForm,
               lambda c, u, f: ops.transfer_complaint(c, to=_user(f.to.data), reason=f.reason.data, by=u),
               _l("%(number)s is handed on."), offered=_owner_may(Action.TRANSFER),
               colleagues=lambda u, c, me: u.id != me.id and rules.may_receive(u, c)),
    CaseAction("escalate", ReasonedForm, lambda c, u, f: ops.escalate(c, reason=f.reason.data, by=u),
               _l("%(number)s is escalated."), offered=_owner_may(Action.ESCALATE)),
    CaseAction("consult", ConsultationForm,
               lambda c, u, f: ops.add_consultation(
                   c, note=f.note.data, by=u, colleague=_user(f.colleague.data) if f.colleague.data else None),
               _l("The note on %(number)s is added."), offered=rules.can_consult,
               colleagues=lambda u, c, me: u.id != me.id),
    # Management: any owner at any tier, not counted as a transfer.
    CaseAction("assign", AssignForm, lambda c, u, f: ops.assign_owner(c, to=_user(f.to.data), note=f.note.data, by=u),
               _l("%(number)s has a new owner."), offered=rules.can_assign,
               permission=Permission.REVIEW_ESCALATIONS, colleagues=lambda u, c, me: u.id != c.owner_id),
    # Management: down to a lower tier's officer, with an instruction.
    CaseAction("send_back", SendBackForm,
               lambda c, u, f: ops.send_back(c, to=_user(f.to.data), instruction=f.instruction.data, by=u),
               _l("%(number)s is sent back down."),
               offered=lambda user, complaint: rules.can_assign(user, complaint) and complaint.tier > 1,
               permission=Permission.REVIEW_ESCALATIONS, colleagues=lambda u, c, me: u.tier < c.tier),
    # Management: to another tier, with a reason (the queue's bulk move, one complaint).
    CaseAction("move", MoveForm, lambda c, u, f: ops.move_to_tier(c, tier=f.tier.data, reason=f.reason.data, by=u),
               _l("%(number)s is moved to another tier."), offered=rules.can_move,
               permission=Permission.REVIEW_ESCALATIONS, takes_complaint=True),
    # The front desk as well as officers: a repeat joined to the earlier complaint, related ones linked.
    CaseAction("join", JoinForm,
               lambda c, u, f: joins.join_complaint(c, into=f.into.found, reason=f.reason.data, by=u),
               _l("%(number)s is joined to the earlier complaint and handled there now."),
               offered=lambda user, complaint: rules.can_join(user, complaint) and not joins.joined_here(complaint),
               permission=Permission.JOIN_COMPLAINTS),
    CaseAction("link", LinkForm, lambda c, u, f: joins.link_complaints(c, to=f.to.found, note=f.note.data, by=u),
               _l("The related complaint is linked to %(number)s."), offered=rules.can_link,
               permission=Permission.JOIN_COMPLAINTS),
    CaseAction("unlink", UnlinkForm,
               lambda c, u, f: joins.unlink_complaints(c, other=find_by_reference(f.other.data), note=f.note.data,
                                                       by=u),
               _l("The link is undone; %(number)s keeps it in its history."),
               offered=lambda user, complaint: rules.can_link(user, complaint) and bool(joins.related_to(complaint)),
               permission=Permission.JOIN_COMPLAINTS, takes_complaint=True),
)}


def handlers() -> list[User]:
    """Active staff who handle complaints, by tier and name."""
    roles = [role for role, permissions in ROLE_PERMISSIONS.items() if Permission.HANDLE_COMPLAINTS in permissions]
    return list(db.session.scalars(
        select(User).where(User.active.is_(True), User.role.in_(roles), User.tier.is_not(None))
        .order_by(User.tier, User.full_name)
    ))


def make_form(action: CaseAction, complaint: Complaint, user: User, *, submitted: bool = False,
              staff: list[User] | None = None, data: MultiDict | None = None) -> Any:
    """The action's form, empty or (`submitted`) bound to the request's data, or to `data` (the
    staff API's JSON, its names prefixed with the action's, no CSRF token: a bearer token has no
    cookie to forge); `staff` is the list of handlers when the caller has it already."""
    kwargs: dict[str, Any] = {"prefix": action.name}
    if data is not None:
        kwargs.update(formdata=data, meta={"csrf": False})
    if action.colleagues is not None:
        offers = action.colleagues
        kwargs["colleagues"] = [u for u in (handlers() if staff is None else staff) if offers(u, complaint, user)]
    if action.takes_complaint:
        kwargs["complaint"] = complaint
    if hasattr(action.form, "template_field"):
        kwargs["check_version"] = check_version
    if not submitted and data is None:
        kwargs["formdata"] = None
    return action.form(**kwargs)

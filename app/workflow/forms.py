"""Forms of the case page's actions. The rules (who, when, how long) live in the operations;
these only read and keep what was typed, so a refused action shows it again."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    HiddenField,
    IntegerField,
    MultipleFileField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

from ..auth.models import User
from ..clock import local_today
from ..complaints.access import find_by_reference
from ..complaints.errors import ComplaintChangeRefused
from ..complaints.guards import MAX_TEXT_LENGTH, MIN_REASON_LENGTH
from ..complaints.models import Complaint, Resolution
from ..complaints.storage import Evidence
from ..complaints.uploads import checked_evidence, uploaded_files
from ..forms import AppForm
from ..settings.store import current_policy
from ..text import clean_text
from .joins import related_to
from .models import ReviewDecision
from .operations import DOCUMENT_CHANNELS, RECEIVED_CHANNELS, Redress
from .rules import extendable_clocks
from .states import Action, allowed
from .verdict import RatingRefused, check_reason, check_score
from .verdict_models import HIGHEST_SCORE, LOWEST_SCORE, MAX_REASON_LENGTH


def _clean(value: Any) -> Any:
    return clean_text(value) if isinstance(value, str) else value


def _upper(value: Any) -> Any:
    return value.strip().upper() if isinstance(value, str) else value


def _text_field(label: Any, required: Any, minimum: int = 1) -> TextAreaField:
    return TextAreaField(label, filters=[_clean],
                         validators=[DataRequired(required), Length(min=minimum, max=MAX_TEXT_LENGTH)])


class FilesForm(AppForm):
    """A form that takes files as well: checked as at intake (`app.complaints.uploads`), each
    refusal shown at the field; `evidence` holds them once the form is valid."""

    attachments = MultipleFileField(_l("Documents (optional)"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.evidence: tuple[Evidence, ...] = ()

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        evidence = checked_evidence(self.attachments)
        if evidence is None:
            return False
        self.evidence = evidence
        return valid

    def has_files(self) -> bool:
        """Files were sent (they are not kept when the form comes back with an error)."""
        return bool(uploaded_files(self.attachments))


class ConfirmForm(AppForm):
    """An action without fields (take, resume, close): the CSRF token is all it carries."""


class TemplatedForm(FilesForm):
    """A letter that may start from an answer template (app/answers): `template_field` is the
    text it fills in, `template_version` keeps the version it came from until the letter is sent.

    `check_version` is the answer templates' own check of a version (it raises
    ComplaintChangeRefused): given by the case page's table (app/desk/actions.py), as this layer
    sits below the templates; a version it refuses is an error at the field."""

    template_field = "body"
    template_version = HiddenField(validators=[Optional(), Regexp(r"^[0-9]{1,9}$", message=_l(
        "Insert the template again."))])

    def __init__(self, *args: Any, check_version: Callable[[int], None] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._check_version = check_version

    def validate_template_version(self, field: HiddenField) -> None:
        if self._check_version is None or not field.data or field.errors:
            return
        try:
            self._check_version(int(field.data))
        except ComplaintChangeRefused as refused:
            raise ValidationError(str(refused)) from refused


class ResponseForm(TemplatedForm):
    body = _text_field(_l("Response to the complainant"), _l("Write the response."))
    attachments = MultipleFileField(_l("Documents to enclose (optional)"))


class InformationRequestForm(TemplatedForm):
    body = _text_field(_l("What you need from the complainant"), _l("Write what you need."))
    attachments = MultipleFileField(_l("Documents to enclose (optional)"))


class DecisionForm(TemplatedForm):
    template_field = "reasons"
    resolution = SelectField(_l("Decision"), validators=[DataRequired(_l("Choose the decision."))])
    reasons = _text_field(_l("Reasons for the decision"), _l("Give the reasons."), MIN_REASON_LENGTH)
    redress_amount = DecimalField(_l("Redress offered: amount (optional)"), places=2,
                                  validators=[Optional(), NumberRange(min=Decimal("0.01"), max=Decimal("999999999999"),
                                                                      message=_l("Give a positive amount."))])
    redress_currency = StringField(_l("Currency (three letters, e.g. MDL, EUR, GBP)"), filters=[_upper],
                                   validators=[Optional(), Regexp(r"^[A-Z]{3}$", message=_l(
                                       "Give the currency as its three-letter code."))])
    redress_remedy = TextAreaField(_l("Other remedy offered (optional): what you will do, not money"),
                                   filters=[_clean], validators=[Optional(), Length(max=MAX_TEXT_LENGTH)])
    attachments = MultipleFileField(_l("Documents to enclose (optional)"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.resolution.choices = [("", "—")] + [(r.value, r.title) for r in Resolution]

    def validate_redress_currency(self, field: StringField) -> None:
        if self.redress_amount.data is not None and not field.data:
            raise ValidationError(_("Give the currency of the amount."))

    @property
    def redress(self) -> Redress | None:
        if self.redress_amount.data is None and not self.redress_remedy.data:
            return None
        return Redress(self.redress_amount.data, self.redress_currency.data, self.redress_remedy.data)


class HoldingResponseForm(FilesForm):
    reason = _text_field(_l("Why there is no final response yet (printed in the letter's statutory part)"),
                         _l("Give the reason."), MIN_REASON_LENGTH)
    expected_on = DateField(_l("The final response is expected by"),
                            validators=[DataRequired(_l("Give the day the final response is expected."))])
    body = _text_field(_l("Letter to the complainant"), _l("Write the holding response."))
    attachments = MultipleFileField(_l("Documents to enclose (optional)"))


class ExtensionForm(AppForm):
    """Extend one of the complaint's running regulatory clocks (`complaint=`), once, with a
    reason, and (where its policy requires it) a notice letter to the complainant."""

    clock = SelectField(_l("Deadline"), validators=[DataRequired(_l("Choose the deadline to extend."))])
    amount = IntegerField(_l("Extend by"), validators=[DataRequired(_l("Say by how much.")),
                                                        NumberRange(min=1, message=_l("Extend by at least 1."))])
    reason = _text_field(_l("Reason (kept on the record)"), _l("Give the reason."), MIN_REASON_LENGTH)
    notice = TextAreaField(_l("Notice to the complainant (a numbered letter; required where the law requires notice)"),
                           filters=[_clean], validators=[Optional(), Length(max=MAX_TEXT_LENGTH)])

    def __init__(self, *args: Any, complaint: Complaint, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.clock.choices = [("", "—")] + [
            (clock.kind.value, _("%(clock)s: up to %(limit)d %(unit)s more", clock=clock.kind.title,
                                 limit=rule.extension, unit=rule.period.unit.title))
            for clock, rule in extendable_clocks(complaint)
        ]


class RedressPaidForm(AppForm):
    paid_on = DateField(_l("Paid (or carried out) on"), validators=[DataRequired(_l("Give the day it was paid."))])


class ReferralForm(AppForm):
    referred_on = DateField(_l("Referred on (as the body's notice says)"),
                            validators=[DataRequired(_l("Give the day of the referral."))])
    reference = StringField(_l("The body's reference (optional)"), filters=[_clean],
                            validators=[Optional(), Length(max=100)])


class ColleagueForm(AppForm):
    """A form with one field (named by `colleague_field`) to choose a member of staff from the
    `colleagues` it is given."""

    colleague_field = "to"

    def __init__(self, *args: Any, colleagues: list[User] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self[self.colleague_field].choices = [(0, "—")] + [
            (u.id, _("%(name)s (tier %(tier)d)", name=u.full_name, tier=u.tier or 0)) for u in colleagues
        ]


class ReasonedForm(AppForm):
    reason = _text_field(_l("Reason"), _l("Give the reason."), MIN_REASON_LENGTH)


class TransferForm(ColleagueForm, ReasonedForm):
    to = SelectField(_l("Transfer to"), coerce=int, validators=[DataRequired(_l("Choose a colleague."))])


class AssignForm(ColleagueForm):
    """Management names the owner (at any tier)."""

    to = SelectField(_l("New owner"), coerce=int, validators=[DataRequired(_l("Choose the owner."))])
    note = TextAreaField(_l("Instruction to the new owner (optional)"), filters=[_clean],
                         validators=[Optional(), Length(max=MAX_TEXT_LENGTH)])


class SendBackForm(ColleagueForm):
    """Management sends a complaint back to a lower tier, naming the officer and what to do."""

    to = SelectField(_l("Officer at a lower tier"), coerce=int, validators=[DataRequired(_l("Choose the officer."))])
    instruction = _text_field(_l("Instruction"), _l("Say what is to be done."), MIN_REASON_LENGTH)


class MoveForm(AppForm):
    """Management moves the complaint (`complaint=`) to another tier, as the queue's bulk move
    does; the operation refuses the tier it is at."""

    tier = SelectField(_l("Move to tier"), coerce=int, validators=[DataRequired(_l("Choose the tier."))])
    reason = _text_field(_l("Reason (told to the tier and the owner)"), _l("Give the reason."), MIN_REASON_LENGTH)

    def __init__(self, *args: Any, complaint: Complaint, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        language = str(get_locale() or "en")
        self.tier.choices = [(0, "—")] + [
            (t.level, _("%(level)d · %(name)s (now)", level=t.level, name=t.name(language)) if t.level == complaint.tier
             else f"{t.level} · {t.name(language)}")
            for t in current_policy().tiers
        ]


class ReviewForm(ColleagueForm):
    """Management's review decision on the escalation desk: keep with the owner (with an
    instruction), take over, or send back down to an officer of the tier it rose from."""

    decision = RadioField(_l("Decision"), validators=[DataRequired(_l("Choose a decision."))])
    instruction = TextAreaField(_l("Instruction to the owner (required to keep it with them or to send it back)"),
                                filters=[_clean], validators=[Optional(), Length(max=MAX_TEXT_LENGTH)])
    to = SelectField(_l("Send back to"), coerce=int, validators=[Optional()])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.decision.choices = [(d.value, d.title) for d in ReviewDecision]


class ConsultationForm(ColleagueForm):
    colleague_field = "colleague"
    note = _text_field(_l("Internal note (staff only)"), _l("Write the note."))
    colleague = SelectField(_l("Ask a colleague for input (optional)"), coerce=int, validators=[Optional()])


class ReceivedForm(FilesForm):
    """What the complainant sent by post, phone or in person (or an e-mail handled by hand),
    recorded by staff: a reply, a dispute, or a dispute asking for escalation. The kinds the
    complaint's status allows are offered; the dates are checked against its registration."""

    what = SelectField(_l("What the complainant sent"), validators=[DataRequired(_l("Choose what they sent."))])
    channel = SelectField(_l("How it came"), validators=[DataRequired(_l("Choose how it came."))])
    received_on = DateField(_l("Date received"), validators=[DataRequired(_l("Give the date it was received."))])
    body = _text_field(_l("What they wrote or said"), _l("Write down what they sent."))
    attachments = MultipleFileField(_l("Documents they sent (optional)"))

    def __init__(self, *args: Any, complaint: Complaint | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.complaint = complaint
        status = complaint.status if complaint is not None else None
        kinds = []
        if status is None or allowed(status, Action.COMPLAINANT_REPLY):
            kinds.append(("reply", _l("A reply")))
        if status is None or allowed(status, Action.DISPUTE):
            kinds += [("dispute", _l("A dispute of the response or decision")),
                      ("escalation", _l("A dispute, asking for escalation to a higher level"))]
        self.what.choices = [("", "—"), *kinds]
        self.channel.choices = [("", "—")] + [(c.value, c.title) for c in RECEIVED_CHANNELS]
        if not self.received_on.data and not self.received_on.raw_data:
            self.received_on.data = local_today(current_app.config["REGISTRY_TIMEZONE"])

    def validate_received_on(self, field: DateField) -> None:
        zone = current_app.config["REGISTRY_TIMEZONE"]
        if field.data and field.data > local_today(zone):
            raise ValidationError(_l("The date cannot be in the future."))
        if field.data and self.complaint is not None \
                and field.data < self.complaint.registered_at.astimezone(ZoneInfo(zone)).date():
            raise ValidationError(_l("The date cannot be before the complaint was registered."))


class DocumentsForm(FilesForm):
    """Documents that arrived later, added by the desk: the files, how and when they came, and
    a note if it helps."""

    attachments = MultipleFileField(_l("Documents"))
    channel = SelectField(_l("How they came"), validators=[DataRequired(_l("Choose how they came."))])
    received_on = DateField(_l("Date received"), validators=[DataRequired(_l("Give the date it was received."))])
    note = TextAreaField(_l("Note (optional)"), filters=[_clean], validators=[Optional(), Length(max=MAX_TEXT_LENGTH)])

    def __init__(self, *args: Any, complaint: Complaint | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.complaint = complaint
        self.channel.choices = [("", "—")] + [(c.value, c.title) for c in DOCUMENT_CHANNELS]
        if not self.received_on.data and not self.received_on.raw_data:
            self.received_on.data = local_today(current_app.config["REGISTRY_TIMEZONE"])

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        if valid and not self.evidence:
            self.attachments.errors = [*self.attachments.errors, _l("Attach at least one document.")]
            return False
        return valid

    validate_received_on = ReceivedForm.validate_received_on


class ReplyForm(FilesForm):
    """The complainant's reply or dispute, on the tracking page, with documents if they like."""

    body = _text_field(_l("Your message"), _l("Write your message."))
    attachments = MultipleFileField(_l("Documents (optional)"))


class DisputeForm(FilesForm):
    body = _text_field(_l("Why you do not accept the response"), _l("Tell us why."))
    escalate = BooleanField(_l("Pass my complaint to a higher level of the organisation"))
    attachments = MultipleFileField(_l("Documents (optional)"))


def _existing_complaint(form: Any, field: Any) -> None:
    """The field names a complaint by its number: kept as `field.found`, or an error."""
    field.found = find_by_reference(field.data)
    if field.found is None:
        raise ValidationError(_l("No complaint has this number."))


def _number_field(label: Any) -> StringField:
    """A complaint's number (2026/000123); the valid form holds the complaint as `found`."""
    return StringField(label, filters=[_clean], validators=[DataRequired(_l("Type the complaint's number.")),
                                                            Length(max=40), _existing_complaint])


class JoinForm(AppForm):
    """Join this complaint to an earlier one of the same complainant (app/workflow/joins.py)."""

    into = _number_field(_l("Number of the earlier complaint"))
    reason = _text_field(_l("Why it repeats that complaint (kept on the record)"), _l("Give the reason."),
                         MIN_REASON_LENGTH)


class LinkForm(AppForm):
    """Link a related complaint (the same incident, the same outage), with a note."""

    to = _number_field(_l("Number of the related complaint"))
    note = _text_field(_l("How they are related"), _l("Write a note."))


class UnlinkForm(AppForm):
    """Undo a link of this complaint (`complaint=`), with a note."""

    other = SelectField(_l("Linked complaint"), validators=[DataRequired(_l("Choose the linked complaint."))])
    note = _text_field(_l("Why the link is undone"), _l("Write a note."))

    def __init__(self, *args: Any, complaint: Complaint, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.other.choices = [("", "—")] + [(r.complaint.number, r.complaint.number) for r in related_to(complaint)]


class RatingForm(AppForm):
    """The complainant's verdict on the tracking page: a score 1..5 and why, in a sentence. The
    checks are the operation's (app/workflow/verdict.py), shown at each field."""

    score = RadioField(_l("Your rating, from 1 (very dissatisfied) to 5 (very satisfied)"),
                       choices=[SelectChoice(str(n), str(n)) for n in range(LOWEST_SCORE, HIGHEST_SCORE + 1)],
                       validate_choice=False)
    reason = TextAreaField(_l("Why, in a sentence"), render_kw={"maxlength": MAX_REASON_LENGTH, "rows": 3})

    def validate_score(self, field: RadioField) -> None:
        try:
            check_score(field.data)
        except RatingRefused as refused:
            raise ValidationError(str(refused)) from None

    def validate_reason(self, field: TextAreaField) -> None:
        try:
            field.data = check_reason(field.data)
        except RatingRefused as refused:
            raise ValidationError(str(refused)) from None

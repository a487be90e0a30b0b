"""Desk forms. The clerk's complaint form is the public form plus how and when it arrived."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from ..clock import local_day_start, local_today
from ..complaints.categories import category_choices
from ..complaints.guards import MIN_REASON_LENGTH
from ..complaints.models import CORRECTABLE, Channel, Complaint
from ..forms import AppForm
from ..intake.forms import ComplaintForm
from ..intake.validation import rules_from_config, validate_complaint
from ..text import clean_text

#: Channels a clerk registers (the web form and the API register themselves).
DESK_CHANNELS = (Channel.PAPER, Channel.POST, Channel.PHONE, Channel.IN_PERSON, Channel.EMAIL)


def today_local() -> date:
    return local_today(current_app.config["REGISTRY_TIMEZONE"])


class DeskComplaintForm(ComplaintForm):
    """A complaint registered by a clerk for the complainant."""

    channel = SelectField(_l("Received by"), validate_choice=True)
    received_on = DateField(_l("Date the document was received"), validators=[DataRequired(_l("Give the date."))])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.channel.choices = [(c.value, c.title) for c in DESK_CHANNELS]
        self.declaration.label.text = _l(
            "The complainant signed this complaint (on paper) or confirmed it (by phone or e-mail)."
        )
        self.attachments.label.text = _l("Scan of the paper original and other evidence (optional)")
        if not self.received_on.data and not self.received_on.raw_data:
            self.received_on.data = today_local()

    def validate_received_on(self, field: DateField) -> None:
        if field.data and field.data > today_local():
            raise ValidationError(_l("The date cannot be in the future."))
        if field.data and (today_local() - field.data).days > 366:
            raise ValidationError(_l("The date is more than a year ago; check it."))

    def validate_email(self, field: StringField) -> None:
        # The receipt of a complaint sent by e-mail names the address it came from.
        if self.channel.data == Channel.EMAIL and not (field.data or "").strip():
            raise ValidationError(_l("Give the address the e-mail came from."))

    def received_at(self) -> datetime | None:
        """When the document arrived: now for today's, else the start of that day (local)."""
        if self.received_on.data == today_local():
            return None  # the registration time itself
        return local_day_start(self.received_on.data, current_app.config["REGISTRY_TIMEZONE"])


class ReasonForm(AppForm):
    reason = TextAreaField(
        _l("Reason"),
        filters=[lambda v: clean_text(v) if isinstance(v, str) else v],
        validators=[
            DataRequired(_l("Give the reason.")),
            Length(min=MIN_REASON_LENGTH, max=1000),
        ],
    )


class CorrectionForm(ReasonForm):
    """The correctable fields, prefilled with the current values; the public form's rules apply."""

    full_name = StringField(_l("Full name"))
    email = StringField(_l("E-mail"))
    phone = StringField(_l("Phone"))
    postal_address = TextAreaField(_l("Postal address"))
    category = SelectField(_l("Category"), validate_choice=False)
    subject = StringField(_l("Subject"))
    description = TextAreaField(_l("What happened"))
    desired_outcome = TextAreaField(_l("Outcome wanted"))

    def __init__(self, *args: Any, language: str = "en", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.category.choices = category_choices(language)

    def changes(self, complaint: Complaint) -> dict[str, str | None] | None:
        """The corrected values, normalised like a new complaint's; None if a rule is broken."""
        data: dict[str, Any] = {name: self[name].data for name in CORRECTABLE}
        # The signature stays the complainant's own; the name is checked like a new one.
        data |= {"language": complaint.language, "signature": self.full_name.data, "declaration": True}
        submission, errors = validate_complaint(data, rules_from_config(current_app.config))
        for name, messages in errors.items():
            self[name].errors = [*self[name].errors, *messages]
        if submission is None:
            return None
        return {name: getattr(submission, name) for name in CORRECTABLE}

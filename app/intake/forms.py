"""The complaint form. The web page and the JSON API validate with this same class, so a
rule written once holds on every channel."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    Field,
    HiddenField,
    MultipleFileField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from ..complaints.categories import category_choices
from ..complaints.storage import ALLOWED_TYPES, Evidence, detect_content_type, safe_filename
from .operations import ComplaintSubmission

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: Any) -> Any:
    """Trim, normalise to NFC and drop control characters (keeping line breaks and tabs)."""
    if not isinstance(value, str):
        return value
    return _CONTROL.sub("", unicodedata.normalize("NFC", value)).strip()


def single_line(value: Any) -> Any:
    """Collapse runs of whitespace, including line breaks, into one space."""
    return re.sub(r"\s+", " ", value) if isinstance(value, str) else value


def _same_person(a: str, b: str) -> bool:
    return single_line(a).casefold() == single_line(b).casefold()


def language_choices() -> list[tuple[str, str]]:
    return list(current_app.config["LANGUAGES"].items())


class ComplaintForm(FlaskForm):
    """A formal complaint, signed by the complainant."""

    full_name = StringField(
        _l("Full name"),
        filters=[clean_text, single_line],
        validators=[DataRequired(_l("Enter your full name.")), Length(min=2, max=200)],
    )
    email = EmailField(
        _l("E-mail"),
        filters=[clean_text],
        validators=[Optional(), Length(max=254)],
    )
    phone = TelField(
        _l("Phone"),
        filters=[clean_text],
        validators=[Optional(), Length(max=32)],
    )
    postal_address = TextAreaField(
        _l("Postal address (optional)"),
        filters=[clean_text],
        validators=[Optional(), Length(max=500)],
    )
    category = SelectField(
        _l("Category"), validators=[InputRequired(_l("Choose a category."))], validate_choice=True
    )
    subject = StringField(
        _l("Subject"),
        filters=[clean_text, single_line],
        validators=[DataRequired(_l("Give your complaint a short subject.")), Length(min=3, max=200)],
    )
    description = TextAreaField(
        _l("What happened"),
        filters=[clean_text],
        validators=[
            DataRequired(_l("Describe what happened.")),
            Length(min=10, max=10000),
        ],
    )
    desired_outcome = TextAreaField(
        _l("What outcome do you want?"),
        filters=[clean_text],
        validators=[
            DataRequired(_l("Say what you want the organisation to do.")),
            Length(min=3, max=2000),
        ],
    )
    language = SelectField(_l("Preferred language for our answers"), validate_choice=True)
    attachments = MultipleFileField(_l("Evidence (optional)"))
    signature = StringField(
        _l("Signature: type your full name"),
        filters=[clean_text, single_line],
        validators=[DataRequired(_l("Sign by typing your full name.")), Length(max=200)],
    )
    declaration = BooleanField(
        _l("I confirm this complaint is true and I sign it."),
        validators=[DataRequired(_l("Tick the declaration to sign the complaint."))],
    )
    submission_token = HiddenField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        locale = str(get_locale() or "en")
        self.category.choices = [("", _l("— choose —"))] + category_choices(locale)
        self.language.choices = language_choices()
        if not self.language.data:
            self.language.data = locale if locale in current_app.config["LANGUAGES"] else "en"
        self.evidence: tuple[Evidence, ...] = ()
        #: Contact details in their stored form; the fields keep what was typed, to show it again.
        self.normalised: dict[str, str] = {}

    def validate_email(self, field: Field) -> None:
        if not field.data:
            return
        try:
            self.normalised["email"] = validate_email(field.data, check_deliverability=False).normalized
        except EmailNotValidError:
            raise ValidationError(_l("This is not a valid e-mail address.")) from None

    def validate_phone(self, field: Field) -> None:
        if not field.data:
            return
        region = current_app.config["PHONE_DEFAULT_REGION"] or None
        try:
            parsed = phonenumbers.parse(field.data, region)
        except phonenumbers.NumberParseException:
            parsed = None
        if parsed is None or not phonenumbers.is_valid_number(parsed):
            raise ValidationError(
                _l("This is not a valid phone number; include the country code, e.g. +373 69 123 456.")
            )
        self.normalised["phone"] = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)

    def validate_signature(self, field: Field) -> None:
        if field.data and self.full_name.data and not _same_person(field.data, self.full_name.data):
            raise ValidationError(_l("The signature must be your full name, as written above."))

    def validate_attachments(self, field: Field) -> None:
        files = [f for f in (field.data or []) if getattr(f, "filename", "")]
        config = current_app.config
        if len(files) > config["ATTACHMENT_MAX_FILES"]:
            raise ValidationError(
                _l("Attach at most %(n)d files.", n=config["ATTACHMENT_MAX_FILES"])
            )
        evidence = []
        limit = config["ATTACHMENT_MAX_BYTES"]
        for upload in files:
            name = safe_filename(upload.filename)
            content = upload.stream.read(limit + 1)
            if len(content) > limit:
                raise ValidationError(
                    _l(
                        "%(name)s is larger than %(mb)d MB.",
                        name=name,
                        mb=limit // (1024 * 1024),
                    )
                )
            if not content:
                raise ValidationError(_l("%(name)s is empty.", name=name))
            content_type = detect_content_type(content, name)
            if content_type is None:
                raise ValidationError(
                    _l(
                        "%(name)s is not an accepted file type (accepted: %(types)s).",
                        name=name,
                        types=", ".join(sorted(set(ALLOWED_TYPES.values()))),
                    )
                )
            evidence.append(Evidence(filename=name, content_type=content_type, content=content))
        self.evidence = tuple(evidence)

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        if not self.email.data and not self.phone.data and not self.email.errors and not self.phone.errors:
            message = _l("Give an e-mail address or a phone number (or both), so we can answer you.")
            self.email.errors = [*self.email.errors, message]
            self.phone.errors = [*self.phone.errors, message]
            valid = False
        return valid

    def has_files(self) -> bool:
        return any(getattr(f, "filename", "") for f in (self.attachments.data or []))

    def submission(self) -> ComplaintSubmission:
        """The validated content, ready for `register_complaint`."""
        return ComplaintSubmission(
            full_name=self.full_name.data,
            email=self.normalised.get("email"),
            phone=self.normalised.get("phone"),
            postal_address=self.postal_address.data or None,
            category=self.category.data,
            subject=self.subject.data,
            description=self.description.data,
            desired_outcome=self.desired_outcome.data,
            language=self.language.data,
            signature_name=self.signature.data,
            declaration_confirmed=bool(self.declaration.data),
            attachments=self.evidence,
        )

"""The complaint form as a web page: fields to render, typed values kept, errors shown per
field. The rules themselves live in `validation.py` and serve the API and the clerk's form too."""

from __future__ import annotations

import logging
from typing import Any

import msgspec
from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    MultipleFileField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)

from ..complaints.categories import category_choices
from ..complaints.storage import Evidence
from ..complaints.uploads import checked_evidence, uploaded_files
from ..forms import AppForm
from ..languages import LANGUAGES
from .operations import ComplaintSubmission
from .validation import FIELDS, rules_from_config, validate_complaint

log = logging.getLogger(__name__)


def language_choices() -> list[tuple[str, str]]:
    return list(LANGUAGES.items())


class ComplaintForm(AppForm):
    """A formal complaint, signed by the complainant."""

    full_name = StringField(_l("Full name"))
    email = EmailField(_l("E-mail"))
    phone = TelField(_l("Phone"))
    postal_address = TextAreaField(_l("Postal address (optional)"))
    category = SelectField(_l("Category"), validate_choice=False)
    subject = StringField(_l("Subject"))
    description = TextAreaField(_l("What happened"))
    desired_outcome = TextAreaField(_l("What outcome do you want?"))
    language = SelectField(_l("Preferred language for our answers"), validate_choice=False)
    attachments = MultipleFileField(_l("Evidence (optional)"))
    signature = StringField(_l("Signature: type your full name"))
    declaration = BooleanField(_l("I confirm this complaint is true and I sign it."))
    submission_token = HiddenField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        locale = str(get_locale() or "en")
        # Read when the form is drawn: a registered form redirects without drawing it.
        self.category.choices = lambda: [("", _l("— choose —")), *category_choices(locale)]
        self.language.choices = language_choices()
        if not self.language.data:
            self.language.data = locale if locale in LANGUAGES else "en"
        self._submission: ComplaintSubmission | None = None

    def validate(self, extra_validators: Any = None) -> bool:
        """The CSRF token and the files here; every other rule in `validate_complaint`."""
        valid = super().validate(extra_validators)
        data = {name: self[name].data for name in FIELDS}
        data["declaration"] = bool(self.declaration.data)
        submission, errors = validate_complaint(data, rules_from_config(current_app.config))
        for name, messages in errors.items():
            self[name].errors = [*self[name].errors, *messages]
        evidence = self._evidence()
        if submission is None or evidence is None or not valid:
            return False
        self._submission = msgspec.structs.replace(submission, attachments=evidence)
        return True

    def _evidence(self) -> tuple[Evidence, ...] | None:
        """The uploaded files, checked by content; None (with a message) if one is refused."""
        return checked_evidence(self.attachments)

    def has_files(self) -> bool:
        return bool(uploaded_files(self.attachments))

    def submission(self) -> ComplaintSubmission:
        """The validated content, ready for `register_complaint` (after `validate()`)."""
        if self._submission is None:
            raise RuntimeError("submission() before a successful validate()")
        return self._submission

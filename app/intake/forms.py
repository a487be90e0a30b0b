"""The complaint form as a web page: fields to render, typed values kept, errors shown per
field. The rules themselves live in `validation.py` and serve the API and the clerk's form too."""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from flask import current_app
from flask_babel import get_locale, lazy_ngettext
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
from ..complaints.storage import (
    ALLOWED_TYPES,
    EXTENSIONS,
    Evidence,
    detect_content_type,
    has_room_for,
    name_fits_type,
    safe_filename,
)
from ..extensions import db
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
        self.category.choices = [("", _l("— choose —"))] + category_choices(locale)
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
        self._submission = dataclasses.replace(submission, attachments=evidence)
        return True

    def _evidence(self) -> tuple[Evidence, ...] | None:
        """The uploaded files, checked by content; None (with a message) if one is refused."""
        field = self.attachments
        files = [f for f in (field.data or []) if getattr(f, "filename", "")]
        config = current_app.config
        limit = config["ATTACHMENT_MAX_BYTES"]
        if len(files) > config["ATTACHMENT_MAX_FILES"]:
            field.errors = [*field.errors, lazy_ngettext("Attach at most %(num)d file.", "Attach at most %(num)d files.",
                                                               config["ATTACHMENT_MAX_FILES"])]
            return None
        evidence = []
        for upload in files:
            name = safe_filename(upload.filename)
            content = upload.stream.read(limit + 1)
            if len(content) > limit:
                message = _l("%(name)s is larger than %(mb)d MB.", name=name, mb=limit // (1024 * 1024))
            elif not content:
                message = _l("%(name)s is empty.", name=name)
            elif (content_type := detect_content_type(content, name)) is None:
                message = _l(
                    "%(name)s is not an accepted file type (accepted: %(types)s).",
                    name=name,
                    types=", ".join(sorted(set(ALLOWED_TYPES.values()))),
                )
            elif not name_fits_type(name, content_type):
                message = _l(
                    "%(name)s is really a %(kind)s file, which its name does not say; rename it to end in %(ext)s.",
                    name=name, kind=ALLOWED_TYPES[content_type], ext=EXTENSIONS[content_type][0],
                )
            else:
                evidence.append(Evidence(filename=name, content_type=content_type, content=content))
                continue
            field.errors = [*field.errors, message]
            return None
        if not has_room_for(db.session, evidence, config["EVIDENCE_STORAGE_MAX_BYTES"]):
            log.warning("evidence storage full (EVIDENCE_STORAGE_MAX_BYTES=%d): a submission with files refused",
                        config["EVIDENCE_STORAGE_MAX_BYTES"])
            field.errors = [*field.errors, _l(
                "The registry cannot store more evidence files just now: its storage for them is full. "
                "Send the complaint without the files and bring or post them later, or try again later."
            )]
            return None
        return tuple(evidence)

    def has_files(self) -> bool:
        return any(getattr(f, "filename", "") for f in (self.attachments.data or []))

    def submission(self) -> ComplaintSubmission:
        """The validated content, ready for `register_complaint` (after `validate()`)."""
        if self._submission is None:
            raise RuntimeError("submission() before a successful validate()")
        return self._submission

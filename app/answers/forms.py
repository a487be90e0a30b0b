"""The managers' template form: the category (or every category), and a title and a body in
each language. A language is written in full (title and body) or left empty; at least one is
written; a body's placeholders must be known (each refusal shown at its field)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import Length

from ..complaints.categories import category_choices
from ..complaints.guards import MAX_TEXT_LENGTH
from ..forms import AppForm
from ..languages import LANGUAGES, SUPPORTED_LANGUAGES
from ..text import clean_text
from .models import TITLE_MAX_LENGTH
from .operations import Texts
from .placeholders import known_list, unknown_placeholders


def _clean(value: Any) -> Any:
    return clean_text(value) if isinstance(value, str) else value


class TemplateForm(AppForm):
    category = SelectField(_l("Category"), validate_choice=True)

    def __init__(self, *args: Any, language: str = "en", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.category.choices = [("", _("Every category"))] + category_choices(language, include_retired=True)

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        written = 0
        for code in SUPPORTED_LANGUAGES:
            title, body = self[f"title_{code}"], self[f"body_{code}"]
            if title.data and body.data:
                written += 1
            elif title.data and not body.data:
                body.errors = [*body.errors, _("Write the text in this language too, or leave its title empty.")]
            elif body.data and not title.data:
                title.errors = [*title.errors, _("Give the title in this language too, or leave its text empty.")]
            unknown = unknown_placeholders(body.data or "")
            if unknown:
                body.errors = [*body.errors, _(
                    "Unknown placeholder: %(names)s. The known ones are: %(known)s.",
                    names=", ".join(f"{{{name}}}" for name in unknown), known=known_list())]
        if not written:
            self[f"title_{SUPPORTED_LANGUAGES[0]}"].errors.append(
                _("Write the template in at least one language (a title and a text)."))
        return valid and written > 0 and not any(self[f"{part}_{code}"].errors for code in SUPPORTED_LANGUAGES
                                                  for part in ("title", "body"))

    def texts(self) -> Texts:
        return {code: (self[f"title_{code}"].data, self[f"body_{code}"].data) for code in SUPPORTED_LANGUAGES
                if self[f"title_{code}"].data}

    def fill_from(self, category: str | None, texts: Texts) -> None:
        self.category.data = category or ""
        for code, (title, body) in texts.items():
            self[f"title_{code}"].data, self[f"body_{code}"].data = title, body

    def languages(self) -> list[tuple[str, str, Any, Any]]:
        """(code, name, title field, body field) per language, for the page."""
        return [(code, LANGUAGES[code], self[f"title_{code}"], self[f"body_{code}"]) for code in SUPPORTED_LANGUAGES]


for _code in SUPPORTED_LANGUAGES:
    setattr(TemplateForm, f"title_{_code}", StringField(
        _l("Title (%(language)s)", language=LANGUAGES[_code]), filters=[_clean],
        validators=[Length(max=TITLE_MAX_LENGTH)]))
    setattr(TemplateForm, f"body_{_code}", TextAreaField(
        _l("Text (%(language)s)", language=LANGUAGES[_code]), filters=[_clean], render_kw={"rows": 8},
        validators=[Length(max=MAX_TEXT_LENGTH)]))


class RetireForm(AppForm):
    """Retiring carries only the CSRF token."""

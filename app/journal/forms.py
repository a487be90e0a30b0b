"""The journal's filter form: read from the query string (a GET search, no CSRF token), shown
again with what was typed, each mistake explained next to its field."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import get_locale, lazy_ngettext
from flask_babel import lazy_gettext as _l
from wtforms import DateField, Field, SelectField, StringField
from wtforms.validators import Length, Optional, ValidationError

from ..complaints.categories import category_choices
from ..complaints.filters import ComplaintFilter, NumberBound
from ..complaints.models import Channel, ComplaintStatus
from ..dates import format_day
from ..forms import SEARCH_MAX_LENGTH, AppForm
from ..text import ascii_integer

#: '2026/000123', '2026-123', '2026 123' (year and number) or '123' (a number in any year).
_NUMBER = re.compile(r"^\s*(?:(\d{4})\D+)?(\d{1,12})\s*$")
MIN_SEARCH_LENGTH = 3
MIN_YEAR, MAX_YEAR = 1900, 2999


def _parse_number(text: str | None) -> NumberBound | None:
    match = _NUMBER.match(text or "")
    if match is None:
        return None
    return NumberBound(seq=int(match[2]), year=int(match[1]) if match[1] else None)


def _text(field: Field) -> str:
    return (field.data or "").strip()


class JournalFilterForm(AppForm):
    """Every filter of the journal; empty fields do not filter."""

    class Meta:
        csrf = False  # a read-only search by GET

    year = StringField(_l("Year"), validators=[Optional()])
    number_from = StringField(_l("Number from"), validators=[Optional()])
    number_to = StringField(_l("Number to"), validators=[Optional()])
    date_from = DateField(_l("Registered from"), validators=[Optional()])
    date_to = DateField(_l("Registered to"), validators=[Optional()])
    status = SelectField(_l("Status"), validators=[Optional()], validate_choice=True)
    category = SelectField(_l("Category"), validators=[Optional()], validate_choice=True)
    channel = SelectField(_l("Channel"), validators=[Optional()], validate_choice=True)
    name = StringField(_l("Complainant's name"), validators=[Optional(), Length(max=SEARCH_MAX_LENGTH)])
    email = StringField(_l("E-mail"), validators=[Optional(), Length(max=SEARCH_MAX_LENGTH)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=SEARCH_MAX_LENGTH)])
    text = StringField(_l("Words in subject or description"), validators=[Optional(), Length(max=SEARCH_MAX_LENGTH)])
    correspondence = StringField(_l("Words in the correspondence"),
                                 validators=[Optional(), Length(max=SEARCH_MAX_LENGTH)])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        any_ = ("", _l("Any"))
        self.status.choices = [any_] + [(s.value, s.title) for s in ComplaintStatus]
        self.category.choices = [any_] + category_choices(str(get_locale() or "en"), include_retired=True)
        self.channel.choices = [any_] + [(c.value, c.title) for c in Channel]

    # --- one field at a time --------------------------------------------------------------

    def validate_year(self, field: Field) -> None:
        if ascii_integer(_text(field), MIN_YEAR, MAX_YEAR) is None:
            raise ValidationError(_l("Type a year such as 2026."))

    def validate_number_from(self, field: Field) -> None:
        if _parse_number(field.data) is None:
            raise ValidationError(_l("Type a number such as 2026/000123, or just 123."))

    validate_number_to = validate_number_from

    def _validate_search(self, field: Field) -> None:
        if len(_text(field)) < MIN_SEARCH_LENGTH:
            raise ValidationError(lazy_ngettext("Type at least %(num)d character.", "Type at least %(num)d characters.",
                                                MIN_SEARCH_LENGTH))

    validate_name = validate_email = _validate_search

    def validate_phone(self, field: Field) -> None:
        if len(re.sub(r"\D", "", field.data or "")) < MIN_SEARCH_LENGTH:
            raise ValidationError(lazy_ngettext("Type at least %(num)d digit of the number.",
                                                "Type at least %(num)d digits of the number.", MIN_SEARCH_LENGTH))

    def validate_text(self, field: Field) -> None:  # also the correspondence's words
        if any(len(word) < MIN_SEARCH_LENGTH for word in _text(field).split()):
            raise ValidationError(lazy_ngettext("Each word must have at least %(num)d character.",
                                                "Each word must have at least %(num)d characters.", MIN_SEARCH_LENGTH))

    validate_correspondence = validate_text

    # --- the fields together ----------------------------------------------------------------

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        if not (self.number_from.errors or self.number_to.errors):
            low, high = self._number_bounds()
            if low and high and (low.year is None) == (high.year is None) and (low.year or 0, low.seq) > (
                high.year or 0, high.seq
            ):
                self.number_to.errors.append(_l("“Number to” comes before “Number from”."))
                valid = False
        return self.registered_in_order(self.date_from, self.date_to) and valid

    def _year(self) -> int | None:
        text = _text(self.year)
        return int(text) if text and not self.year.errors else None

    def _number_bounds(self) -> tuple[NumberBound | None, NumberBound | None]:
        """Both ends of the number range; a bare number belongs to the year filter's year."""
        year = self._year()

        def bound(field: Field) -> NumberBound | None:
            parsed = _parse_number(field.data) if _text(field) else None
            if parsed is not None and parsed.year is None and year is not None:
                return NumberBound(seq=parsed.seq, year=year)
            return parsed

        return bound(self.number_from), bound(self.number_to)

    def to_filter(self, timezone: str, *, internal_notes: bool = False) -> ComplaintFilter:
        """The filter the (validated) fields stand for; dates are days in `timezone`; the
        correspondence's words are looked for in internal notes too where `internal_notes`."""
        low, high = self._number_bounds()
        registered_from, registered_before = self.day_range(self.date_from.data, self.date_to.data, timezone)
        phone = re.sub(r"\D", "", self.phone.data or "")
        return ComplaintFilter(
            year=self._year(),
            number_from=low,
            number_to=high,
            registered_from=registered_from,
            registered_before=registered_before,
            status=ComplaintStatus(self.status.data) if self.status.data else None,
            category=self.category.data or None,
            channel=Channel(self.channel.data) if self.channel.data else None,
            name=_text(self.name) or None,
            email=_text(self.email) or None,
            phone=phone or None,
            text=" ".join(_text(self.text).split()) or None,
            correspondence=" ".join(_text(self.correspondence).split()) or None,
            internal_notes=internal_notes,
        )

    def described_filters(self) -> dict[str, str]:
        """The non-empty filters as people read them: field label -> value (choices by title,
        days in the page language's style)."""
        described = {}
        for name, value in self.filter_args().items():
            field = self[name]
            if isinstance(field, SelectField):
                value = str(dict(field.choices).get(value, value))
            elif isinstance(field, DateField) and field.data is not None:
                value = format_day(field.data, get_locale())
            described[str(field.label.text)] = value
        return described

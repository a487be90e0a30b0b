"""The base of every form in the app (cf. Indico's IndicoForm): WTForms' own messages in the
page's language, the checks that several filter forms share, and the one check that every
select, whole-number and date field converts only what it can.

WTForms' `Optional()` takes a value of blanks for an empty field and clears the field's errors,
so a select given " " kept " " as its data, and `int` and `strptime` take digits of any script;
those values then broke the views that convert them (`ComplaintStatus(" ")`, `int(" ")`, a day
in year 9999 plus one). `AppForm.validate` refuses them at the field for every form."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, DateTimeField, Field, IntegerField, SelectFieldBase

from .clock import local_day_start
from .i18n import wtforms_translations
from .text import ascii_integer

#: The longest text a search field takes (SQLite refuses LIKE patterns beyond 50 000 bytes; no
#: one searches for a paragraph).
SEARCH_MAX_LENGTH = 200

#: The days any date field accepts: beyond them no date is meant, and day arithmetic overflows.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2100, 12, 31)


def _unconvertible(field: Field) -> Any:
    """The message for a select, whole-number or date field whose typed value is not what it
    can convert (None when it is, or when nothing was typed: Optional/DataRequired decide)."""
    raw = field.raw_data[0] if field.raw_data else None
    if not isinstance(raw, str) or raw == "":
        return None
    if isinstance(field, SelectFieldBase):
        if not raw.strip():
            return _l("Choose one of the options.")
        if getattr(field, "coerce", str) is int and ascii_integer(raw) is None:
            return _l("Choose one of the options.")
    elif isinstance(field, IntegerField):
        if ascii_integer(raw) is None:
            return _l("Type a whole number in the digits 0–9.")
    elif isinstance(field, DateField | DateTimeField):
        if not raw.strip() or not raw.isascii():
            return _l("Type a date such as 2026-11-30.")
        day = field.data.date() if isinstance(field.data, datetime) else field.data
        if isinstance(day, date) and not FIRST_DAY <= day <= LAST_DAY:
            return _l("Type a date between %(first)d and %(last)d.", first=FIRST_DAY.year, last=LAST_DAY.year)
    return None


class AppForm(FlaskForm):
    """Base of the app's forms: WTForms' messages translated, catalogues cached."""

    class Meta:
        def get_translations(self, form: Any) -> Any:
            return wtforms_translations

    def validate(self, extra_validators: Any = None) -> bool:
        """WTForms' validation, then: every select, whole-number and date field refuses a
        value it cannot convert (blanks, digits other than 0-9, numbers beyond 64 bits, days
        outside FIRST_DAY..LAST_DAY), with the message next to the field."""
        valid = super().validate(extra_validators)
        for field in self:
            if not field.errors and (message := _unconvertible(field)) is not None:
                field.errors = [message]
                valid = False
        return valid

    @staticmethod
    def registered_in_order(date_from: Any, date_to: Any) -> bool:
        """The "Registered from / to" pair of a filter form: False, with the message next to
        "to", when both are valid dates and "to" is the earlier one."""
        if (
            date_from.data and date_to.data and not (date_from.errors or date_to.errors)
            and date_from.data > date_to.data
        ):
            date_to.errors.append(_l("“Registered to” is before “Registered from”."))
            return False
        return True

    @staticmethod
    def day_range(date_from: date | None, date_to: date | None, timezone: str) -> tuple[datetime | None, datetime | None]:
        """A from / to pair of days as moments in `timezone`: the start of the first day
        and the start of the day after the last (None where a day was not given). Days beyond
        FIRST_DAY..LAST_DAY (which validation refuses) are taken as those days."""
        def within(day: date) -> date:
            return min(max(day, FIRST_DAY), LAST_DAY)

        start = local_day_start(within(date_from), timezone) if date_from else None
        end = local_day_start(within(date_to) + timedelta(days=1), timezone) if date_to else None
        return start, end

    def filter_args(self) -> dict[str, str]:
        """What was typed in each non-empty field, trimmed: a filter form keeps it in its page,
        export and CSV links. (Blanks alone are left out: a link never carries them.)"""
        return {
            field.name: field.raw_data[0].strip()
            for field in self
            if field.raw_data and field.raw_data[0] and field.raw_data[0].strip()
        }

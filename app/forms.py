"""The base of every form in the app (cf. Indico's IndicoForm): WTForms' own messages in the
page's language, and the checks that several filter forms share."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

from .clock import local_day_start
from .i18n import wtforms_translations


class AppForm(FlaskForm):
    """Base of the app's forms: WTForms' messages translated, catalogues cached."""

    class Meta:
        def get_translations(self, form: Any) -> Any:
            return wtforms_translations

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
        and the start of the day after the last (None where a day was not given)."""
        start = local_day_start(date_from, timezone) if date_from else None
        end = local_day_start(date_to + timedelta(days=1), timezone) if date_to else None
        return start, end

    def filter_args(self) -> dict[str, str]:
        """What was typed in each non-empty field, trimmed: a filter form keeps it in its page,
        export and CSV links."""
        return {
            field.name: field.raw_data[0].strip()
            for field in self
            if field.raw_data and field.raw_data[0] and field.raw_data[0].strip()
        }

"""The base of every form in the app (cf. Indico's IndicoForm): WTForms' own messages in the
page's language, and the checks that several filter forms share."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

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

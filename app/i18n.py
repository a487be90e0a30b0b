"""Which language a page is shown in."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

from babel.support import Translations
from flask import Blueprint, Flask, current_app, g, has_request_context, redirect, request, session, url_for
from flask_babel import format_decimal, get_locale, gettext, refresh
from flask_login import current_user
from markupsafe import Markup
from werkzeug.exceptions import BadRequest
from werkzeug.wrappers import Response
from wtforms.i18n import messages_path

from . import dates
from .extensions import babel
from .languages import LANGUAGES
from .urls import local_path

#: Blueprints whose pages the public sees: they follow the visitor's choice. Every other page
#: is a staff page and follows the signed-in staff member's own setting.
PUBLIC_BLUEPRINTS = frozenset({"intake", "receipts", "registry", "health", "i18n"})

bp = Blueprint("i18n", __name__)

#: The bodies `request.form` reads (werkzeug's form parser); any other has no form fields.
_FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


def page_languages() -> list[str]:
    """Languages the pages can be shown in: configured ones that have a compiled catalogue
    (English is the source language). A page is never half in one language, half in another.
    Catalogues do not change while the app runs, so the answer is kept per app."""
    languages = current_app.extensions.get("page_languages")
    if languages is None:
        translated = {str(locale) for locale in babel.list_translations()}
        languages = [code for code in LANGUAGES if code == "en" or code in translated]
        current_app.extensions["page_languages"] = languages
    return languages


def select_locale() -> str:
    """The page language, first match wins:
    a staff page shows the signed-in staff member's own language;
    a public page shows the language the visitor chose in this session (switcher or form),
    else the language of the complaint the page is about (`follow_complaint_language`),
    else the browser's best supported language.
    Outside a request (a CLI command) it is the default language."""
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    languages = page_languages()
    # Only a session cookie signs a staff member in (app/auth/routes.py `load_user`): without
    # one, no user is looked up (an API client sends none).
    if (request.blueprint not in PUBLIC_BLUEPRINTS and current_app.config["SESSION_COOKIE_NAME"] in request.cookies
            and current_user.is_authenticated):
        return current_user.language if current_user.language in languages else "en"
    chosen = session.get("language")
    if chosen in languages:
        return chosen
    subject = g.get("subject_language")
    if subject in languages:
        return subject
    return request.accept_languages.best_match(languages) or "en"


def follow_complaint_language(language: str | None) -> None:
    """A page about one complaint (tracking, confirmation) speaks the complaint's language
    unless the visitor chose another one in this session."""
    g.subject_language = language
    refresh()


def remember_language(language: str) -> None:
    """Keep the visitor's choice for the rest of the session (only a language pages have)."""
    if language in page_languages():
        session["language"] = language
        refresh()


def posts_language_switch() -> bool:
    """This request is the language switcher posting the page's form back (it registers nothing)."""
    # Only a form carries the switcher: a JSON body (the API) is not parsed as one to find out.
    return request.method == "POST" and request.mimetype in _FORM_TYPES and "switch_language" in request.form


def switched_language() -> bool:
    """True when this POST is the language switcher sending the page's form along (its buttons
    belong to the form: `language_form` in base.html). The choice is remembered, and the view
    shows the same form again, in the new language, with everything that was typed in it;
    nothing else is done with it. The form's CSRF token was checked like any POST's."""
    if not posts_language_switch():
        return False
    language = request.form["switch_language"]
    if language not in page_languages():
        raise BadRequest()
    remember_language(language)
    return True


@bp.post("/language")
def choose_language() -> Response:
    """The public language switcher (a plain form with a CSRF token: no script needed)."""
    language = request.form.get("language", "")
    if language not in page_languages():
        raise BadRequest()
    remember_language(language)
    return redirect(local_path(request.form.get("next"), url_for("intake.new_complaint")), code=303)


@lru_cache(maxsize=16)
def _wtforms_catalogue(locale: str) -> Translations:
    return Translations.load(messages_path(), [locale], domain="wtforms")


class WTFormsTranslations:
    """WTForms' own messages ("Field must be between …") in the page language; each catalogue
    is read from disk once per process, not once per request."""

    def gettext(self, string: str) -> str:
        return _wtforms_catalogue(str(get_locale())).ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return _wtforms_catalogue(str(get_locale())).ungettext(singular, plural, n)


wtforms_translations = WTFormsTranslations()


def format_number(value: object, pattern: str | None = None) -> object:
    """A number written the page language's way (1,234.5 · 1 234,5 · 1.234,5); anything
    else (text, None) unchanged."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return value
    if pattern is None and type(value) is int and 0 <= value < 1000:
        return str(value)  # as every language writes it (no grouping, no sign): the most common case
    return format_decimal(value, format=pattern)


def format_figure(value: object, pattern: str | None = None) -> object:
    """`{{ x|figure }}`, `{{ x|figure("0.00") }}`: a figure as shown: the number as
    `format_number` writes it, or a muted "no data" where there is none."""
    if value is None:
        return Markup('<span class="muted">%s</span>') % gettext("no data")
    return format_number(value, pattern)


def format_moment(value: datetime | None, seconds: bool = False) -> str:
    """`{{ x|moment }}`: a moment in the page language's style, in the registry's time zone
    (app/dates.py); nothing for no moment."""
    if value is None:
        return ""
    return dates.format_moment(value, get_locale(), current_app.config["REGISTRY_TIMEZONE"], seconds=seconds)


def format_day(value: date | datetime | None, year: bool = True) -> str:
    """`{{ x|day }}`: the day of a moment (in the registry's time zone) or a date, in the page
    language's style; `day(year=False)` leaves the year out."""
    if value is None:
        return ""
    return dates.format_day(value, get_locale(), current_app.config["REGISTRY_TIMEZONE"], year=year)


def format_deadline(value: datetime | None) -> str:
    """`{{ x|deadline }}`: a due time, its day alone where it ends at midnight (app/dates.py)."""
    if value is None:
        return ""
    return dates.format_deadline(value, get_locale(), current_app.config["REGISTRY_TIMEZONE"])


def format_time_of_day(value: datetime | None) -> str:
    """`{{ x|time_of_day }}`: the time of a moment alone, 24-hour, in the registry's time zone."""
    if value is None:
        return ""
    return dates.format_time_of_day(value, current_app.config["REGISTRY_TIMEZONE"])


#: Flask-Babel's own date filters: each page would pick its own pattern; app/dates.py is the one style.
_BABEL_DATE_FILTERS = ("datetimeformat", "dateformat", "timeformat", "timedeltaformat")


def init_app(app: Flask) -> None:
    """The switcher's route, and what templates need to offer languages and write numbers,
    moments and days."""
    app.register_blueprint(bp)
    app.add_template_global(page_languages)
    app.add_template_filter(format_number, "number")
    app.add_template_filter(format_figure, "figure")
    for name in _BABEL_DATE_FILTERS:
        app.jinja_env.filters.pop(name, None)
    app.add_template_filter(format_moment, "moment")
    app.add_template_filter(format_day, "day")
    app.add_template_filter(format_time_of_day, "time_of_day")
    app.add_template_filter(format_deadline, "deadline")

"""Which language a page is shown in."""

from __future__ import annotations

from functools import lru_cache

from babel.support import Translations
from flask import current_app, has_request_context, request, session
from flask_babel import get_locale
from wtforms.i18n import messages_path

from .extensions import babel


def page_languages() -> list[str]:
    """Languages the pages can be shown in: configured ones that have a compiled catalogue
    (English is the source language). A page is never half in one language, half in another.
    Catalogues do not change while the app runs, so the answer is kept per app."""
    languages = current_app.extensions.get("page_languages")
    if languages is None:
        translated = {str(locale) for locale in babel.list_translations()}
        languages = [code for code in current_app.config["LANGUAGES"] if code == "en" or code in translated]
        current_app.extensions["page_languages"] = languages
    return languages


def select_locale() -> str:
    """The language chosen in this session, else the browser's best supported language
    (outside a request, e.g. in a CLI command, the default language)."""
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    languages = page_languages()
    chosen = session.get("language")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or "en"


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

"""Which language a page is shown in."""

from __future__ import annotations

from flask import current_app, request, session

from .extensions import babel


def page_languages() -> list[str]:
    """Languages the pages can be shown in: configured ones that have a compiled catalogue
    (English is the source language). A page is never half in one language, half in another."""
    translated = {str(locale) for locale in babel.list_translations()}
    return [code for code in current_app.config["LANGUAGES"] if code == "en" or code in translated]


def select_locale() -> str:
    """The language chosen in this session, else the browser's best supported language."""
    languages = page_languages()
    chosen = session.get("language")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or "en"

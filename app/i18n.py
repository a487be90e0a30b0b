"""Which language a page is shown in."""

from __future__ import annotations

from flask import current_app, request, session


def select_locale() -> str:
    """The language chosen in this session, else the browser's best supported language."""
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("language")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(list(languages)) or "en"

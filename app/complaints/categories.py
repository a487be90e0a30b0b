"""Complaint categories, configured per installation with a name in every language."""

from __future__ import annotations

from flask import current_app


def category_choices(language: str) -> list[tuple[str, str]]:
    """(code, name in `language`) for every configured category, in configured order."""
    return [
        (c["code"], c["names"].get(language) or c["names"]["en"])
        for c in current_app.config["CATEGORIES"]
    ]


def category_name(code: str, language: str) -> str:
    """The category's name in `language`; the code itself if it is no longer configured."""
    return dict(category_choices(language)).get(code, code)

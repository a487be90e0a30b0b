"""Complaint categories: the installation's, as administrators keep them (app/settings),
with a name in every language. Retired categories are no longer offered but keep their names."""

from __future__ import annotations

from datetime import datetime

from ..settings.store import current_settings, settings_at


def category_choices(language: str, *, include_retired: bool = False) -> list[tuple[str, str]]:
    """(code, name in `language`) for the categories a new complaint may take, in configured
    order; with `include_retired`, every category (for filters and names of old complaints)."""
    settings = current_settings()
    categories = settings.categories if include_retired else settings.offered_categories
    return [(c.code, c.name(language)) for c in categories]


def category_name(code: str, language: str, *, at: datetime | None = None) -> str:
    """The category's name in `language` (as it was at `at`, for printed records); the code
    itself if it was never configured."""
    settings = current_settings() if at is None else settings_at(at)
    return settings.category_name(code, language)

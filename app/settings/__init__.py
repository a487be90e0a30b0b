"""Settings administrators change on the web (categories, tiers and deadlines, the
organisation and its stamp, number formats, tier mailboxes), over the defaults of config.py
and pdf_templates/. Read them with `current_settings()` / `settings_at(moment)`."""

from .store import Category, Settings, current_settings, settings_at, settings_store

__all__ = ["Category", "Settings", "current_settings", "settings_at", "settings_store"]

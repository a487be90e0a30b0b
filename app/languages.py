"""The languages the registry speaks, in one place: pages, PDFs (receipts, letters, reports),
e-mails, staff settings and the administrators' translated names all use this list."""

from __future__ import annotations

#: Each supported language by its code, named in itself (as the language switcher shows it).
LANGUAGES: dict[str, str] = {"en": "English", "ru": "Русский", "ro": "Română", "uk": "Українська"}
SUPPORTED_LANGUAGES: tuple[str, ...] = tuple(LANGUAGES)
#: What a document or a message falls back to when asked for a language not in the list.
FALLBACK_LANGUAGE = "en"


def normalise_language(language: str) -> str:
    """Map a language tag ("ro", "ro-MD", "RU_ru") to a supported code, else English."""
    primary = language.strip().lower().replace("_", "-").split("-")[0]
    return primary if primary in SUPPORTED_LANGUAGES else FALLBACK_LANGUAGE


def supported_or_fallback(language: str | None) -> str:
    """A stored language code as it is when supported, else English (no tag parsing)."""
    return language if language in SUPPORTED_LANGUAGES else FALLBACK_LANGUAGE

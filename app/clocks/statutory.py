"""The mandatory paragraphs statutory letters carry: the referral rights of a final response,
the FCA's summary resolution and 8-week letters, the UKGC deadlock letter, the extension
notices of 59-FZ, Ukraine and Romania.

The texts are the regulators' where one is prescribed (the FCA's DISP 1 Annex 3R wording, in
English, with faithful translations for the other languages) and plain statements of the rule
elsewhere. They live in `pdf_templates/letter/statutory.json`, per language and per
`<letter>.<wording>` (`<letter>.generic` where no wording is prescribed), so a reader can check
and reword them without touching code. A letter that lacks what the law requires in it (the
referral body, the new due date) is refused here rather than sent without it. No database,
no request.
"""

from __future__ import annotations

import json
import string
from collections.abc import Mapping
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale
from msgspec import Struct

from ..languages import SUPPORTED_LANGUAGES, normalise_language

#: Where the texts are: next to the letter's own wording.
STATUTORY_WORDING = Path(__file__).resolve().parents[2] / "pdf_templates" / "letter" / "statutory.json"

#: The fixed referral wordings a policy may name (`ClockPolicy.referral_wording`); None is the
#: generic one naming the body of the settings.
WORDINGS = ("fos", "ukgc_adr")


class StatutoryWordingError(ValueError):
    """A statutory letter that cannot be written as the law requires; the message says why."""


class StatutoryLetter(StrEnum):
    """The letters with mandatory paragraphs: the final response, and the statutory letters a
    clock policy names (app.clocks.policy.Letter, same values)."""

    FINAL_RESPONSE = "final_response"
    SUMMARY_RESOLUTION = "summary_resolution"  # FCA DISP 1.5.4R
    DEADLOCK = "deadlock"  # UKGC: the end of the internal procedure
    HOLDING = "holding"  # FCA DISP 1.6.2R(2) / the PSD holding response
    EXTENSION_NOTICE = "extension_notice"  # 59-FZ art. 12 part 2, Ukraine art. 20, OG 27/2002 art. 9


#: Letters that say where the complainant may take the complaint: they cannot be written
#: without the referral body. The extension notice names it only when one is set.
NEEDS_BODY = frozenset(StatutoryLetter) - {StatutoryLetter.EXTENSION_NOTICE}


class ReferralBody(Struct, frozen=True):
    """The ADR entity or ombudsman a complainant may go to after us (an installation setting)."""

    name: str  # "Financial Ombudsman Service"
    address: str  # "Exchange Tower, London E14 9SR"
    website: str  # "https://www.financial-ombudsman.org.uk" (also where its leaflet is)
    time_limit_months: int  # how long after our final response the complainant may refer: 6

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "address": self.address, "website": self.website,
                "time_limit_months": self.time_limit_months}

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> ReferralBody:
        try:
            body = cls(name=str(value["name"]).strip(), address=str(value["address"]).strip(),
                       website=str(value["website"]).strip(), time_limit_months=int(value["time_limit_months"]))
        except (KeyError, TypeError, ValueError) as error:
            raise StatutoryWordingError(
                f"a referral body needs a name, an address, a website and a time limit in months: {value!r}"
            ) from error
        if not (body.name and body.address and body.website):
            raise StatutoryWordingError(f"a referral body's name, address and website cannot be empty: {value!r}")
        if body.time_limit_months <= 0:
            raise StatutoryWordingError(f"a referral body's time limit must be positive: {body.time_limit_months}")
        return body


def statutory_paragraphs(
    letter: StatutoryLetter, *, wording: str | None, body: ReferralBody | None, language: str,
    values: Mapping[str, str] = {},
) -> tuple[str, ...]:
    """The paragraphs `letter` must carry in `language` (English when unsupported), under the
    policy's referral `wording`, filled from `body` and `values` ("due": a formatted date,
    "days": a whole number, "reason"). Raises StatutoryWordingError when something the text
    needs is missing: a final response is never sent without where to refer the complaint."""
    letter = StatutoryLetter(letter)
    if wording is not None and wording not in WORDINGS:
        raise StatutoryWordingError(f"unknown referral wording {wording!r} (known: {', '.join(WORDINGS)})")
    if body is None and letter in NEEDS_BODY:
        raise StatutoryWordingError(
            f"the {letter.value} letter names where the complainant may refer the complaint: "
            "set the referral body (ADR entity or ombudsman) first"
        )
    language = normalise_language(language)
    texts = _wording()[language]
    paragraphs = list(texts.get(f"{letter.value}.{wording}") or texts[f"{letter.value}.generic"])
    if letter == StatutoryLetter.EXTENSION_NOTICE and body is not None:
        paragraphs += texts["extension_notice.referral"]
    fields = dict(values)
    if body is not None:
        fields.update(name=body.name, address=body.address, website=body.website,
                      time_limit_months=str(body.time_limit_months),
                      time_limit=_count(texts["months"], body.time_limit_months, language))
    if "days" in values:
        fields["extended_by"] = _count(texts["days"], _whole(values["days"]), language)
    return tuple(_fill(paragraph, fields, letter) for paragraph in paragraphs)


def _fill(paragraph: str, fields: Mapping[str, str], letter: StatutoryLetter) -> str:
    needed = [name for _, name, _, _ in string.Formatter().parse(paragraph) if name]
    missing = [name for name in needed if name not in fields]
    if missing:
        raise StatutoryWordingError(f"the {letter.value} letter needs {', '.join(sorted(set(missing)))}")
    return paragraph.format_map(fields)


def _whole(days: str) -> int:
    try:
        number = int(days)
    except (TypeError, ValueError):
        raise StatutoryWordingError(f"the extension's days must be a whole number: {days!r}") from None
    if number <= 0:
        raise StatutoryWordingError(f"the extension's days must be positive: {number}")
    return number


def _count(forms: Mapping[str, str], number: int, language: str) -> str:
    """`number` with its noun in the language's plural form ("6 months", "21 месяца")."""
    form = Locale.parse(language).plural_form(number)
    return (forms.get(form) or forms["other"]).format(n=number)


@cache
def _wording(path: Path = STATUTORY_WORDING) -> dict[str, dict[str, Any]]:
    """The texts, read once; every language must have every text the English has."""
    with path.open(encoding="utf-8") as handle:
        texts = json.load(handle)
    expected = set(texts["en"])
    for language in SUPPORTED_LANGUAGES:
        keys = set(texts.get(language, ()))
        if keys != expected:
            raise StatutoryWordingError(
                f"{path.name}: {language} differs from en: missing {sorted(expected - keys)}, "
                f"unknown {sorted(keys - expected)}"
            )
    for letter in StatutoryLetter:
        if f"{letter.value}.generic" not in expected:
            raise StatutoryWordingError(f"{path.name}: no generic text for the {letter.value} letter")
    return texts


def letter_for(message_kind: str, letters: frozenset[str], *, early: bool) -> StatutoryLetter | None:
    """Which statutory letter an outgoing message of `message_kind` is under a policy naming
    `letters` (app.clocks.policy.Letter values): a decision is the summary resolution
    communication when resolved early and the policy names one, the end-of-procedure (deadlock)
    letter where the policy names that, else the final response; a holding response is the
    statutory holding letter where named; a notice of extension is the extension notice (the
    FCA's holding response where the policy names that instead). None: no statutory content."""
    if message_kind == "decision":
        if early and StatutoryLetter.SUMMARY_RESOLUTION in letters:
            return StatutoryLetter.SUMMARY_RESOLUTION
        if StatutoryLetter.DEADLOCK in letters:
            return StatutoryLetter.DEADLOCK
        return StatutoryLetter.FINAL_RESPONSE
    if message_kind == "holding_response":
        return StatutoryLetter.HOLDING if StatutoryLetter.HOLDING in letters else None
    if message_kind == "extension_notice":
        if StatutoryLetter.EXTENSION_NOTICE not in letters and StatutoryLetter.HOLDING in letters:
            return StatutoryLetter.HOLDING
        return StatutoryLetter.EXTENSION_NOTICE
    return None

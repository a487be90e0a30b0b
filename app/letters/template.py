"""The outgoing letter's wording and layout, read from `pdf_templates/letter/`.

Loaded like the receipt (app/receipts/template.py): `organisation.json`,
`letter/<language>.json` and `letter/layout.json`, parsed once per (directory, language)
and cached.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from msgspec import Struct

from ..documents.template import DocumentTemplate, HouseStyle, load_document_template


class LetterWording(Struct, frozen=True):
    """All letter text for one language; `{placeholders}` are filled by the renderer."""

    document_title: str  # {number}
    phone_label: str
    email_label: str
    website_label: str
    number_label: str
    date_label: str
    addressee_label: str
    reference: str  # {number} {date}: the complaint's incoming number and registration date
    titles: Mapping[str, str]  # message kind ("response", "information_request", "decision") -> title
    decision_line: str  # {resolution}
    resolutions: Mapping[str, str]  # resolution code ("upheld", ...) -> its printed name
    redress_line: str  # {amount} {currency}: the redress a decision offers
    remedy_line: str  # {remedy}: the remedy (not money) a decision offers
    closing: str
    #: Sign-offs a writer may end the body with ("Cu stimă", "Kind regards"): a body that ends
    #: with one (in its last lines) keeps its own, and the letter does not print `closing` again.
    closings: tuple[str, ...]
    enclosures_label: str  # above the list of files enclosed with the letter
    on_behalf: str  # {organisation}
    signature_label: str
    stamp_word: str
    page_label: str  # {page} {pages}
    fingerprint_label: str
    verify_label: str

    def signed_off(self, body: str) -> bool:
        """Whether `body` ends with its own sign-off: one of its last three lines is one of
        `closings` (any case), alone or followed by a name ("Cu stimă, Ion Popescu"), not by
        a sentence ("Respectfully, we must decline.")."""
        lines = [line.strip().casefold() for line in body.splitlines() if line.strip()]
        for line in lines[-3:]:
            for closing in self.closings:
                words = closing.casefold()
                rest = line[len(words):]
                if line.startswith(words) and not rest[:1].isalnum() and _a_name_at_most(rest.strip(" ,;:—–-")):
                    return True
        return False


def _a_name_at_most(text: str) -> bool:
    """Nothing, or a few words not ending like a sentence: a name, perhaps with a post."""
    return not text or (len(text.split()) <= 6 and text[-1] not in ".!?")


class LetterLayout(HouseStyle, frozen=True):
    """Geometry (PDF points), font sizes, line limits and colours of the letter.

    The names it shares with the receipt's layout (sizes of the letterhead and number box,
    the stamp, the colours) are what the shared drawing pieces read (`HouseStyle`)."""

    margin_x: float
    margin_top: float
    margin_bottom: float  # the page footer sits below it
    addressee_width: float
    running_header_size: float  # the organisation and date atop pages 2, 3, ...
    title_size: float
    body_size: float
    body_leading: float
    paragraph_gap: float
    small_size: float
    footer_size: float
    name_lines: int
    address_lines: int
    reference_lines: int
    title_lines: int
    signatory_lines: int
    verify_url_lines: int
    qr_size: float
    qr_mask: int | None  # as in the receipt's layout: null lets segno choose


LetterTemplate = DocumentTemplate[LetterWording, LetterLayout]


def load_letter_template(templates_dir: Path, language: str) -> LetterTemplate:
    """Return the (cached) letter template for `language`, English when unsupported."""
    return load_document_template(templates_dir, "letter", language, LetterWording, LetterLayout)

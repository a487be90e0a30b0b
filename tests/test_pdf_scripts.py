"""Any script a complainant types prints in the PDFs: characters DejaVu Sans lacks (Chinese,
Japanese, Korean, emoji, Thai, ...) fall back to the fonts in pdf_templates/fonts/fallback/, and
a character no font has prints as a visible U+FFFD, never as an empty box. Checked on the text
layer (poppler's pdftotext) of a receipt, a letter and the journal book, and on the embedded fonts."""

from __future__ import annotations

import io
import re

import msgspec
import pytest
from pypdf import PdfReader
from test_letters import BASE as LETTER
from test_letters import render as render_letter
from test_receipt_render import BASE as RECEIPT
from test_receipt_render import TEMPLATES, needs_pdftotext, poppler_text
from test_receipt_render import render as render_receipt

from app.documents.drawing import REPLACEMENT, font_runs, register_font, text_width

CHINESE = "退款未到账"
JAPANESE = "払い戻し、ありがとう"
KOREAN = "환불해 주세요"
ARABIC = "لم يصل المبلغ"
HEBREW = "הכסף לא הגיע"
EMOJI = "🎉🙏💸"
THAI = "เงินยังไม่เข้า"
NOWHERE = "\U00012000"  # a cuneiform sign: in no font shipped
DEJAVU = TEMPLATES / "fonts" / "DejaVuSans.ttf"


def _fonts(pdf: bytes) -> set[str]:
    names = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            names.add(str(font.get_object()["/BaseFont"]))
    return names


def _plain(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_text_in_the_documents_font_is_one_run_and_costs_one_search():
    font = register_font(DEJAVU)
    assert font_runs("Ana-Maria Ștefănescu, Олена, Ἀθῆναι", font) == [(font, "Ana-Maria Ștefănescu, Олена, Ἀθῆναι")]


def test_other_scripts_go_to_a_fallback_font_and_the_unknown_to_a_visible_replacement():
    font = register_font(DEJAVU)
    runs = font_runs(f"Ana {CHINESE} {EMOJI} {THAI} {NOWHERE}.", font)
    assert "".join(run for _font, run in runs) == f"Ana {CHINESE} {EMOJI} {THAI} {REPLACEMENT}."
    by_font = {run: run_font for run_font, run in runs}
    assert by_font["Ana "] == font and by_font[CHINESE] != font and by_font[THAI] != font
    # Invisible joiners and variation selectors that no font draws are left out, not boxed.
    assert "".join(run for _f, run in font_runs("👍\ufe0f\u200d", font)).startswith("👍")
    assert REPLACEMENT not in "".join(run for _f, run in font_runs("👍\ufe0f", font))
    assert text_width(CHINESE, font, 10) > 4 * 10 * 0.8  # measured in the font that draws it


@needs_pdftotext
def test_a_receipt_prints_chinese_japanese_korean_arabic_hebrew_emoji_and_thai():
    subject = f"{CHINESE} {EMOJI}"
    excerpt = f"{JAPANESE} {KOREAN} {ARABIC} {HEBREW} {THAI} {NOWHERE}"
    pdf = render_receipt(msgspec.structs.replace(RECEIPT, complainant_name=f"王小明 {HEBREW}", subject=subject,
                                             excerpt=excerpt))
    text = _plain(poppler_text(pdf))
    for sample in (CHINESE, JAPANESE, KOREAN, THAI, EMOJI, "王小明"):
        assert _plain(sample) in text, sample
    for letter in ARABIC.replace(" ", "") + HEBREW.replace(" ", ""):  # right-to-left order is another issue's
        assert letter in text or chr(0xFE70) <= letter, letter
    assert REPLACEMENT in text  # the cuneiform sign, visibly replaced
    embedded = " ".join(_fonts(pdf))
    assert "DroidSansFallback" in embedded and "Symbola" in embedded and "NotoSansThai" in embedded


@needs_pdftotext
def test_a_letter_prints_a_chinese_and_emoji_reply():
    pdf = render_letter(msgspec.structs.replace(LETTER, body=f"{CHINESE}。{JAPANESE} {EMOJI} {KOREAN}"))
    text = _plain(poppler_text(pdf))
    for sample in (CHINESE, JAPANESE, KOREAN, EMOJI):
        assert _plain(sample) in text, sample


def test_a_receipt_in_the_documents_fonts_only_embeds_no_fallback():
    assert not any("Fallback" in name or "Symbola" in name for name in _fonts(render_receipt(RECEIPT)))


@pytest.mark.parametrize("kind", ["receipt", "letter"])
def test_the_same_text_gives_the_same_bytes(kind):
    if kind == "receipt":
        context = msgspec.structs.replace(RECEIPT, subject=f"{CHINESE} {EMOJI}")
        assert render_receipt(context) == render_receipt(context)
    else:
        context = msgspec.structs.replace(LETTER, body=f"{CHINESE} {EMOJI}")
        assert render_letter(context) == render_letter(context)


@needs_pdftotext
def test_the_journal_book_prints_a_chinese_subject_and_an_emoji():
    from app.journal.pdf import Column, JournalDocument, JournalFonts, Line, render_journal

    document = JournalDocument(
        language="en", organisation="Demo Betting SRL", title="Registry journal", subtitle="All records",
        columns=(Column("No.", 1), Column("Complainant", 2), Column("Subject", 3)),
        lines=(Line(("2026/000001", "王小明", f"{CHINESE} {EMOJI}")), Line(("2026/000002", KOREAN, THAI))),
        page_label="Page {page} of {pages}", empty_note="No records.",
    )
    pdf = render_journal(document, JournalFonts(DEJAVU, TEMPLATES / "fonts" / "DejaVuSans-Bold.ttf"))
    text = _plain(poppler_text(pdf))
    for sample in ("王小明", CHINESE, EMOJI, KOREAN, THAI):
        assert _plain(sample) in text, sample

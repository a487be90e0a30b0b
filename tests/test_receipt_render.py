"""The two-copy receipt PDF: content, languages, determinism and layout limits.

Pure renderer tests: no database, no Flask app. Text is read back with pypdf and,
where the check needs word positions, with poppler's `pdftotext` (those checks are
skipped when poppler is not installed).
"""

from __future__ import annotations

import html
import io
import json
import re
import shutil
import subprocess
from collections import Counter
from functools import cache
from pathlib import Path

import msgspec
import pytest
from pypdf import PdfReader
from reportlab.lib.pagesizes import A4

from app.documents.drawing import Fonts, text_width, url_lines
from app.languages import SUPPORTED_LANGUAGES
from app.receipts.context import ReceiptContext
from app.receipts.render import render_receipt
from app.receipts.template import load_receipt_template

TEMPLATES = Path(__file__).resolve().parents[1] / "pdf_templates"
PAGE_WIDTH, PAGE_HEIGHT = A4

needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler's pdftotext is not installed")

BASE = ReceiptContext(
    language="en",
    number="2026/000123",
    registered_at="22.11.2026 14:05",
    first_response_due="23.11.2026 14:05",
    channel="Web form",
    complainant_name="Ana Munteanu",
    complainant_contact="ana@example.md, +373 69 123 456",
    postal_address="str. Mihai Eminescu 12, ap. 5, Chișinău, MD-2012",
    category="Payouts",
    subject="Winnings not credited after the match ended",
    excerpt="On 20 November I placed a bet on the match. The match ended but my winnings were not credited…",
    signature="Signed electronically: Ana\u00a0Munteanu — declaration “I confirm this complaint is true and I sign it” confirmed",
    fingerprint="3F2A-9C1B-77D0-E4A5",
    verify_url="https://complaints.demobetting.md/verify/2026-000123?fp=3F2A9C1B77D0E4A5",
    stamp_date="22.11.2026",
)

LONG = msgspec.structs.replace(
    BASE,
    number="2026/0001234567890",
    channel="Web form " * 20,
    complainant_name="Bartholomew-Maximilian Alexandrescu-Konstantinopolskiy von Hohenzollern-Sigmaringen " * 3,
    complainant_contact="a-very-long-address@subdomain.example-organisation.md, +373 69 123 456, " * 4,
    postal_address="str. Very Long Street Name " * 15,
    category="Category " * 20,
    subject=("A two hundred character subject that keeps going and going " * 4)[:200],
    excerpt="Excerpt " * 120 + "…",
    signature="Signed by hand on paper: " + "Bartholomew-Maximilian Alexandrescu-Konstantinopolskiy von "
              "Hohenzollern-Sigmaringen the Third".replace(" ", " "),
    fingerprint="3F2A-9C1B-77D0-E4A5-" * 5,
    verify_url="https://complaints.demobetting.md/verify/" + "x" * 300,
    duplicate_count=12,
    access_code="ABCD-2345-WXYZ-" * 4,
    tracking_url="https://complaints.demobetting.md/" + "track/" * 40,
)

#: A receipt as the service makes it: the complainant's way back in on their copy.
TRACKED = msgspec.structs.replace(BASE, access_code="ABCD-2345-WXYZ", tracking_url="https://complaints.demobetting.md/track")


@cache
def render(context: ReceiptContext) -> bytes:
    return render_receipt(context, load_receipt_template(TEMPLATES, context.language))


def page_text(pdf: bytes) -> str:
    return PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def poppler_text(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


def poppler_words(pdf: bytes) -> list[tuple[str, float, float, float, float]]:
    """(word, x_min, y_min, x_max, y_max) in points, y measured from the page top."""
    out = subprocess.run(["pdftotext", "-bbox", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    pattern = r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>'
    return [(html.unescape(w), float(a), float(b), float(c), float(d)) for a, b, c, d, w in re.findall(pattern, out)]


def test_receipt_holds_the_number_on_both_copies() -> None:
    assert page_text(render(BASE)).count("2026/000123") >= 2


@needs_pdftotext
def test_each_copy_shows_the_number_and_its_own_copy_label() -> None:
    words = poppler_words(render(BASE))
    middle = PAGE_HEIGHT / 2
    top = [w[0] for w in words if w[4] < middle]
    bottom = [w[0] for w in words if w[2] > middle]
    assert "2026/000123" in top and "2026/000123" in bottom
    assert "organisation" in top and "complainant" not in top
    assert "complainant" in bottom and "organisation" not in bottom


@needs_pdftotext
def test_both_copies_carry_the_same_text_apart_from_the_copy_label() -> None:
    words = poppler_words(render(BASE))
    middle = PAGE_HEIGHT / 2
    labels = {"Copy", "1", "2", "—", "for", "the", "organisation", "complainant"}
    top = Counter(w[0] for w in words if w[4] < middle and w[0] not in labels)
    bottom = Counter(w[0] for w in words if w[2] > middle and w[0] not in labels)
    assert top == bottom


@needs_pdftotext
@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_the_access_code_is_on_the_complainants_copy_and_never_on_the_organisations(language: str) -> None:
    pdf = render(msgspec.structs.replace(TRACKED, language=language))
    middle = PAGE_HEIGHT / 2
    words = poppler_words(pdf)
    top = [w for w in words if w[4] < middle]
    bottom = [w for w in words if w[2] > middle]
    assert "ABCD-2345-WXYZ" not in {w[0] for w in top}
    assert [w[0] for w in bottom].count("ABCD-2345-WXYZ") == 1
    # The tracking address and the number are printed beside the code.
    text = poppler_text(pdf)
    assert "https://complaints.demobetting.md/\ntrack\n" in text  # broken after a "/", not inside a word
    code = next(w for w in bottom if w[0] == "ABCD-2345-WXYZ")
    numbers = [w for w in bottom if w[0] == "2026/000123" and abs(w[1] - code[1]) < 2]
    assert numbers and numbers[0][2] < code[2], "the number sits just above the code"


def test_without_an_access_code_there_is_no_tracking_block() -> None:
    wording = load_receipt_template(TEMPLATES, "en").wording
    assert wording.access_code_label not in page_text(render(BASE))
    assert wording.access_code_label in page_text(render(TRACKED))


@needs_pdftotext
def test_the_copies_differ_only_by_the_copy_label_and_the_complainants_tracking_block() -> None:
    words = poppler_words(render(TRACKED))
    middle = PAGE_HEIGHT / 2
    wording = load_receipt_template(TEMPLATES, "en").wording
    tracking = set(" ".join((wording.tracking_label, wording.access_code_label, wording.access_code_note,
                             wording.number_label, "ABCD-2345-WXYZ 2026/000123 https://complaints.demobetting.md/ track"
                             )).split())
    labels = {"Copy", "1", "2", "—", "for", "the", "organisation", "complainant"}
    top = Counter(w[0] for w in words if w[4] < middle and w[0] not in labels)
    bottom = Counter(w[0] for w in words if w[2] > middle and w[0] not in labels)
    extra = bottom - top
    assert top - bottom == Counter()
    assert set(extra) <= tracking and "ABCD-2345-WXYZ" in extra


@needs_pdftotext
@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_the_tracking_block_stays_in_the_right_column_above_the_stamp(language: str) -> None:
    layout = load_receipt_template(TEMPLATES, language).layout
    wording = load_receipt_template(TEMPLATES, language).wording
    column_left = PAGE_WIDTH - layout.margin_x - layout.right_column_width - layout.column_gap
    stamp_top = PAGE_HEIGHT - (layout.margin_y + 2 * layout.stamp_radius + 6)  # from the page top
    for context in (msgspec.structs.replace(TRACKED, language=language), msgspec.structs.replace(LONG, language=language)):
        words = [w for w in poppler_words(render(context)) if w[2] > PAGE_HEIGHT / 2]
        code = next(w for w in words if w[0].startswith("ABCD-2345-WXYZ"))
        note_end = wording.access_code_note.split()[-1]
        block = [w for w in words if w[2] >= code[2] - 120 and w[4] <= code[4] + 30 and w[1] > column_left]
        assert note_end in {w[0] for w in block} or context is LONG, "the note gets the room left"
        for word, x_min, _y_min, x_max, y_max in block:
            assert column_left < x_min and x_max <= PAGE_WIDTH - layout.margin_x + 0.5, word
            assert y_max <= stamp_top, word


@pytest.mark.parametrize(
    ("language", "name"),
    [
        ("ro", "Ana-Maria Ștefănescu-Țurcanu"),
        ("uk", "Олександр Євгенович Ґудзь"),
        ("ru", "Анна Сергеевна Иванова"),
    ],
    ids=["ro", "uk", "ru"],
)
def test_cyrillic_and_romanian_names_are_extracted_exactly(language: str, name: str) -> None:
    signature = load_receipt_template(TEMPLATES, language).wording.signature_line("handwritten", name, declaration=True)
    pdf = render(msgspec.structs.replace(BASE, language=language, complainant_name=name, signature=signature))
    assert page_text(pdf).count(name) >= 2
    if shutil.which("pdftotext"):
        assert poppler_text(pdf).count(name) >= 2


VERIFY_URL = "https://complaints.demobetting.md/verify?number=2026-000123&fingerprint=3F2A-9C1B-77D0-E4A5"


def _broken_where_an_address_breaks(lines: list[str]) -> bool:
    """Each line but the last ends with a "/" of the path, or the next starts "?" or "&"."""
    return all(line.endswith("/") and not line.endswith("//") or after[0] in "?&"
               for line, after in zip(lines, lines[1:], strict=False))


@needs_pdftotext
@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_the_verify_address_wraps_where_an_address_breaks_never_inside_a_word(language: str) -> None:
    words = poppler_words(render(msgspec.structs.replace(BASE, language=language, verify_url=VERIFY_URL)))
    printed = [w[0] for w in words if w[4] < PAGE_HEIGHT / 2 and any(
        part in w[0] for part in ("demobetting.md/", "verify", "number=", "fingerprint="))]
    assert "".join(printed) == VERIFY_URL
    assert len(printed) > 1 and _broken_where_an_address_breaks(printed), printed


@pytest.mark.parametrize("room", [60, 90, 120, 200, 400])
@pytest.mark.parametrize("url", [
    "https://a.md/track",
    VERIFY_URL,
    "https://complaints.example.md/track/2026-000123/letters/7.pdf?code=ABCD&lang=ro",
])
def test_an_address_is_broken_after_a_slash_or_before_a_query_part_or_drawn_smaller(url: str, room: float) -> None:
    template = load_receipt_template(TEMPLATES, "en")
    font = Fonts.register(template.font_regular, template.font_bold).regular
    lines, size = url_lines(url, font, 6.5, room, 3)
    if "…" in lines[-1]:  # it does not fit in three lines even at 70 %: wrapped like text, and shown cut
        assert room == 60 and size == pytest.approx(6.5 * 0.7)
        return
    assert "".join(lines) == url
    assert _broken_where_an_address_breaks(lines), lines
    assert all(text_width(line, font, size) <= room for line in lines)
    assert 6.5 * 0.7 <= size <= 6.5
    if text_width(url, font, 6.5) <= room:
        assert (lines, size) == ([url], 6.5)


def test_receipt_shows_the_record_fingerprint_with_its_label() -> None:
    text = page_text(render(BASE))
    assert "Record fingerprint:" in text
    assert text.count("3F2A-9C1B-77D0-E4A5") >= 2


def test_receipt_shows_the_first_response_deadline_and_the_typed_signature() -> None:
    text = page_text(render(BASE))
    assert "First response due by 23.11.2026 14:05" in text
    assert "Signed electronically: Ana Munteanu" in text
    assert "REGISTERED" in text


def test_an_unconfirmed_declaration_is_not_worded_as_signed() -> None:
    wording = load_receipt_template(TEMPLATES, "en").wording
    line = wording.signature_line("electronic", "Ana Munteanu", declaration=False)
    assert "Signed electronically" not in line and "not confirmed" in line


@pytest.mark.parametrize(
    ("channel", "signature", "received", "signed"),
    [
        ("web", "electronic", "Through the web form", "Signed electronically: Ana Munteanu — declaration"),
        ("api", "electronic", "Through an integration (API)", "Signed electronically: Ana Munteanu"),
        ("paper", "handwritten", "On paper, handed in; received by Irina Popescu", "Signed by hand on paper: Ana Munteanu"),
        ("in_person", "handwritten", "In person, at the desk; received by Irina Popescu",
         "Signed by hand on paper: Ana Munteanu"),
        ("post", "handwritten", "By post; registered by Irina Popescu", "Signed by hand on paper: Ana Munteanu"),
        ("phone", "oral", "By phone; taken down by Irina Popescu",
         "Not signed by the complainant: Ana Munteanu gave it by phone and confirmed it orally"),
        ("email", "email", "By e-mail from ana@example.md; registered by Irina Popescu",
         "Not signed by hand: sent by e-mail in the name of Ana Munteanu"),
    ],
)
def test_the_receipt_says_how_the_complaint_was_received_and_signed(channel, signature, received, signed) -> None:
    wording = load_receipt_template(TEMPLATES, "en").wording
    clerk = "" if channel in ("web", "api") else "Irina Popescu"
    context = msgspec.structs.replace(
        BASE,
        channel=wording.received_line(channel, clerk=clerk, sender="ana@example.md" if channel == "email" else ""),
        signature=wording.signature_line(signature, "Ana Munteanu", declaration=True),
        officer=clerk,
    )
    text = " ".join(page_text(render(context)).split())
    assert f"Received {received}" in text
    assert signed in text
    assert ("Irina Popescu" in text.split("Registering officer:")[1]) == bool(clerk)


def test_without_a_clerk_or_a_sender_the_channel_alone_is_said() -> None:
    wording = load_receipt_template(TEMPLATES, "ro").wording
    assert wording.received_line("email") == "Prin e-mail"
    assert wording.received_line("post", clerk="Irina Popescu") == "Prin poștă; înregistrată de Irina\u00a0Popescu"


@pytest.mark.parametrize(
    ("language", "title", "copy_label"),
    [
        ("en", "Complaint registration receipt", "Copy 2 — for the complainant"),
        ("ru", "Квитанция о регистрации жалобы", "Экземпляр 2 — для заявителя"),
        ("ro", "Recipisă de înregistrare a reclamației", "Exemplarul 2 — pentru reclamant"),
        ("uk", "Квитанція про реєстрацію скарги", "Примірник 2 — для скаржника"),
    ],
    ids=["en", "ru", "ro", "uk"],
)
def test_each_language_prints_its_own_wording(language: str, title: str, copy_label: str) -> None:
    pdf = render(msgspec.structs.replace(BASE, language=language))
    text = page_text(pdf)
    assert title in text
    assert copy_label in text
    assert load_receipt_template(TEMPLATES, language).wording.stamp_word in text
    assert PdfReader(io.BytesIO(pdf)).metadata.title.endswith("2026/000123")


def test_romanian_wording_uses_comma_below_letters() -> None:
    text = (TEMPLATES / "receipt" / "ro.json").read_text(encoding="utf-8")
    assert not set("şţŞŢ") & set(text)  # cedilla forms are wrong for Romanian
    assert {"ș", "ț", "ă", "î"} <= set(text)


def test_every_language_file_has_exactly_the_english_keys() -> None:
    english = json.loads((TEMPLATES / "receipt" / "en.json").read_text(encoding="utf-8"))
    for language in SUPPORTED_LANGUAGES:
        wording = json.loads((TEMPLATES / "receipt" / f"{language}.json").read_text(encoding="utf-8"))
        maps = {name: wording.pop(name) for name in ("received", "received_by", "signatures")}
        hours = wording.pop("first_response_hours")
        assert wording.keys() == english.keys() - {*maps, "first_response_hours"}, language
        for name, values in maps.items():
            assert values.keys() == english[name].keys(), (language, name)
            assert all(value.strip() for value in values.values()), (language, name)
        assert all(value.strip() for value in wording.values()), language
        assert all("{clerk}" in value for value in maps["received_by"].values()), language
        assert all("{name}" in value for value in maps["signatures"].values()), language
        assert "{channel}" in wording["received_from"] and "{sender}" in wording["received_from"], language
        assert "other" in hours and all("{n}" in value for value in hours.values()), language


def test_receipt_is_one_a4_portrait_page() -> None:
    reader = PdfReader(io.BytesIO(render(BASE)))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert float(box.width) == pytest.approx(PAGE_WIDTH, abs=0.01)
    assert float(box.height) == pytest.approx(PAGE_HEIGHT, abs=0.01)


def test_same_context_gives_identical_bytes() -> None:
    template = load_receipt_template(TEMPLATES, "ro")
    context = msgspec.structs.replace(BASE, language="ro", duplicate_count=1)
    assert render_receipt(context, template) == render_receipt(context, template)


def test_duplicate_marking_appears_only_on_reprints() -> None:
    assert "DUPLICATE" not in page_text(render(BASE))
    text = page_text(render(msgspec.structs.replace(BASE, duplicate_count=3)))
    assert text.count("DUPLICATE 3") >= 2


def test_duplicate_marking_is_translated() -> None:
    text = page_text(render(msgspec.structs.replace(BASE, language="ru", duplicate_count=2)))
    assert "ДУБЛИКАТ 2" in text


def test_very_long_fields_do_not_crash_and_stay_on_one_page() -> None:
    pdf = render(LONG)
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1
    text = page_text(pdf)
    assert text.count("2026/0001234567890") >= 2
    assert "…" in text


@needs_pdftotext
def test_very_long_fields_stay_inside_their_copy_and_column() -> None:
    layout = load_receipt_template(TEMPLATES, "en").layout
    column_right = PAGE_WIDTH - layout.margin_x - layout.right_column_width - layout.column_gap
    middle = PAGE_HEIGHT / 2
    header_height = 45  # organisation header and copy label span the full width
    copy_tops = (layout.margin_y, middle + layout.cut_gap)
    for word, x_min, y_min, x_max, y_max in poppler_words(render(LONG)):
        assert 0 <= x_min and x_max <= PAGE_WIDTH and 0 <= y_min and y_max <= PAGE_HEIGHT, word
        if y_min < middle < y_max:
            assert word in {"✂", "cut", "here"}, word
        in_header = any(top <= y_min < top + header_height for top in copy_tops)
        if x_min < column_right and not in_header:
            assert x_max <= column_right + 0.5, word


def test_unknown_language_falls_back_to_english() -> None:
    template = load_receipt_template(TEMPLATES, "de")
    assert template.language == "en"
    assert load_receipt_template(TEMPLATES, "ro-MD").language == "ro"
    text = page_text(render_receipt(msgspec.structs.replace(BASE, language="de"), template))
    assert "Complaint registration receipt" in text


def test_templates_are_loaded_once_and_cached() -> None:
    assert load_receipt_template(TEMPLATES, "uk") is load_receipt_template(TEMPLATES, "uk")

"""The numbered outgoing letter PDF: content, languages, page flow, determinism.

Most tests render a `LetterContext` directly (no database, no Flask app); the last ones
store a message the way the workflow does and download its letter through the service.
Text is read back with pypdf and, where word positions matter, with poppler's `pdftotext`
(those checks are skipped when poppler is not installed).
"""

from __future__ import annotations

import html
import io
import json
import re
import shutil
import subprocess
from functools import cache

import msgspec
import pytest
from pypdf import PdfReader
from reportlab.lib.pagesizes import A4
from test_receipt_render import TEMPLATES, needs_pdftotext, poppler_text

from _support import valid_payload
from app.languages import SUPPORTED_LANGUAGES
from app.letters.context import LetterContext
from app.letters.render import render_letter
from app.letters.template import load_letter_template
from app.receipts.template import load_receipt_template

PAGE_WIDTH, PAGE_HEIGHT = A4

BASE = LetterContext(
    language="en",
    kind="response",
    outgoing_number="OUT-2026/000012",
    date="24 Nov 2026",
    stamp_date="24 Nov 2026",
    incoming_number="2026/000123",
    registered_on="22 Nov 2026",
    addressee_name="Ana-Maria Ștefănescu-Țurcanu",
    postal_address="str. Mihai Eminescu 5, ap. 12, Chișinău",
    email="ana.maria@example.md",
    phone="+373 69 123 456",
    resolution="",
    body="We checked your withdrawal of 500 MDL.\n\nThe receiving bank held the payment; it reached your card on 23 November.",
    signatory_name="Ion Popescu",
    fingerprint="3F2A-9C1B-77D0-E4A5",
    verify_url="https://complaints.demobetting.md/verify?number=2026-000123&fingerprint=3F2A-9C1B-77D0-E4A5",
)

TITLES = {
    "en": ("Response to your complaint", "Request for information", "Decision on your complaint",
           "Holding response to your complaint", "Notice: the time for answering your complaint is extended"),
    "ru": ("Ответ на вашу жалобу", "Запрос информации", "Решение по вашей жалобе", "Промежуточный ответ на вашу жалобу",
           "Уведомление о продлении срока рассмотрения вашей жалобы"),
    "ro": ("Răspuns la reclamația dumneavoastră", "Solicitare de informații", "Decizie privind reclamația dumneavoastră",
           "Răspuns intermediar la reclamația dumneavoastră",
           "Notificare: termenul de răspuns la reclamația dumneavoastră se prelungește"),
    "uk": ("Відповідь на вашу скаргу", "Запит інформації", "Рішення щодо вашої скарги", "Проміжна відповідь на вашу скаргу",
           "Повідомлення про продовження строку розгляду вашої скарги"),
}
DECISIONS = {
    "en": ("Upheld", "Partly upheld", "Rejected"),
    "ru": ("Жалоба удовлетворена", "Жалоба удовлетворена частично", "В удовлетворении жалобы отказано"),
    "ro": ("Admisă", "Admisă parțial", "Respinsă"),
    "uk": ("Скаргу задоволено", "Скаргу задоволено частково", "У задоволенні скарги відмовлено"),
}
KINDS = ("response", "information_request", "decision", "holding_response", "extension_notice")
RESOLUTIONS = ("upheld", "partly_upheld", "rejected")


def long_body(characters: int = 6000) -> str:
    """Numbered words in paragraphs, so a lost or repeated word shows."""
    words, length, n = [], 0, 0
    while length < characters:
        n += 1
        word = f"word{n:04d}"
        words.append(word + ("\n\n" if n % 90 == 0 else " "))
        length += len(words[-1])
    return "".join(words).strip()


@cache
def render(context: LetterContext) -> bytes:
    return render_letter(context, load_letter_template(TEMPLATES, context.language))


def pages_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def poppler_pages(pdf: bytes) -> list[list[tuple[str, float, float, float, float]]]:
    """Per page: (word, x_min, y_min, x_max, y_max) in points, y measured from the page top."""
    out = subprocess.run(["pdftotext", "-bbox", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    pattern = r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>'
    return [
        [(html.unescape(w), float(a), float(b), float(c), float(d)) for a, b, c, d, w in re.findall(pattern, page)]
        for page in out.split("<page ")[1:]
    ]


# --- content ------------------------------------------------------------------------------


def test_the_letter_shows_both_numbers_the_addressee_the_signatory_and_the_fingerprint() -> None:
    text = "\n".join(pages_text(render(BASE)))
    for expected in (
        "OUT-2026/000012",
        "Re: your complaint No. 2026/000123 of 22 Nov 2026",
        "Ana-Maria Ștefănescu-Țurcanu",
        "str. Mihai Eminescu 5, ap. 12, Chișinău",
        "ana.maria@example.md",
        "+373 69 123 456",
        "Response to your complaint",
        "We checked your withdrawal of 500 MDL.",
        "Ion Popescu",
        "on behalf of Demo Betting SRL",
        "3F2A-9C1B-77D0-E4A5",
        "Demo Betting SRL",
        "str. Ștefan cel Mare 1, MD-2001 Chișinău, Republica Moldova",
    ):
        assert expected in text, expected
    assert "".join(BASE.verify_url.split()) in "".join(text.split())


def test_a_short_letter_is_one_a4_portrait_page_numbered_1_of_1() -> None:
    reader = PdfReader(io.BytesIO(render(BASE)))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert float(box.width) == pytest.approx(PAGE_WIDTH, abs=0.01)
    assert float(box.height) == pytest.approx(PAGE_HEIGHT, abs=0.01)
    assert "Page 1 of 1" in reader.pages[0].extract_text()
    assert reader.metadata.title == "Letter OUT-2026/000012"


@pytest.mark.parametrize(
    ("language", "name", "body"),
    [
        ("ro", "Ana-Maria Ștefănescu-Țurcanu", "Am verificat retragerea; plata a întârziat și a fost creditată în țară."),
        ("ru", "Анна Сергеевна Иванова", "Мы проверили ваш вывод средств: платёж задержал банк-получатель."),
        ("uk", "Олександр Євгенович Ґудзь", "Ми перевірили ваше виведення коштів: платіж затримав банк-одержувач."),
    ],
    ids=["ro", "ru", "uk"],
)
def test_cyrillic_and_romanian_text_is_extracted_exactly(language: str, name: str, body: str) -> None:
    pdf = render(msgspec.structs.replace(BASE, language=language, addressee_name=name, body=body))
    text = "\n".join(pages_text(pdf))
    assert name in text and body in text
    if shutil.which("pdftotext"):
        text = poppler_text(pdf)
        assert name in text and body in text


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_each_language_titles_each_kind(language: str, kind: str) -> None:
    text = "\n".join(pages_text(render(msgspec.structs.replace(BASE, language=language, kind=kind))))
    assert TITLES[language][KINDS.index(kind)] in " ".join(text.split())  # a long title takes two lines
    assert load_letter_template(TEMPLATES, language).wording.stamp_word in text


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
@pytest.mark.parametrize("resolution", RESOLUTIONS)
def test_a_decision_names_the_resolution_in_the_letters_language(language: str, resolution: str) -> None:
    context = msgspec.structs.replace(BASE, language=language, kind="decision", resolution=resolution)
    text = "\n".join(pages_text(render(context)))
    decision_line = load_letter_template(TEMPLATES, language).wording.decision_line
    assert decision_line.format(resolution=DECISIONS[language][RESOLUTIONS.index(resolution)]) in text


SIGN_OFFS = {
    "en": ("Yours sincerely,", "Kind regards,\nIon Popescu"),
    "ro": ("Cu stimă,", "Cu stimă,\nIon Popescu\nspecialist, Serviciul clienți"),
    "ru": ("С уважением,", "С уважением, Ион Попеску"),
    "uk": ("З повагою,", "З повагою —\nІон Попеску"),
}


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_a_body_that_signs_off_itself_is_not_signed_off_twice(language: str) -> None:
    closing, own = SIGN_OFFS[language]
    signed = " ".join(pages_text(render(msgspec.structs.replace(BASE, language=language, body=f"{BASE.body}\n\n{own}"))))
    plain = " ".join(pages_text(render(msgspec.structs.replace(BASE, language=language))))
    words = own.split(",")[0].split("\n")[0].split(" —")[0]
    assert signed.count(words) == 1, signed  # the writer's own ...
    assert signed.count(closing.rstrip(",")) == (closing.startswith(words))  # ... and not the letter's too
    assert plain.count(closing) == 1  # without one, the letter signs off
    assert "Ion Popescu" in signed  # the signatory's name, signature line and stamp stay


@pytest.mark.parametrize(
    ("body", "signed_off"),
    [
        ("Answer.\n\nYours sincerely", True),
        ("Answer.\n\nBest regards, Ion Popescu, senior specialist", True),
        ("Answer.\nKIND REGARDS,\nIon\nCustomer service", True),
        ("Respectfully, we must decline your request for a refund.", False),
        ("Regardless of the outcome, we will write again.", False),
        ("Kind regards,\nIon\n\nP.S. One more thing.\nAnd another.\nAnd a last one.", False),
    ],
)
def test_a_sign_off_is_recognised_at_the_end_only_alone_or_before_a_name(body: str, signed_off: bool) -> None:
    assert load_letter_template(TEMPLATES, "en").wording.signed_off(body) is signed_off


def test_a_response_prints_no_decision_line() -> None:
    text = "\n".join(pages_text(render(msgspec.structs.replace(BASE, resolution="upheld"))))
    assert "Decision:" not in text and "Upheld" not in text


def test_an_empty_postal_address_and_phone_leave_no_gap_or_label() -> None:
    text = "\n".join(pages_text(render(msgspec.structs.replace(BASE, postal_address="", phone=""))))
    assert "Tel. +373 69" not in text
    assert "E-mail ana.maria@example.md" in text


# --- long letters -------------------------------------------------------------------------


def test_a_long_body_flows_onto_a_second_page_and_loses_no_word() -> None:
    body = long_body(6000)
    pdf = render(msgspec.structs.replace(BASE, body=body))
    texts = pages_text(pdf)
    assert len(texts) >= 2
    pages = len(texts)
    words = " ".join(texts).split()
    body_words = body.split()
    printed = [w for w in words if w.startswith("word")]
    assert printed == body_words  # every word, once, in order
    for number, text in enumerate(texts, start=1):
        assert f"Page {number} of {pages}" in text
        assert "OUT-2026/000012" in text
    assert "Ion Popescu" in texts[-1] and "Ion Popescu" not in texts[0]
    assert "3F2A-9C1B-77D0-E4A5" in texts[-1]


def test_a_word_wider_than_the_page_is_split_not_cut() -> None:
    word = "x" * 400
    text = "".join("".join(pages_text(render(msgspec.structs.replace(BASE, body=word)))).split())
    assert word in text


def test_long_names_and_addresses_are_shortened_not_spilled() -> None:
    context = msgspec.structs.replace(
        BASE,
        addressee_name="Bartholomew-Maximilian Alexandrescu-Konstantinopolskiy " * 6,
        postal_address="str. Very Long Street Name " * 30,
        signatory_name="Constantin-Alexandru Bălănescu-Ștefănescu " * 5,
        verify_url="https://complaints.demobetting.md/verify/" + "x" * 400,
    )
    pdf = render(context)
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1
    assert "…" in "".join(pages_text(pdf))


@needs_pdftotext
@pytest.mark.parametrize("characters", [*range(1200, 2800, 100), *range(6300, 6800, 100)])
def test_nothing_overlaps_or_leaves_the_frame_wherever_the_page_breaks(characters: int) -> None:
    """Bodies of many lengths put the page break and the sign-off in every position."""
    layout = load_letter_template(TEMPLATES, "en").layout
    pdf = render(msgspec.structs.replace(BASE, kind="decision", resolution="upheld", body=long_body(characters)))
    pages = poppler_pages(pdf)
    footer_top = PAGE_HEIGHT - layout.margin_bottom
    for number, words in enumerate(pages, start=1):
        for word, x_min, y_min, x_max, y_max in words:
            assert layout.margin_x - 0.5 <= x_min and x_max <= PAGE_WIDTH - layout.margin_x + 0.5, (number, word)
            assert layout.margin_top - 0.5 <= y_min and y_max <= PAGE_HEIGHT - 10, (number, word)
        footer = {w[0] for w in words if w[2] > footer_top}
        assert footer == {"Outgoing", "No.", "OUT-2026/000012", "Page", str(number), "of", str(len(pages))}, footer
    last = pages[-1]
    verification_top = min(w[2] for w in last if w[0] in {"Registry", BASE.fingerprint})
    above = [w for w in last if w[2] < verification_top]
    assert any(w[0] == "Popescu" for w in above)
    assert [w for w in above if w[4] > verification_top - 4] == []  # the sign-off and stamp end above it
    body = sorted((w for w in above if w[0].startswith("word")), key=lambda w: w[2])
    closing = next(w for w in last if w[0] == "sincerely,")
    assert body and body[-1][4] < closing[2]
    if len(pages) > 1:  # the sign-off never stands on a page of its own, nor under a lone line
        assert len({round(w[4]) for w in body}) >= 2


# --- the files and determinism --------------------------------------------------------------


def test_same_context_gives_identical_bytes() -> None:
    template = load_letter_template(TEMPLATES, "ro")
    context = msgspec.structs.replace(BASE, language="ro", kind="decision", resolution="rejected", body=long_body())
    assert render_letter(context, template) == render_letter(context, template)


def test_every_language_file_has_exactly_the_english_keys() -> None:
    english = json.loads((TEMPLATES / "letter" / "en.json").read_text(encoding="utf-8"))
    for language in SUPPORTED_LANGUAGES:
        wording = json.loads((TEMPLATES / "letter" / f"{language}.json").read_text(encoding="utf-8"))
        assert wording.keys() == english.keys(), language
        for key in ("titles", "resolutions"):
            assert wording[key].keys() == english[key].keys(), (language, key)
            assert all(value.strip() for value in wording.pop(key).values()), (language, key)
        closings = wording.pop("closings")
        assert wording["closing"].rstrip(",") in closings and all(c.strip() for c in closings), language
        assert all(value.strip() for value in wording.values()), language
    assert set(english["titles"]) == set(KINDS)
    assert set(english["resolutions"]) == set(RESOLUTIONS)


def test_romanian_wording_uses_comma_below_letters() -> None:
    text = (TEMPLATES / "letter" / "ro.json").read_text(encoding="utf-8")
    assert not set("şţŞŢ") & set(text)  # cedilla forms are wrong for Romanian
    assert {"ș", "ț", "ă", "î"} <= set(text)


def test_the_letter_has_the_receipts_fonts_colours_and_stamp() -> None:
    letter = load_letter_template(TEMPLATES, "en")
    receipt = load_receipt_template(TEMPLATES, "en")
    assert (letter.font_regular, letter.font_bold) == (receipt.font_regular, receipt.font_bold)
    for name in ("text_color", "label_color", "rule_color", "stamp_ink", "stamp_radius", "stamp_rotation", "stamp_ring_size"):
        assert getattr(letter.layout, name) == getattr(receipt.layout, name), name
    assert letter.organisation == receipt.organisation


def test_unknown_language_falls_back_to_english_and_templates_are_cached() -> None:
    assert load_letter_template(TEMPLATES, "de").language == "en"
    assert load_letter_template(TEMPLATES, "ru-MD").language == "ru"
    assert load_letter_template(TEMPLATES, "uk") is load_letter_template(TEMPLATES, "uk")


# --- from a stored message ------------------------------------------------------------------


@pytest.fixture
def stored_letter(app, client, make_user):
    """A registered complaint and a numbered letter to it, frozen and stored as the workflow
    stores them (the letter's values in its signed entry's private part)."""
    from app.auth.models import User
    from app.clock import now_utc
    from app.complaints.models import Complaint
    from app.extensions import db
    from app.registry.chain import Private, append_entry
    from app.registry.models import EntryKind
    from app.settings.store import current_settings
    from app.workflow.models import CaseMessage, MessageKind
    from app.workflow.operations import issued_letter

    registered = client.post("/api/v1/complaints", json=valid_payload()).get_json()
    author_id = make_user("officer1", "clerk", full_name="Ion Popescu-Bălănescu")

    def store(body: str, kind: MessageKind = MessageKind.RESPONSE, seq: int = 1, resolution=None) -> dict:
        with app.app_context():
            complaint = db.session.execute(
                db.select(Complaint).where(Complaint.number == registered["number"])
            ).scalar_one()
            complaint.resolution = resolution
            number, at = f"OUT-2026/{seq:06d}", now_utc()
            letter = issued_letter(complaint, kind, number, body, by=db.session.get(User, author_id), at=at,
                                   organisation=current_settings().organisation,
                                   timezone_name=app.config["REGISTRY_TIMEZONE"])
            entry = append_entry(
                EntryKind.EVENT,
                {"type": "responded", "number": complaint.number,
                 "message": {"kind": kind.value, "outgoing_number": number}},
                complaint_id=complaint.id,
                private=Private(complaint.personal_salt, {"body": body, "letter": letter}),
            )
            message = CaseMessage(
                complaint_id=complaint.id, kind=kind, body=body, created_at=at, author_id=author_id,
                outgoing_year=2026, outgoing_seq=seq, outgoing_number=number, entry_position=entry.position,
            )
            db.session.add(message)
            db.session.commit()
            return {**registered, "message_id": message.id, "letter_fingerprint": entry.fingerprint}

    return store


def _letter(app, message_id: int) -> tuple[bytes, str]:
    from app.extensions import db
    from app.letters.service import letter_filename, message_letter_pdf
    from app.workflow.models import CaseMessage

    with app.test_request_context(base_url="https://complaints.example.md/"):
        message = db.session.get(CaseMessage, message_id)
        return message_letter_pdf(message), letter_filename(message)


def test_a_stored_response_prints_its_numbers_fingerprint_and_signatory(app, stored_letter) -> None:
    body = "Мы проверили ваш вывод средств: платёж задержал банк-получатель, деньги зачислены."
    stored = stored_letter(body)
    pdf, filename = _letter(app, stored["message_id"])
    assert filename == "letter-OUT-2026-000001.pdf"
    assert stored["fingerprint"] != stored["letter_fingerprint"]  # the message's entry, not the intake's
    text = " ".join(" ".join(pages_text(pdf)).split())  # line breaks as spaces
    for expected in (
        "OUT-2026/000001",
        stored["number"],
        "Ana-Maria Ștefănescu-Țurcanu",
        body,
        stored["letter_fingerprint"],
        "Ion Popescu-Bălănescu",
        "Răspuns la reclamația dumneavoastră",  # the complaint was filed in Romanian
    ):
        assert expected in text, expected
    slug = stored["number"].replace("/", "-")
    assert f"https://complaints.example.md/verify?number={slug}&fingerprint={stored['letter_fingerprint']}" in "".join(
        text.split()
    )
    if shutil.which("pdftotext"):
        text = poppler_text(pdf)
        assert "Ana-Maria Ștefănescu-Țurcanu" in text and body in " ".join(text.split()) and stored["letter_fingerprint"] in text


def test_a_stored_long_letter_flows_over_pages_and_every_download_is_the_same(app, stored_letter) -> None:
    body = long_body(6000)
    stored = stored_letter(body)
    first, _ = _letter(app, stored["message_id"])
    second, _ = _letter(app, stored["message_id"])
    assert first == second
    texts = pages_text(first)
    assert len(texts) >= 2
    assert "Pagina 2 din" in texts[1]
    assert [w for w in " ".join(texts).split() if w.startswith("word")] == body.split()


def test_a_stored_decision_prints_the_resolution_it_was_issued_with(app, stored_letter) -> None:
    from app.complaints.models import Complaint, Resolution
    from app.extensions import db
    from app.workflow.models import MessageKind

    stored = stored_letter("Reclamația a fost examinată.", MessageKind.DECISION, resolution=Resolution.PARTLY_UPHELD)
    first = "\n".join(pages_text(_letter(app, stored["message_id"])[0]))
    assert "Decizie privind reclamația dumneavoastră" in first
    assert "Decizia: Admisă parțial" in first
    with app.app_context():  # a later decision does not reach the letter already sent
        complaint = db.session.execute(db.select(Complaint).where(Complaint.number == stored["number"])).scalar_one()
        complaint.resolution = Resolution.REJECTED
        db.session.commit()
    assert "\n".join(pages_text(_letter(app, stored["message_id"])[0])) == first

"""The registry journal: every complaint in number order, its filters, its keyset pages, its
CSV and PDF exports (audited), and the demo loader that fills a registry for trying it."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select, text, update

from _support import valid_payload
from app.audit.models import AuditAction, AuditEvent
from app.clock import frozen_clock
from app.complaints.models import Channel, Complaint, ComplaintStatus
from app.database import commit_with_retry
from app.extensions import db
from app.intake.operations import register_complaint
from app.intake.validation import rules_from_config, validate_complaint

CHISINAU = ZoneInfo("Europe/Chisinau")
_NUMBERS = re.compile(r'<a class="number" href="([^"]+)">([^<]+)</a>')


def _local(month: int, day: int, hour: int = 12, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=CHISINAU)


@pytest.fixture
def register(app):
    """Register a complaint at a given moment through the one registration path."""

    def make(when: datetime, channel: Channel = Channel.WEB, **changes: str) -> str:
        if "full_name" in changes:
            changes.setdefault("signature", changes["full_name"])
        with app.app_context(), frozen_clock(when):
            submission, errors = validate_complaint(valid_payload(**changes), rules_from_config(app.config))
            assert not errors, errors
            registration = commit_with_retry(lambda: register_complaint(submission, channel=channel))
            return registration.complaint.number

    return make


def _annul(app, number: str) -> None:
    with app.app_context():
        db.session.execute(
            update(Complaint).where(Complaint.number == number).values(status=ComplaintStatus.ANNULLED)
        )
        db.session.commit()


def _numbers(page: str) -> list[str]:
    return [number for _href, number in _NUMBERS.findall(page)]


def _link(page: str, label: str) -> str | None:
    match = re.search(rf'<a class="button"(?: rel="\w+")? href="([^"]+)">{re.escape(label)}</a>', page)
    return html.unescape(match[1]) if match else None


@pytest.fixture
def registry(app, register) -> dict[str, str]:
    """Six complaints over two registry years, in four languages, every kind of difference."""
    numbers = {
        "ana": register(_local(12, 30, year=2025)),  # payments, web, Romanian
        "ivan": register(
            _local(1, 5), Channel.POST, full_name="Иван Петров", email="Ivan.Petrov@example.ru",
            phone="+373 69 111 222", category="bet_settlement", language="ru",
            subject="Ставка рассчитана неверно", description="Экспресс от 3 января рассчитан как проигрыш.",
        ),
        "john": register(
            _local(1, 20, 23, 30), Channel.PHONE, full_name="John Smith", email=None, phone="+373 79 555 444",
            category="technical", language="en", subject="The app crashes",
            description="The app crashes whenever I open live betting.",
        ),
        "olena": register(
            _local(2, 10), Channel.EMAIL, full_name="Олена Ґонта", email="olena@example.ua", phone=None,
            category="bonuses", language="uk", subject="Бонус не нараховано",
            description="Вітальний бонус не з'явився на рахунку.",
        ),
        "mihai": register(
            _local(2, 11), full_name="Mihai Țurcanu", email="mihai@example.md", phone=None,
            subject="Pariu câștigător decontat ca pierdut",
            description="Biletul câștigător a fost decontat ca pierdut.",
        ),
        "annulled": register(_local(2, 12), Channel.PAPER, full_name="Doina Rusu", email="doina@example.md"),
    }
    _annul(app, numbers["annulled"])
    return numbers


def test_the_journal_lists_every_complaint_in_number_order_and_links_each_to_its_case_page(
    client, login, registry
):
    login(client)
    response = client.get("/staff/registry")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert _numbers(page) == ["2025/000001", "2026/000001", "2026/000002", "2026/000003", "2026/000004",
                              "2026/000005"]
    assert ('href="/staff/complaints/2026-000001">2026/000001<') in page
    assert "Иван Петров" in page and "Ana-Maria Ștefănescu-Țurcanu" in page
    assert "20 Jan 2026<br>23:30" in page  # times in the registry's time zone, in the one style


def test_an_annulled_complaint_keeps_its_number_and_shows_as_annulled(client, login, registry):
    login(client)
    page = client.get("/staff/registry").get_data(as_text=True)
    row = page[page.index(">2026/000005<"):].split("</tr>", 1)[0]
    assert "Annulled" in row and "Doina Rusu" in row


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("year=2025", ["ana"]),
        ("year=2026&number_from=2&number_to=3", ["john", "olena"]),
        ("number_from=2026/000002&number_to=2026-000004", ["john", "olena", "mihai"]),
        ("number_to=1", ["ana", "ivan"]),  # a bare number: that number of every year
        ("number_from=2025/000001&number_to=2026/000002", ["ana", "ivan", "john"]),  # across years
        ("number_from=2025/000002", ["ivan", "john", "olena", "mihai", "annulled"]),
        ("number_to=2025/000001", ["ana"]),
        ("year=2026&number_from=2025/000001&number_to=2026/000002", ["ivan", "john"]),
        ("year=2025&number_from=2026/000001", []),
        ("year=2026&number_from=3", ["olena", "mihai", "annulled"]),
        ("date_from=2026-01-05&date_to=2026-01-20", ["ivan", "john"]),  # 23:30 local is still the 20th
        ("date_from=2026-01-21", ["olena", "mihai", "annulled"]),
        ("status=registered", ["ana", "ivan", "john", "olena", "mihai"]),
        ("status=annulled", ["annulled"]),
        ("category=bonuses", ["olena"]),
        ("channel=post", ["ivan"]),
        ("name=Петров", ["ivan"]),
        ("name=Țurcanu", ["ana", "mihai"]),
        ("name=SMITH", ["john"]),
        ("email=ivan.PETROV@", ["ivan"]),
        ("phone=69 111", ["ivan"]),
        ("phone=%2B373 79 555", ["john"]),
        ("text=retragerea", ["ana", "annulled"]),
        ("text=Экспресс", ["ivan"]),
        ("text=câștigător pierdut", ["mihai"]),  # every word, in the subject or the description
        ("text=бонус з'явився", ["olena"]),
        ("category=payments&status=registered&name=Ana-Maria", ["ana"]),
        ("name=nobody", []),
    ],
)
def test_each_filter_narrows_the_journal(client, login, registry, query, expected):
    login(client)
    response = client.get(f"/staff/registry?{query}")
    assert response.status_code == 200
    assert _numbers(response.get_data(as_text=True)) == [registry[key] for key in expected]


def test_name_search_ignores_case_in_cyrillic_and_romanian_on_postgresql(app, client, login, registry):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite's LIKE folds the case of Latin letters only")
    login(client)
    assert _numbers(client.get("/staff/registry?name=иван петров").get_data(as_text=True)) == [registry["ivan"]]
    assert _numbers(client.get("/staff/registry?name=ȚURCANU").get_data(as_text=True)) == [
        registry["ana"], registry["mihai"]]


def test_a_date_filter_finds_a_complaint_whose_server_clock_ran_a_little_behind(client, login, register):
    """The date range is searched as a stretch of numbers (number order follows time), with a
    margin for clocks that disagree: a complaint numbered after midnight but stamped before it
    is still found by its own date."""
    late = register(_local(3, 1, 23, 50))
    next_day = register(_local(3, 2, 0, 10))
    skewed = register(_local(3, 1, 23, 40))  # a server 30 minutes behind
    later = register(_local(3, 2, 2, 0))
    login(client)
    assert _numbers(client.get("/staff/registry?date_to=2026-03-01").get_data(as_text=True)) == [late, skewed]
    assert _numbers(client.get("/staff/registry?date_from=2026-03-02").get_data(as_text=True)) == [
        next_day, later]


def test_the_filter_form_shows_again_what_was_typed(client, login, registry):
    login(client)
    page = client.get("/staff/registry?name=Петров&category=bet_settlement&date_from=2026-01-01").get_data(
        as_text=True)
    assert 'value="Петров"' in page
    assert '<option selected value="bet_settlement">' in page
    assert 'value="2026-01-01"' in page


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("year=abc", "year", "Type a year such as 2026."),
        ("date_from=2026-13-45", "date_from", "Not a valid date value."),
        ("date_from=2026-02-01&date_to=2026-01-01", "date_to", "“Registered to” is before “Registered from”."),
        ("number_from=2026/9&number_to=2026/2", "number_to", "“Number to” comes before “Number from”."),
        ("year=2026&number_from=9&number_to=2", "number_to", "“Number to” comes before “Number from”."),
        ("number_from=twelve", "number_from", "Type a number such as 2026/000123, or just 123."),
        ("name=ab", "name", "Type at least 3 characters."),
        ("phone=%2B3", "phone", "Type at least 3 digits of the number."),
        ("text=a bonus", "text", "Each word must have at least 3 characters."),
        ("status=lost", "status", "Not a valid choice."),
    ],
)
def test_a_bad_filter_is_explained_next_to_its_field_and_lists_nothing(
    client, login, registry, query, field, message
):
    login(client)
    response = client.get(f"/staff/registry?{query}")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f'<p class="error" id="{field}-error">{html.escape(message, quote=False)}</p>' in page
    assert "Correct the filter above to see the journal." in page
    assert _numbers(page) == []


def test_an_export_with_a_bad_filter_goes_back_to_the_journal_and_its_message(client, login, registry):
    login(client)
    for export in ("export.csv", "export.pdf"):
        response = client.get(f"/staff/registry/{export}?year=abc")
        assert response.status_code == 302
        assert response.headers["Location"] == "/staff/registry?year=abc"


# --- keyset pages ----------------------------------------------------------------------------


def _walk(client, url: str, label: str) -> list[list[str]]:
    pages = []
    while url:
        page = client.get(url).get_data(as_text=True)
        pages.append(_numbers(page))
        url = _link(page, label)
        assert len(pages) < 20
    return pages


def test_keyset_pages_show_every_complaint_once_in_number_order_both_ways(app, client, login, register,
                                                                          monkeypatch):
    monkeypatch.setattr("app.journal.queries.PAGE_SIZE", 3)
    numbers = [register(_local(3, day, 10)) for day in range(1, 9)]  # 2 pages of 3 and 2 more
    login(client)

    forward = _walk(client, "/staff/registry", "Next ›")
    assert [len(page) for page in forward] == [3, 3, 2]
    assert [n for page in forward for n in page] == numbers

    backward = _walk(client, "/staff/registry?newest=1", "‹ Previous")
    assert backward[0] == numbers[-3:]
    assert [n for page in reversed(backward) for n in page] == numbers


def test_page_links_keep_the_filters(client, login, register, monkeypatch):
    monkeypatch.setattr("app.journal.queries.PAGE_SIZE", 2)
    posted = [register(_local(3, day, 10), Channel.POST if day % 2 else Channel.WEB) for day in range(1, 11)]
    login(client)
    pages = _walk(client, "/staff/registry?channel=post", "Next ›")
    assert [n for page in pages for n in page] == posted[::2]
    first = client.get("/staff/registry?channel=post").get_data(as_text=True)
    assert "channel=post" in _link(first, "Next ›") and "channel=post" in _link(first, "Newest »")
    second = client.get(_link(first, "Next ›")).get_data(as_text=True)
    previous = client.get(_link(second, "‹ Previous")).get_data(as_text=True)
    assert _numbers(previous) == posted[0:4:2]


def test_the_first_page_has_no_previous_link_and_the_last_no_next(client, login, register):
    register(_local(3, 1))
    login(client)
    page = client.get("/staff/registry").get_data(as_text=True)
    assert _link(page, "‹ Previous") is None and _link(page, "Next ›") is None


# --- CSV -------------------------------------------------------------------------------------


def _csv(response) -> list[list[str]]:
    body = response.data
    assert body.startswith("\ufeff".encode())  # so spreadsheet programs read UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_the_csv_export_holds_a_heading_and_the_filtered_lines(client, login, registry):
    login(client)
    response = client.get("/staff/registry/export.csv?year=2026&status=registered")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="registry-journal-')
    rows = _csv(response)
    assert rows[0] == ["Number", "Registered", "Received", "Status", "Channel", "Category", "Complainant",
                       "E-mail", "Phone", "Subject"]
    assert [row[0] for row in rows[1:]] == ["2026/000001", "2026/000002", "2026/000003", "2026/000004"]
    assert rows[1] == ["2026/000001", "5 Jan 2026, 12:00", "5 Jan 2026, 12:00", "Registered, awaiting first response",
                       "Post", "Bet settlement and rules", "Иван Петров", "Ivan.Petrov@example.ru",
                       "+37369111222", "Ставка рассчитана неверно"]


def test_the_csv_export_keeps_formulas_from_running_in_a_spreadsheet(client, login, register):
    register(_local(3, 1), subject="=HYPERLINK(\"http://evil\")", full_name="@Mallory Evil")
    login(client)
    row = _csv(client.get("/staff/registry/export.csv"))[1]
    assert row[6] == "'@Mallory Evil" and row[9].startswith("'=HYPERLINK")
    assert row[8] == "+37369123456"  # a phone number stays as it is


def test_the_csv_export_streams_the_whole_journal_in_batches(client, login, register, monkeypatch):
    monkeypatch.setattr("app.journal.queries.EXPORT_BATCH", 2)
    numbers = [register(_local(3, day)) for day in range(1, 6)]
    login(client)
    response = client.get("/staff/registry/export.csv")
    assert response.is_streamed
    assert [row[0] for row in _csv(response)[1:]] == numbers


def _csv_line_by_line(rows, language: str, zone: str) -> str:
    """The CSV as the export wrote it before it kept each day's text (every moment through
    `format_moment`): the reference the streamed file must equal byte for byte."""
    from flask_babel import gettext

    from app.dates import format_moment
    from app.journal.export import Titles, _cell

    titles = Titles.for_language(language, zone)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow([gettext(h) for h in ("Number", "Registered", "Received", "Status", "Channel", "Category",
                                          "Complainant", "E-mail", "Phone", "Subject")])
    for row in rows:
        writer.writerow([
            row.number, format_moment(row.registered_at, language, zone), format_moment(row.received_at, language, zone),
            titles.status[row.status], titles.channel[row.channel],
            _cell(titles.category.get(row.category, row.category)),
            _cell(row.full_name), _cell(row.email), _cell(row.phone), _cell(row.subject),
        ])
    return buffer.getvalue()


@pytest.mark.parametrize("language", ["en", "ro", "ru", "uk", "de"])
def test_an_exports_moments_read_exactly_as_format_moment_writes_them(language):
    from datetime import UTC, timedelta

    from app.dates import format_moment, moment_writer

    write = moment_writer(language, "Europe/Chisinau")
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    while moment.year < 2027:  # both changes of the clocks, every hour and minute of the day
        assert write(moment) == format_moment(moment, language, "Europe/Chisinau"), moment
        moment += timedelta(minutes=97)
    assert write(datetime(2026, 3, 29, 0, 30)) == format_moment(datetime(2026, 3, 29, 0, 30), language, CHISINAU)


@pytest.mark.parametrize("language", ["en", "ro", "ru", "uk"])
def test_the_csv_export_is_byte_for_byte_the_file_of_every_moment_formatted_on_its_own(
    app, client, login, registry, register, language
):
    from flask_babel import force_locale

    from app.complaints.filters import ComplaintFilter
    from app.journal.queries import journal_query

    register(_local(3, 29, 2, 59), full_name="@Ana Vieru", subject="=1+1")  # the night clocks go forward
    register(_local(3, 29, 4, 1))
    register(_local(10, 25, 3, 30), email="x@example.md")  # the night clocks go back
    register(_local(12, 31, 23, 59))
    login(client, "clerk", f"clerk-{language}", language=language)
    body = client.get("/staff/registry/export.csv").data
    with app.test_request_context(), force_locale(language):
        rows = db.session.execute(journal_query(ComplaintFilter()).order_by(Complaint.year, Complaint.seq)).all()
        expected = _csv_line_by_line(rows, language, app.config["REGISTRY_TIMEZONE"])
    assert len(rows) == 10
    assert body == expected.encode()


# --- PDF -------------------------------------------------------------------------------------


def _pdf_pages(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def test_the_pdf_journal_prints_the_filtered_lines_with_their_headings(client, login, registry, artifacts_dir):
    login(client)
    response = client.get("/staff/registry/export.pdf?year=2026")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    (artifacts_dir / "journal.pdf").write_bytes(response.data)
    [page] = _pdf_pages(response.data)
    for heading in ("Number", "Received", "Registered", "Complainant", "Category", "Subject", "Status",
                    "Recipient's signature"):
        assert heading in page
    assert "Demo Betting SRL" in page and "Registry journal" in page and "Page 1 of 1" in page
    assert "Year: 2026" in page
    for number in ("2026/000001", "2026/000002", "2026/000005"):
        assert number in page
    assert "2025/000001" not in page
    assert "Иван Петров" in page and "Олена Ґонта" in page and "Mihai Țurcanu" in page
    assert "Annulled" in page


def test_a_long_pdf_journal_repeats_its_heading_and_numbers_its_pages(client, login, register):
    numbers = [register(_local(4, 1 + i // 12, 8, i % 12 * 5)) for i in range(40)]
    login(client)
    pages = _pdf_pages(client.get("/staff/registry/export.pdf").data)
    assert len(pages) >= 3
    for index, page in enumerate(pages, start=1):
        assert f"Page {index} of {len(pages)}" in page
        assert "Recipient's signature" in page
    text_of_all = "".join(pages)
    assert all(number in text_of_all for number in numbers)


def test_the_pdf_journal_refuses_more_lines_than_it_prints_and_says_why(app, client, login, register,
                                                                        monkeypatch):
    monkeypatch.setattr("app.journal.routes.PDF_MAX_LINES", 2)
    for day in (1, 2, 3):
        register(_local(3, day))
    login(client)
    response = client.get("/staff/registry/export.pdf?channel=web")
    assert response.status_code == 302 and response.headers["Location"] == "/staff/registry?channel=web"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The printed journal holds at most 2 entries" in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(AuditEvent.action == AuditAction.EXPORT)) == 0


def test_the_pdf_renderer_wraps_and_shortens_long_text_without_a_database():
    from app.journal.pdf import Column, JournalDocument, JournalFonts, Line, render_journal

    fonts_dir = Path(__file__).resolve().parent.parent / "pdf_templates" / "fonts"
    document = JournalDocument(
        language="ro", organisation="Demo", title="Registry journal", subtitle="everything",
        columns=(Column("Number", 1, 1), Column("Subject", 2, 2), Column("Signature", 1, 1)),
        lines=(Line(("2026/000001", "Țară " * 200, ""), shaded=True),
               Line(("2026/000002", "x" * 500, ""))),
        page_label="Page {page} of {pages}", empty_note="none",
    )
    fonts = JournalFonts(fonts_dir / "DejaVuSans.ttf", fonts_dir / "DejaVuSans-Bold.ttf")
    pdf = render_journal(document, fonts)
    assert pdf == render_journal(document, fonts)  # pure: the same input, the same bytes
    [page] = _pdf_pages(pdf)
    assert page.count("…") == 2 and "Țară" in page


_CELLS = [
    "", "2026/000001", "5 Jan 2026, 12:00", "Иван Петров\nIvan.Petrov@example.ru", "Олена Ґонта\n", "\nonly a contact",
    "Registered, awaiting first response", "Reopened: the complainant disputes the response",
    "  spaces  around and\tinside ", "a\u00a0b\u00a0c", "Țară " * 12, "x" * 80, "李小龙 Lee", "Jo 👍🏽 Smith",
    "one\ntwo\nthree\nfour", "very.long.email.address.for.testing@sub.domain.example.co.uk",
]


@pytest.mark.parametrize("text", _CELLS)
def test_a_cell_that_fits_its_column_is_laid_out_as_wrapping_would_lay_it_out(text):
    from app.documents.drawing import register_font, text_width, wrap_paragraphs
    from app.journal.pdf import _cell_lines

    fonts_dir = Path(__file__).resolve().parent.parent / "pdf_templates" / "fonts"
    font = register_font(fonts_dir / "DejaVuSans.ttf")
    widths = {text_width(line, font, 7.5) for line in text.split("\n")}
    rooms = [20.0, 60.0, 120.0, 400.0, *widths, *(w + 1e-9 for w in widths), *(w + 1e-3 for w in widths)]
    for room in rooms:
        for limit in (1, 2, 3):
            assert list(_cell_lines(text, font, 7.5, room, limit)) == wrap_paragraphs(text, font, 7.5, room, limit), (
                room, limit)


def test_the_pdf_journal_prints_every_line_of_a_row_also_where_a_fallback_font_draws_it():
    from app.journal.pdf import Column, JournalDocument, JournalFonts, Line, render_journal

    fonts_dir = Path(__file__).resolve().parent.parent / "pdf_templates" / "fonts"
    document = JournalDocument(
        language="ro", organisation="Demo", title="Registry journal", subtitle="everything",
        columns=(Column("Number", 1, 2), Column("Complainant", 2, 3), Column("Subject", 2, 2)),
        lines=(Line(("2026/000001", "Иван Петров\nivan@example.ru", "Plată dublă")),
               Line(("2026/000002", "李小龙 Lee\nlee@example.cn", "Card 👍 charged"), shaded=True),
               Line(("2026/000003", "", "Ставка"))),
        page_label="Page {page} of {pages}", empty_note="none",
    )
    pdf = render_journal(document, JournalFonts(fonts_dir / "DejaVuSans.ttf", fonts_dir / "DejaVuSans-Bold.ttf"))
    [page] = _pdf_pages(pdf)
    for shown in ("2026/000001", "Иван Петров", "ivan@example.ru", "Plată dublă", "2026/000002", "李小龙", "Lee",
                   "lee@example.cn", "charged", "2026/000003", "Ставка", "Page 1 of 1"):
        assert shown in page


# --- the audit trail -------------------------------------------------------------------------


@pytest.mark.parametrize("export", ["csv", "pdf"])
def test_every_export_is_written_to_the_audit_trail_with_its_filters(app, client, login, registry, export):
    login(client, "clerk", "irina")
    response = client.get(f"/staff/registry/export.{export}?category=payments&name=Ana")
    assert response.status_code == 200
    response.close()
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == AuditAction.EXPORT))
        assert (event.username, event.target) == ("irina", "registry journal")
        details = json.loads(event.details)
        assert details["format"] == export
        assert details["filters"] == {"category": "payments", "name": "Ana"}


# --- the demo loader -------------------------------------------------------------------------


def test_seed_demo_fills_an_empty_registry_with_numbered_signed_complaints(app, runner):
    result = runner.invoke(args=["registry", "seed-demo", "--count", "120", "--batch", "50", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "Created 120 demo complaints" in result.output
    verified = runner.invoke(args=["registry", "verify"])
    assert verified.exit_code == 0, verified.output
    assert "OK: 120 entries verified" in verified.output
    with app.app_context():
        languages = set(db.session.scalars(select(Complaint.language).distinct()))
        assert languages == {"en", "ro", "ru", "uk"}
        years = db.session.execute(
            text("SELECT year, count(*), max(seq) FROM complaints GROUP BY year ORDER BY year")).all()
        assert all(count == last for _year, count, last in years)  # 1..N in every year


def test_seed_demo_refuses_a_registry_that_is_not_empty_unless_told_to_append(app, runner, register):
    register(_local(1, 10))
    refused = runner.invoke(args=["registry", "seed-demo", "--count", "10"])
    assert refused.exit_code != 0 and "The registry is not empty" in refused.output
    appended = runner.invoke(args=["registry", "seed-demo", "--count", "10", "--append"])
    assert appended.exit_code == 0, appended.output
    verified = runner.invoke(args=["registry", "verify"])
    assert verified.exit_code == 0, verified.output
    assert "OK: 11 entries verified" in verified.output


def test_seed_demo_annuls_a_few_with_a_signed_annulment(app, make_user, client, login):
    from app.journal.seed import seed_demo

    make_user("registrar", "clerk")
    with app.app_context():
        report = seed_demo(60, batch_size=25, annul_share=0.2, random_seed=11)
        assert report.annulled > 0
        annulled = db.session.scalar(
            select(func.count()).where(Complaint.status == ComplaintStatus.ANNULLED))
        assert annulled == report.annulled
    assert "OK: " in app.test_cli_runner().invoke(args=["registry", "verify"]).output
    login(client)
    assert len(_numbers(client.get("/staff/registry?status=annulled").get_data(as_text=True))) == report.annulled

"""One date style per language, everywhere (app/dates.py, docs/languages.md): one known moment
goes through every path a person reads it on — a staff page, a public page, the receipt PDF, an
e-mail, the journal's CSV and PDF — in each language, and comes out in that language's style and
in no other; and nothing but app/dates.py formats dates for people."""

from __future__ import annotations

import ast
import csv
import io
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from babel.dates import format_date
from pypdf import PdfReader
from sqlalchemy import select

from _support import valid_payload
from app.clock import frozen_clock
from app.complaints.models import Complaint
from app.dates import format_day, format_moment, format_month, format_time_of_day
from app.extensions import db
from app.intake.links import receipt_url, tracking_url
from app.languages import LANGUAGES
from app.mail.compose import compose
from app.notifications.models import Notification, NotificationKind

ROOT = Path(__file__).resolve().parent.parent
ZONE = "Europe/Chisinau"  # the default REGISTRY_TIMEZONE: UTC+2 in December

#: 15:44 UTC is 17:44 in Chișinău; the first response is due a day later.
AT = datetime(2026, 12, 3, 15, 44, 25, tzinfo=UTC)
REGISTERED = {"en": "3 Dec 2026, 17:44", "ro": "03.12.2026, 17:44", "ru": "03.12.2026, 17:44",
              "uk": "03.12.2026, 17:44"}
DUE = {"en": "4 Dec 2026, 17:44", "ro": "04.12.2026, 17:44", "ru": "04.12.2026, 17:44", "uk": "04.12.2026, 17:44"}

#: Any moment or day written some other way: 12-hour clocks, slashes, ISO, a two-digit year.
_OTHER_SHAPES = re.compile(
    r"\d{1,2}:\d{2}(?::\d{2})?\s?[AP]M\b"  # 5:44 PM
    r"|\b\d{1,2}/\d{1,2}/\d{2,4}\b"  # 12/3/26
    r"|\b20\d\d-\d\d-\d\d(?:[ T]\d\d:\d\d)?"  # 2026-12-03 17:44
    r"|\b\d{2}\.\d{2}\.\d{2}\b(?!\d)"  # 03.12.26
)


def _plain(text: str) -> str:
    """Spaces of every width as one plain space (PDF text, CLDR's narrow no-break spaces)."""
    return " ".join(text.replace("\u202f", " ").replace("\u00a0", " ").split())


def _other_styles(language: str) -> set[str]:
    """The known days written as any other language or any of CLDR's own formats would: none of
    them may appear. (A CLDR format that happens to be this language's style is allowed.)"""
    days = (date(2026, 12, 3), date(2026, 12, 4))
    allowed = {format_day(day, language) for day in days}
    written = {
        _plain(format_date(day, width, locale=other))
        for day in days for other in LANGUAGES for width in ("short", "medium", "long", "full")
    }
    written |= {format_day(day, other) for day in days for other in LANGUAGES}
    return {text for text in written if not any(text in ok or ok in text for ok in allowed)}


def assert_one_style(text: str, language: str, where: str) -> None:
    text = _plain(text)
    assert REGISTERED[language] in text, f"{where} ({language}): no {REGISTERED[language]!r}"
    others = [found for found in _other_styles(language) if found in text]
    assert others == [], f"{where} ({language}) writes a date another way: {others}"
    shapes = [m.group(0) for m in _OTHER_SHAPES.finditer(text)]
    assert shapes == [], f"{where} ({language}) writes a date another way: {shapes}"


def _visible(page: str) -> str:
    """A page's text as a reader sees it: no tags, no attribute values (links and input values
    are for machines), entities of the few kinds the templates write decoded."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"<[^>]+>", " ", body).replace("&nbsp;", " ").replace("&#34;", '"').replace("&#39;", "'")


# --- the module itself ------------------------------------------------------------------------


@pytest.mark.parametrize(("language", "moment", "seconds", "day", "day_month", "month"), [
    ("en", "3 Dec 2026, 17:44", "3 Dec 2026, 17:44:25", "3 Dec 2026", "3 Dec", "December 2026"),
    ("ro", "03.12.2026, 17:44", "03.12.2026, 17:44:25", "03.12.2026", "03.12", "decembrie 2026"),
    ("ru", "03.12.2026, 17:44", "03.12.2026, 17:44:25", "03.12.2026", "03.12", "декабрь 2026"),
    ("uk", "03.12.2026, 17:44", "03.12.2026, 17:44:25", "03.12.2026", "03.12", "грудень 2026"),
])
def test_each_language_has_one_style_for_moments_days_and_months(language, moment, seconds, day, day_month, month):
    assert format_moment(AT, language, ZONE) == moment
    assert format_moment(AT, language, ZONE, seconds=True) == seconds
    assert format_day(AT, language, ZONE) == day
    assert format_day(date(2026, 12, 3), language) == day
    assert format_day(date(2026, 12, 3), language, year=False) == day_month
    assert format_month(date(2026, 12, 1), language) == month
    assert format_time_of_day(AT, ZONE) == "17:44"


def test_a_moment_is_written_in_the_registry_zone_whatever_zone_it_comes_in():
    late = datetime(2026, 12, 31, 22, 30, tzinfo=UTC)  # already 1 January in Chișinău
    assert format_moment(late, "ro", ZONE) == "01.01.2027, 00:30"
    assert format_moment(late.replace(tzinfo=None), "en", ZONE) == "1 Jan 2027, 00:30"  # naive: stored UTC
    assert format_day(late, "en", ZONE) == "1 Jan 2027"
    assert format_moment(late, "en", "UTC") == "31 Dec 2026, 22:30"
    with pytest.raises(TypeError):
        format_day(late, "en")  # which day a moment falls on depends on the zone


def test_a_language_without_a_style_of_its_own_gets_englishs():
    assert format_moment(AT, "de", ZONE) == format_moment(AT, "en", ZONE)
    assert format_moment(AT, "ro-MD", ZONE) == "03.12.2026, 17:44"


# --- every path, in every language ---------------------------------------------------------------


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_one_moment_reads_the_same_on_every_path_in_each_language(make_app, make_user, language):
    app = make_app(PUBLIC_BASE_URL="https://complaints.example.md/")
    make_user("reader", "manager", tier=3, language=language)
    complainant, staff = app.test_client(), app.test_client()
    with frozen_clock(AT):
        filed = complainant.post("/api/v1/complaints", json=valid_payload(language=language))
    assert filed.status_code == 201, filed.get_data(as_text=True)
    assert filed.get_json()["registered_at"] == "2026-12-03T15:44:25+00:00"  # machines keep ISO 8601
    with app.app_context():
        complaint = db.session.scalar(select(Complaint))
        with app.test_request_context():
            tracking, receipt = tracking_url(complaint, external=False), receipt_url(complaint, external=False)
        acknowledgement = compose(db.session.scalar(
            select(Notification).where(Notification.kind == NotificationKind.REGISTERED)))
    assert staff.post("/staff/login", data={"username": "reader", "password": "correct horse 1"}).status_code == 302

    # A public page: the tracking page, in the complaint's language.
    public = complainant.get(tracking)
    assert public.status_code == 200 and f'<html lang="{language}">' in public.get_data(as_text=True)
    assert_one_style(_visible(public.get_data(as_text=True)), language, "tracking page")
    assert DUE[language] in _plain(_visible(public.get_data(as_text=True)))

    # A staff page: the case page, in the staff member's language.
    case = staff.get(f"/staff/complaints/{complaint.slug}")
    assert case.status_code == 200 and f'<html lang="{language}">' in case.get_data(as_text=True)
    assert_one_style(_visible(case.get_data(as_text=True)), language, "case page")

    # A PDF: the receipt.
    pdf = complainant.get(receipt)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = " ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert_one_style(text, language, "receipt PDF")
    assert DUE[language] in _plain(text)

    # An e-mail: the acknowledgement (subject and body).
    assert acknowledgement.language == language
    assert_one_style(f"{acknowledgement.subject}\n{acknowledgement.body}", language, "acknowledgement e-mail")
    assert DUE[language] in _plain(acknowledgement.body)

    # The journal's CSV and PDF, in the staff member's language.
    exported = staff.get("/staff/registry/export.csv")
    assert exported.status_code == 200
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[1][1:3] == [REGISTERED[language], REGISTERED[language]]  # registered, received
    assert_one_style(exported.get_data(as_text=True), language, "journal CSV")
    assert 'filename="registry-journal-20' in exported.headers["Content-Disposition"]  # file names stay ISO
    printed = staff.get("/staff/registry/export.pdf?date_from=2026-12-03")
    assert printed.status_code == 200 and printed.mimetype == "application/pdf"
    book = _plain(" ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(printed.data)).pages))
    assert format_day(date(2026, 12, 3), language) in book  # the filter, as people read it
    assert not _OTHER_SHAPES.search(book), _OTHER_SHAPES.search(book)


# --- nothing else formats dates for people ---------------------------------------------------------

#: Babel's and Flask-Babel's date formatters: only app/dates.py may call them.
_FORMATTERS = {"format_date", "format_datetime", "format_time", "format_skeleton", "format_interval",
               "format_timedelta"}
_TEMPLATE_FILTERS = re.compile(r"\|\s*(datetimeformat|dateformat|timeformat|timedeltaformat)\b")


def test_no_template_formats_a_date_its_own_way():
    """Templates write moments and days with the `moment`, `day` and `time_of_day` filters
    (app/i18n.py); Flask-Babel's own date filters are not even registered."""
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / "app").rglob("templates/**/*")) if path.is_file()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if _TEMPLATE_FILTERS.search(line)
    ]
    assert offenders == []


def test_flask_babels_date_filters_are_not_offered(app):
    assert {"moment", "day", "time_of_day"} <= set(app.jinja_env.filters)
    assert not {"datetimeformat", "dateformat", "timeformat", "timedeltaformat"} & set(app.jinja_env.filters)


def test_no_module_but_app_dates_calls_babels_date_formatters():
    offenders = []
    for path in sorted((ROOT / "app").rglob("*.py")):
        if path == ROOT / "app" / "dates.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in ("babel", "flask_babel"):
                offenders += [f"{path.relative_to(ROOT)}: {a.name}" for a in node.names if a.name in _FORMATTERS]
            if isinstance(node, ast.Attribute) and node.attr in _FORMATTERS and isinstance(node.value, ast.Name) \
                    and node.value.id in ("babel", "dates", "flask_babel"):
                offenders.append(f"{path.relative_to(ROOT)}: {node.value.id}.{node.attr}")
    assert offenders == []


def test_the_documented_styles_are_the_ones_in_use():
    documented = (ROOT / "docs" / "languages.md").read_text(encoding="utf-8")
    for language in LANGUAGES:
        assert format_moment(AT, language, ZONE) in documented, language

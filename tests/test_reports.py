"""Reports: the monthly PDF (figures read back from the text, in every language, an empty
month, thousands of complaints), `flask reports monthly` giving the web page's bytes, bad
months, the dashboard's tables as one XLSX workbook, and who may have them."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from _cases import T0, act
from app.audit.models import AuditAction, AuditEvent
from app.clock import frozen_clock
from app.extensions import db
from app.manage.dashboard import TABLES, Table
from app.reports.context import (
    BarChart,
    Column,
    Headline,
    MonthlyReportContext,
    ReportTable,
    Term,
    build_monthly_report_context,
)
from app.reports.render import render_monthly_report
from app.reports.routes import xlsx_bytes
from app.reports.service import BadMonth, parse_month, report_filename
from app.reports.template import load_report_template
from app.workflow import operations as ops

H = timedelta(hours=1)
TEMPLATES = Path(__file__).resolve().parent.parent / "pdf_templates"
#: When the reports are made: Wednesday 2 December 2026, every November deadline long passed.
NOW = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
#: 00:30 on Sunday 1 November in Chișinău (UTC+2): the first moment counted in November.
FIRST_OF_NOVEMBER = datetime(2026, 10, 31, 22, 30, tzinfo=UTC)
#: Hours to the first response of the nine complaints registered at T0 (23 November).
RESPONSE_HOURS = [1, 2, 3, 5, 8, 13, 20, 30, 40]
TITLES = {
    "en": "Monthly complaints report — November 2026",
    "ro": "Raportul lunar privind reclamațiile — noiembrie 2026",
    "ru": "Ежемесячный отчёт о жалобах — ноябрь 2026",
    "uk": "Щомісячний звіт про скарги — листопад 2026",
}


@pytest.fixture
def november(app, register, staff) -> list[str]:
    """Ten complaints registered in November 2026 (Chișinău time), one on each side outside it.

    - One at 00:30 on 1 November, local time, answered after 1 h.
    - Nine at T0 (23 November), answered after RESPONSE_HOURS: 7 within 24 h, 2 late.
    So 8 of the 10 were answered in time: 80.0 %. The ten times sorted are 1, 1, 2, 3, 5, 8,
    13, 20, 30, 40 h: nearest-rank median = 5th = 5 h, p90 = 9th = 30 h. None is decided, so
    all ten are open; on NOW one is 31 days old, nine are 9 days old.
    - One at 23:30 on 31 October and one at 00:30 on 1 December, local time: not November's.
    """
    olga = staff["olga"]
    first = register(at=FIRST_OF_NOVEMBER)
    act(app, first, ops.take_complaint, by=olga, at=FIRST_OF_NOVEMBER + H / 2)
    act(app, first, ops.respond, by=olga, body="Our answer.", at=FIRST_OF_NOVEMBER + H)
    numbers = [register(at=T0) for _ in RESPONSE_HOURS]
    for number, hours in zip(numbers, RESPONSE_HOURS, strict=True):
        act(app, number, ops.take_complaint, by=olga, at=T0 + H / 2)
        act(app, number, ops.respond, by=olga, body="Our answer.", at=T0 + hours * H)
    register(at=FIRST_OF_NOVEMBER - H)
    register(at=datetime(2026, 11, 30, 22, 30, tzinfo=UTC))
    return [first, *numbers]


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _pdf(client, month: str = "2026-11", language: str = "en"):
    with frozen_clock(NOW):
        return client.get(f"/manage/reports/monthly.pdf?month={month}&language={language}")


# --- the figures ------------------------------------------------------------------------------------


def test_the_context_counts_exactly_the_complaints_registered_in_the_local_month(app, november):
    with app.app_context():
        context = build_monthly_report_context(2026, 11, language="en", timezone="Europe/Chisinau", now=NOW)
    headlines = {h.code: h for h in context.headlines}
    assert context.complaints == 10
    assert headlines["open"].value == 10
    assert headlines["compliance"].value == 80.0
    assert dict((n, v) for n, v, _ in headlines["compliance"].detail_values) == {"met": 8, "total": 10}
    assert (headlines["first_response"].value, headlines["first_response"].detail_values[0][1]) == (5.0, 30.0)
    assert headlines["resolution"].value is None  # nothing decided: no data, not 0
    tables = {t.code: t for t in context.tables}
    assert tables["weeks"].rows == (("2026-W44", "26 Oct 2026", 1, 1, 1, 100.0),
                                    ("2026-W45", "2 Nov 2026", 0, 0, 0, None),
                                    ("2026-W46", "9 Nov 2026", 0, 0, 0, None),
                                    ("2026-W47", "16 Nov 2026", 0, 0, 0, None),
                                    ("2026-W48", "23 Nov 2026", 9, 9, 7, 77.8))
    assert [row[1] for row in tables["backlog"].rows] == [0, 0, 0, 9, 1]
    assert tables["owners"].rows == (("Olga Officer", 10, 10, 8, 80.0),)
    assert (context.period, context.first_day, context.last_day) == ("November 2026", "1 Nov 2026", "30 Nov 2026")


def test_the_pdf_holds_the_exact_figures(client, login, november, artifacts_dir):
    login(client, "manager")
    response = _pdf(client)
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert 'filename="complaints-report-2026-11.pdf"' in response.headers["Content-Disposition"]
    (artifacts_dir / "report-2026-11-en.pdf").write_bytes(response.data)
    text = _text(response.data)
    for expected in (TITLES["en"], "Complaints registered", "80.0 %", "8 of 10", "5.0 h", "median; 90 % within 30.0 h",
                     "77.8 %", "100.0 %", "2026-W48", "Olga Officer", "Payments and withdrawals",
                     "Responded", "30 days or more", "Page 1 of", "Generated on 2 Dec 2026"):
        assert expected in text, expected
    assert "no data" in text  # time to resolution: nothing decided yet


@pytest.mark.parametrize("language", ["en", "ro", "ru", "uk"])
def test_the_title_and_numbers_are_in_the_language_asked_for(client, login, november, language, artifacts_dir):
    login(client, "manager")
    pdf = _pdf(client, language=language).data
    (artifacts_dir / f"report-2026-11-{language}.pdf").write_bytes(pdf)
    text = _text(pdf)
    assert TITLES[language] in text
    assert ("80.0 %" if language == "en" else "80,0 %") in text
    assert PdfReader(io.BytesIO(pdf)).metadata.title == TITLES[language]


def test_a_month_without_complaints_renders_with_no_data(client, login, november, artifacts_dir):
    login(client, "manager")
    response = _pdf(client, month="2026-06")
    assert response.status_code == 200
    (artifacts_dir / "report-2026-06-en.pdf").write_bytes(response.data)
    text = _text(response.data)
    assert "Monthly complaints report — June 2026" in text
    assert "No complaints were registered in this month." in text
    assert "no data" in text
    assert "80.0 %" not in text


def test_the_same_data_gives_the_same_bytes_and_every_page_is_numbered():
    context = _busy_context()
    template = load_report_template(TEMPLATES, "en")
    pdf = render_monthly_report(context, template)
    assert pdf == render_monthly_report(context, template)
    pages = PdfReader(io.BytesIO(pdf)).pages
    assert len(pages) > 2
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page.extract_text()
    assert "REPORT" in pages[-1].extract_text()  # the stamp, on the last page only
    assert "REPORT" not in pages[0].extract_text()


def _busy_context() -> MonthlyReportContext:
    """A month with thousands of complaints in one category, 30 categories with long names and
    80 owners: the tables flow over pages, the category chart sums the smallest ones."""
    long_name = "Payments and withdrawals by bank transfer, card and e-wallet, including refunds of deposits"
    categories = [(f"{long_name} #{i}" if i else long_name, 12345 - 400 * i) for i in range(30)]
    compliance = (Column("category", "text"), Column("complaints", "count"), Column("eligible", "count"),
                  Column("in_time", "count"), Column("compliance", "percent"))
    return MonthlyReportContext(
        language="en", month="2026-11", period="November 2026", first_day="1 Nov 2026",
        last_day="30 Nov 2026", as_of="2 Dec 2026, 10:00", generated_on="2 Dec 2026",
        stamp_date="2 Dec 2026", complaints=sum(n for _, n in categories),
        headlines=(Headline("complaints", sum(n for _, n in categories), "count"),
                   Headline("compliance", 99.9, "percent", "share", (("met", 123456, "count"), ("total", 123579, "count")))),
        charts=(BarChart("intake", "columns", tuple((f"2026-W{w}", 40000 + w) for w in range(44, 49))),
                BarChart("categories", "bars", tuple(categories)),
                BarChart("backlog", "bars", ((Term("backlog.under"), 9999), (Term("backlog.over", (("low", 30),)), 1)))),
        tables=(ReportTable("categories", compliance, tuple((name, n, n, n - 1, 99.9) for name, n in categories)),
                ReportTable("owners", (Column("owner", "text"), *compliance[1:]),
                            tuple((f"Officer Number {i}", 1000 + i, 1000, 999, 99.9) for i in range(80))
                            + ((Term("owner.none"), 5, 0, 0, None),))),
    )


def test_a_category_with_thousands_of_complaints_keeps_its_labels_readable():
    pdf = render_monthly_report(_busy_context(), load_report_template(TEMPLATES, "en"))
    text = _text(pdf)
    assert "12,345" in text  # the count, grouped, at the end of its bar and in the table
    assert "21 more categories" in text  # 9 bars and the rest summed: the chart stays readable
    assert "Payments and withdrawals by bank" in text
    assert "…" in text  # a label too long for the chart is cut, not run into the bars
    assert "(continued)" in text  # the long tables go on over pages, headings repeated
    assert text.count("Compliance") >= 3
    assert "Not taken yet" in text


# --- the command line --------------------------------------------------------------------------------


def test_the_command_line_writes_the_same_bytes_as_the_web_page(app, client, login, november, tmp_path, monkeypatch):
    login(client, "manager")
    web = _pdf(client, language="ro").data
    runner = app.test_cli_runner()
    monkeypatch.chdir(tmp_path)
    with frozen_clock(NOW):
        result = runner.invoke(args=["reports", "monthly", "--month", "2026-11", "--language", "ro"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "complaints-report-2026-11.pdf").read_bytes() == web
    with frozen_clock(NOW):
        result = runner.invoke(args=["reports", "monthly", "--month", "2026-11", "--language", "ro",
                                     "--output", str(tmp_path / "elsewhere.pdf")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "elsewhere.pdf").read_bytes() == web


@pytest.mark.parametrize(("month", "message"), [
    ("2026-13", "There is no month 13"), ("november", "Give the month as YYYY-MM"), ("2026-1", "YYYY-MM"),
    ("0226-11", "The year must be between"),
])
def test_a_bad_month_is_refused_with_a_clear_message(app, client, login, month, message, tmp_path):
    result = app.test_cli_runner().invoke(args=["reports", "monthly", "--month", month,
                                                "--output", str(tmp_path / "x.pdf")])
    assert result.exit_code != 0
    assert message in result.output
    assert not (tmp_path / "x.pdf").exists()
    login(client, "manager")
    response = _pdf(client, month=month)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_a_missing_month_or_an_unknown_language_is_a_400_not_a_crash(client, login):
    login(client, "manager")
    missing = client.get("/manage/reports/monthly.pdf")
    assert missing.status_code == 400
    assert "Give the month as YYYY-MM" in missing.get_data(as_text=True)
    assert _pdf(client, language="de").status_code == 400
    with pytest.raises(BadMonth):
        parse_month(None)
    assert parse_month(" 2026-11 ") == (2026, 11)
    assert report_filename(2026, 1) == "complaints-report-2026-01.pdf"


# --- XLSX --------------------------------------------------------------------------------------------


def test_the_workbook_has_every_dashboard_table_as_a_sheet_with_numbers_as_numbers(client, login, november):
    login(client, "manager")
    with frozen_clock(NOW):
        response = client.get("/manage/reports/dashboard.xlsx?date_from=2026-11-01&date_to=2026-11-30")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert 'filename="dashboard-2026-12-02.xlsx"' in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == list(TABLES)
    weeks = book["weeks"]
    assert [c.value for c in weeks[1]] == ["Week", "Monday", "Complaints registered", "Deadline passed or answered",
                                           "Answered in time", "Compliance, %"]
    assert all(c.font.bold for c in weeks[1])
    assert [c.value for c in weeks[6]] == ["2026-W48", "23 Nov 2026", 9, 9, 7, 77.8]
    assert [c.value for c in weeks[3]] == ["2026-W45", "2 Nov 2026", 0, 0, 0, None]  # no data: an empty cell
    assert isinstance(weeks["C6"].value, int) and isinstance(weeks["F6"].value, float)
    summary = {row[0].value: row[1].value for row in book["summary"].iter_rows(min_row=2)}
    assert summary["Complaints registered"] == 10
    assert summary["First response within the deadline, %"] == 80.0
    # The filters are the dashboard's: the tier narrows every sheet.
    with frozen_clock(NOW):
        tier2 = load_workbook(io.BytesIO(client.get("/manage/reports/dashboard.xlsx?tier=2").data))
    assert tier2["summary"]["B2"].value == 0
    assert client.get("/manage/reports/dashboard.xlsx?date_from=yesterday").status_code == 302


def test_a_workbook_cell_that_looks_like_a_formula_stays_text():
    book = load_workbook(io.BytesIO(xlsx_bytes([Table("owners", "T", ("Owner", "Complaints"),
                                                      [("=HYPERLINK(1)", 3), ("Ион Ионов", None)])])))
    sheet = book["owners"]
    assert (sheet["A2"].value, sheet["A2"].data_type, sheet["B2"].value) == ("'=HYPERLINK(1)", "s", 3)
    assert (sheet["A3"].value, sheet["B3"].value) == ("Ион Ионов", None)


# --- who may have them, and the audit trail -----------------------------------------------------------


@pytest.mark.parametrize(("role", "status"), [("clerk", 403), ("officer", 403), ("manager", 200),
                                              ("administrator", 200)])
def test_only_managers_and_administrators_get_the_reports(client, login, role, status):
    login(client, role)
    assert _pdf(client).status_code == status
    assert client.get("/manage/reports/dashboard.xlsx").status_code == status


def test_each_report_is_written_to_the_audit_trail(app, client, login, november):
    login(client, "manager", "mihaela")
    _pdf(client, language="uk")
    with frozen_clock(NOW):
        client.get("/manage/reports/dashboard.xlsx?tier=1")
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)
                                    .where(AuditEvent.action.in_([AuditAction.MONTHLY_REPORT,
                                                                  AuditAction.FIGURES_EXPORT]))).all()
        assert [(e.username, e.action, e.target) for e in events] == [
            ("mihaela", AuditAction.MONTHLY_REPORT, "monthly report 2026-11"),
            ("mihaela", AuditAction.FIGURES_EXPORT, "dashboard: all tables")]
        assert json.loads(events[0].details) == {"format": "pdf", "language": "uk", "month": "2026-11"}
        assert json.loads(events[1].details) == {"format": "xlsx", "filters": {"tier": "1"}}


def test_the_dashboard_offers_the_monthly_report_and_the_workbook_with_its_filters(client, login):
    login(client, "manager")
    with frozen_clock(NOW):
        body = client.get("/manage/?tier=2").get_data(as_text=True)
    assert 'action="/manage/reports/monthly.pdf"' in body
    assert 'name="month"' in body and 'value="2026-12"' in body
    assert 'href="/manage/reports/dashboard.xlsx?tier=2"' in body

"""The SLA dashboard: figures checked against hand-computed fixtures (on SQLite and on
PostgreSQL), empty periods, filters, weeks in the organisation's time zone, the CSV files,
the SVG charts, and who may see it."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event, func, select

from _cases import T0, act
from app.clock import frozen_clock
from app.complaints.filters import ComplaintFilter
from app.complaints.models import Channel, Complaint, ComplaintStatus, Resolution
from app.desk.operations import annul_complaint
from app.extensions import db
from app.manage import charts, figures
from app.manage.figures import Share
from app.settings.store import current_policy
from app.workflow import operations as ops
from app.workflow.enforcement import enforce
from app.workflow.models import DeadlineKind

H = timedelta(hours=1)
#: When the figures are read: Thursday 26 November 2026, 08:00 UTC (three days after T0).
NOW = T0 + timedelta(days=3)
#: Hours from registration to the first response of the ten complaints registered at T0.
RESPONSE_HOURS = [1, 2, 3, 5, 8, 13, 20, 23, 30, 40]
#: Hours from registration to the decision, for the first four.
RESOLUTION_HOURS = [10, 20, 30, 50]
SVG = re.compile(r"<svg .*?</svg>", re.S)


@pytest.fixture
def ten(app, register, staff) -> list[str]:
    """Ten complaints registered at T0 (Monday 23 November 2026) with known timings, and an
    eleventh, registered two hours before NOW and not answered yet.

    - First responses after RESPONSE_HOURS: 8 within the 24-hour deadline, 2 late (30 h, 40 h).
      Nearest rank of 10: median = 5th = 8 h, p90 = 9th = 30 h.
    - The two late ones breach their deadline at T0 + 25 h and rise to tier 2.
    - The first four are decided after RESOLUTION_HOURS: median = 2nd = 20 h, p90 = 4th = 50 h.
    - The 5th is disputed after its response (reopened); the 6th is transferred to Petru,
      who answers it.
    """
    numbers = [register(at=T0) for _ in RESPONSE_HOURS]
    olga, petru = staff["olga"], staff["petru"]
    for number in numbers:
        act(app, number, ops.take_complaint, by=olga, at=T0 + H / 2)
    act(app, numbers[5], ops.transfer_complaint, by=olga, to=petru, reason="Petru knows this bank", at=T0 + H)
    answers = sorted(zip(RESPONSE_HOURS, numbers, [petru if i == 5 else olga for i in range(10)], strict=True))
    for hours, number, by in answers[:8]:
        act(app, number, ops.respond, by=by, body="Our answer.", at=T0 + hours * H)
    with app.app_context(), frozen_clock(T0 + 25 * H):
        report = enforce(T0 + 25 * H, current_policy())
    assert report.breaches == 2
    for hours, number, by in answers[8:]:
        act(app, number, ops.respond, by=by, body="Our answer.", at=T0 + hours * H)
    for number, hours in zip(numbers, RESOLUTION_HOURS, strict=False):
        act(app, number, ops.resolve, by=olga, resolution=Resolution.UPHELD, reasons="Paid in full today.",
            at=T0 + hours * H)
    act(app, numbers[4], ops.complainant_reply, by=None, body="This does not answer me.", dispute=True,
        at=T0 + 48 * H)
    numbers.append(register(at=NOW - 2 * H))
    return numbers


def _in(app, compute):
    with app.app_context():
        return compute()


# --- the figures, by hand ----------------------------------------------------------------------


def test_ten_complaints_with_known_timings_give_exactly_the_expected_compliance(app, ten):
    summary = _in(app, lambda: figures.overview(ComplaintFilter(), NOW).summary)
    assert summary.complaints == 11
    assert summary.compliance == Share(8, 10)  # the 11th is not due yet: not counted
    assert summary.compliance.percent == 80.0
    assert summary.open == 7  # 4 decided; 1 reopened, 5 answered, 1 registered


def test_the_median_and_90th_percentile_are_by_nearest_rank(app, ten):
    timings = _in(app, lambda: figures.timings(ComplaintFilter()))
    assert timings.first_response == figures.Percentiles(10, 8.0, 30.0)
    assert timings.resolution == figures.Percentiles(4, 20.0, 50.0)


def test_an_odd_count_takes_the_middle_value_and_a_single_one_is_every_percentile(app, ten):
    # Tier 2 holds the two late ones (30 h, 40 h): the lower middle is the median, 40 h is p90.
    timings = _in(app, lambda: figures.timings(ComplaintFilter(tier=2)))
    assert timings.first_response == figures.Percentiles(2, 30.0, 40.0)
    one = _in(app, lambda: figures.timings(ComplaintFilter(registered_from=NOW - 3 * H)))
    assert one.first_response == figures.Percentiles(0, None, None)


def test_compliance_per_tier_owner_and_category_carries_its_counts(app, ten):
    by_tier = _in(app, lambda: figures.overview(ComplaintFilter(), NOW).tiers)
    assert [(g.key, g.complaints, g.compliance) for g in by_tier] == [(1, 9, Share(8, 8)), (2, 2, Share(0, 2))]
    by_owner = _in(app, lambda: figures.overview(ComplaintFilter(), NOW).owners)
    assert [(g.name, g.complaints, g.compliance) for g in by_owner] == [
        ("Olga Officer", 9, Share(7, 9)), ("Petru Officer", 1, Share(1, 1)), (None, 1, Share(0, 0)),
    ]
    assert by_owner[-1].compliance.value is None  # nobody's yet, nothing due: no data, not 0 %
    by_category = _in(app, lambda: figures.overview(ComplaintFilter(), NOW).categories)
    assert [(g.key, g.complaints, g.compliance) for g in by_category] == [("payments", 11, Share(8, 10))]


def test_open_complaints_are_counted_by_status_and_by_tier(app, ten):
    counts = _in(app, lambda: figures.overview(ComplaintFilter(), NOW).open_counts)
    assert counts.by_status == {
        ComplaintStatus.REGISTERED: 1, ComplaintStatus.RESPONDED: 5, ComplaintStatus.REOPENED: 1,
    }
    assert counts.by_tier == {1: 5, 2: 2}
    assert counts.total == 7


def test_breaches_transfers_reopen_rate_and_backlog_age(app, ten):
    assert _in(app, lambda: figures.overview(ComplaintFilter(), NOW).breaches).by_kind == {
        DeadlineKind.FIRST_RESPONSE: 2, DeadlineKind.RESOLUTION: 0,
    }
    summary = _in(app, lambda: figures.overview(ComplaintFilter(), NOW).summary)
    assert (summary.transfers_max, round(summary.transfers_average, 4)) == (1, round(1 / 11, 4))
    assert summary.reopen_rate == Share(1, 10)
    backlog = _in(app, lambda: figures.overview(ComplaintFilter(), NOW).backlog)
    # Six open complaints registered exactly three days ago (a lower bound is inclusive), one two hours ago.
    assert [(b.low_days, b.high_days, b.count) for b in backlog] == [
        (0, 1, 1), (1, 3, 0), (3, 7, 6), (7, 30, 0), (30, None, 0),
    ]
    later = _in(app, lambda: figures.overview(ComplaintFilter(), NOW + timedelta(days=27, seconds=1)).backlog)
    assert [b.count for b in later] == [0, 0, 0, 1, 6]


def test_an_annulled_complaint_is_left_out_of_every_figure(app, register, staff):
    kept, annulled = register(at=T0), register(at=T0)
    act(app, annulled, annul_complaint, by=staff["clerk"], reason="Registered twice by mistake.")
    summary = _in(app, lambda: figures.overview(ComplaintFilter(), NOW).summary)
    assert (summary.complaints, summary.open, summary.compliance) == (1, 1, Share(0, 1))
    weeks = _in(app, lambda: figures.overview(ComplaintFilter(), NOW, "Europe/Chisinau").weeks)
    assert [w.intake for w in weeks] == [1]
    assert kept


# --- empty periods and filters ---------------------------------------------------------------


def test_an_empty_period_gives_no_data_and_never_divides_by_zero(app, ten, client, login):
    empty = ComplaintFilter(registered_from=datetime(2025, 1, 1, tzinfo=UTC),
                            registered_before=datetime(2025, 2, 1, tzinfo=UTC))
    summary = _in(app, lambda: figures.overview(empty, NOW).summary)
    assert (summary.complaints, summary.compliance.value, summary.reopen_rate.value) == (0, None, None)
    assert (summary.transfers_average, summary.transfers_max) == (None, None)
    assert _in(app, lambda: figures.overview(empty, NOW, "Europe/Chisinau").weeks) == []
    assert _in(app, lambda: figures.timings(empty)).resolution == figures.Percentiles(0, None, None)
    login(client, "manager")
    with frozen_clock(NOW):
        page = client.get("/manage/?date_from=2025-01-01&date_to=2025-01-31")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "No complaints in this period" in body and "no data" in body


def test_an_empty_registry_shows_the_dashboard_with_no_data(client, login):
    login(client, "manager")
    body = client.get("/manage/").get_data(as_text=True)
    assert body.count("No complaints in this period") >= 3
    for svg in SVG.findall(body):
        ET.fromstring(svg)


@pytest.mark.parametrize(
    ("filters", "complaints", "compliance"),
    [
        (ComplaintFilter(tier=2), 2, Share(0, 2)),
        (ComplaintFilter(tier=1), 10, Share(8, 8)),
        (ComplaintFilter(category="payments"), 11, Share(8, 10)),
        (ComplaintFilter(category="technical"), 1, Share(0, 0)),
        (ComplaintFilter(channel=Channel.API), 12, Share(8, 10)),
        (ComplaintFilter(channel=Channel.WEB), 0, Share(0, 0)),
        (ComplaintFilter(registered_from=T0 + H), 2, Share(0, 0)),
        (ComplaintFilter(registered_before=T0 + H), 10, Share(8, 10)),
    ],
)
def test_each_filter_narrows_every_figure(app, ten, register, filters, complaints, compliance):
    register(at=NOW - H, category="technical")
    summary = _in(app, lambda: figures.overview(filters, NOW).summary)
    assert (summary.complaints, summary.compliance) == (complaints, compliance)


def test_the_filter_form_keeps_its_values_and_explains_a_bad_one_next_to_its_field(client, login, ten):
    login(client, "manager")
    page = client.get("/manage/?date_from=2026-11-30&date_to=2026-11-01&category=payments&tier=2")
    assert page.status_code == 400
    body = page.get_data(as_text=True)
    assert 'value="2026-11-30"' in body and 'value="2026-11-01"' in body
    assert re.search(r'<option selected value="payments">|<option value="payments" selected>', body)
    assert "is before “Registered from”" in body
    assert 'id="date_to-error"' in body
    bad = client.get("/manage/?date_from=yesterday&tier=9")
    assert bad.status_code == 400
    text = bad.get_data(as_text=True)
    assert 'id="date_from-error"' in text and 'id="tier-error"' in text


# --- weeks in the organisation's time zone ------------------------------------------------------


def test_weeks_are_iso_weeks_in_the_organisations_time_zone(app, register):
    # Chișinău is UTC+2 in winter: Sunday 22:30 UTC is already Monday 00:30 there.
    register(at=datetime(2026, 11, 29, 21, 30, tzinfo=UTC))  # Sunday 23:30 local: week 48
    register(at=datetime(2026, 11, 29, 22, 30, tzinfo=UTC))  # Monday 00:30 local: week 49
    register(at=datetime(2026, 12, 14, 9, 0, tzinfo=UTC))  # week 51, after an empty week 50
    weeks = _in(app, lambda: figures.overview(ComplaintFilter(), NOW + timedelta(days=30), "Europe/Chisinau").weeks)
    assert [(w.iso, w.monday.isoformat(), w.intake) for w in weeks] == [
        ("2026-W48", "2026-11-23", 1), ("2026-W49", "2026-11-30", 1), ("2026-W50", "2026-12-07", 0),
        ("2026-W51", "2026-12-14", 1),
    ]
    assert weeks[2].compliance.value is None
    in_utc = _in(app, lambda: figures.overview(ComplaintFilter(), NOW + timedelta(days=30), "UTC").weeks)
    assert [(w.iso, w.intake) for w in in_utc][:2] == [("2026-W48", 2), ("2026-W49", 0)]


def test_weekly_compliance_counts_each_week_on_its_own(app, ten):
    weeks = _in(app, lambda: figures.overview(ComplaintFilter(), NOW, "Europe/Chisinau").weeks)
    assert [(w.iso, w.intake, w.compliance) for w in weeks] == [("2026-W48", 11, Share(8, 10))]


def test_a_category_with_many_complaints_keeps_every_figure_consistent(app, client, login):
    from app.journal.seed import seed_demo

    with app.app_context(), frozen_clock(NOW):
        seed_demo(1500, batch_size=500, days=120, annul_share=0, random_seed=5)
    with app.app_context():
        payments = db.session.scalar(select(func.count()).where(Complaint.category == "payments"))
        f = ComplaintFilter(category="payments")
        assert payments > 300
        assert figures.overview(f, NOW).summary.complaints == payments
        weeks = figures.overview(f, NOW, "Europe/Chisinau").weeks
        assert sum(w.intake for w in weeks) == payments
        assert 17 <= len(weeks) <= 19
        everything = figures.overview(ComplaintFilter(), NOW).categories
        assert sum(g.complaints for g in everything) == 1500
        assert sum(b.count for b in figures.overview(ComplaintFilter(), NOW).backlog) == 1500  # none answered: all open
    login(client, "manager")
    with frozen_clock(NOW):
        body = client.get("/manage/?category=payments").get_data(as_text=True)
    intake = ET.fromstring(SVG.findall(body)[0])
    labels = [t.text for t in intake.iter("{http://www.w3.org/2000/svg}text") if t.text and "-W" in t.text]
    assert 1 < len(labels) <= charts.MAX_X_LABELS  # thinned out, never one per week piled up


@pytest.mark.parametrize("url", ["/manage/", "/manage/?date_from=2026-11-20&date_to=2026-11-27", "/manage/reports/dashboard.xlsx",
                                 "/manage/analysis/?date_from=2026-11-20"])
def test_a_page_reads_its_figures_from_one_snapshot_and_the_rollups_calendar_once(app, client, login, ten, url):
    """Every table of the page (or the workbook) from one snapshot (PostgreSQL: one read-only
    transaction, not one per figure), and each thing of the rollups' calendar read once."""
    from _support import statements_of

    login(client, "manager")
    with frozen_clock(NOW):
        sent = [(" ".join(statement.split()), repr(parameters)) for statement, parameters in statements_of(app, client, url)]
    calendar = [(s, p) for s, p in sent if re.search(r"FROM (figure_state|local_days|figure_weeks)\b", s) and "sum(" not in s]
    assert len(calendar) == len(set(calendar)) > 0, calendar
    assert sum("FROM figure_state" in s for s, _ in sent) == 1
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        assert sum(s == "SET TRANSACTION READ ONLY" for s, _ in sent) == 1


def test_a_snapshot_remembers_each_calendar_lookup_apart_by_table_moment_and_direction(app):
    """Inside a snapshot the weeks and local days around a moment are read once, and come out as
    read outside one: a week's Monday is never taken for a day, nor the day before for the day after."""
    from app.manage import rollup
    from app.manage.models import FigureWeek
    from app.manage.outcome_rollup import LocalDay

    wednesday = datetime(2026, 11, 25, 10, tzinfo=UTC)
    asked = [(FigureWeek.monday, FigureWeek.starts, True), (LocalDay.day, LocalDay.starts, True),
             (LocalDay.day, LocalDay.starts, False), (FigureWeek.monday, FigureWeek.starts, False)]
    sent: list[str] = []

    def count(_conn, _cursor, statement, *_rest) -> None:
        sent.append(statement)

    with app.app_context():
        alone = [rollup.starting(day, starts, wednesday, on_or_after=after) for day, starts, after in asked]
        with rollup.snapshot():
            event.listen(db.engine, "before_cursor_execute", count)
            try:
                together = [rollup.starting(day, starts, wednesday, on_or_after=after)
                            for day, starts, after in asked * 2]
            finally:
                event.remove(db.engine, "before_cursor_execute", count)
    assert [day for day, _ in alone] == [date(2026, 11, 30), date(2026, 11, 26), date(2026, 11, 25), date(2026, 11, 23)]
    assert together == alone * 2
    assert len([s for s in sent if "local_days" in s or "figure_weeks" in s]) == len(asked)  # each once


# --- CSV ----------------------------------------------------------------------------------------


def _csv(response) -> list[list[str]]:
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def test_each_table_downloads_as_csv_with_the_same_filters(client, login, ten):
    login(client, "manager")
    with frozen_clock(NOW):
        weeks = client.get("/manage/weeks.csv?tier=1")
        owners = client.get("/manage/owners.csv")
        timings = client.get("/manage/timings.csv")
    assert weeks.mimetype == "text/csv"
    assert "attachment" in weeks.headers["Content-Disposition"]
    assert _csv(weeks) == [
        ["Week", "Monday", "Complaints registered", "Deadline passed or answered", "Answered in time",
         "Compliance, %"],
        ["2026-W48", "23 Nov 2026", "9", "8", "8", "100.0"],
    ]
    assert _csv(owners)[1:] == [
        ["Olga Officer", "9", "9", "7", "77.8"], ["Petru Officer", "1", "1", "1", "100.0"],
        ["Not taken yet", "1", "0", "0", ""],  # no data: an empty cell, not 0
    ]
    assert _csv(timings)[1:] == [["Time to first response", "10", "8.0", "30.0"],
                                 ["Time to resolution", "4", "20.0", "50.0"]]


def test_every_csv_holds_the_lines_of_the_pages_table(app, client, login, ten):
    """A CSV reads only the part of the figures its table shows; its lines are the page's."""
    from app.manage.dashboard import TABLES, Context

    login(client, "manager")
    with frozen_clock(NOW):
        downloads = {table: _csv(client.get(f"/manage/{table}.csv?date_from=2026-11-20")) for table in TABLES}
    with app.test_request_context(), frozen_clock(NOW):
        filters = ComplaintFilter(registered_from=datetime(2026, 11, 19, 22, tzinfo=UTC))
        page = Context(filters, NOW, app.config["REGISTRY_TIMEZONE"], "en", {})
        for table, build in TABLES.items():
            built = build(page)
            expected = [list(built.columns), *([("" if v is None else str(v)) for v in row] for row in built.rows)]
            assert downloads[table] == expected, table
    assert downloads["owners"][1:] and downloads["weeks"][1:] and downloads["backlog"][1:]


def test_an_unknown_table_is_not_found_and_a_bad_filter_goes_back_to_the_form(client, login):
    login(client, "manager")
    assert client.get("/manage/passwords.csv").status_code == 404
    bad = client.get("/manage/weeks.csv?date_from=tomorrow")
    assert bad.status_code == 302 and bad.headers["Location"].startswith("/manage/?")


def test_a_csv_cell_that_looks_like_a_formula_stays_text(client, login, make_user, register, staff):
    from app.manage.dashboard import Table, csv_text

    text = csv_text(Table("t", "T", ("Owner", "Complaints"), [("=HYPERLINK(1)", 3), ("Ион Ионов", None)]))
    assert list(csv.reader(io.StringIO(text.lstrip("\ufeff")))) == [
        ["Owner", "Complaints"], ["'=HYPERLINK(1)", "3"], ["Ион Ионов", ""],
    ]


# --- the page and its charts --------------------------------------------------------------------


def test_the_dashboard_shows_the_figures_and_charts_with_their_numbers_one_click_away(client, login, ten):
    login(client, "manager")
    with frozen_clock(NOW):
        page = client.get("/manage/")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "80.0 %" in body and "8 of 10" in body
    svgs = SVG.findall(body)
    assert len(svgs) == 4
    for svg in svgs:
        root = ET.fromstring(svg)
        assert root.get("viewBox") == f"0 0 {charts.WIDTH} {charts.HEIGHT}"
        assert root.get("role") == "img" and root.get("aria-labelledby")
        assert root.find("{http://www.w3.org/2000/svg}title").text
    assert body.count('<details class="numbers">') == 4
    for table in ("weeks", "categories", "backlog", "open_status", "open_tier", "timings", "breaches", "tiers",
                  "owners", "summary"):
        assert f'href="/manage/{table}.csv"' in body, table
    assert 'href="/manage/weeks.csv?tier=2"' in client.get("/manage/?tier=2").get_data(as_text=True)


def test_a_chart_escapes_its_text_and_is_well_formed_xml():
    svg = charts.bar_chart([("Платежи & <вывод>", 3), ('Plăți "rapide"', 1)], chart_id="c<1>",
                           title="Categorii & <categorii>", empty_text="-")
    root = ET.fromstring(svg)
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "Платежи & <вывод>" in texts and 'Plăți "rapide"' in texts
    assert root.find("{http://www.w3.org/2000/svg}title").text == "Categorii & <categorii>"
    assert "<вывод>" not in svg


def test_many_bars_are_summed_into_one_and_long_labels_are_shortened():
    bars = [(f"Категория номер {i} с очень длинным названием", 100 - i) for i in range(30)]
    root = ET.fromstring(charts.bar_chart(bars, chart_id="c", title="t", empty_text="-",
                                          others_label=lambda n: f"{n} more"))
    ns = "{http://www.w3.org/2000/svg}"
    assert len(root.findall(f"{ns}g")) == charts.MAX_BARS
    labels = [g.find(f"{ns}text").text for g in root.findall(f"{ns}g")]
    assert labels[-1] == "19 more"
    assert all(len(label) <= charts.LABEL_CHARS for label in labels)
    assert root.findall(f"{ns}g")[0].find(f"{ns}title").text.startswith(bars[0][0])  # whole in the tooltip
    assert root.findall(f"{ns}g")[-1].find(f"{ns}title").text == f"19 more: {sum(v for _, v in bars[11:])}"


def test_an_empty_chart_says_so_instead_of_drawing_nothing():
    for svg in (charts.bar_chart([], chart_id="a", title="t", empty_text="No complaints in this period"),
                charts.week_chart([("2026-W48", None)], chart_id="b", title="t", kind="line",
                                  empty_text="No complaints in this period")):
        root = ET.fromstring(svg)
        assert [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")] == ["No complaints in this period"]


def test_a_line_breaks_at_a_week_without_data_and_columns_skip_it():
    points = [("W1", 50.0), ("W2", 75.0), ("W3", None), ("W4", 100.0)]
    root = ET.fromstring(charts.week_chart(points, chart_id="l", title="t", empty_text="-", kind="line", y_max=100))
    ns = "{http://www.w3.org/2000/svg}"
    assert len(root.findall(f"{ns}polyline")) == 1  # W1-W2; W4 stands alone
    assert [c.find(f"{ns}title").text for c in root.findall(f"{ns}circle")] == ["W1: 50", "W2: 75", "W4: 100"]
    columns = ET.fromstring(charts.week_chart(points, chart_id="c", title="t", empty_text="-"))
    assert len(columns.findall(f"{ns}rect")) == 3


# --- who may see it -----------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "status"), [("clerk", 403), ("officer", 403), ("manager", 200),
                                              ("administrator", 200)])
def test_only_managers_and_administrators_see_the_dashboard(client, login, role, status):
    login(client, role)
    assert client.get("/manage/").status_code == status
    assert client.get("/manage/summary.csv").status_code == status
    home = client.get("/staff/").get_data(as_text=True)
    assert ('href="/manage/"' in home) == (status == 200)

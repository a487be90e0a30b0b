"""The dashboard's rollups per ISO year (migration `figure_years`, app/manage/rollup.py): the
triggers keep the yearly lines equal to the weekly ones summed per year after every kind of
change, a rebuild and a rolled-back change; a period is read as its whole ISO years from the
yearly lines and only the weeks at its ends from the weekly ones; and the figures, the
timings, the complaints per category and the outcome figures (outcome_week_years) read so
equal those read from every complaint live, for periods across several years, whole years and
none."""

from __future__ import annotations

import importlib
from datetime import date, timedelta

import pytest
from sqlalchemy import delete, func, select, text, update
from test_figure_rollups import _assert_years_kept, _live_and_rolled_up

from _cases import T0, act
from app.clock import local_day_start
from app.complaints.filters import ComplaintFilter
from app.complaints.models import Channel, Complaint, Resolution
from app.extensions import db
from app.manage import analysis, outcome_rollup, outcomes, rollup
from app.manage.figures import WEEKS_SHOWN
from app.manage.models import FigureCell, FigureCellYear, FigureDuration, FigureDurationYear
from app.settings.store import current_settings
from app.workflow import operations as ops

H, D = timedelta(hours=1), timedelta(days=1)
overview_module = importlib.import_module("app.manage.figures.overview")
ZONE = "Europe/Chisinau"
NOW = T0 + 2 * D
CATEGORIES = ("payments", "technical", "bonuses")


@pytest.fixture
def years(app, register, staff) -> list[str]:
    """Twenty complaints, one every 61 days over the three years and a bit before T0 (ISO years
    2023 to 2026), in three categories and two channels: answered after 2 to 59 hours, decided
    after 4 to 99 hours, every third closed, one disputed after it was closed, one answered but
    not decided, one not answered."""
    olga, petru = staff["olga"], staff["petru"]
    numbers = []
    for i in range(20):
        at = T0 - 1220 * D + i * 61 * D + i * H
        number = register(at=at, category=CATEGORIES[i % 3])
        numbers.append(number)
        by = olga if i % 2 else petru
        act(app, number, ops.take_complaint, by=by, at=at + H / 2)
        if i == 19:
            continue
        act(app, number, ops.respond, by=by, body="Our answer.", at=at + (2 + 3 * i) * H)
        if i == 17:
            continue
        act(app, number, ops.resolve, by=by, resolution=Resolution.UPHELD, reasons="Paid in full today.",
            at=at + (4 + 5 * i) * H)
        if i % 3 == 0:
            act(app, number, ops.close, by=by, at=at + (5 + 5 * i) * H)
    act(app, numbers[3], ops.complainant_reply, by=None, body="Still not paid.", dispute=True,
        at=T0 - 1220 * D + 3 * 61 * D + 40 * H)
    with app.app_context():  # a column changed behind the ORM's back reaches the yearly lines too
        db.session.execute(update(Complaint).where(Complaint.number.in_(numbers[::4])).values(channel=Channel.EMAIL))
        db.session.commit()
    return numbers


def _day(year: int, month: int, day: int):
    return local_day_start(date(year, month, day), ZONE)


#: ISO year 2024 runs from Monday 1 January 2024 to Sunday 29 December 2024, 2025 from Monday
#: 30 December 2024 to Sunday 28 December 2025.
PERIODS = [
    (None, None),  # every year, no week
    (_day(2024, 1, 1), _day(2024, 12, 30)),  # ISO year 2024 exactly
    (_day(2023, 9, 14), _day(2026, 2, 3)),  # partial weeks, weeks of 2023 and 2026, years 2024-2025
    (_day(2024, 1, 3), _day(2025, 12, 30)),  # years 2025 only, the weeks of 2024 but its first
    (_day(2024, 3, 1), _day(2025, 3, 1)),  # no whole year
    (_day(2024, 6, 1), None),  # to now: 2025 and 2026 from the yearly lines
    (None, _day(2025, 6, 1)),  # from the start: 2023 and 2024, the weeks of 2025
    (T0 - 800 * D + 5 * H, T0 - 40 * D + 7 * H),  # any instants
]
NARROWED = [{}, {"category": "technical"}, {"channel": Channel.EMAIL}, {"tier": 1},
            {"category": "bonuses", "channel": Channel.API}]


def test_the_yearly_lines_equal_the_weekly_ones_summed_per_iso_year(app, years):
    _assert_years_kept(app)
    with app.app_context():
        stored = dict(db.session.execute(select(FigureCellYear.year, func.sum(FigureCellYear.complaints))
                                          .where(FigureCellYear.grouping == 0).group_by(FigureCellYear.year)).all())
        weekly = dict(db.session.execute(
            select(rollup._iso_year(FigureCell.monday), func.sum(FigureCell.complaints))
            .where(FigureCell.grouping == 0).group_by(rollup._iso_year(FigureCell.monday))).all())
    assert stored == weekly
    assert set(stored) == {2023, 2024, 2025, 2026} and sum(stored.values()) == 17  # settled: decided, answered, not reopened


def test_a_change_moves_a_complaint_between_yearly_lines_and_a_rollback_leaves_none(app, years):
    with app.app_context():
        db.session.execute(update(Complaint).where(Complaint.number == years[4]).values(category="other", tier=3))
        db.session.commit()
    _assert_years_kept(app)
    with app.app_context():
        db.session.execute(update(Complaint).values(category="gone"))
        if db.session.get_bind().dialect.name == "postgresql":
            db.session.execute(text("SET CONSTRAINTS ALL IMMEDIATE"))
        assert db.session.scalar(select(func.sum(FigureCellYear.complaints)).where(
            FigureCellYear.grouping == rollup.BY_CATEGORY, FigureCellYear.category == "gone")) == 17
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(FigureCellYear).where(
            FigureCellYear.category == "gone")) == 0
    _assert_years_kept(app)


def test_a_rebuild_fills_the_yearly_lines_again(app, years, runner):
    with app.app_context():
        rollup.rebuild("America/New_York")
        db.session.commit()
    _assert_years_kept(app)
    result = runner.invoke(args=["figures", "rebuild"])
    assert result.exit_code == 0, result.output
    _assert_years_kept(app)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(FigureDurationYear)) > 0


def test_a_bulk_load_sums_the_yearly_lines_from_the_weekly_ones(app, years):
    """The statements a bulk load runs with the triggers off (benchmarks/dashboard.py)."""
    with app.app_context():
        for table in (FigureCellYear, FigureDurationYear, outcome_rollup.OutcomeWeekYear):
            db.session.execute(delete(table))
        for statement in (*rollup.yearly_statements(), outcome_rollup.yearly_statement()):
            db.session.execute(statement)
        db.session.commit()
        assert sorted(map(tuple, db.session.execute(outcome_rollup.stored_years()))) == sorted(
            map(tuple, db.session.execute(outcome_rollup.recomputed_years())))
    _assert_years_kept(app)


@pytest.mark.parametrize(("first", "last", "expected"), [
    (None, None, ((None, None), [])),
    (date(2024, 1, 1), date(2024, 12, 23), ((2024, 2024), [])),
    (date(2024, 1, 8), date(2024, 12, 23), (None, [(date(2024, 1, 8), date(2024, 12, 23))])),
    (date(2023, 9, 18), date(2026, 1, 26),
     ((2024, 2025), [(date(2023, 9, 18), date(2023, 12, 25)), (date(2025, 12, 29), date(2026, 1, 26))])),
    (date(2024, 6, 3), None, ((2025, None), [(date(2024, 6, 3), date(2024, 12, 23))])),
    (None, date(2025, 6, 2), ((None, 2024), [(date(2024, 12, 30), date(2025, 6, 2))])),
    (date(2024, 12, 30), date(2025, 1, 5), (None, [(date(2024, 12, 30), date(2025, 1, 5))])),
])
def test_a_period_of_weeks_is_read_as_its_whole_iso_years_and_the_weeks_at_its_ends(first, last, expected):
    assert rollup.year_spans(first, last) == expected


def test_the_whole_registry_is_read_from_the_yearly_lines_alone(app, years):
    with app.app_context():
        s = rollup.split(ComplaintFilter(), ZONE)
        assert [table for table, _ in rollup.sources(FigureCell, s, ComplaintFilter())] == [FigureCellYear]
        assert [table for table, _ in rollup.sources(FigureDuration, s, ComplaintFilter(), rollup.BY_CATEGORY)] == [
            FigureDurationYear]


def test_the_figures_across_years_equal_the_figures_read_live(app, years, monkeypatch):
    for period in PERIODS:
        for narrowed in NARROWED:
            f = ComplaintFilter(registered_from=period[0], registered_before=period[1], **narrowed)
            for timezone in (ZONE, None):
                rolled_up, live = _live_and_rolled_up(app, monkeypatch, f, timezone)
                assert rolled_up == live, (f, timezone)
                if not narrowed and timezone and period == (None, None):  # four years: the last two shown
                    overview = rolled_up[0]
                    assert overview.summary.complaints == 20 and len(overview.weeks) == WEEKS_SHOWN
                    assert overview.weeks_cut and sum(w.intake for w in overview.weeks) < 20


@pytest.mark.parametrize("shown", [1, 7, 60])
def test_a_weekly_series_shows_the_last_weeks_of_its_period_alike_through_the_rollups_and_live(
        app, years, monkeypatch, shown):
    """The dashboard's weeks and the analysis's categories per week show at most the last
    WEEKS_SHOWN weeks of the period, the same read through the rollups as read live."""
    monkeypatch.setattr(overview_module, "WEEKS_SHOWN", shown)
    for period in PERIODS:
        f = ComplaintFilter(registered_from=period[0], registered_before=period[1])
        rolled_up, live = _live_and_rolled_up(app, monkeypatch, f, ZONE)
        assert rolled_up == live, f
        with app.app_context():
            trend = analysis.category_trend(f, ZONE)
            with monkeypatch.context() as m:
                m.setattr(rollup, "split", lambda *_: None)
                assert analysis.category_trend(f, ZONE) == trend, f
            db.session.rollback()
        weeks = rolled_up[0].weeks
        assert len(weeks) <= shown and trend.weeks == [w.monday for w in weeks][-len(trend.weeks):]
        if len(weeks) == shown:
            assert all(b.monday - a.monday == 7 * D for a, b in zip(weeks, weeks[1:], strict=False))


def test_the_complaints_per_category_of_several_years_equal_a_count(app, years):
    with app.app_context():
        db.session.execute(update(Complaint).where(Complaint.number == years[7]).values(status="annulled"))
        db.session.commit()
        counted = dict(db.session.execute(select(Complaint.category, func.count()).group_by(Complaint.category)).all())
        assert rollup.complaints_per_category() == counted
        assert sum(counted.values()) == 20


def _outcome_figures(app, start, end, category):
    with app.app_context():
        settings = current_settings()
        return outcomes.outcome_figures(start, end, category=category, policies=settings.clock_policies,
                                        calendar=settings.calendar)


def test_the_outcome_figures_across_years_equal_the_figures_read_live(app, years, monkeypatch):
    """The complaints outstanding at a period's start and end are read as the ISO years before
    it from outcome_week_years, then its weeks and days."""
    with app.app_context():
        assert sorted(map(tuple, db.session.execute(outcome_rollup.stored_years()))) == sorted(
            map(tuple, db.session.execute(outcome_rollup.recomputed_years())))
        assert {row.year for row in db.session.execute(outcome_rollup.stored_years())} == {2023, 2024, 2025, 2026}
    periods = [(start, end) for start, end in PERIODS if start is not None] + [
        (_day(2025, 12, 29), NOW), (_day(2026, 11, 1), NOW)]
    assert all(end is None or start < end for start, end in periods)
    periods = [(start, end or NOW) for start, end in periods]
    through = [_outcome_figures(app, start, end, category) for start, end in periods for category in (None, "bonuses")]
    monkeypatch.setattr(outcome_rollup, "_kept", lambda: False)
    live = [_outcome_figures(app, start, end, category) for start, end in periods for category in (None, "bonuses")]
    assert through == live
    assert any(f.outstanding_at_start for f in through) and any(f.resolved for f in through)

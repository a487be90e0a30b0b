"""The dashboard's rollups of settled complaints (app/manage/rollup.py): the triggers keep them
equal to a recomputation after every kind of change, also under concurrent writers on
PostgreSQL; a rolled-back change leaves no trace; and the figures read through them equal the
figures read from every complaint live, for whole and partial weeks, every filter, and after
the rollups are rebuilt for another time zone."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text, update

from _cases import T0, act
from _support import plan
from app.clock import frozen_clock, local_day_start
from app.complaints.access import find_by_reference
from app.complaints.filters import ComplaintFilter
from app.complaints.models import Channel, Complaint, Resolution
from app.extensions import db
from app.manage import figures, rollup
from app.manage.models import ComplaintFacts, FigureCell
from app.workflow import operations as ops

H, D = timedelta(hours=1), timedelta(days=1)
ZONE = "Europe/Chisinau"
NOW = T0 + 2 * D
CATEGORIES = ("payments", "technical", "bonuses")


def _rollups(app) -> tuple[list, list, list, list]:
    """(stored cells, recomputed cells, stored durations, recomputed durations), sorted."""
    with app.app_context():
        def rows(statement):
            return sorted(tuple(row) for row in db.session.execute(statement))

        return (rows(rollup.stored_cells()), rows(rollup.recomputed_cells()),
                rows(rollup.stored_durations()), rows(rollup.recomputed_durations()))


def _assert_kept(app) -> list:
    cells, fresh_cells, durations, fresh_durations = _rollups(app)
    assert cells == fresh_cells
    assert durations == fresh_durations
    _assert_years_kept(app)
    return cells


def _assert_years_kept(app) -> None:
    """The yearly lines (migration `figure_years`) equal the weekly ones recomputed and summed
    per ISO year."""
    with app.app_context():
        for stored, recomputed in ((rollup.stored_cell_years, rollup.recomputed_cell_years),
                                   (rollup.stored_duration_years, rollup.recomputed_duration_years)):
            assert sorted(map(tuple, db.session.execute(stored()))) == sorted(
                map(tuple, db.session.execute(recomputed())))


@pytest.fixture
def spread(app, register, staff) -> list[str]:
    """Fourteen complaints registered every 3 days and 10 hours over six weeks before T0, in
    three categories and two channels, owned by Olga or Petru: answered after 1 to 40 hours,
    decided after 2 to 67 hours, every third closed, one disputed after it was closed, one
    answered but not decided, one not answered."""
    olga, petru = staff["olga"], staff["petru"]
    numbers = []
    for i in range(14):
        at = T0 - 42 * D + i * (3 * D + 10 * H)
        number = register(at=at, category=CATEGORIES[i % 3])
        numbers.append(number)
        by = olga if i % 2 else petru
        act(app, number, ops.take_complaint, by=by, at=at + H / 2)
        if i == 13:
            continue
        act(app, number, ops.respond, by=by, body="Our answer.", at=at + (1 + 3 * i) * H)
        if i == 12:
            continue
        act(app, number, ops.resolve, by=by, resolution=Resolution.UPHELD, reasons="Paid in full today.",
            at=at + (2 + 5 * i) * H)
        if i % 3 == 0:
            act(app, number, ops.close, by=by, at=at + (3 + 5 * i) * H)
    act(app, numbers[3], ops.complainant_reply, by=None, body="Still not paid.", dispute=True,
        at=T0 - 42 * D + 3 * (3 * D + 10 * H) + 40 * H)
    with app.app_context():  # a column changed behind the ORM's back reaches the rollups too
        db.session.execute(update(Complaint).where(Complaint.number.in_(numbers[::4])).values(channel=Channel.EMAIL))
        db.session.commit()
    return numbers


def test_the_rollups_equal_a_recomputation_after_every_kind_of_change(app, spread):
    cells = _assert_kept(app)
    settled = [line for line in cells if line[0] == 0]  # grouping 0: every complaint, by week
    assert sum(line[7] for line in settled) == 11  # 12 decided, one of them disputed since
    assert {line[6] for line in settled} >= {date(2026, 10, 12), date(2026, 11, 16)}


def test_the_complaints_per_category_read_through_the_rollups_equal_a_count(app, client, login, spread):
    with app.app_context():
        db.session.execute(update(Complaint).where(Complaint.number == spread[5]).values(status="annulled"))
        db.session.commit()
        counted = dict(db.session.execute(
            select(Complaint.category, func.count()).group_by(Complaint.category)).all())
        assert rollup.complaints_per_category() == counted
        assert sum(counted.values()) == len(spread) and len(counted) == 3
    login(client, "administrator")
    page = client.get(f"/admin/categories/{CATEGORIES[0]}").get_data(as_text=True)
    assert f"{counted[CATEGORIES[0]]} complaints have this category." in page


def test_a_change_rolled_back_leaves_the_rollups_as_they_were(app, spread):
    before = _assert_kept(app)
    with app.app_context():
        db.session.execute(update(Complaint).values(category="other", tier=3))
        if db.session.get_bind().dialect.name == "postgresql":  # its triggers wait for the commit ...
            db.session.execute(text("SET CONSTRAINTS ALL IMMEDIATE"))  # ... unless told not to
        assert db.session.scalar(select(FigureCell.complaints).where(
            FigureCell.grouping == rollup.BY_CATEGORY, FigureCell.category == "other").limit(1))
        db.session.rollback()
    assert _assert_kept(app) == before


PERIODS = [
    (None, None),
    (local_day_start(date(2026, 10, 20), ZONE), local_day_start(date(2026, 11, 21), ZONE)),  # partial weeks
    (local_day_start(date(2026, 10, 19), ZONE), local_day_start(date(2026, 11, 16), ZONE)),  # whole weeks
    # partial weeks, each read as its week less the shorter part outside the period, which holds
    # a settled complaint (Monday 19 October, Sunday 15 November)
    (local_day_start(date(2026, 10, 20), ZONE), local_day_start(date(2026, 11, 14), ZONE)),
    (T0 - 30 * D + 5 * H, T0 - 3 * D + 7 * H),  # any instants
    (T0 - 20 * D, None),
    (None, T0 - 20 * D),
    (T0 - 10 * D, T0 - 8 * D),  # no full week
]
NARROWED = [{}, {"category": "technical"}, {"channel": Channel.EMAIL}, {"tier": 1},
            {"category": "payments", "channel": Channel.API}, {"category": "bonuses", "tier": 2}]


def _live_and_rolled_up(app, monkeypatch, f: ComplaintFilter, timezone: str | None):
    with app.app_context():
        rolled_up = figures.overview(f, NOW, timezone), figures.timings(f)
        with monkeypatch.context() as m:
            m.setattr(rollup, "split", lambda *_: None)  # every complaint read live
            live = figures.overview(f, NOW, timezone), figures.timings(f)
        db.session.rollback()
    return rolled_up, live


def test_the_figures_through_the_rollups_equal_the_figures_read_live(app, spread, monkeypatch):
    for period in PERIODS:
        for narrowed in NARROWED:
            f = ComplaintFilter(registered_from=period[0], registered_before=period[1], **narrowed)
            for timezone in (ZONE, None):
                rolled_up, live = _live_and_rolled_up(app, monkeypatch, f, timezone)
                assert rolled_up == live, (f, timezone)


#: The figures of each part of the overview.
PART_FIELDS = {"total": ("summary", "breaches", "backlog"), "category": ("categories",), "tier": ("tiers",),
               "owner": ("owners",), "week": ("weeks", "weeks_cut"), "open": ("open_counts",)}


def test_each_part_of_the_overview_read_alone_equals_the_whole_overviews(app, spread):
    """A CSV of one table reads only its part (`overview(parts=...)`): for every period, filter
    and zone each part's figures equal those of the whole overview, and the others stay empty."""
    assert set(PART_FIELDS) == figures.PARTS
    for period in PERIODS:
        for narrowed in NARROWED[:3]:
            f = ComplaintFilter(registered_from=period[0], registered_before=period[1], **narrowed)
            for timezone in (ZONE, None):
                with app.app_context():
                    whole = figures.overview(f, NOW, timezone)
                    for part, fields in PART_FIELDS.items():
                        alone = figures.overview(f, NOW, timezone, parts=frozenset({part}))
                        for field in fields:
                            assert getattr(alone, field) == getattr(whole, field), (f, timezone, part, field)
                        lines = {"categories", "tiers", "owners", "weeks", "weeks_cut"} - set(fields)
                        assert not any(getattr(alone, name) for name in lines), (f, timezone, part)
                        if part != "total":
                            assert alone.summary.complaints == 0 and alone.breaches.total == 0
                            assert not any(bucket.count for bucket in alone.backlog)
                        if part != "open":
                            assert alone.open_counts.total == 0
                    db.session.rollback()


def test_a_partial_week_is_read_as_its_week_less_the_shorter_part_outside_the_period(app, spread):
    """The dashboard's figures read the first and last weeks of 20 October to 13 November from
    their rollups, less the settled complaints of Monday 19 October and of 14-15 November (the
    figures equal those read live: the test above)."""
    f = ComplaintFilter(registered_from=local_day_start(date(2026, 10, 20), ZONE),
                        registered_before=local_day_start(date(2026, 11, 14), ZONE))
    with app.app_context():
        plain, complemented = rollup.split(f, ZONE), rollup.split_complemented(f, ZONE)
        assert (plain.first, plain.last, plain.less) == (date(2026, 10, 26), date(2026, 11, 2), ())
        assert (complemented.first, complemented.last) == (date(2026, 10, 19), date(2026, 11, 9))
        assert complemented.live_before is None and complemented.live_from is None
        assert [part[0] for part in complemented.less] == [date(2026, 10, 19), date(2026, 11, 9)]
        taken_away = [db.session.scalar(select(func.count()).select_from(ComplaintFacts)
                                        .where(*rollup.less_where(complemented, index, f)))
                      for index in range(len(complemented.less))]
        assert taken_away == [1, 1]
        # a week whose part inside the period is the shorter is read live, as before
        f = ComplaintFilter(registered_from=local_day_start(date(2026, 10, 24), ZONE))
        assert rollup.split_complemented(f, ZONE).less == ()


def test_the_live_durations_fall_in_the_buckets_the_triggers_put_them_in(app, spread):
    """PostgreSQL buckets the durations read live as intervals, the triggers as milliseconds:
    the same bucket at each bound, a microsecond under it and over it."""
    with app.app_context():
        lowers = rollup.bucket_lowers()
        rows = db.session.execute(select(Complaint.id, Complaint.registered_at).order_by(Complaint.id)).all()
        offsets = [timedelta(microseconds=m) for m in (-1, 0, 1)]
        bounds = [lowers[n] for n in (2, 3, 40, 120, 200, len(lowers) - 1)]
        for (complaint_id, registered_at), (lower, offset) in zip(
                rows, [(lower, offset) for lower in bounds for offset in offsets], strict=False):
            db.session.execute(update(Complaint).where(Complaint.id == complaint_id).values(
                first_responded_at=registered_at + timedelta(milliseconds=lower) + offset))
        db.session.commit()
        for end in rollup.ENDS.values():
            pairs = db.session.execute(select(rollup.duration_bucket(end, lowers), rollup.bucket_of(
                rollup.duration_ms(end), lowers)).where(end.is_not(None))).all()
            assert len(pairs) >= 11 and all(a == b for a, b in pairs), pairs
    _assert_kept(app)


def test_the_whole_registry_is_read_through_the_rollups(app, spread):
    with app.app_context():
        s = rollup.split(ComplaintFilter(), ZONE)
        assert s == rollup.Split(None, None, None, None)
        overview = figures.overview(ComplaintFilter(), NOW, ZONE)
    assert overview.summary.complaints == 14
    assert overview.summary.answered == 13
    assert [g.key for g in overview.categories] == sorted(CATEGORIES)


def test_rollups_rebuilt_for_another_time_zone_are_used_only_for_that_zone(app, spread, monkeypatch, runner):
    f = ComplaintFilter(registered_from=T0 - 30 * D, registered_before=T0)
    with app.app_context():
        rollup.rebuild("America/New_York")
        db.session.commit()
    try:
        with app.app_context():
            assert rollup.zone() == "America/New_York"
            assert rollup.split(f, ZONE) is None  # the weeks asked for are Chișinău's: all live
            assert rollup.split(f, "America/New_York") is not None
        _assert_kept(app)
        for timezone in (ZONE, "America/New_York"):
            rolled_up, live = _live_and_rolled_up(app, monkeypatch, f, timezone)
            assert rolled_up == live
    finally:  # back to the registry's zone, also for the tests after this one
        result = runner.invoke(args=["figures", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "Rebuilt the dashboard's rollups for Europe/Chisinau" in result.output
    with app.app_context():
        assert rollup.zone() == ZONE
    _assert_kept(app)


def test_concurrent_decisions_keep_the_rollups_exact(app, register, staff, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("concurrent writers: PostgreSQL")
    numbers = [register(at=T0 + i * H, category=CATEGORIES[i % 3]) for i in range(24)]
    owner = {number: staff["olga"] if i % 2 else staff["petru"] for i, number in enumerate(numbers)}
    for number in numbers:
        act(app, number, ops.take_complaint, by=owner[number], at=T0 + 30 * H)
        act(app, number, ops.respond, by=owner[number], body="Our answer.", at=T0 + 31 * H)
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def decide(part: list[str]) -> None:
        try:
            start.wait()
            for number in part:
                act(app, number, ops.resolve, by=owner[number], resolution=Resolution.UPHELD,
                    reasons="Paid in full today.", at=T0 + 40 * H)
                act(app, number, ops.close, by=owner[number], at=T0 + 41 * H)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=decide, args=(numbers[k::6],)) for k in range(6)]
    with frozen_clock(T0 + 40 * H):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    cells = _assert_kept(app)
    assert sum(line[7] for line in cells if line[0] == 0) == 24


def test_the_migration_counts_as_settled_the_statuses_the_figures_read_as_settled():
    """The migration writes its triggers' list of settled statuses out (migrations do not import
    the app); a status added to the app must be added to the triggers too, in a new migration."""
    import importlib.util
    from pathlib import Path

    from app.manage.models import SETTLED

    path = Path(__file__).resolve().parents[1] / "migrations" / "versions" / "20261122_7d4e2a9c1f05_figure_rollups.py"
    spec = importlib.util.spec_from_file_location("figure_rollups_migration", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    assert tuple(sorted(migration.SETTLED)) == SETTLED


def test_the_live_parts_index_conditions_are_the_figures_own():
    """The migration `live_part_counted` writes the uncounted complaints' index condition out,
    `rolled_open_work` the live part's (the settled complaints' with the rolled ones): they are
    the ones the figures state (a status added to states.NOT_COUNTED needs a new migration)."""
    from app.manage.models import SETTLED_SQL, UNCOUNTED_SQL, UNSETTLED_SQL
    from app.migrations import revision_module

    counted, rolled = revision_module("d6f8a0c2e4b5"), revision_module("e1f3a5c7b9d2")
    assert (counted.UNCOUNTED, rolled.settled("complaint_facts"), rolled.unsettled("complaint_facts")) == (
        UNCOUNTED_SQL, SETTLED_SQL, UNSETTLED_SQL)


def test_the_live_part_reads_no_annulled_or_joined_complaint(app, spread, register, staff):
    """Annulled complaints of the rollups' weeks stay out of the live part's rows (they are in
    neither part), while the complaints per category stay exact."""
    from sqlalchemy import event

    from app.desk.operations import annul_complaint

    twice = register(at=T0 - 30 * D, category=CATEGORIES[0])
    act(app, twice, annul_complaint, by=staff["clerk"], reason="Registered twice by mistake.", at=T0 - 30 * D + H)
    rows: list[int] = []

    def catch(conn, cursor, statement, parameters, context, executemany):
        if "complaint_facts.status IN ('annulled', 'joined')" in statement:
            rows.append(1)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", catch)
        try:
            figures.overview(ComplaintFilter(), NOW, ZONE)
        finally:
            event.remove(db.engine, "before_cursor_execute", catch)
        assert rows  # the live part states the partial index's condition
        live = db.session.scalars(select(ComplaintFacts.complaint_id).where(rollup.unsettled())).all()
        assert live and find_by_reference(twice).id not in live
        counted = rollup.complaints_per_category()
        expected = dict(db.session.execute(select(Complaint.category, func.count()).group_by(Complaint.category)).all())
    assert counted == expected


def test_a_percentile_is_read_inside_its_bucket_from_the_duration_index_alone(app, spread):
    """The rank-th duration of a bucket is read from the index on that duration without the
    table (migration e7b2c4d6f8a1): an index-only scan on PostgreSQL (asked to avoid table and
    bitmap scans and sorts, after a VACUUM, as on a real registry), a covering index on SQLite;
    for every filter the dashboard has."""
    from sqlalchemy import event

    sent: list[tuple[str, object]] = []

    def catch(conn, cursor, statement, parameters, context, executemany):
        if "OFFSET" in statement and "complaint_facts" in statement and "AS measure" not in statement:
            sent.append((statement, parameters))

    f = ComplaintFilter(registered_from=T0 - 30 * D, registered_before=T0, category="technical",
                        channel=Channel.API, tier=1)
    with app.app_context():
        postgresql = db.session.get_bind().dialect.name == "postgresql"
        if postgresql:
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("VACUUM ANALYZE complaint_facts"))
        event.listen(db.engine, "before_cursor_execute", catch)
        try:
            figures.timings(ComplaintFilter())
            figures.timings(f)
        finally:
            event.remove(db.engine, "before_cursor_execute", catch)
        assert len(sent) == 8  # median and p90 of two measures, twice
        with db.engine.connect() as connection:
            for statement, parameters in sent:
                if postgresql:
                    for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
                        connection.execute(text(f"SET LOCAL {setting} = off"))
                    plan = "\n".join(connection.exec_driver_sql("EXPLAIN " + statement, parameters).scalars())
                    assert "Index Only Scan using ix_complaint_facts_" in plan, plan
                else:
                    plan = "\n".join(row[3] for row in connection.exec_driver_sql(
                        "EXPLAIN QUERY PLAN " + statement, parameters))
                    assert "USING COVERING INDEX ix_complaint_facts_" in plan, plan


def test_the_live_parts_covering_columns_are_the_figures_own():
    """The migration `live_part_covering` writes out the columns the partial index of unsettled
    complaints carries on PostgreSQL (`rolled_open_work` makes it again with them): every column
    of complaint_facts but its key and `rolled_at`, which only its condition reads (a column
    added to the table needs a new migration)."""
    from app.manage.models import LIVE_COLUMNS
    from app.migrations import revision_module

    assert revision_module("f2a4c6e8b0d1").COLUMNS == ", ".join(LIVE_COLUMNS)
    assert sorted(LIVE_COLUMNS) == sorted(c.name for c in ComplaintFacts.__table__.c
                                          if c.name not in ("registered_at", "rolled_at"))


def test_the_open_work_is_read_from_its_index_alone_on_postgresql(app, spread):
    """Migration `live_part_covering`: every read of the unsettled complaints by the overview,
    the timings, the complaints per category and the analysis reads them from their partial
    index alone (an index-only scan, after a VACUUM, as on a real registry; asked to avoid
    table and bitmap scans), for the whole registry and for a period with a filter."""
    from sqlalchemy import event

    from app.manage import analysis

    with app.app_context():
        if db.session.get_bind().dialect.name != "postgresql":
            pytest.skip("covering index: PostgreSQL")
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE complaint_facts"))
    sent: list[tuple[str, object]] = []

    def catch(conn, cursor, statement, parameters, context, executemany):
        if rollup.UNSETTLED_SQL in statement:
            sent.append((statement, parameters))

    period = ComplaintFilter(registered_from=T0 - 30 * D, registered_before=T0, category="technical")
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", catch)
        try:
            for f in (ComplaintFilter(), period):
                figures.overview(f, NOW, ZONE)
                figures.timings(f)
                analysis.category_trend(f, ZONE)
                analysis.rise_reasons(f)
                analysis.repeat_complainants(f)
            rollup.complaints_per_category()
        finally:
            event.remove(db.engine, "before_cursor_execute", catch)
        assert len(sent) >= 11
        db.session.rollback()  # the reads outside a snapshot hold their locks until then
        # On a test's few rows the registration index costs as little: it is gone for this
        # transaction (rolled back), as are table and bitmap scans (`plan`).
        db.session.execute(text("DROP INDEX ix_complaint_facts_registered_at"))
        for statement, parameters in sent:
            shown = plan(statement, parameters)
            assert "Index Only Scan using ix_complaint_facts_unsettled" in shown, shown
            assert "Index Scan using ix_complaint_facts_unsettled" not in shown, shown
        db.session.rollback()

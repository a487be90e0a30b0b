"""The open work rolled up once a week old (app/manage/rollup.py `roll`, migration `rolled_open_work`): the
pass stamps exactly the complaints whose figures no longer depend on the moment; the rollups
then count them, kept equal to a recomputation through every later change (answered, status,
annulled, a due moved later, decided); and every figure read through the rollups (dashboard,
timings, analysis) equals the figures read from every complaint live."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select, update
from test_analysis_rollups import _assert_kept as _analysis_kept
from test_figure_rollups import NARROWED, PERIODS, ZONE, _assert_kept

from _cases import T0, act
from app.clock import frozen_clock, local_day_start
from app.complaints.filters import ComplaintFilter
from app.complaints.models import Complaint, Resolution
from app.desk.operations import annul_complaint
from app.extensions import db
from app.manage import analysis, figures, rollup
from app.manage.figures.definitions import BACKLOG_BUCKETS
from app.manage.models import ComplaintFacts
from app.workflow import operations as ops

H, D = timedelta(hours=1), timedelta(days=1)
NOW = T0 + 2 * D
OLD = NOW - 40 * D


@pytest.fixture
def aged(app, register, staff) -> dict[str, str]:
    """Complaints of every kind, most of them registered 40 days before NOW: settled (answered,
    decided), answered and open, answered and open again after a dispute, taken and unanswered
    (past its first-response due), never taken, asked for information (waiting), annulled; and
    a young open one."""
    olga, petru = staff["olga"], staff["petru"]
    n = {name: register(at=OLD + k * 7 * H, category=("payments", "technical", "bonuses")[k % 3],
                        email=f"{name}@example.md" if k % 2 else "same@example.md")
         for k, name in enumerate(("settled", "responded", "reopened", "in_progress", "registered", "waiting",
                                   "annulled"))}
    n["young"] = register(at=NOW - 3 * D, category="payments", email="same@example.md")
    for name in ("settled", "responded", "reopened", "in_progress", "waiting", "annulled", "young"):
        act(app, n[name], ops.take_complaint, by=olga if name != "waiting" else petru, at=OLD + 8 * 7 * H)
    for name in ("settled", "responded", "reopened", "young"):
        act(app, n[name], ops.respond, by=olga, body="Our answer.", at=OLD + 9 * 7 * H)
    act(app, n["settled"], ops.resolve, by=olga, resolution=Resolution.UPHELD, reasons="Paid in full.",
        at=OLD + 10 * 7 * H)
    act(app, n["reopened"], ops.complainant_reply, by=None, body="I do not accept this.", dispute=True,
        at=OLD + 10 * 7 * H)
    act(app, n["waiting"], ops.request_information, by=petru, body="Which card was it?", at=OLD + 10 * 7 * H)
    act(app, n["annulled"], annul_complaint, by=staff["clerk"], reason="Registered twice by mistake.",
        at=OLD + 11 * 7 * H)
    return n


def _stamped(app) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(select(Complaint.number).join(
            ComplaintFacts, ComplaintFacts.complaint_id == Complaint.id).where(ComplaintFacts.rolled_at.is_not(None))))


def _roll(app, at=NOW) -> int:
    with app.app_context(), frozen_clock(at):
        return rollup.roll_all(at)


def _figures(app, f: ComplaintFilter, now):
    return (figures.overview(f, now, ZONE), figures.overview(f, now, None), figures.timings(f),
            analysis.category_trend(f, ZONE), analysis.repeat_complainants(f), analysis.rise_reasons(f))


#: PERIODS, and one whose last week (12-18 October) is read from its rollups less its part outside
#: the period, from Saturday noon, where three of `aged` lie (two of them rolled up and open).
ROLLED_PERIODS = [*PERIODS, (local_day_start(date(2026, 10, 5), ZONE), local_day_start(date(2026, 10, 17), ZONE) + 12 * H)]


def _assert_figures_as_live(app, monkeypatch, now=NOW, narrowed=NARROWED[:4], periods=ROLLED_PERIODS) -> None:
    for period in periods:
        for narrowing in narrowed:
            f = ComplaintFilter(registered_from=period[0], registered_before=period[1], **narrowing)
            with app.app_context():
                rolled_up = _figures(app, f, now)
                with monkeypatch.context() as m:
                    m.setattr(rollup, "split", lambda *_args, **_kwargs: None)  # every complaint read live
                    live = _figures(app, f, now)
                db.session.rollback()
            assert rolled_up == live, (now, f)


def test_the_pass_stamps_the_old_open_work_answered_or_due_and_nothing_else(app, aged):
    assert rollup.ROLLED_AGE == timedelta(days=BACKLOG_BUCKETS[-2][0])  # the bound of the bucket before the last
    with app.app_context():
        live_before = db.session.scalar(select(func.count()).select_from(ComplaintFacts).where(rollup.unsettled()))
        # unanswered, and its first response not due yet (extended, say): its figures still change
        db.session.execute(update(Complaint).where(Complaint.number == aged["registered"])
                           .values(first_response_due=NOW + 5 * D))
        db.session.commit()
    assert _roll(app) == 4
    assert _stamped(app) == {aged[name] for name in ("responded", "reopened", "in_progress", "waiting")}
    with app.app_context():  # the live part reads the young one and the one not yet due alone now
        assert db.session.scalar(select(func.count()).select_from(ComplaintFacts).where(
            rollup.unsettled())) == live_before - 4 == 2
    assert _roll(app) == 0  # nothing left: the stamped are settled for the figures
    assert _roll(app, NOW + 40 * D) == 2  # the young one and the one now due, in their turn
    _assert_kept(app)
    _analysis_kept(app)


def test_the_pass_goes_a_batch_per_transaction(app, aged, monkeypatch):
    monkeypatch.setattr(rollup, "ROLL_BATCH", 2)
    with app.app_context(), frozen_clock(NOW):
        assert rollup.roll(NOW, batch=2) == 2
        db.session.rollback()  # a batch rolled back stamps nothing
        assert rollup.roll_all(NOW) == 5
    assert len(_stamped(app)) == 5
    _assert_kept(app)


def test_the_figures_through_the_rolled_up_open_work_equal_the_figures_read_live(app, aged, monkeypatch):
    _roll(app)
    _assert_kept(app)
    _analysis_kept(app)
    with app.app_context():
        whole = figures.overview(ComplaintFilter(), NOW, ZONE)
    # the five rolled up are open, in the backlog's last bucket, counted for the first response
    assert whole.summary.open == 6 and whole.backlog[-1].count == 5
    assert whole.summary.complaints == 7  # the annulled one is never counted
    _assert_figures_as_live(app, monkeypatch)
    _assert_figures_as_live(app, monkeypatch, now=NOW + 60 * D, narrowed=NARROWED[:2])


def test_a_rolled_up_complaint_moves_with_every_change_and_leaves_when_its_due_moves_later(
        app, aged, staff, monkeypatch):
    _roll(app)
    olga = staff["olga"]
    act(app, aged["waiting"], ops.respond, by=staff["petru"], body="Answered at last.", at=NOW - H)
    act(app, aged["responded"], ops.resolve, by=olga, resolution=Resolution.REJECTED, reasons="Not our fault.",
        at=NOW - H)
    act(app, aged["reopened"], ops.resolve, by=olga, resolution=Resolution.UPHELD, reasons="Paid after all.",
        at=NOW - H)
    act(app, aged["in_progress"], annul_complaint, by=staff["clerk"], reason="Filed under the wrong firm.",
        at=NOW - H)
    _assert_kept(app)
    _analysis_kept(app)
    with app.app_context():  # its first-response due moved past the stamp: back to the live part
        db.session.execute(update(Complaint).where(Complaint.number == aged["registered"])
                           .values(first_response_due=NOW + 5 * D))
        db.session.commit()
        left = db.session.scalar(select(func.count()).select_from(ComplaintFacts).where(
            ComplaintFacts.rolled_at.is_not(None), rollup.unsettled()))
    assert left == 1  # stamped, yet read live
    _assert_kept(app)
    _analysis_kept(app)
    _assert_figures_as_live(app, monkeypatch, narrowed=NARROWED[:2])


def test_the_enforcement_pass_and_the_command_roll_the_figures(app, aged):
    runner = app.test_cli_runner()
    with frozen_clock(NOW):  # a pass evaluated as of a later moment rolls up as of now, not then
        result = runner.invoke(args=["deadlines", "enforce", "--at", (NOW + 40 * D).isoformat()])
    assert result.exit_code == 0, result.output
    assert "5 open complaints rolled up for the figures" in result.output
    assert len(_stamped(app)) == 5 and aged["young"] not in _stamped(app)
    with frozen_clock(NOW + 40 * D):
        result = runner.invoke(args=["figures", "roll"])
    assert result.exit_code == 0 and "Rolled up 1 open complaints for the figures." in result.output
    _assert_kept(app)


@pytest.fixture
def recent(app, register, staff) -> dict[str, str]:
    """Open complaints of the month before NOW, about the backlog's last bound as of NOW (30 days
    before it: Monday 26 October, 10:00 in ZONE, early in its week): in the week before it, on
    its Monday before and after it, later in its week, in the week after it, a week old, and
    one younger than a week; the one in the week after a Friday noon is outside a period that
    ends then. Some answered, the others past their first-response due."""
    olga = staff["olga"]
    at = {
        "week_before": datetime(2026, 10, 24, 12, tzinfo=UTC),
        "bound_early": datetime(2026, 10, 26, 6, tzinfo=UTC),
        "bound_late": datetime(2026, 10, 26, 10, tzinfo=UTC),
        "same_week": datetime(2026, 10, 29, 12, tzinfo=UTC),
        "outside": datetime(2026, 10, 31, 12, tzinfo=UTC),
        "week_after": datetime(2026, 11, 2, 6, tzinfo=UTC),  # early on its Monday: the bound week ends before it
        "week_old": NOW - 8 * D - 2 * H,
        "young": NOW - 2 * D,
    }
    n = {name: register(at=moment, category=("payments", "technical", "bonuses")[k % 3])
         for k, (name, moment) in enumerate(at.items())}
    for k, name in enumerate(n):
        if k % 2:
            act(app, n[name], ops.take_complaint, by=olga, at=at[name] + H)
            act(app, n[name], ops.respond, by=olga, body="Our answer.", at=at[name] + 2 * H)
    return n


def test_rolled_up_open_work_younger_than_the_last_bucket_is_told_apart_by_its_registration(
        app, recent, monkeypatch):
    assert _roll(app) == 7  # all but the young one
    _assert_kept(app)
    with app.app_context():
        whole = figures.overview(ComplaintFilter(), NOW, ZONE)
        assert [bucket.count for bucket in whole.backlog] == [0, 1, 0, 5, 2]
        later = figures.overview(ComplaintFilter(), NOW + 9 * D, ZONE)  # the bound is past 3 November now
        assert [bucket.count for bucket in later.backlog] == [0, 0, 0, 2, 6]
    periods = [
        (None, None),
        # its last week from the rollups less the part outside it, from Friday noon (one rolled up, younger)
        (local_day_start(date(2026, 10, 12), ZONE), local_day_start(date(2026, 10, 30), ZONE) + 12 * H),
        # its first week less Monday 26 October, where the bound falls between two rolled up
        (local_day_start(date(2026, 10, 27), ZONE), None),
        (local_day_start(date(2026, 10, 26), ZONE), local_day_start(date(2026, 11, 9), ZONE)),  # whole weeks
        # whole weeks before the bound's week, and after it
        (local_day_start(date(2026, 10, 5), ZONE), local_day_start(date(2026, 10, 26), ZONE)),
        (local_day_start(date(2026, 11, 2), ZONE), None),
    ]
    for now in (NOW, NOW + 10 * H, NOW + 3 * D, NOW + 9 * D):
        _assert_figures_as_live(app, monkeypatch, now=now, periods=periods)


def test_the_week_of_the_bound_is_read_by_the_rolled_up_open_works_index(app, recent):
    """`rollup.rolled_open_from` reads the one week's rolled-up open work by registration, from
    `ix_complaint_facts_rolled_open` (migration `rolled_open_by_age`), not every complaint of
    that week nor every rolled-up one, under a filter too."""
    from sqlalchemy import event

    from _support import plan

    _roll(app)
    sent: list[tuple[str, object]] = []

    def catch(conn, cursor, statement, parameters, context, executemany):
        if "figure_cells" in statement and "rolled_at" in statement:
            sent.append((statement, parameters))

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", catch)
        try:
            for f in (ComplaintFilter(), ComplaintFilter(category="technical", tier=1)):
                figures.overview(f, NOW, ZONE)
        finally:
            event.remove(db.engine, "before_cursor_execute", catch)
        assert len(sent) == 2
        postgresql = db.session.get_bind().dialect.name == "postgresql"
        for statement, parameters in sent:
            read = plan(statement, parameters)
            if postgresql:  # from the index alone, by its key
                assert "Index Only Scan using ix_complaint_facts_rolled_open" in read, read
                assert "Index Cond: ((registered_at >=" in read, read
            else:
                assert "INDEX ix_complaint_facts_rolled_open (registered_at>? AND registered_at<?)" in read, read
        db.session.rollback()


def test_the_downgrade_takes_the_stamp_off_the_open_work_younger_than_the_last_bucket(app, recent):
    """Before the migration `rolled_open_by_age`, a stamped open complaint was read as in the
    backlog's last bucket: its downgrade leaves stamped only those registered 30 days or more
    before it runs, and the rollups follow."""
    import flask_migrate

    _roll(app)
    with app.app_context(), frozen_clock(NOW):
        flask_migrate.downgrade(revision="e5a7c9d1f3b5")
        db.session.remove()
    assert _stamped(app) == {recent["week_before"], recent["bound_early"]}
    _assert_kept(app)
    with app.app_context():
        flask_migrate.upgrade()
        db.session.remove()
    assert _roll(app) == 5
    _assert_kept(app)

"""The outcome figures' weekly rollup (app/manage/outcome_rollup.py) and the closure band kept on
the decision: the triggers keep the rollup equal to a recomputation through a whole workflow
(registration, response, decision with redress, payment, an extended clock, a breach found by
enforcement, a dispute and a second decision, an annulment, a category corrected); the figures
read through it equal the figures read live for periods with partial weeks at both ends;
`flask figures rebuild` restores it; the band is signed and verified with the decision.

Runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from _cases import act, events, load
from _support import FOS, valid_payload
from app.clock import frozen_clock, local_day_start
from app.clocks.bands import Band
from app.clocks.policy import ClockKind, Period, Unit
from app.complaints.models import Channel, Complaint, Resolution
from app.database import commit_with_retry
from app.desk.operations import annul_complaint, correct_complaint
from app.extensions import db
from app.intake.operations import ComplaintSubmission, register_complaint
from app.manage import outcome_rollup, outcomes
from app.manage.outcome_rollup import OutcomeDelta
from app.registry.verify import verify_registry
from app.settings.store import current_policy, current_settings
from app.workflow import operations as ops
from app.workflow.enforcement import enforce

ZONE = "Europe/Chisinau"  # the tests' (the fixed tables are kept in it)
D, H, M = timedelta(days=1), timedelta(hours=1), timedelta(minutes=1)
#: Monday 7 Sep 2026, 11:00 in Chișinău.
START = datetime(2026, 9, 7, 8, tzinfo=UTC)


def _file(app, at: datetime, category: str) -> str:
    p = valid_payload(category=category)
    submission = ComplaintSubmission(
        full_name=p["full_name"], email=p.get("email"), phone=p.get("phone"), postal_address=p.get("postal_address"),
        category=p["category"], subject=p["subject"], description=p["description"],
        desired_outcome=p["desired_outcome"], language=p["language"], signature_name=p["signature"],
        declaration_confirmed=True)
    with app.app_context(), frozen_clock(at):
        return commit_with_retry(lambda: register_complaint(submission, channel=Channel.WEB)).complaint.number


def _assert_kept(app) -> list:
    """The stored rollups equal a recomputation, and no delta waits to be folded. Answers the days'."""
    with app.app_context():
        def rows(statement):
            return sorted(tuple(row) for row in db.session.execute(statement))

        days, weeks = rows(outcome_rollup.stored_days()), rows(outcome_rollup.stored_weeks())
        fresh_days, fresh_weeks = rows(outcome_rollup.recomputed_days()), rows(outcome_rollup.recomputed_weeks())
        years, fresh_years = rows(outcome_rollup.stored_years()), rows(outcome_rollup.recomputed_years())
        waiting = db.session.scalar(select(func.count()).select_from(OutcomeDelta))
    assert days == fresh_days
    assert weeks == fresh_weeks
    assert years == fresh_years
    assert waiting == 0
    return days


@pytest.fixture
def fca(make_app):
    return make_app(CLOCK_POLICY="fca_payments", REFERRAL_BODY=FOS, CALENDAR_COUNTRY="GB",
                    CALENDAR_SUBDIVISION="ENG")


@pytest.fixture
def workflow(fca, staff) -> dict[str, str]:
    """Six complaints over three weeks taken through the workflow, the rollup checked after
    every step: a decided with redress paid and closed; b extended, decided, its category
    corrected; c breached by enforcement, then decided with a remedy; d decided, disputed and
    decided again; e extended and annulled; f left open."""
    app, olga = fca, staff["olga"]
    n = {letter: _file(app, START + i * 3 * D + i * H, "payments" if i % 2 else "technical")
         for i, letter in enumerate("abcdef")}
    _assert_kept(app)
    for letter in n:
        act(app, n[letter], ops.take_complaint, by=olga, at=START + 16 * D)
    act(app, n["a"], ops.respond, by=olga, at=START + 16 * D + H, body="We are looking into the delayed refund.")
    act(app, n["a"], ops.resolve, by=olga, at=START + 17 * D, resolution=Resolution.UPHELD,
        reasons="The refund was delayed by our payment provider.",
        redress=ops.Redress(amount=Decimal("120.50"), currency="GBP"))
    _assert_kept(app)
    act(app, n["a"], ops.record_redress_paid, by=olga, at=START + 18 * D, paid_on=date(2026, 9, 25))
    act(app, n["a"], ops.close, by=olga, at=START + 18 * D + H)
    _assert_kept(app)
    for letter in "be":
        act(app, n[letter], ops.extend_clock, by=olga, at=START + 16 * D + 2 * H, kind=ClockKind.FINAL_RESPONSE,
            amount=5, reason="The card scheme's chargeback takes longer", notice="We need more time.")
    _assert_kept(app)
    act(app, n["b"], ops.resolve, by=olga, at=START + 19 * D, resolution=Resolution.REJECTED,
        reasons="The chargeback was decided by the card scheme.")
    act(app, n["b"], correct_complaint, by=staff["clerk"], at=START + 19 * D + H, changes={"category": "bonuses"},
        reason="Wrong category chosen")
    _assert_kept(app)
    with app.app_context(), frozen_clock(START + 40 * D):  # c's 15 business days have passed
        enforce(START + 40 * D, current_policy())
    _assert_kept(app)
    act(app, n["c"], ops.resolve, by=olga, at=START + 41 * D, resolution=Resolution.PARTLY_UPHELD,
        reasons="Part of the fee is refunded as a goodwill gesture.",
        redress=ops.Redress(remedy="A written apology"))
    act(app, n["d"], ops.resolve, by=olga, at=START + 17 * D, resolution=Resolution.REJECTED,
        reasons="The transfer was made as instructed.")
    act(app, n["d"], ops.complainant_reply, by=None, at=START + 18 * D, body="I do not accept this.", dispute=True)
    _assert_kept(app)
    act(app, n["d"], ops.resolve, by=olga, at=START + 26 * D, resolution=Resolution.UPHELD,
        reasons="On a second look the transfer was made twice.")
    act(app, n["e"], annul_complaint, by=staff["clerk"], at=START + 27 * D, reason="Registered twice by mistake.")
    _assert_kept(app)
    return n


def test_the_rollup_equals_a_recomputation_through_the_workflow_and_after_a_rebuild(fca, workflow):
    stored = _assert_kept(fca)
    measures = {(measure, item) for _day, _category, measure, item, _n, _cents in stored}
    # Every measure has something in it: the workflow reached each.
    assert {measure for measure, _item in measures} == set(outcome_rollup.ALL)
    assert ("extension", "final_response") in measures and ("redress", "GBP") in measures
    with fca.app_context():
        db.session.execute(text("UPDATE outcome_weeks SET complaints = complaints + 5"))
        db.session.execute(text("UPDATE outcome_days SET cents = cents + 1"))
        db.session.commit()
    result = fca.test_cli_runner().invoke(args=["figures", "rebuild"])
    assert result.exit_code == 0 and "Europe/Chisinau" in result.output  # the tests' zone: kept for the next
    assert _assert_kept(fca) == stored


def test_a_decision_keeps_its_band_signed_and_a_dispute_clears_it(fca, workflow):
    bands = {letter: load(fca, number).closure_band for letter, number in workflow.items()}
    # a: received Mon 7 Sep, decided Thu 24 Sep: within 15 business days; b (received 10 Sep,
    # decided 26 Sep) too; c (13 Sep) decided 17 Oct: beyond 15, within 35; d (16 Sep) decided
    # again on 3 Oct: within 15; e annulled and f open: none.
    assert bands == {"a": "15wd", "b": "15wd", "c": "35wd", "d": "15wd", "e": None, "f": None}
    assert Band.from_code("35wd") == Band(Period(35, Unit.WORKING_DAYS))
    assert Band.from_code("35wd+") == Band(Period(35, Unit.WORKING_DAYS), over=True)
    decided = [e for e in events(fca, workflow["d"]) if e["type"] in ("resolved", "disputed")]
    assert [(e["type"], e["state"].get("closure_band")) for e in decided] == [
        ("resolved", "15wd"), ("disputed", None), ("resolved", "15wd")]
    with fca.app_context():
        report = verify_registry(files=False)
        assert report.ok, [str(p) for p in report.problems]
        db.session.execute(text("UPDATE complaints SET closure_band = '3wd' WHERE closure_band = '35wd'"))
        db.session.commit()
        problems = verify_registry(files=False).problems
    assert len(problems) == 1 and "closure_band" in repr(problems[0])


def _figures(app, start: datetime, end: datetime, category: str | None):
    with app.app_context():
        settings = current_settings()
        return outcomes.outcome_figures(start, end, category=category, policies=settings.clock_policies,
                                        calendar=settings.calendar)


@pytest.mark.parametrize("category", [None, "payments", "technical", "bonuses"])
def test_the_figures_through_the_rollup_equal_the_figures_read_live(fca, workflow, monkeypatch, category):
    periods = [
        (START + 2 * D + 5 * H, START + 45 * D - 3 * H),  # partial weeks at both ends
        (START - 30 * D, START + 60 * D),  # whole weeks around everything
        (START + 14 * D, START + 28 * D),  # two weeks from a Monday morning
        (START + 15 * D, START + 19 * D),  # within one week
        (START + 15 * D + 3 * H, START + 15 * D + 9 * H),  # within one day: all live
        # a's receipt (11:00 local) taken away from its day's line; both extensions (13:00 local
        # on day 16) taken away from theirs: each end's part outside the period is the shorter
        (START + 30 * M, START + 16 * D + 90 * M),
        # within one day, the day's line less both ends (a's receipt at 11:00 among them)
        (START + 30 * M, START + 13 * H - M),
        (local_day_start(date(2026, 9, 9), ZONE), local_day_start(date(2026, 10, 20), ZONE)),  # whole local days
    ]
    with fca.app_context():  # the days the rollups keep are there (the tests keep the fixed tables)
        assert outcome_rollup._kept() and outcome_rollup._day_starting(START, on_or_after=True) is not None
    through = [_figures(fca, start, end, category) for start, end in periods]
    monkeypatch.setattr(outcome_rollup, "_kept", lambda: False)
    live = [_figures(fca, start, end, category) for start, end in periods]
    assert through == live
    assert any(f.resolved for f in through)


def test_the_whole_period_counts_what_the_workflow_did(fca, workflow):
    f = _figures(fca, START - 30 * D, START + 60 * D, None)
    assert (f.opened, f.closed, f.outstanding_at_start, f.outstanding_at_end) == (5, 1, 0, 1)
    assert f.outcomes == {Resolution.UPHELD: 2, Resolution.PARTLY_UPHELD: 1, Resolution.REJECTED: 1}
    assert f.redress == {"GBP": (Decimal("120.50"), 1)}
    assert f.remedies == 1
    fifteen, thirty_five = Period(15, Unit.WORKING_DAYS), Period(35, Unit.WORKING_DAYS)
    assert f.bands == {Band(Period(3, Unit.WORKING_DAYS)): 0, Band(fifteen): 3, Band(thirty_five): 1,
                       Band(thirty_five, over=True): 0}
    assert f.extensions == {ClockKind.FINAL_RESPONSE: 1}  # e's was annulled with it
    assert sum(f.breaches.values()) >= 1


def test_a_change_rolled_back_leaves_no_trace(fca, workflow):
    before = _assert_kept(fca)
    with fca.app_context():
        db.session.execute(text("UPDATE complaints SET category = 'technical'"))
        db.session.flush()
        db.session.rollback()
    assert _assert_kept(fca) == before
    with fca.app_context():
        assert db.session.scalar(select(func.count()).select_from(Complaint).where(
            Complaint.category == "bonuses")) == 1


def test_a_periods_days_and_weeks_are_read_from_the_covering_indexes_on_postgresql(fca, workflow):
    """Migration `outcome_covering_indexes`: PostgreSQL can read the weekly and daily lines of a
    period from the index alone (after a VACUUM, as on a real registry), whatever order the rows
    lie in; SQLite has no such index (its keys lead with the moment)."""
    from sqlalchemy import event

    with fca.app_context():
        if db.session.get_bind().dialect.name != "postgresql":
            pytest.skip("covering indexes: PostgreSQL")
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE outcome_days, outcome_weeks"))
    sent: list[tuple[str, object]] = []

    def catch(conn, cursor, statement, parameters, context, executemany):
        if "FROM outcome_weeks" in statement:
            sent.append((statement, parameters))

    with fca.app_context():
        event.listen(db.engine, "before_cursor_execute", catch)
        try:
            _figures(fca, START + 2 * D + 5 * H, START + 45 * D - 3 * H, None)
        finally:
            event.remove(db.engine, "before_cursor_execute", catch)
        assert sent
        with db.engine.connect() as connection:
            # On a test's few lines the primary key's index (by the moment too) costs as little:
            # it is gone for this transaction (rolled back), as are table and bitmap scans.
            for table in ("outcome_weeks", "outcome_days"):
                connection.execute(text(f"ALTER TABLE {table} DROP CONSTRAINT pk_{table}"))
            for setting in ("enable_seqscan", "enable_bitmapscan"):
                connection.execute(text(f"SET LOCAL {setting} = off"))
            for statement, parameters in sent:
                plan = "\n".join(connection.exec_driver_sql("EXPLAIN " + statement, parameters).scalars())
                assert "Index Only Scan using ix_outcome_weeks_covering" in plan, plan
                assert "Index Only Scan using ix_outcome_days_covering" in plan, plan
            connection.rollback()

"""Deadline enforcement, driven by moving the clock (never by sleeping)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from _cases import T0, act, enforce_at_once, load, notifications
from app import database
from app.clock import frozen_clock
from app.clocks.running import warning_time
from app.extensions import db
from app.notifications.models import Notification, NotificationKind
from app.settings.store import current_policy
from app.workflow import enforcement
from app.workflow import operations as ops
from app.workflow.deadlines import DueState, first_response_state, next_alarm
from app.workflow.enforcement import enforce
from app.workflow.models import Breach, DeadlineKind, Escalation, EscalationReason

H = timedelta(hours=1)
MIN = timedelta(minutes=1)


def run(app, at: datetime, **kwargs):
    with app.app_context(), frozen_clock(at):
        return enforce(at, current_policy(), **kwargs)


def counts(app) -> tuple[int, int, int]:
    with app.app_context():
        return tuple(db.session.scalar(select(func.count()).select_from(model))
                     for model in (Breach, Escalation, Notification))


def test_a_response_at_23_hours_means_no_breach(app, register, staff):
    number = register()
    act(app, number, ops.take_complaint, by=staff["olga"])
    act(app, number, ops.respond, by=staff["olga"], body="Answered in time.", at=T0 + 23 * H)
    report = run(app, T0 + 24 * H + MIN)
    assert report.breaches == 0
    complaint = load(app, number)
    assert (complaint.tier, complaint.first_response_breached_at) == (1, None)


def test_no_response_at_24_hours_and_a_minute_is_a_breach_escalated_to_tier_2(app, register, staff):
    number = register()
    act(app, number, ops.take_complaint, by=staff["olga"])
    at = T0 + 24 * H + MIN
    report = run(app, at)
    assert (report.breaches, report.escalations) == (1, 1)
    complaint = load(app, number)
    assert (complaint.tier, complaint.first_response_breached_at) == (2, at)
    assert complaint.resolution_due == at + timedelta(days=5)
    with app.app_context():
        breach = db.session.scalars(select(Breach)).one()
        assert (breach.kind, breach.tier, breach.due_at) == (DeadlineKind.FIRST_RESPONSE, 1, T0 + 24 * H)
        escalation = db.session.scalars(select(Escalation)).one()
        assert (escalation.from_tier, escalation.to_tier, escalation.reason) == (
            1, 2, EscalationReason.FIRST_RESPONSE_BREACH)
    sent = notifications(app, number)
    assert ("breach", "user", staff["olga"], None) in sent
    assert ("escalated", "tier", None, 2) in sent


def test_a_second_run_changes_nothing(app, register, staff):
    register()
    at = T0 + 24 * H + MIN
    run(app, at)
    before = counts(app)
    report = run(app, at)
    assert (report.breaches, report.warnings, counts(app)) == (0, 0, before)
    report = run(app, at + 10 * MIN)
    assert (report.breaches, report.warnings, counts(app)) == (0, 0, before)


def test_due_soon_is_sent_once_at_three_quarters_of_the_time(app, register, staff):
    number = register()
    assert run(app, T0 + 18 * H - MIN).warnings == 0
    assert run(app, T0 + 18 * H).warnings == 1
    assert run(app, T0 + 19 * H).warnings == 0
    due_soon = [n for n in notifications(app, number) if n[0] == "due_soon"]
    assert due_soon == [("due_soon", "tier", None, 1)]  # nobody owns it yet: the tier is told


def test_a_late_response_keeps_the_breach_on_record(app, register, staff):
    number = register()
    act(app, number, ops.take_complaint, by=staff["olga"])
    run(app, T0 + 25 * H)
    act(app, number, ops.respond, by=staff["olga"], body="Sorry for the delay.", at=T0 + 26 * H)
    complaint = load(app, number)
    assert complaint.first_response_breached_at == T0 + 25 * H
    assert counts(app)[0] == 1
    with app.app_context():
        assert first_response_state(complaint, T0 + 27 * H, 0.75) == DueState.MET_LATE


def test_resolution_deadlines_rise_through_every_tier_and_stop_at_the_top(app, register, staff):
    number = register()
    act(app, number, ops.take_complaint, by=staff["olga"])
    act(app, number, ops.respond, by=staff["olga"], body="Looking into it.", at=T0 + 2 * H)
    at = T0 + timedelta(days=3) + MIN
    assert run(app, at).escalations == 1
    assert load(app, number).tier == 2
    at += timedelta(days=5)
    assert run(app, at).escalations == 1
    assert load(app, number).tier == 3
    at += timedelta(days=10)
    assert run(app, at).escalations == 1
    complaint = load(app, number)
    assert (complaint.tier, complaint.resolution_due, complaint.next_check_at) == (4, None, None)
    assert run(app, at + timedelta(days=100)).breaches == 0
    with app.app_context():
        reasons = db.session.scalars(select(Escalation.reason)).all()
    assert reasons == [EscalationReason.RESOLUTION_BREACH] * 3


def test_a_breach_at_the_top_tier_is_recorded_but_cannot_rise(app, register, make_user):
    board = make_user("board", "manager", tier=4)
    number = register()
    act(app, number, ops.take_complaint, by=board)
    for _ in range(3):
        act(app, number, ops.escalate, by=board, reason="Straight to the board")
    report = run(app, T0 + 24 * H + MIN)
    assert (report.breaches, report.escalations) == (1, 0)
    assert load(app, number).tier == 4


def test_annulled_and_resolved_complaints_have_no_alarm(app, register, staff):
    from app.complaints.models import Resolution

    number = register()
    act(app, number, ops.take_complaint, by=staff["olga"])
    act(app, number, ops.resolve, by=staff["olga"], resolution=Resolution.UPHELD, reasons="Paid in full today.")
    assert load(app, number).next_check_at is None
    assert run(app, T0 + timedelta(days=30)).breaches == 0


def test_the_alarm_is_the_next_thing_enforcement_has_to_do(app, register):
    number = register()
    complaint = load(app, number)
    with app.app_context():
        policy = current_policy()
        assert complaint.next_check_at == warning_time(T0, T0 + 24 * H, 0.75) == next_alarm(complaint, policy)


def test_dry_run_lists_what_it_would_do_and_changes_nothing(app, register, staff, runner):
    numbers = [register(subject=f"Complaint {i}") for i in range(3)]
    result = runner.invoke(args=["deadlines", "enforce", "--at", "2026-11-24T08:01:00Z", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert all(f"{n}: first_response deadline breached" in result.output for n in numbers)
    assert "would record 3 breaches (3 escalations)" in result.output
    assert counts(app)[:2] == (0, 0)
    result = runner.invoke(args=["deadlines", "enforce", "--at", "2026-11-24T08:01:00Z", "--quiet"])
    assert "recorded 3 breaches (3 escalations)" in result.output
    assert counts(app)[:2] == (3, 3)


def test_a_time_without_a_zone_is_refused(runner):
    result = runner.invoke(args=["deadlines", "enforce", "--at", "2026-11-24T08:01:00"])
    assert result.exit_code != 0
    assert "time zone" in result.output


def test_an_interrupted_run_can_be_rerun_without_escalating_twice(app, register, monkeypatch):
    for i in range(12):
        register(subject=f"Complaint {i}")
    real_batch = enforcement._enforce_batch
    calls = []

    def dies_on_the_second_batch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_batch(*args, **kwargs)

    monkeypatch.setattr(enforcement, "_enforce_batch", dies_on_the_second_batch)
    with pytest.raises(KeyboardInterrupt):
        run(app, T0 + 25 * H, batch_size=5)
    assert counts(app)[:2] == (5, 5)
    monkeypatch.setattr(enforcement, "_enforce_batch", real_batch)
    assert run(app, T0 + 25 * H, batch_size=5).escalations == 7
    assert counts(app)[:2] == (12, 12)


def test_two_enforcement_runs_at_once_escalate_each_complaint_exactly_once(app, register):
    numbers = [register(subject=f"Complaint {i}") for i in range(40)]
    at = T0 + 25 * H
    results = enforce_at_once(app, at, passes=3, batch_size=4)
    assert sum(r.escalations for r in results) == 40
    with app.app_context():
        per_complaint = db.session.execute(
            select(Escalation.complaint_id, func.count()).group_by(Escalation.complaint_id)).all()
        assert len(per_complaint) == 40 and {n for _, n in per_complaint} == {1}
        escalated = db.session.scalar(select(func.count()).select_from(Notification).where(
            Notification.kind == NotificationKind.ESCALATED))
    assert escalated == 40
    assert {load(app, n).tier for n in numbers} == {2}


def test_watch_runs_passes_until_told_to_stop(app, register, runner):
    register()
    with frozen_clock(T0 + 25 * H):
        result = runner.invoke(args=["deadlines", "watch", "--interval", "1", "--passes", "1"])
    assert result.exit_code == 0, result.output
    assert "recorded 1 breaches (1 escalations)" in result.output
    assert counts(app)[:2] == (1, 1)
    with app.app_context():  # and the e-mails went out (to the outbox folder in tests)
        statuses = set(db.session.scalars(select(Notification.status)))
    assert {s.value for s in statuses} <= {"sent", "skipped"} and statuses


@pytest.fixture
def smtp_server():
    from _smtp import running_smtp_server

    with running_smtp_server() as server:
        yield server


def test_a_breach_reaches_the_owner_and_the_next_tier_over_smtp(make_app, make_user, smtp_server):
    from _support import valid_payload
    from app.mail.delivery import deliver_all_due

    app = make_app(**smtp_server.settings())
    olga = make_user("olga", "officer", tier=1, email="olga@example.md", full_name="Olga Officer")
    make_user("sofia", "officer", tier=2, email="sofia@example.md", full_name="Sofia Specialist")
    with frozen_clock(T0):
        number = app.test_client().post("/api/v1/complaints", json=valid_payload()).get_json()["number"]
    act(app, number, ops.take_complaint, by=olga)
    run(app, T0 + 24 * H + MIN)
    with app.app_context(), frozen_clock(T0 + 24 * H + 2 * MIN):
        deliver_all_due()
    by_recipient = {tuple(m.rcpt_tos): m.message for m in smtp_server.messages}
    assert number in by_recipient[("olga@example.md",)]["Subject"]
    escalated = by_recipient[("sofia@example.md",)]
    assert number in escalated["Subject"]
    assert "to \"Specialist department\"" in escalated.get_body(preferencelist=("plain",)).get_content()
    assert ("ana.maria@example.md",) in by_recipient  # the complainant's registration receipt


def test_a_large_batch_is_written_in_bulk_and_the_registry_still_verifies(app, register):
    from app.registry.verify import verify_registry

    for i in range(60):  # enough rows for COPY on PostgreSQL (see app.database.bulk_insert)
        register(subject=f"Complaint {i}")
    report = run(app, T0 + 25 * H)
    assert (report.breaches, report.escalations, report.batches) == (60, 60, 1)
    assert counts(app) == (60, 60, 60 + 60 + 60)  # registration mails, breaches to tier 1, tier 2
    with app.app_context():
        result = verify_registry()
    assert result.ok, [str(p) for p in result.problems]


def _statistics_taken_at() -> int | None:
    """The complaints SQLite's planner statistics were taken at (None: never)."""
    return db.session.execute(text("SELECT max(CAST(stat AS INTEGER)) FROM sqlite_stat1 WHERE tbl = 'complaints'")
                              ).scalar()


def test_an_enforcement_pass_takes_sqlites_planner_statistics_again_as_the_registry_grows(
        app, register, runner, monkeypatch):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("PostgreSQL's autovacuum analyses the tables by itself")
    monkeypatch.setattr(database, "STATISTICS_FROM", 3)
    for _ in range(2):
        register()
    with app.app_context():
        assert database.refresh_statistics("complaints") is False  # 2 complaints: not yet
        assert _statistics_taken_at() is None  # what the migrations left: none for an empty table
    register()
    result = runner.invoke(args=["deadlines", "enforce", "--at", "2026-11-24T08:01:00Z"])
    assert result.exit_code == 0, result.output
    assert "statistics taken again" in result.output
    with app.app_context():
        assert _statistics_taken_at() == 3
        assert database.refresh_statistics("complaints") is False  # until the registry doubles
        db.session.rollback()
    for _ in range(3):
        register()
    with app.app_context():
        assert database.refresh_statistics("complaints") is True
        assert _statistics_taken_at() == 6
        # Sampled, then the connection's limit put back (a later full ANALYZE reads everything).
        assert db.session.execute(text("PRAGMA analysis_limit")).scalar() == 0

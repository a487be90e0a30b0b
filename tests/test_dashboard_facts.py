"""The dashboard's copy of each complaint (complaint_facts) is kept by database triggers: after
every kind of change it equals a recomputation from scratch, a rolled-back change leaves no
trace in it, and the migration's backfill fills it for complaints registered before it."""

from __future__ import annotations

from datetime import timedelta

import flask_migrate
import pytest
from sqlalchemy import func, select, update

from _cases import T0, act
from app.clock import frozen_clock
from app.complaints.filters import ComplaintFilter
from app.complaints.models import Complaint, Resolution
from app.desk.operations import annul_complaint, correct_complaint
from app.extensions import db
from app.manage import facts, figures
from app.manage.models import ComplaintFacts
from app.settings.store import current_policy
from app.workflow import operations as ops
from app.workflow.enforcement import enforce

H = timedelta(hours=1)


def _stored_and_recomputed(app) -> tuple[list[tuple], list[tuple]]:
    with app.app_context():
        stored = db.session.execute(facts.stored().order_by(ComplaintFacts.complaint_id)).all()
        fresh = db.session.execute(facts.recomputed().order_by(Complaint.id)).all()
        return [tuple(row) for row in stored], [tuple(row) for row in fresh]


@pytest.fixture
def worked(app, register, staff) -> list[str]:
    """Six complaints through every kind of change the figures read: taken, transferred,
    answered, breached by deadline enforcement (and risen a tier), decided, disputed (and
    escalated on request), closed, sent back down, assigned, corrected (category), annulled."""
    numbers = [register(at=T0) for _ in range(6)]
    olga, petru, mihai = staff["olga"], staff["petru"], staff["mihai"]
    for number in numbers[:5]:
        act(app, number, ops.take_complaint, by=olga, at=T0 + H)
    act(app, numbers[0], ops.transfer_complaint, by=olga, to=petru, reason="Petru knows this bank", at=T0 + 2 * H)
    act(app, numbers[0], ops.respond, by=petru, body="Our answer.", at=T0 + 3 * H)
    act(app, numbers[1], ops.respond, by=olga, body="Our answer.", at=T0 + 4 * H)
    with app.app_context(), frozen_clock(T0 + 25 * H):
        report = enforce(T0 + 25 * H, current_policy())
    assert report.breaches == 4  # numbers[2:6]: not answered by the deadline
    act(app, numbers[1], ops.resolve, by=olga, resolution=Resolution.UPHELD, reasons="Paid in full today.",
        at=T0 + 26 * H)
    act(app, numbers[1], ops.close, by=olga, at=T0 + 27 * H)
    act(app, numbers[1], ops.complainant_reply, by=None, body="Still not paid.", dispute=True,
        ask_escalation=True, at=T0 + 28 * H)
    act(app, numbers[2], ops.take_complaint, by=mihai, at=T0 + 29 * H)
    act(app, numbers[2], ops.send_back, by=mihai, to=olga, instruction="Call the bank first.", at=T0 + 30 * H)
    act(app, numbers[3], ops.assign_owner, by=mihai, to=staff["sofia"], note=None, at=T0 + 31 * H)
    act(app, numbers[4], correct_complaint, by=staff["clerk"], changes={"category": "technical"},
        reason="Filed under the wrong category.", at=T0 + 32 * H)
    act(app, numbers[5], annul_complaint, by=staff["clerk"], reason="Registered twice by mistake.",
        at=T0 + 33 * H)
    return numbers


def test_the_facts_equal_a_recomputation_after_every_kind_of_change(app, worked):
    stored, fresh = _stored_and_recomputed(app)
    assert len(stored) == 6
    assert stored == fresh
    by_id = {row[0]: row for row in stored}
    columns = facts.COLUMNS
    assert sum(row[columns.index("disputed")] for row in by_id.values()) == 1
    assert sum(row[columns.index("first_response_breaches")] for row in by_id.values()) == 4
    assert {row[columns.index("category")] for row in by_id.values()} >= {"technical"}


def test_the_figures_read_from_the_facts_equal_those_of_a_rebuilt_copy(app, worked):
    now = T0 + 40 * H
    with app.app_context():
        before = figures.overview(ComplaintFilter(), now, "Europe/Chisinau")
        timings = figures.timings(ComplaintFilter())
        assert facts.rebuild() == 6
        assert figures.overview(ComplaintFilter(), now, "Europe/Chisinau") == before
        assert figures.timings(ComplaintFilter()) == timings
        db.session.rollback()
    assert before.summary.complaints == 5  # the annulled one is not counted
    assert before.breaches.total == 3  # four breaches, one of them of the annulled complaint


def test_a_rolled_back_change_leaves_the_facts_as_they_were(app, register, staff):
    number = register(at=T0)
    stored, _ = _stored_and_recomputed(app)
    with app.app_context():
        db.session.execute(update(Complaint).values(tier=4, transfer_count=3, category="other"))
        changed = db.session.execute(select(ComplaintFacts.tier, ComplaintFacts.category)).one()
        assert tuple(changed) == (4, "other")  # written by the same statement ...
        db.session.rollback()  # ... and undone with it
    assert _stored_and_recomputed(app) == (stored, stored)
    assert number


def test_the_migration_fills_the_facts_of_complaints_registered_before_it(app, worked):
    expected, _ = _stored_and_recomputed(app)
    with app.app_context():
        flask_migrate.downgrade(revision="a242f1c749c4")
        db.session.remove()
        flask_migrate.upgrade()
        db.session.remove()
        assert db.session.scalar(select(func.count()).select_from(ComplaintFacts)) == 6
    stored, fresh = _stored_and_recomputed(app)
    assert stored == fresh == expected
    # ... and the triggers are back: a change reaches the copy at once.
    with app.app_context():
        db.session.execute(update(Complaint).where(Complaint.number == worked[0]).values(tier=3))
        assert db.session.scalar(select(ComplaintFacts.tier).join(
            Complaint, Complaint.id == ComplaintFacts.complaint_id).where(Complaint.number == worked[0])) == 3
        db.session.rollback()

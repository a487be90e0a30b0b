"""Each test starts from the database the migrations built: what the last one wrote is gone."""

from __future__ import annotations

from sqlalchemy import func, select, text

from _cases import act
from _support import empty_database
from app.complaints.models import Complaint, Resolution
from app.extensions import db
from app.manage.models import FIXED_TABLES
from app.workflow import operations as ops


def _counts() -> dict[str, int]:
    return {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables}


def test_emptying_the_database_leaves_the_fixed_tables_and_starts_the_ids_again_at_one(app, register, staff):
    number = register()
    act(app, number, ops.take_complaint, by=staff["olga"])
    act(app, number, ops.resolve, by=staff["olga"], resolution=Resolution.UPHELD, reasons="Paid in full today.")
    with app.app_context():
        before = _counts()
        assert before["figure_cells"] and before["registry_entries"]  # the rollups counted it
        empty_database()
        after = _counts()
        assert {name for name, count in after.items() if count} == set(FIXED_TABLES)
        assert {name: after[name] for name in FIXED_TABLES} == {name: before[name] for name in FIXED_TABLES}
        if db.engine.dialect.name == "postgresql":  # on SQLite the ids follow the rows left
            assert db.session.execute(text("SELECT count(last_value) FROM pg_sequences")).scalar() == 0
    assert register().endswith("/000001")
    with app.app_context():
        assert db.session.scalar(select(Complaint.id)) == 1

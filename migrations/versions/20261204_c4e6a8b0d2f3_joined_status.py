"""A joined complaint gets its own status, "joined", which the figures never count.

A repeat joined to an earlier complaint (app/workflow/joins.py) kept the status it had when it
was joined, so the dashboard, the outcome figures and the returns counted it as open for ever.
Now the join moves it to "joined" (app/workflow/states.py, NOT_COUNTED with "annulled"):

- the complaints' two CHECK constraints that list statuses allow "joined" (`complaintstatus`,
  and `owned_once_taken`: an untaken complaint may be joined). On SQLite the constraint's text
  is changed in the stored schema, SQLite's documented way for a change that leaves every stored
  row valid (https://sqlite.org/lang_altertable.html, "making other kinds of table schema
  changes"): rebuilding the table would take its triggers and indexes with it;
- the outcome rollups' triggers (migration `outcome_rollups`) are made again, counting neither
  annulled nor joined complaints;
- complaints joined before now move to "joined", which those triggers take out of the outcome
  rollups and `complaint_facts`' triggers copy (the dashboard's rollups never held them: they
  were not settled). Their last signed event still says the status they had: `flask registry
  verify` accepts "joined" for a complaint whose join row its signed "joined" event vouches for.

Downgrading refuses while a complaint is joined: the status it had before is not kept.

Revision ID: c4e6a8b0d2f3
Revises: b8d2f4a6c9e1
Create Date: 2026-12-04 19:45:00.000000

"""
import importlib.util
from pathlib import Path

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c4e6a8b0d2f3'
down_revision = 'b8d2f4a6c9e1'
branch_labels = None
depends_on = None

_BEFORE = ('registered', 'in_progress', 'waiting', 'responded', 'resolved', 'closed', 'reopened', 'annulled')
_AFTER = ('registered', 'in_progress', 'waiting', 'responded', 'resolved', 'closed', 'reopened', 'joined',
          'annulled')
_OPEN = ('registered', 'in_progress', 'waiting', 'responded', 'reopened')
#: The statuses the outcome rollups' triggers never count from now on (app: states.NOT_COUNTED).
UNCOUNTED = ('annulled', 'joined')


def _in(values):
    return f"status IN ({', '.join(repr(v) for v in values)})"


#: (constraint, its condition before, after)
CHECKS = (
    ('ck_complaints_complaintstatus', _in(_BEFORE), _in(_AFTER)),
    ('ck_complaints_owned_once_taken', f"owner_id IS NOT NULL OR {_in(('registered', 'annulled'))}",
     f"owner_id IS NOT NULL OR {_in(('registered', 'annulled', 'joined'))}"),
)


def _outcome_rollups():
    """The migration `outcome_rollups`, loaded afresh: its trigger builders."""
    path = next(Path(__file__).parent.glob('*_a3c5e7f9b1d2_outcome_rollups.py'))
    spec = importlib.util.spec_from_file_location('outcome_rollups_a3c5e7f9b1d2', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _checks(bind, before_after):
    if bind.dialect.name == 'postgresql':
        for name, _before, after in before_after:
            op.drop_constraint(op.f(name), 'complaints', type_='check')
            op.create_check_constraint(op.f(name), 'complaints', after)
        return
    # SQLite: the CREATE TABLE text in the schema, each constraint's condition replaced exactly.
    sql = bind.execute(sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'complaints'")).scalar()
    for name, before, after in before_after:
        old, new = f"CONSTRAINT {name} CHECK ({before})", f"CONSTRAINT {name} CHECK ({after})"
        if sql.count(old) != 1:
            raise RuntimeError(f"complaints: constraint {name} is not as expected ({old}); not changed")
        sql = sql.replace(old, new)
    version = bind.execute(sa.text("PRAGMA schema_version")).scalar()
    bind.execute(sa.text("PRAGMA writable_schema = ON"))
    bind.execute(sa.text("UPDATE sqlite_master SET sql = :sql WHERE type = 'table' AND name = 'complaints'"),
                 {"sql": sql})
    bind.execute(sa.text(f"PRAGMA schema_version = {int(version) + 1}"))
    bind.execute(sa.text("PRAGMA writable_schema = OFF"))
    problems = bind.execute(sa.text("PRAGMA quick_check('complaints')")).scalars().all()
    if problems != ['ok']:
        raise RuntimeError(f"complaints after its constraints changed: {problems}")


def _triggers(dialect, uncounted):
    module = _outcome_rollups()
    module._drop_triggers(dialect)
    module.UNCOUNTED = uncounted
    module._create_triggers(dialect)


def upgrade():
    bind = op.get_bind()
    _checks(bind, CHECKS)
    _triggers(bind.dialect.name, UNCOUNTED)
    joined = f"UPDATE complaints SET status = 'joined' WHERE {_in(_OPEN)} AND id IN (SELECT complaint_id FROM complaint_joins)"  # noqa: S608 (constants)
    bind.execute(sa.text(joined))


def downgrade():
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT count(*) FROM complaints WHERE status = 'joined'")).scalar():
        raise RuntimeError("complaints are joined: their status before the join is not kept, so this "
                           "migration is not undone while any exists")
    _triggers(bind.dialect.name, ('annulled',))
    _checks(bind, [(name, after, before) for name, before, after in CHECKS])

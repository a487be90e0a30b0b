"""The open complaints the rollups count, indexed by registration: how many of them are younger
than the backlog's last age bucket.

The rolling pass (app/manage/rollup.py `roll`) now stamps an open complaint once it is a week
old (the lower bound of the backlog's 7-30 day bucket) instead of thirty days, so the figures'
live part holds the last week's open work rather than the last month's. A rolled-up complaint
is then in the 7-30 day bucket or the last one, depending on the moment the figures are asked
for: whole weeks are told apart by their rollup lines, and the one week the 30-day line falls in
is read here, by registration, from `ix_complaint_facts_rolled_open`. Its key was the tier;
nothing read it by the tier (the escalation desk's count reads every entry, the tier among
them), so the key is now the registration time, and on PostgreSQL the entry carries the tier,
category and channel the dashboard's filters read as well as the breach counts the desk reads.
The downgrade takes the stamp off every complaint registered less than 30 days before it runs:
the earlier code reads a stamped open complaint as in the backlog's last bucket.

Revision ID: a9c1e3f5b7d0
Revises: e5a7c9d1f3b5
Create Date: 2026-12-05 18:00:00.000000

"""
from datetime import timedelta

import sqlalchemy as sa
from alembic import op

from app.clock import now_utc
from app.migrations import revision_module

# revision identifiers, used by Alembic.
revision = 'a9c1e3f5b7d0'
down_revision = 'e5a7c9d1f3b5'
branch_labels = None
depends_on = None


def _rolled_open(key: str, include: tuple[str, ...]) -> None:
    rolled = revision_module('e1f3a5c7b9d2')
    breaches = revision_module('f4a6c8e0b2d5').BREACHES
    columns = f" INCLUDE ({', '.join((*include, *breaches))})" if op.get_bind().dialect.name == 'postgresql' else ""
    op.execute("DROP INDEX ix_complaint_facts_rolled_open")
    op.execute(f"CREATE INDEX ix_complaint_facts_rolled_open ON complaint_facts ({key}){columns} "
               f"WHERE {rolled.settled('complaint_facts')} "
               f"AND complaint_facts.status IN ({', '.join(repr(s) for s in rolled.OPEN)})")


def upgrade():
    _rolled_open('registered_at', ('tier', 'category', 'channel'))


def downgrade():
    _rolled_open('tier', ())  # before the UPDATE: PostgreSQL builds no index under pending (deferred) triggers
    bound = now_utc() - timedelta(days=30)
    if op.get_bind().dialect.name == 'sqlite':
        bound = bound.replace(tzinfo=None)  # stored as naive UTC
    op.execute(sa.text("UPDATE complaint_facts SET rolled_at = NULL WHERE rolled_at IS NOT NULL AND registered_at > :bound")
               .bindparams(sa.bindparam('bound', bound, type_=sa.DateTime(timezone=True))))

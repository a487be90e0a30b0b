"""The open complaints the rollups count, by their own partial index: the escalation desk's count.

Since the migration `rolled_open_work`, an old open complaint stamped by the rolling pass is
settled for the figures and so leaves `ix_complaint_facts_unsettled`, which the escalation desk
counted the open complaints from (app/manage/escalations.py `desk_total`). The desk counts them
still: `ix_complaint_facts_rolled_open` holds the settled complaints with an open status (the
rolled-up ones only; a decided one is never open) by tier, and on PostgreSQL carries the breach
counts the desk reads, so the count is read from the two partial indexes alone. A registration
(young, not rolled) costs it nothing.

Revision ID: f4a6c8e0b2d5
Revises: e1f3a5c7b9d2
Create Date: 2026-12-05 05:30:00.000000

"""
from alembic import op

from app.migrations import revision_module

# revision identifiers, used by Alembic.
revision = 'f4a6c8e0b2d5'
down_revision = 'e1f3a5c7b9d2'
branch_labels = None
depends_on = None

BREACHES = ('first_response_breaches', 'resolution_breaches', 'registration_breaches', 'acknowledgement_breaches',
            'holding_response_breaches', 'final_response_breaches')


def upgrade():
    rolled = revision_module('e1f3a5c7b9d2')
    settled = rolled.settled('complaint_facts')
    include = f" INCLUDE ({', '.join(BREACHES)})" if op.get_bind().dialect.name == 'postgresql' else ""
    op.execute(f"CREATE INDEX ix_complaint_facts_rolled_open ON complaint_facts (tier){include} "
               f"WHERE {settled} AND complaint_facts.status IN ({', '.join(repr(s) for s in rolled.OPEN)})")


def downgrade():
    op.execute("DROP INDEX ix_complaint_facts_rolled_open")

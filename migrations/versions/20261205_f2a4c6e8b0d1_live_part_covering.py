"""The figures' live part read from its index alone on PostgreSQL (`live_part_covering`).

The dashboard, the analysis and the admin's complaints per category read the settled
complaints of a period's full weeks from the rollups and the rest live: the open work, through
the partial index `ix_complaint_facts_unsettled`. Each of those complaints was then read from
the table, where its row lies wherever its last change put it: 967 table pages for 1,814 open
complaints at 100,000, ten times as many for ten times the open work. On PostgreSQL the index
now carries every other column of the table (app/manage/models.py `LIVE_COLUMNS`, written out
here as they were on the day), so those reads are index-only scans; it holds the open work
only, so its width costs little. SQLite keeps the index as it was (it has
no INCLUDE; its live part is within the targets).

Revision ID: f2a4c6e8b0d1
Revises: e8a0c2d4f6b7
Create Date: 2026-12-05 00:00:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f2a4c6e8b0d1'
down_revision = 'e8a0c2d4f6b7'
branch_labels = None
depends_on = None

UNSETTLED = ("NOT (complaint_facts.status IN ('resolved', 'closed') "
             "AND complaint_facts.first_responded_at IS NOT NULL) "
             "AND NOT complaint_facts.status IN ('annulled', 'joined')")
COLUMNS = ", ".join((
    "complaint_id", "category", "channel", "tier", "status", "owner_id", "transfer_count",
    "first_response_due", "first_responded_at", "resolved_at", "disputed", "first_response_breaches",
    "resolution_breaches", "email", "phone", "escalations_first_response_breach",
    "escalations_resolution_breach", "escalations_complainant_request", "escalations_transfers",
    "escalations_owner_request", "escalations_clock_breach", "registration_breaches",
    "acknowledgement_breaches", "holding_response_breaches", "final_response_breaches",
))


def _remake(include: str) -> None:
    op.execute("DROP INDEX ix_complaint_facts_unsettled")
    op.execute(f"CREATE INDEX ix_complaint_facts_unsettled ON complaint_facts (registered_at){include} "
               f"WHERE {UNSETTLED}")
    op.execute("ANALYZE complaint_facts")


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        _remake(f" INCLUDE ({COLUMNS})")


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        _remake("")

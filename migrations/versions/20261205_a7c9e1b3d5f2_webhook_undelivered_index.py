"""The webhooks page bounded by the deliveries not delivered, not by every delivery.

/admin/webhooks counts each receiver's deliveries waiting and failed: it read the whole of
webhook_deliveries (one row per event sent, for ever) to count a few. A partial index on
(endpoint_id, status, id) of the deliveries not delivered (`status <> 'sent'`, the condition
app/webhooks/models.py's queries write out, so SQLite uses it too) gives the counts from those
rows alone, and a receiver's deliveries in one such state newest first, a page at a time.

Revision ID: a7c9e1b3d5f2
Revises: b3d5f7a9c1e4
Create Date: 2026-12-05 00:45:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a7c9e1b3d5f2'
down_revision = 'b3d5f7a9c1e4'
branch_labels = None
depends_on = None

UNDELIVERED = sa.text("status <> 'sent'")


def upgrade():
    op.create_index('ix_webhook_deliveries_undelivered', 'webhook_deliveries', ['endpoint_id', 'status', 'id'],
                    unique=False, postgresql_where=UNDELIVERED, sqlite_where=UNDELIVERED)


def downgrade():
    op.drop_index('ix_webhook_deliveries_undelivered', table_name='webhook_deliveries')

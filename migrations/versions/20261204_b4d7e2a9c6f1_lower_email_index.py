"""Repeat complainants: an index on lower(email), the key the analysis page counts e-mail
addresses by (case-insensitive) and looks their latest complaints up with. The phone number
has its own index already (ix_complaints_phone).

A plain CREATE INDEX on both databases: complaints is never rebuilt (on SQLite a batch rebuild
would drop its triggers).

Revision ID: b4d7e2a9c6f1
Revises: a6e2f4c8d1b3
Create Date: 2026-12-04 06:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b4d7e2a9c6f1'
down_revision = 'a6e2f4c8d1b3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_complaints_lower_email', 'complaints', [sa.text('lower(email)')], unique=False)


def downgrade():
    op.drop_index('ix_complaints_lower_email', table_name='complaints')

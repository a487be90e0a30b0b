"""Issued returns: each regulator return (FCA, Gambling Commission) and monthly report for a
period that had ended, as first downloaded, its file kept in the write-once return store under
the SHA-256 that a signed "return_issued" event names with the figures.

A new table only: nothing existing is rebuilt (on SQLite a batch rebuild of complaints,
case_messages or breaches would drop their triggers).

Revision ID: a6e2f4c8d1b3
Revises: f1c7a3e9b2d4
Create Date: 2026-12-04 05:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a6e2f4c8d1b3'
down_revision = 'f1c7a3e9b2d4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('issued_returns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('period_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('period_end', sa.DateTime(timezone=True), nullable=False),
    sa.Column('format', sa.String(length=10), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('entry_position', sa.BigInteger(), nullable=True),
    sa.CheckConstraint("format IN ('pdf', 'csv', 'xlsx')", name=op.f('ck_issued_returns_known_format')),
    sa.CheckConstraint('period_start < period_end', name=op.f('ck_issued_returns_period_in_order')),
    sa.CheckConstraint('size > 0', name=op.f('ck_issued_returns_size_positive')),
    sa.ForeignKeyConstraint(['entry_position'], ['registry_entries.position'],
                            name=op.f('fk_issued_returns_entry_position_registry_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_issued_returns')),
    sa.UniqueConstraint('entry_position', name=op.f('uq_issued_returns_entry_position')),
    sa.UniqueConstraint('kind', 'period_start', 'period_end', 'format', 'language',
                        name=op.f('uq_issued_returns_kind_period_start_period_end_format_language'))
    )


def downgrade():
    op.drop_table('issued_returns')

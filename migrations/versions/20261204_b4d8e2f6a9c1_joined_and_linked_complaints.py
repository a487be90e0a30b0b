"""Joined and linked complaints, and the search of the correspondence.

`complaint_joins`: a repeated complaint joined to the earlier one (one row each, vouched for by
its signed "joined" event); `complaint_links`: related complaints linked and unlinked (one row
per signed "linked" / "unlinked" event). The journal searches the case messages' bodies: a
trigram GIN index on PostgreSQL, as on the complaints' text columns; on SQLite no index serves
LIKE '%...%', so there it is kept empty (WHERE 0), as those are.

Revision ID: b4d8e2f6a9c1
Revises: e7b2c4d6f8a1
Create Date: 2026-12-04 16:30:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'b4d8e2f6a9c1'
down_revision = 'e7b2c4d6f8a1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'complaint_joins',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('complaint_id', sa.Integer(), nullable=False),
        sa.Column('main_id', sa.Integer(), nullable=False),
        sa.Column('joined_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('by_id', sa.Integer(), nullable=False),
        sa.Column('entry_position', sa.BigInteger(), nullable=False),
        sa.CheckConstraint('main_id <> complaint_id', name=op.f('ck_complaint_joins_not_itself')),
        sa.ForeignKeyConstraint(['by_id'], ['users.id'], name=op.f('fk_complaint_joins_by_id_users')),
        sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'],
                                name=op.f('fk_complaint_joins_complaint_id_complaints')),
        sa.ForeignKeyConstraint(['entry_position'], ['registry_entries.position'],
                                name=op.f('fk_complaint_joins_entry_position_registry_entries')),
        sa.ForeignKeyConstraint(['main_id'], ['complaints.id'], name=op.f('fk_complaint_joins_main_id_complaints')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_joins')),
        sa.UniqueConstraint('complaint_id', name=op.f('uq_complaint_joins_complaint_id')),
        sa.UniqueConstraint('entry_position', name=op.f('uq_complaint_joins_entry_position')),
    )
    op.create_index(op.f('ix_complaint_joins_main_id'), 'complaint_joins', ['main_id'], unique=False)
    op.create_table(
        'complaint_links',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('complaint_id', sa.Integer(), nullable=False),
        sa.Column('related_id', sa.Integer(), nullable=False),
        sa.Column('linked', sa.Boolean(), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('by_id', sa.Integer(), nullable=False),
        sa.Column('entry_position', sa.BigInteger(), nullable=False),
        sa.CheckConstraint('related_id <> complaint_id', name=op.f('ck_complaint_links_not_itself')),
        sa.ForeignKeyConstraint(['by_id'], ['users.id'], name=op.f('fk_complaint_links_by_id_users')),
        sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'],
                                name=op.f('fk_complaint_links_complaint_id_complaints')),
        sa.ForeignKeyConstraint(['entry_position'], ['registry_entries.position'],
                                name=op.f('fk_complaint_links_entry_position_registry_entries')),
        sa.ForeignKeyConstraint(['related_id'], ['complaints.id'],
                                name=op.f('fk_complaint_links_related_id_complaints')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_links')),
        sa.UniqueConstraint('entry_position', name=op.f('uq_complaint_links_entry_position')),
    )
    op.create_index(op.f('ix_complaint_links_complaint_id'), 'complaint_links', ['complaint_id'], unique=False)
    op.create_index(op.f('ix_complaint_links_related_id'), 'complaint_links', ['related_id'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
    op.create_index('ix_case_messages_body_trgm', 'case_messages', ['body'], unique=False,
                    postgresql_using='gin', postgresql_ops={'body': 'gin_trgm_ops'}, sqlite_where=sa.text('0'))


def downgrade():
    op.drop_index('ix_case_messages_body_trgm', table_name='case_messages')
    op.drop_index(op.f('ix_complaint_links_related_id'), table_name='complaint_links')
    op.drop_index(op.f('ix_complaint_links_complaint_id'), table_name='complaint_links')
    op.drop_table('complaint_links')
    op.drop_index(op.f('ix_complaint_joins_main_id'), table_name='complaint_joins')
    op.drop_table('complaint_joins')

"""Escalation reviews: a manager's review decision on a complaint on the escalation desk.

- `escalation_reviews`: the decision (keep with the owner, take over, send back), the
  escalation it answered, the owner and tier after it, the instruction, when and by whom, and
  the signed "reviewed" event that vouches for it.

Revision ID: b4d8e2f6a1c3
Revises: b4d8e2f6a9c1
Create Date: 2026-12-04 16:30:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b4d8e2f6a1c3'
down_revision = 'b4d8e2f6a9c1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('escalation_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('escalation_id', sa.Integer(), nullable=True),
    sa.Column('decision', sa.Enum('keep', 'take_over', 'send_back', name='reviewdecision', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('tier', sa.Integer(), nullable=False),
    sa.Column('instruction', sa.Text(), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=False),
    sa.Column('entry_position', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['by_id'], ['users.id'], name=op.f('fk_escalation_reviews_by_id_users')),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'], name=op.f('fk_escalation_reviews_complaint_id_complaints')),
    sa.ForeignKeyConstraint(['escalation_id'], ['escalations.id'], name=op.f('fk_escalation_reviews_escalation_id_escalations')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_escalation_reviews_owner_id_users')),
    sa.ForeignKeyConstraint(['entry_position'], ['registry_entries.position'], name=op.f('fk_escalation_reviews_entry_position_registry_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_escalation_reviews')),
    sa.UniqueConstraint('entry_position', name=op.f('uq_escalation_reviews_entry_position'))
    )
    with op.batch_alter_table('escalation_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_escalation_reviews_complaint_id'), ['complaint_id'], unique=False)


def downgrade():
    with op.batch_alter_table('escalation_reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_escalation_reviews_complaint_id'))
    op.drop_table('escalation_reviews')

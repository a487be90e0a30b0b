"""Desk receipts (receipt_prints), who registered a complaint, and annulment/correction entries.

Revision ID: 011619db25f1
Revises: ea9f21d18fe9
Create Date: 2026-11-22 15:08:59.917004

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '011619db25f1'
down_revision = 'ea9f21d18fe9'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('receipt_prints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('reprint_number', sa.Integer(), nullable=False),
    sa.Column('printed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('printed_by_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'], name=op.f('fk_receipt_prints_complaint_id_complaints')),
    sa.ForeignKeyConstraint(['printed_by_id'], ['users.id'], name=op.f('fk_receipt_prints_printed_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_receipt_prints')),
    sa.UniqueConstraint('complaint_id', 'reprint_number', name=op.f('uq_receipt_prints_complaint_id_reprint_number'))
    )
    with op.batch_alter_table('receipt_prints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_receipt_prints_complaint_id'), ['complaint_id'], unique=False)

    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.add_column(sa.Column('registered_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_complaints_registered_by_id_users'), 'users', ['registered_by_id'], ['id'])
        batch_op.drop_constraint(op.f('ck_complaints_complaintstatus'), type_='check')
        batch_op.create_check_constraint(op.f('ck_complaints_complaintstatus'), "status IN ('registered', 'annulled')")

    with op.batch_alter_table('registry_entries', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_registry_entries_entrykind'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_registry_entries_entrykind'), "kind IN ('intake', 'annulment', 'correction')"
        )



def downgrade():
    with op.batch_alter_table('registry_entries', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_registry_entries_entrykind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_registry_entries_entrykind'), "kind IN ('intake')")

    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_complaints_complaintstatus'), type_='check')
        batch_op.create_check_constraint(op.f('ck_complaints_complaintstatus'), "status IN ('registered')")
        batch_op.drop_constraint(batch_op.f('fk_complaints_registered_by_id_users'), type_='foreignkey')
        batch_op.drop_column('registered_by_id')

    with op.batch_alter_table('receipt_prints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_receipt_prints_complaint_id'))

    op.drop_table('receipt_prints')

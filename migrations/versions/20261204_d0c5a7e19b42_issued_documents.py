"""Issued documents: each receipt, reprint and letter as it was first delivered, its PDF kept in
the write-once document store under the SHA-256 that a signed "document_issued" event names.

A new table only: nothing existing is rebuilt (on SQLite a batch rebuild would drop triggers).
Documents issued before this revision get their row at their next delivery.

Revision ID: d0c5a7e19b42
Revises: d7f1a2b3c4e5
Create Date: 2026-12-04 01:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd0c5a7e19b42'
down_revision = 'd7f1a2b3c4e5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('issued_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('receipt', 'receipt_print', 'letter', name='documentkind', native_enum=False,
                              create_constraint=True, length=20), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('duplicate_number', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('entry_position', sa.BigInteger(), nullable=True),
    sa.CheckConstraint("(kind = 'letter') = (message_id IS NOT NULL)",
                       name=op.f('ck_issued_documents_letter_names_its_message')),
    sa.CheckConstraint("(kind = 'receipt_print') = (duplicate_number > 0)",
                       name=op.f('ck_issued_documents_reprints_are_duplicates')),
    sa.CheckConstraint('size > 0', name=op.f('ck_issued_documents_size_positive')),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'], name=op.f('fk_issued_documents_complaint_id_complaints')),
    sa.ForeignKeyConstraint(['entry_position'], ['registry_entries.position'],
                            name=op.f('fk_issued_documents_entry_position_registry_entries')),
    sa.ForeignKeyConstraint(['message_id'], ['case_messages.id'], name=op.f('fk_issued_documents_message_id_case_messages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_issued_documents')),
    sa.UniqueConstraint('entry_position', name=op.f('uq_issued_documents_entry_position')),
    sa.UniqueConstraint('message_id', name=op.f('uq_issued_documents_message_id'))
    )
    op.create_index('uq_issued_documents_receipt', 'issued_documents',
                    ['complaint_id', 'kind', 'language', 'duplicate_number'], unique=True,
                    postgresql_where=sa.text('message_id IS NULL'), sqlite_where=sa.text('message_id IS NULL'))


def downgrade():
    op.drop_index('uq_issued_documents_receipt', table_name='issued_documents')
    op.drop_table('issued_documents')

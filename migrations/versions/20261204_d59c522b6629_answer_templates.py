"""Answer templates (app/answers): templates per category, their versions (an edit is a new
version, never a change), each version's title and text per language, and each letter started
from a version (the analysis counts them).

Revision ID: d59c522b6629
Revises: b6d8f0a2c4e7
Create Date: 2026-12-04 16:04:06.906308

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'd59c522b6629'
down_revision = 'b6d8f0a2c4e7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('answer_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=50), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('retired_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_answer_templates_created_by_id_users')),
    sa.ForeignKeyConstraint(['retired_by_id'], ['users.id'], name=op.f('fk_answer_templates_retired_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_answer_templates'))
    )
    op.create_table('answer_template_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_answer_template_versions_created_by_id_users')),
    sa.ForeignKeyConstraint(['template_id'], ['answer_templates.id'], name=op.f('fk_answer_template_versions_template_id_answer_templates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_answer_template_versions')),
    sa.UniqueConstraint('template_id', 'number', name=op.f('uq_answer_template_versions_template_id_number'))
    )
    with op.batch_alter_table('answer_template_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_answer_template_versions_template_id'), ['template_id'], unique=False)

    op.create_table('answer_template_texts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['answer_template_versions.id'], name=op.f('fk_answer_template_texts_version_id_answer_template_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_answer_template_texts')),
    sa.UniqueConstraint('version_id', 'language', name=op.f('uq_answer_template_texts_version_id_language'))
    )
    op.create_table('answer_template_uses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_by_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['case_messages.id'], name=op.f('fk_answer_template_uses_message_id_case_messages')),
    sa.ForeignKeyConstraint(['used_by_id'], ['users.id'], name=op.f('fk_answer_template_uses_used_by_id_users')),
    sa.ForeignKeyConstraint(['version_id'], ['answer_template_versions.id'], name=op.f('fk_answer_template_uses_version_id_answer_template_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_answer_template_uses')),
    sa.UniqueConstraint('message_id', name=op.f('uq_answer_template_uses_message_id'))
    )
    with op.batch_alter_table('answer_template_uses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_answer_template_uses_used_at'), ['used_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_answer_template_uses_version_id'), ['version_id'], unique=False)



def downgrade():
    with op.batch_alter_table('answer_template_uses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_answer_template_uses_version_id'))
        batch_op.drop_index(batch_op.f('ix_answer_template_uses_used_at'))

    op.drop_table('answer_template_uses')
    op.drop_table('answer_template_texts')
    with op.batch_alter_table('answer_template_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_answer_template_versions_template_id'))

    op.drop_table('answer_template_versions')
    op.drop_table('answer_templates')

"""Evidence at any time: a file that came after registration (with a reply, a dispute, a
letter, or added by the desk) names the signed event that brought it and the message it came
with. Plain ADD COLUMN (nullable): the attachments table is never rebuilt.

Revision ID: d5a8c3e1f7b2
Revises: d0c5a7e19b42
Create Date: 2026-12-04 01:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd5a8c3e1f7b2'
down_revision = 'd0c5a7e19b42'
branch_labels = None
depends_on = None


_COLUMNS = (
    ('entry_position', 'BIGINT', sa.BigInteger(), 'registry_entries', 'position'),
    ('message_id', 'INTEGER', sa.Integer(), 'case_messages', 'id'),
)


def upgrade():
    sqlite = op.get_bind().dialect.name == 'sqlite'
    for column, sql_type, type_, table, key in _COLUMNS:
        name = f'fk_attachments_{column}_{table}'
        if sqlite:  # SQLite adds a column with its reference in one ALTER TABLE, never a constraint later
            op.execute(f"ALTER TABLE attachments ADD COLUMN {column} {sql_type} CONSTRAINT {name} REFERENCES {table} ({key})")
        else:
            op.add_column('attachments', sa.Column(column, type_, nullable=True))
            op.create_foreign_key(op.f(name), 'attachments', table, [column], [key])
        op.create_index(op.f(f'ix_attachments_{column}'), 'attachments', [column], unique=False)


def downgrade():
    sqlite = op.get_bind().dialect.name == 'sqlite'
    for column, _sql, _type, table, _key in reversed(_COLUMNS):
        op.drop_index(op.f(f'ix_attachments_{column}'), table_name='attachments')
        if sqlite:
            op.execute(f"ALTER TABLE attachments DROP COLUMN {column}")
        else:
            op.drop_constraint(op.f(f'fk_attachments_{column}_{table}'), 'attachments', type_='foreignkey')
            op.drop_column('attachments', column)

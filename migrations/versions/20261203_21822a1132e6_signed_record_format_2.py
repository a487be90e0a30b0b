"""Signed record format 2: personal data and free text leave the signed payload for a private
part committed to by a salted digest (so it can be erased later); letters are frozen as issued;
receipt prints and settings versions are signed events; each breach row names its event.

A registry that already holds records signed in format 1 (development builds before this
revision) cannot be carried over: its entries' digests cover the old format, and re-signing them
would forge them. The upgrade refuses it with a clear message instead. Breaches, receipt prints
and settings versions name their signed event in `entry_position`, NULL in a row no event
vouches for (verify reports such rows).

Revision ID: 21822a1132e6
Revises: 7d4e2a9c1f05
Create Date: 2026-12-03 21:30:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '21822a1132e6'
down_revision = '7d4e2a9c1f05'
branch_labels = None
depends_on = None

KINDS = "'intake', 'annulment', 'correction', 'event'"
#: SQLite rebuilds `breaches` to add a constrained column, which drops its trigger (migration
#: complaint_facts); made again afterwards, as it was.
_BREACH_TRIGGER = (
    "CREATE TRIGGER complaint_facts_breach AFTER INSERT ON breaches BEGIN "
    "UPDATE complaint_facts SET "
    "first_response_breaches = first_response_breaches + CASE WHEN NEW.kind = 'first_response' THEN 1 ELSE 0 END, "
    "resolution_breaches = resolution_breaches + CASE WHEN NEW.kind = 'resolution' THEN 1 ELSE 0 END "
    "WHERE complaint_id = NEW.complaint_id; END"
)


def _sqlite_breach_trigger():
    if op.get_bind().dialect.name == 'sqlite':
        op.execute("DROP TRIGGER IF EXISTS complaint_facts_breach")
        op.execute(_BREACH_TRIGGER)


def upgrade():
    bind = op.get_bind()
    # Format 1 kept the complainant in the intake entry's signed payload; format 2 never does.
    old = bind.execute(sa.text(
        "SELECT count(*) FROM registry_entries WHERE kind = 'intake' AND payload LIKE '%\"complainant\":%'"
    )).scalar()
    if old:
        raise RuntimeError(
            f"this registry holds {old} complaints signed in format 1, which format 2 cannot carry over; "
            "it can only be a development database (none was released): remove it and start afresh "
            "(make run recreates instance/registry.sqlite3)"
        )
    # Added in place, not by rebuilding the table, which on SQLite would drop its triggers
    # (migration complaint_facts). Rows of format 2 stored before a downgrade get a new salt.
    op.add_column('complaints', sa.Column('personal_salt', sa.String(length=32), nullable=False, server_default=''))
    random_hex = "lower(hex(randomblob(16)))" if bind.dialect.name == 'sqlite' else "md5(random()::text)"
    op.execute(f"UPDATE complaints SET personal_salt = {random_hex}")
    if bind.dialect.name == 'postgresql':
        op.alter_column('complaints', 'personal_salt', server_default=None)
    with op.batch_alter_table('registry_entries', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_registry_entries_entrykind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_registry_entries_entrykind'), f"kind IN ({KINDS}, 'setting')")
    op.create_table('registry_private',
    sa.Column('position', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=True),
    sa.Column('data', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'], name=op.f('fk_registry_private_complaint_id_complaints')),
    sa.ForeignKeyConstraint(['position'], ['registry_entries.position'], name=op.f('fk_registry_private_position_registry_entries')),
    sa.PrimaryKeyConstraint('position', name=op.f('pk_registry_private'))
    )
    with op.batch_alter_table('registry_private', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registry_private_complaint_id'), ['complaint_id'], unique=False)
    for table in ('receipt_prints', 'setting_versions', 'breaches'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            # NULL only in rows no signed event vouches for, which `flask registry verify` reports.
            batch_op.add_column(sa.Column('entry_position', sa.BigInteger(), nullable=True))
            batch_op.create_unique_constraint(batch_op.f(f'uq_{table}_entry_position'), ['entry_position'])
            batch_op.create_foreign_key(batch_op.f(f'fk_{table}_entry_position_registry_entries'),
                                        'registry_entries', ['entry_position'], ['position'])
    _sqlite_breach_trigger()


def downgrade():
    for table in ('breaches', 'setting_versions', 'receipt_prints'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f'fk_{table}_entry_position_registry_entries'), type_='foreignkey')
            batch_op.drop_constraint(batch_op.f(f'uq_{table}_entry_position'), type_='unique')
            batch_op.drop_column('entry_position')
    _sqlite_breach_trigger()
    with op.batch_alter_table('registry_private', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registry_private_complaint_id'))
    op.drop_table('registry_private')
    with op.batch_alter_table('registry_entries', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_registry_entries_entrykind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_registry_entries_entrykind'), f"kind IN ({KINDS})")
    op.drop_column('complaints', 'personal_salt')  # in place (SQLite 3.35+), keeping the triggers

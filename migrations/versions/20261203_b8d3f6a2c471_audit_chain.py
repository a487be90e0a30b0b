"""The audit trail's hash chain: every audit event gets its place in the chain (`position`),
the digest of the event before it and its own digest; a single-row head names the newest.

Existing events are linked in id order (the order they were written in), with the same
digest the application computes (app/audit/chain.py event_digest), and the head is created
naming the last of them.

Revision ID: b8d3f6a2c471
Revises: 21822a1132e6
Create Date: 2026-11-23 10:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

from app.audit.chain import event_digest
from app.database import UTCDateTime
from app.registry.digest import GENESIS_DIGEST

# revision identifiers, used by Alembic.
revision = 'b8d3f6a2c471'
down_revision = '21822a1132e6'
branch_labels = None
depends_on = None

BATCH = 1000

events = sa.table(
    'audit_events',
    sa.column('id', sa.Integer()), sa.column('at', UTCDateTime()), sa.column('user_id', sa.Integer()),
    sa.column('username', sa.String()), sa.column('action', sa.String()), sa.column('target', sa.String()),
    sa.column('details', sa.Text()), sa.column('ip', sa.String()), sa.column('position', sa.BigInteger()),
    sa.column('prev_digest', sa.String()), sa.column('digest', sa.String()),
)


def upgrade():
    head = op.create_table('audit_chain_head',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('position', sa.BigInteger(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_audit_chain_head_single_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_chain_head'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('position', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('prev_digest', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('digest', sa.String(length=64), nullable=True))

    position, previous = _link_existing_events(op.get_bind())
    op.bulk_insert(head, [{'id': 1, 'position': position, 'digest': previous}])

    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.alter_column('position', existing_type=sa.BigInteger(), nullable=False)
        batch_op.alter_column('prev_digest', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('digest', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_audit_events_position'), ['position'])


def _link_existing_events(connection) -> tuple[int, str]:
    """Digest every existing event in id order; the last position and digest."""
    position, previous, last_id = 0, GENESIS_DIGEST, 0
    while True:
        rows = connection.execute(
            sa.select(events.c.id, events.c.at, events.c.user_id, events.c.username, events.c.action,
                      events.c.target, events.c.details, events.c.ip)
            .where(events.c.id > last_id).order_by(events.c.id).limit(BATCH)
        ).all()
        if not rows:
            return position, previous
        updates = []
        for row in rows:
            position += 1
            digest = event_digest(
                position=position, at=row.at, user_id=row.user_id, username=row.username, action=row.action,
                target=row.target, details=row.details, ip=row.ip, prev_digest=previous,
            )
            updates.append({'row_id': row.id, 'p': position, 'prev': previous, 'd': digest})
            previous = digest
        connection.execute(
            events.update().where(events.c.id == sa.bindparam('row_id'))
            .values(position=sa.bindparam('p'), prev_digest=sa.bindparam('prev'), digest=sa.bindparam('d')),
            updates,
        )
        last_id = rows[-1].id


def downgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_audit_events_position'), type_='unique')
        batch_op.drop_column('digest')
        batch_op.drop_column('prev_digest')
        batch_op.drop_column('position')

    op.drop_table('audit_chain_head')

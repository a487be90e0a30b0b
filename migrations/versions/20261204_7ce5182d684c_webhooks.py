"""Webhooks: the receivers administrators register, and each event's delivery to each.

- `webhook_endpoints`: the receiver's address, its event types, its HMAC secret, whether it is
  active, and its cursor: the last registry position the dispatcher looked at for it;
- `webhook_deliveries`: one row per (endpoint, registry entry, event) of the endpoint's event
  types, unique, with the body posted on every attempt, an outbox's status, attempts and next attempt
  (the same partial index of pending rows as `notifications`), and the receiver's last answer.

Revision ID: 7ce5182d684c
Revises: a9c3e5f7b1d2
Create Date: 2026-12-04 16:06:33.334661

"""
import sqlalchemy as sa
from alembic import op

import app.database

# revision identifiers, used by Alembic.
revision = '7ce5182d684c'
down_revision = 'a9c3e5f7b1d2'
branch_labels = None
depends_on = None

_PENDING = "status IN ('queued', 'sending')"


def upgrade():
    op.create_table(
        'webhook_endpoints',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('url', sa.String(length=2000), nullable=False),
        sa.Column('description', sa.String(length=200), nullable=False),
        sa.Column('events', sa.String(length=200), nullable=False),
        sa.Column('secret', sa.String(length=64), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('cursor', sa.BigInteger(), nullable=False),
        sa.Column('created_at', app.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_webhook_endpoints_created_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_endpoints')),
    )
    op.create_table(
        'webhook_deliveries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('endpoint_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.BigInteger(), nullable=False),
        sa.Column('event', sa.Enum('registered', 'taken', 'responded', 'breached', 'escalated', 'decided', 'closed',
                                   'rated', name='webhookevent', native_enum=False, create_constraint=True,
                                   length=20), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('created_at', app.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column('status', sa.Enum('queued', 'sending', 'sent', 'failed', 'skipped', name='deliverystatus',
                                    native_enum=False, create_constraint=True, length=20), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', app.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column('delivered_at', app.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column('response_status', sa.Integer(), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['endpoint_id'], ['webhook_endpoints.id'],
                                name=op.f('fk_webhook_deliveries_endpoint_id_webhook_endpoints')),
        sa.ForeignKeyConstraint(['position'], ['registry_entries.position'],
                                name=op.f('fk_webhook_deliveries_position_registry_entries')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_deliveries')),
        sa.UniqueConstraint('endpoint_id', 'position', 'event',
                            name=op.f('uq_webhook_deliveries_endpoint_id_position_event')),
    )
    op.create_index('ix_webhook_deliveries_endpoint', 'webhook_deliveries', ['endpoint_id', 'id'])
    op.create_index('ix_webhook_deliveries_pending', 'webhook_deliveries', ['next_attempt_at'],
                    postgresql_where=sa.text(_PENDING), sqlite_where=sa.text(_PENDING))


def downgrade():
    op.drop_index('ix_webhook_deliveries_pending', table_name='webhook_deliveries')
    op.drop_index('ix_webhook_deliveries_endpoint', table_name='webhook_deliveries')
    op.drop_table('webhook_deliveries')
    op.drop_table('webhook_endpoints')

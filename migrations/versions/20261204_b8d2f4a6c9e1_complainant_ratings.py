"""The complainant's verdict: ratings of the handling, and the invitations to give one.

- `complaint_ratings`: one per complaint (unique), its score 1..5, the reason, when, and the
  complaint's category, tier and owner then; the signed "rated" event vouches for it;
  `ix_complaint_ratings_rated_at` bounds the satisfaction figures by their period;
- `rating_requests`: the invitation sent when a complaint was closed, and when its one reminder
  is due (`ix_rating_requests_remind_at`: the sweep reads only the due ones);
- the outbox's two new e-mails, "rating_request" and "rating_reminder".

Revision ID: b8d2f4a6c9e1
Revises: b6d2f8a4c1e7
Create Date: 2026-12-04 16:30:00.000000

"""
import warnings

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b8d2f4a6c9e1'
down_revision = 'b6d2f8a4c1e7'
branch_labels = None
depends_on = None

_KINDS = ("'registered', 'message', 'status_changed', 'attachments_refused', 'assigned', 'consultation', "
          "'complainant_reply', 'due_soon', 'breach', 'escalated', 'unstaffed_escalation'")
KIND_CHECK_BEFORE = f"kind IN ({_KINDS})"
KIND_CHECK = f"kind IN ({_KINDS}, 'rating_request', 'rating_reminder')"
_PENDING = sa.text("status IN ('queued', 'sending')")


def _notification_kinds(check: str) -> None:
    op.drop_index('ix_notifications_pending', table_name='notifications', postgresql_where=_PENDING,
                  sqlite_where=_PENDING)
    # SQLite rebuilds the table, reflecting the complaints it refers to, whose expression index
    # (the queue's, ix_complaints_queue) it cannot reflect and need not: the warning is moot here.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index",
                                sa.exc.SAWarning)
        with op.batch_alter_table('notifications', schema=None) as batch_op:
            batch_op.drop_constraint(op.f('ck_notifications_notificationkind'), type_='check')
            batch_op.create_check_constraint(op.f('ck_notifications_notificationkind'), check)
    op.create_index('ix_notifications_pending', 'notifications', ['next_attempt_at'], unique=False,
                    postgresql_where=_PENDING, sqlite_where=_PENDING)


def upgrade():
    op.create_table('complaint_ratings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('rated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('category', sa.String(length=50), nullable=False),
    sa.Column('tier', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('entry_position', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('score BETWEEN 1 AND 5', name=op.f('ck_complaint_ratings_score_range')),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'], name=op.f('fk_complaint_ratings_complaint_id_complaints')),
    sa.ForeignKeyConstraint(['entry_position'], ['registry_entries.position'], name=op.f('fk_complaint_ratings_entry_position_registry_entries')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_complaint_ratings_owner_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_ratings')),
    sa.UniqueConstraint('complaint_id', name=op.f('uq_complaint_ratings_complaint_id')),
    sa.UniqueConstraint('entry_position', name=op.f('uq_complaint_ratings_entry_position'))
    )
    op.create_index(op.f('ix_complaint_ratings_rated_at'), 'complaint_ratings', ['rated_at'], unique=False)

    op.create_table('rating_requests',
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('remind_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'], name=op.f('fk_rating_requests_complaint_id_complaints')),
    sa.PrimaryKeyConstraint('complaint_id', name=op.f('pk_rating_requests'))
    )
    op.create_index(op.f('ix_rating_requests_remind_at'), 'rating_requests', ['remind_at'], unique=False)
    _notification_kinds(KIND_CHECK)


def downgrade():
    op.execute("DELETE FROM notifications WHERE kind IN ('rating_request', 'rating_reminder')")
    _notification_kinds(KIND_CHECK_BEFORE)
    op.drop_index(op.f('ix_rating_requests_remind_at'), table_name='rating_requests')
    op.drop_table('rating_requests')
    op.drop_index(op.f('ix_complaint_ratings_rated_at'), table_name='complaint_ratings')
    op.drop_table('complaint_ratings')

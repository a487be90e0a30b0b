"""Mail intake: every received e-mail (stored raw, signed on arrival), the files it carried, and
the last contact with the mailbox; the outbox's "attachments_refused" e-mail and the audit's
"mail_filed" action.

Only new tables, and two CHECKs replaced by batch rebuilds of tables that have no trigger
(notifications, audit_events); the notifications' partial index is dropped before and made
again after, so the rebuild cannot lose its WHERE.

Revision ID: d7f1a2b3c4e5
Revises: e3b7c1d9a4f6
Create Date: 2026-12-04 00:13:06.603546

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd7f1a2b3c4e5'
down_revision = 'e3b7c1d9a4f6'
branch_labels = None
depends_on = None

_KINDS = ("'registered', 'message', 'status_changed', 'assigned', 'consultation', 'complainant_reply', "
          "'due_soon', 'breach', 'escalated'")
KIND_CHECK_BEFORE = f"kind IN ({_KINDS})"
KIND_CHECK = f"kind IN ({_KINDS}, 'attachments_refused')"
_ACTIONS = (
    "'login', 'login_failed', 'logout', 'password_changed', 'forbidden', 'registration', 'receipt_print', "
    "'receipt_reprint', 'annulment', 'correction', 'export', 'attachment_download', 'user_created', "
    "'own_settings_changed', 'settings_changed', 'api_token_created', 'api_token_revoked', 'login_throttled', "
    "'account_locked', 'account_unlocked', 'sessions_ended', 'user_deactivated', 'monthly_report', "
    "'figures_export'"
)
ACTION_CHECK_BEFORE = f"action IN ({_ACTIONS})"
ACTION_CHECK = f"action IN ({_ACTIONS}, 'mail_filed')"
_PENDING = sa.text("status IN ('queued', 'sending')")


def _notification_kinds(check: str) -> None:
    op.drop_index('ix_notifications_pending', table_name='notifications', postgresql_where=_PENDING,
                  sqlite_where=_PENDING)
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_notifications_notificationkind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_notifications_notificationkind'), check)
    op.create_index('ix_notifications_pending', 'notifications', ['next_attempt_at'], unique=False,
                    postgresql_where=_PENDING, sqlite_where=_PENDING)


def _audit_actions(check: str) -> None:
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_audit_events_auditaction'), type_='check')
        batch_op.create_check_constraint(op.f('ck_audit_events_auditaction'), check)



def upgrade():
    op.create_table('mailbox_status',
    sa.Column('mailbox', sa.String(length=300), nullable=False),
    sa.Column('last_success_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('mailbox', name=op.f('pk_mailbox_status'))
    )
    op.create_table('inbound_mail',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('message_id', sa.String(length=500), nullable=True),
    sa.Column('source', sa.Enum('imap', 'pipe', name='mailsource', native_enum=False, create_constraint=True, length=10), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('stored_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('personal_salt', sa.String(length=32), nullable=False),
    sa.Column('entry_position', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.Enum('new', 'reply', 'held', 'automatic', 'unreadable', 'duplicate', name='mailkind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('sender_name', sa.String(length=200), nullable=True),
    sa.Column('sender_address', sa.String(length=254), nullable=True),
    sa.Column('subject', sa.String(length=500), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('language', sa.String(length=5), nullable=True),
    sa.Column('outcome', sa.Enum('waiting', 'added', 'registered', 'filed', name='mailoutcome', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=True),
    sa.Column('case_message_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('filed_reason', sa.Text(), nullable=True),
    sa.CheckConstraint("(outcome = 'added') = (case_message_id IS NOT NULL)", name=op.f('ck_inbound_mail_added_as_message')),
    sa.CheckConstraint("(outcome = 'filed') = (filed_reason IS NOT NULL)", name=op.f('ck_inbound_mail_filed_with_reason')),
    sa.CheckConstraint("(outcome = 'waiting') = (decided_at IS NULL)", name=op.f('ck_inbound_mail_decided_once')),
    sa.CheckConstraint("outcome IN ('waiting', 'filed') OR complaint_id IS NOT NULL", name=op.f('ck_inbound_mail_outcome_complaint')),
    sa.ForeignKeyConstraint(['case_message_id'], ['case_messages.id'], name=op.f('fk_inbound_mail_case_message_id_case_messages')),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'], name=op.f('fk_inbound_mail_complaint_id_complaints')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_inbound_mail_decided_by_id_users')),
    sa.ForeignKeyConstraint(['entry_position'], ['registry_entries.position'], name=op.f('fk_inbound_mail_entry_position_registry_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbound_mail')),
    sa.UniqueConstraint('case_message_id', name=op.f('uq_inbound_mail_case_message_id')),
    sa.UniqueConstraint('entry_position', name=op.f('uq_inbound_mail_entry_position')),
    sa.UniqueConstraint('sha256', name=op.f('uq_inbound_mail_sha256'))
    )
    with op.batch_alter_table('inbound_mail', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inbound_mail_complaint_id'), ['complaint_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inbound_mail_message_id'), ['message_id'], unique=False)
        batch_op.create_index('ix_inbound_mail_outcome_stored_at', ['outcome', 'stored_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_inbound_mail_stored_at'), ['stored_at'], unique=False)

    op.create_table('inbound_mail_attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mail_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('inline', sa.Boolean(), nullable=False),
    sa.Column('refusal', sa.String(length=20), nullable=True),
    sa.CheckConstraint("refusal IS NULL OR refusal IN ('too_large', 'type', 'too_many', 'no_room')", name=op.f('ck_inbound_mail_attachments_refusal_known')),
    sa.ForeignKeyConstraint(['mail_id'], ['inbound_mail.id'], name=op.f('fk_inbound_mail_attachments_mail_id_inbound_mail')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbound_mail_attachments')),
    sa.UniqueConstraint('mail_id', 'position', name=op.f('uq_inbound_mail_attachments_mail_id_position'))
    )
    with op.batch_alter_table('inbound_mail_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inbound_mail_attachments_mail_id'), ['mail_id'], unique=False)

    _notification_kinds(KIND_CHECK)
    _audit_actions(ACTION_CHECK)


def downgrade():
    op.execute("DELETE FROM audit_events WHERE action = 'mail_filed'")
    _audit_actions(ACTION_CHECK_BEFORE)
    op.execute("DELETE FROM notifications WHERE kind = 'attachments_refused'")
    _notification_kinds(KIND_CHECK_BEFORE)
    with op.batch_alter_table('inbound_mail_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbound_mail_attachments_mail_id'))

    op.drop_table('inbound_mail_attachments')
    with op.batch_alter_table('inbound_mail', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbound_mail_stored_at'))
        batch_op.drop_index('ix_inbound_mail_outcome_stored_at')
        batch_op.drop_index(batch_op.f('ix_inbound_mail_message_id'))
        batch_op.drop_index(batch_op.f('ix_inbound_mail_complaint_id'))

    op.drop_table('inbound_mail')
    op.drop_table('mailbox_status')

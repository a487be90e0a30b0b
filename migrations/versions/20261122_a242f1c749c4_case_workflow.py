"""Case workflow: owner, tier, deadlines, messages, escalations, breaches, notification outbox.

Complaints registered before this revision start at tier 1 with the default three-day
resolution deadline and an alarm set to their registration time, so the next
`flask deadlines enforce` sees them at once and sets their alarms properly.

Revision ID: a242f1c749c4
Revises: 42d364d8c89a
Create Date: 2026-11-22 16:33:18.883492

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a242f1c749c4'
down_revision = '42d364d8c89a'
branch_labels = None
depends_on = None

STATUS_CHECK = (
    "status IN ('registered', 'in_progress', 'waiting', 'responded', 'resolved', 'closed', 'reopened', "
    "'annulled')"
)


def upgrade():
    op.create_table('breaches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('first_response', 'resolution', name='deadlinekind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('tier', sa.Integer(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('detected_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'], name=op.f('fk_breaches_complaint_id_complaints')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_breaches')),
    sa.UniqueConstraint('complaint_id', 'kind', 'due_at', name=op.f('uq_breaches_complaint_id_kind_due_at'))
    )
    with op.batch_alter_table('breaches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_breaches_complaint_id'), ['complaint_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_breaches_detected_at'), ['detected_at'], unique=False)

    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('registered', 'message', 'status_changed', 'assigned', 'consultation', 'complainant_reply', 'due_soon', 'breach', 'escalated', name='notificationkind', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('audience', sa.Enum('complainant', 'user', 'tier', name='audience', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('tier', sa.Integer(), nullable=True),
    sa.Column('params', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.Enum('queued', 'sending', 'sent', 'failed', 'skipped', name='deliverystatus', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recipients', sa.String(length=2000), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.CheckConstraint("(audience = 'user') = (user_id IS NOT NULL) AND (audience = 'tier') = (tier IS NOT NULL)", name=op.f('ck_notifications_audience_target')),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'], name=op.f('fk_notifications_complaint_id_complaints')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notifications_complaint_id'), ['complaint_id'], unique=False)
        batch_op.create_index('ix_notifications_pending', ['next_attempt_at'], unique=False, postgresql_where=sa.text("status IN ('queued', 'sending')"), sqlite_where=sa.text("status IN ('queued', 'sending')"))

    op.create_table('case_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('response', 'information_request', 'decision', 'complainant_reply', 'dispute', 'consultation', name='messagekind', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('consulted_id', sa.Integer(), nullable=True),
    sa.Column('outgoing_year', sa.Integer(), nullable=True),
    sa.Column('outgoing_seq', sa.BigInteger(), nullable=True),
    sa.Column('outgoing_number', sa.String(length=40), nullable=True),
    sa.Column('entry_position', sa.BigInteger(), nullable=False),
    sa.CheckConstraint("(author_id IS NULL) = (kind IN ('complainant_reply', 'dispute'))", name=op.f('ck_case_messages_author_matches_kind')),
    sa.CheckConstraint("(outgoing_number IS NOT NULL) = (kind IN ('response', 'information_request', 'decision'))", name=op.f('ck_case_messages_outgoing_numbered')),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_case_messages_author_id_users')),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'], name=op.f('fk_case_messages_complaint_id_complaints')),
    sa.ForeignKeyConstraint(['consulted_id'], ['users.id'], name=op.f('fk_case_messages_consulted_id_users')),
    sa.ForeignKeyConstraint(['entry_position'], ['registry_entries.position'], name=op.f('fk_case_messages_entry_position_registry_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_messages')),
    sa.UniqueConstraint('entry_position', name=op.f('uq_case_messages_entry_position')),
    sa.UniqueConstraint('outgoing_number', name=op.f('uq_case_messages_outgoing_number')),
    sa.UniqueConstraint('outgoing_year', 'outgoing_seq', name=op.f('uq_case_messages_outgoing_year_outgoing_seq'))
    )
    with op.batch_alter_table('case_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_messages_complaint_id'), ['complaint_id'], unique=False)

    op.create_table('escalations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('from_tier', sa.Integer(), nullable=False),
    sa.Column('to_tier', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Enum('first_response_breach', 'resolution_breach', 'complainant_request', 'transfers', 'owner_request', name='escalationreason', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.Column('entry_position', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('to_tier > from_tier', name=op.f('ck_escalations_rises')),
    sa.ForeignKeyConstraint(['by_id'], ['users.id'], name=op.f('fk_escalations_by_id_users')),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'], name=op.f('fk_escalations_complaint_id_complaints')),
    sa.ForeignKeyConstraint(['entry_position'], ['registry_entries.position'], name=op.f('fk_escalations_entry_position_registry_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_escalations')),
    sa.UniqueConstraint('entry_position', name=op.f('uq_escalations_entry_position'))
    )
    with op.batch_alter_table('escalations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_escalations_complaint_id'), ['complaint_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_escalations_escalated_at'), ['escalated_at'], unique=False)

    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('tier', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('resolution_started_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('transfer_count', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('contact_count', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('first_responded_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('first_response_warned_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('first_response_breached_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('resolution_due', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('resolution_warned_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('resolution', sa.Enum('upheld', 'partly_upheld', 'rejected', name='resolution', native_enum=False, create_constraint=True, length=20), nullable=True))
        batch_op.add_column(sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('next_check_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_complaints_next_check_at', ['next_check_at'], unique=False, postgresql_where=sa.text('next_check_at IS NOT NULL'), sqlite_where=sa.text('next_check_at IS NOT NULL'))
        batch_op.create_index(batch_op.f('ix_complaints_owner_id'), ['owner_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_complaints_owner_id_users'), 'users', ['owner_id'], ['id'])
        batch_op.drop_constraint(op.f('ck_complaints_complaintstatus'), type_='check')
        batch_op.create_check_constraint(op.f('ck_complaints_complaintstatus'), STATUS_CHECK)
        batch_op.create_check_constraint(op.f('ck_complaints_tier_positive'), 'tier >= 1')
        batch_op.create_check_constraint(op.f('ck_complaints_transfer_count_not_negative'), 'transfer_count >= 0')
        batch_op.create_check_constraint(
            op.f('ck_complaints_owned_once_taken'), "owner_id IS NOT NULL OR status IN ('registered', 'annulled')"
        )
        batch_op.create_check_constraint(
            op.f('ck_complaints_resolved_with_decision'),
            "resolution IS NOT NULL OR status NOT IN ('resolved', 'closed')",
        )

    three_days_on = (
        "registered_at + interval '3 days'" if op.get_bind().dialect.name == 'postgresql'
        else "datetime(registered_at, '+3 days')"
    )
    op.execute(
        "UPDATE complaints SET resolution_started_at = registered_at, "
        f"resolution_due = CASE WHEN status = 'registered' THEN {three_days_on} END, "
        "next_check_at = CASE WHEN status = 'registered' THEN registered_at END"
    )

    with op.batch_alter_table('registry_entries', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_registry_entries_entrykind'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_registry_entries_entrykind'), "kind IN ('intake', 'annulment', 'correction', 'event')"
        )

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_users_role'), type_='check')
        batch_op.create_check_constraint(op.f('ck_users_role'), "role IN ('clerk', 'officer', 'manager', 'administrator')")



def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_users_role'), type_='check')
        batch_op.create_check_constraint(op.f('ck_users_role'), "role IN ('clerk', 'manager', 'administrator')")

    with op.batch_alter_table('registry_entries', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_registry_entries_entrykind'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_registry_entries_entrykind'), "kind IN ('intake', 'annulment', 'correction')"
        )

    with op.batch_alter_table('complaints', schema=None) as batch_op:
        for name in ('resolved_with_decision', 'owned_once_taken', 'transfer_count_not_negative', 'tier_positive'):
            batch_op.drop_constraint(op.f(f'ck_complaints_{name}'), type_='check')
        batch_op.drop_constraint(op.f('ck_complaints_complaintstatus'), type_='check')
        batch_op.create_check_constraint(op.f('ck_complaints_complaintstatus'), "status IN ('registered', 'annulled')")
        batch_op.drop_constraint(op.f('ck_complaints_resolution'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_complaints_owner_id_users'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_complaints_owner_id'))
        batch_op.drop_index('ix_complaints_next_check_at', postgresql_where=sa.text('next_check_at IS NOT NULL'), sqlite_where=sa.text('next_check_at IS NOT NULL'))
        batch_op.drop_column('next_check_at')
        batch_op.drop_column('closed_at')
        batch_op.drop_column('resolved_at')
        batch_op.drop_column('resolution')
        batch_op.drop_column('resolution_warned_at')
        batch_op.drop_column('resolution_due')
        batch_op.drop_column('first_response_breached_at')
        batch_op.drop_column('first_response_warned_at')
        batch_op.drop_column('first_responded_at')
        batch_op.drop_column('contact_count')
        batch_op.drop_column('transfer_count')
        batch_op.drop_column('resolution_started_at')
        batch_op.drop_column('tier')
        batch_op.drop_column('owner_id')

    with op.batch_alter_table('escalations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_escalations_escalated_at'))
        batch_op.drop_index(batch_op.f('ix_escalations_complaint_id'))

    op.drop_table('escalations')
    with op.batch_alter_table('case_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_messages_complaint_id'))

    op.drop_table('case_messages')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_pending', postgresql_where=sa.text("status IN ('queued', 'sending')"), sqlite_where=sa.text("status IN ('queued', 'sending')"))
        batch_op.drop_index(batch_op.f('ix_notifications_complaint_id'))

    op.drop_table('notifications')
    with op.batch_alter_table('breaches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_breaches_detected_at'))
        batch_op.drop_index(batch_op.f('ix_breaches_complaint_id'))

    op.drop_table('breaches')

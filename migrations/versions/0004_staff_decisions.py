"""Staff decisions: recipient notices, processing flags, erasure marks, deadline, recovery codes, audit ids without foreign keys

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 06:17:45.880321

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('processing_flag',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('scope', sa.String(length=16), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=True),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('since', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lifted_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('restriction', 'objection', 'erasure_hold')", name=op.f('ck_processing_flag_kind')),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_processing_flag_customer_id_customer'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['request_id'], ['privacy_request.id'], name=op.f('fk_processing_flag_request_id_privacy_request'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_processing_flag'))
    )
    with op.batch_alter_table('processing_flag', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_processing_flag_customer_id'), ['customer_id'], unique=False)

    op.create_table('recipient_notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('disclosure_id', sa.Integer(), nullable=True),
    sa.Column('recipient', sa.String(length=200), nullable=False),
    sa.Column('method', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("method IN ('email', 'manual')", name=op.f('ck_recipient_notice_method')),
    sa.ForeignKeyConstraint(['disclosure_id'], ['disclosure.id'], name=op.f('fk_recipient_notice_disclosure_id_disclosure'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['request_id'], ['privacy_request.id'], name=op.f('fk_recipient_notice_request_id_privacy_request'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recipient_notice'))
    )
    with op.batch_alter_table('recipient_notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recipient_notice_request_id'), ['request_id'], unique=False)

    with op.batch_alter_table('request_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('internal', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('request_message', schema=None) as batch_op:
        batch_op.alter_column('internal', server_default=None)

    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mf_recovery_codes', sa.UnicodeText(), nullable=True))

    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_event_actor_id'), ['actor_id'], unique=False)
        batch_op.drop_constraint(batch_op.f('fk_audit_event_actor_id_account'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_audit_event_customer_id_customer'), type_='foreignkey')

    with op.batch_alter_table('controller_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('confidentiality_fi', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('confidentiality_en', sa.Text(), nullable=False, server_default=''))
    with op.batch_alter_table('controller_settings', schema=None) as batch_op:
        batch_op.alter_column('confidentiality_fi', server_default=None)
        batch_op.alter_column('confidentiality_en', server_default=None)

    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('purge_on', sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f('ix_customer_purge_on'), ['purge_on'], unique=False)

    with op.batch_alter_table('privacy_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deadline', sa.Date(), nullable=True))
    op.execute("UPDATE privacy_request SET deadline = COALESCE(extended_due_on, due_on)")
    with op.batch_alter_table('privacy_request', schema=None) as batch_op:
        batch_op.alter_column('deadline', existing_type=sa.Date(), nullable=False)
        batch_op.create_check_constraint(op.f('ck_privacy_request_deadline'), 'deadline >= due_on')
        batch_op.drop_index(batch_op.f('ix_privacy_request_status_due'))
        batch_op.create_index('ix_privacy_request_assignee_deadline', ['assignee_id', 'status', 'deadline', 'id'], unique=False)
        batch_op.create_index('ix_privacy_request_status_deadline', ['status', 'deadline', 'id'], unique=False)



def downgrade():
    with op.batch_alter_table('privacy_request', schema=None) as batch_op:
        batch_op.drop_index('ix_privacy_request_status_deadline')
        batch_op.drop_index('ix_privacy_request_assignee_deadline')
        batch_op.drop_constraint(op.f('ck_privacy_request_deadline'), type_='check')
        batch_op.create_index(batch_op.f('ix_privacy_request_status_due'), ['status', 'due_on', 'id'], unique=False)
        batch_op.drop_column('deadline')

    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_purge_on'))
        batch_op.drop_column('purge_on')
        batch_op.drop_column('erased_at')

    with op.batch_alter_table('controller_settings', schema=None) as batch_op:
        batch_op.drop_column('confidentiality_en')
        batch_op.drop_column('confidentiality_fi')

    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_audit_event_customer_id_customer'), 'customer', ['customer_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_audit_event_actor_id_account'), 'account', ['actor_id'], ['id'], ondelete='SET NULL')
        batch_op.drop_index(batch_op.f('ix_audit_event_actor_id'))

    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.drop_column('mf_recovery_codes')

    with op.batch_alter_table('request_message', schema=None) as batch_op:
        batch_op.drop_column('internal')

    with op.batch_alter_table('recipient_notice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recipient_notice_request_id'))

    op.drop_table('recipient_notice')
    with op.batch_alter_table('processing_flag', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_processing_flag_customer_id'))

    op.drop_table('processing_flag')

"""Data subject requests with status history and messages; marketing prohibition history and
suppression entries that outlive an erased person.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 03:59:04.727916

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('marketing_suppression',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email_hash', sa.String(length=64), nullable=True),
    sa.Column('phone_hash', sa.String(length=64), nullable=True),
    sa.Column('channels', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_marketing_suppression'))
    )
    with op.batch_alter_table('marketing_suppression', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_marketing_suppression_email_hash'), ['email_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_marketing_suppression_phone_hash'), ['phone_hash'], unique=False)

    op.create_table('marketing_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('prohibited', sa.Boolean(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('changed_by', sa.String(length=16), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("changed_by IN ('customer', 'staff', 'import')", name=op.f('ck_marketing_change_changed_by')),
    sa.CheckConstraint("channel IN ('direct_advertising', 'distance_selling', 'direct_marketing', 'market_research', 'catalogues')", name=op.f('ck_marketing_change_channel')),
    sa.ForeignKeyConstraint(['actor_id'], ['account.id'], name=op.f('fk_marketing_change_actor_id_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_marketing_change_customer_id_customer'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_marketing_change'))
    )
    with op.batch_alter_table('marketing_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_marketing_change_customer_id'), ['customer_id'], unique=False)

    op.create_table('privacy_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=20), nullable=True),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('extended_due_on', sa.Date(), nullable=True),
    sa.Column('extension_reason', sa.Text(), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('reply_contact', sa.String(length=255), nullable=True),
    sa.Column('filed_by_id', sa.Integer(), nullable=True),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.Column('decision_details', sa.JSON(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("channel IN ('portal', 'phone', 'letter', 'email')", name=op.f('ck_privacy_request_channel')),
    sa.CheckConstraint("kind IN ('correction', 'erasure', 'restriction', 'objection')", name=op.f('ck_privacy_request_kind')),
    sa.CheckConstraint("status IN ('pending', 'in_review', 'approved', 'partially_approved', 'denied', 'cancelled')", name=op.f('ck_privacy_request_status')),
    sa.CheckConstraint('extended_due_on IS NULL OR extended_due_on > due_on', name=op.f('ck_privacy_request_extension')),
    sa.ForeignKeyConstraint(['assignee_id'], ['account.id'], name=op.f('fk_privacy_request_assignee_id_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_privacy_request_customer_id_customer'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['account.id'], name=op.f('fk_privacy_request_decided_by_id_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['filed_by_id'], ['account.id'], name=op.f('fk_privacy_request_filed_by_id_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_privacy_request')),
    sa.UniqueConstraint('reference', name=op.f('uq_privacy_request_reference'))
    )
    with op.batch_alter_table('privacy_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_privacy_request_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index('ix_privacy_request_status_due', ['status', 'due_on', 'id'], unique=False)

    op.create_table('request_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('actor_kind', sa.String(length=16), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.CheckConstraint("actor_kind IN ('customer', 'staff', 'system')", name=op.f('ck_request_event_actor_kind')),
    sa.CheckConstraint("status IN ('pending', 'in_review', 'approved', 'partially_approved', 'denied', 'cancelled')", name=op.f('ck_request_event_status')),
    sa.ForeignKeyConstraint(['actor_id'], ['account.id'], name=op.f('fk_request_event_actor_id_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['request_id'], ['privacy_request.id'], name=op.f('fk_request_event_request_id_privacy_request'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_request_event'))
    )
    with op.batch_alter_table('request_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_request_event_request_id'), ['request_id'], unique=False)

    op.create_table('request_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('author_kind', sa.String(length=16), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.CheckConstraint("author_kind IN ('customer', 'staff')", name=op.f('ck_request_message_author_kind')),
    sa.ForeignKeyConstraint(['author_id'], ['account.id'], name=op.f('fk_request_message_author_id_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['request_id'], ['privacy_request.id'], name=op.f('fk_request_message_request_id_privacy_request'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_request_message'))
    )
    with op.batch_alter_table('request_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_request_message_request_id'), ['request_id'], unique=False)



def downgrade():
    with op.batch_alter_table('request_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_request_message_request_id'))

    op.drop_table('request_message')
    with op.batch_alter_table('request_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_request_event_request_id'))

    op.drop_table('request_event')
    with op.batch_alter_table('privacy_request', schema=None) as batch_op:
        batch_op.drop_index('ix_privacy_request_status_due')
        batch_op.drop_index(batch_op.f('ix_privacy_request_customer_id'))

    op.drop_table('privacy_request')
    with op.batch_alter_table('marketing_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_marketing_change_customer_id'))

    op.drop_table('marketing_change')
    with op.batch_alter_table('marketing_suppression', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_marketing_suppression_phone_hash'))
        batch_op.drop_index(batch_op.f('ix_marketing_suppression_email_hash'))

    op.drop_table('marketing_suppression')

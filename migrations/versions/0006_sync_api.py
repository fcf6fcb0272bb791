"""Sync API: API keys and handoffs to the company's systems

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 09:45:24.597321

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('api_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=8), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('scopes', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_key')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_api_key_key_hash')),
    sa.UniqueConstraint('name', name=op.f('uq_api_key_name'))
    )
    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_key_prefix'), ['prefix'], unique=False)

    op.create_table('handoff',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('customer_number', sa.String(length=64), nullable=True),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('request_reference', sa.String(length=20), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.String(length=8), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.CheckConstraint("kind IN ('correction', 'erasure', 'restriction', 'objection', 'marketing')", name=op.f('ck_handoff_kind')),
    sa.CheckConstraint("outcome IS NULL OR outcome IN ('done', 'failed')", name=op.f('ck_handoff_outcome')),
    sa.CheckConstraint('(acknowledged_at IS NULL) = (outcome IS NULL)', name=op.f('ck_handoff_acknowledged')),
    sa.ForeignKeyConstraint(['acknowledged_by'], ['api_key.id'], name=op.f('fk_handoff_acknowledged_by_api_key'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_handoff'))
    )
    with op.batch_alter_table('handoff', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_handoff_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index('ix_handoff_pending', ['acknowledged_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_handoff_request_reference'), ['request_reference'], unique=False)



def downgrade():
    with op.batch_alter_table('handoff', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_handoff_request_reference'))
        batch_op.drop_index('ix_handoff_pending')
        batch_op.drop_index(batch_op.f('ix_handoff_customer_id'))

    op.drop_table('handoff')
    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_key_prefix'))

    op.drop_table('api_key')

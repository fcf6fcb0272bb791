"""Company look (accent colour, logo) and customer numbers

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 09:02:03.022138

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('brand_logo',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('media_type', sa.String(length=32), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("media_type IN ('image/png', 'image/svg+xml')", name=op.f('ck_brand_logo_media_type')),
    sa.CheckConstraint('id = 1', name=op.f('ck_brand_logo_single_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_brand_logo'))
    )
    with op.batch_alter_table('controller_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('accent_colour', sa.String(length=7), nullable=True))

    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('customer_number', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_customer_customer_number'), ['customer_number'])



def downgrade():
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_customer_customer_number'), type_='unique')
        batch_op.drop_column('customer_number')

    with op.batch_alter_table('controller_settings', schema=None) as batch_op:
        batch_op.drop_column('accent_colour')

    op.drop_table('brand_logo')

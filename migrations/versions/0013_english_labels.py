"""English names for categories, units and pick-up instructions (French shown when empty)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 03:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('category', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_en', sa.String(length=80), nullable=False, server_default=''))
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unit_label_en', sa.String(length=60), nullable=False, server_default=''))
    with op.batch_alter_table('pickup_point', schema=None) as batch_op:
        batch_op.add_column(sa.Column('instructions_en', sa.Text(), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('pickup_point', schema=None) as batch_op:
        batch_op.drop_column('instructions_en')
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.drop_column('unit_label_en')
    with op.batch_alter_table('category', schema=None) as batch_op:
        batch_op.drop_column('name_en')

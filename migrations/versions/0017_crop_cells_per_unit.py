"""crop plan: cells per sale unit (a "plaque de 12 mottes" is sold as one unit of 12 cells)

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30 09:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('crop_plan', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cells_per_unit', sa.Integer(), nullable=False, server_default='1'))
        batch_op.create_check_constraint(op.f('ck_crop_plan_cells_per_unit'), 'cells_per_unit > 0')


def downgrade():
    with op.batch_alter_table('crop_plan', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_crop_plan_cells_per_unit'), type_='check')
        batch_op.drop_column('cells_per_unit')

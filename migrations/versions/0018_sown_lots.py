"""sown lots: the cells the greenhouse team sowed for a product's sales week, one row per tap

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30 11:53:41.305420

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sown_lot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('iso_year', sa.Integer(), nullable=False),
    sa.Column('iso_week', sa.Integer(), nullable=False),
    sa.Column('cells', sa.Integer(), nullable=False),
    sa.Column('sown_on', sa.Date(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('cells > 0', name=op.f('ck_sown_lot_cells_positive')),
    sa.CheckConstraint('iso_week BETWEEN 1 AND 53', name=op.f('ck_sown_lot_iso_week')),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_sown_lot_product_id_product')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'], name=op.f('fk_sown_lot_recorded_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sown_lot'))
    )
    with op.batch_alter_table('sown_lot', schema=None) as batch_op:
        batch_op.create_index('ix_sown_lot_week', ['product_id', 'iso_year', 'iso_week'], unique=False)
        batch_op.create_index(batch_op.f('ix_sown_lot_sown_on'), ['sown_on'], unique=False)


def downgrade():
    with op.batch_alter_table('sown_lot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sown_lot_sown_on'))
        batch_op.drop_index('ix_sown_lot_week')

    op.drop_table('sown_lot')

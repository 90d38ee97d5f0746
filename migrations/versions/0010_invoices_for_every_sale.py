"""invoices for every professional sale: payment method, VAT-inclusive prices, bank details;
an individual's billing name and address

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 00:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payment_method', sa.String(length=16), nullable=False, server_default='invoice'))
        batch_op.add_column(sa.Column('prices_include_vat', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('seller_iban', sa.String(length=42), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('seller_bic', sa.String(length=11), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('seller_account_holder', sa.String(length=160), nullable=False, server_default=''))
    with op.batch_alter_table('customer_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('billing_name', sa.String(length=160), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('billing_address', sa.String(length=255), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('customer_order', schema=None) as batch_op:
        batch_op.drop_column('billing_address')
        batch_op.drop_column('billing_name')
    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.drop_column('seller_account_holder')
        batch_op.drop_column('seller_bic')
        batch_op.drop_column('seller_iban')
        batch_op.drop_column('prices_include_vat')
        batch_op.drop_column('payment_method')

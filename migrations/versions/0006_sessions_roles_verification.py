"""session versions, account activation, email verification, gate role, order ip hash

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 20:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_verified_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('session_version', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('active', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.drop_constraint(batch_op.f('ck_user_account_role'), type_='check')
        batch_op.create_check_constraint(
            batch_op.f('ck_user_account_role'), "role IN ('customer', 'gate', 'staff', 'admin')"
        )
    # Accounts made before verification existed keep what they could do.
    op.execute('UPDATE user_account SET email_verified_at = created_at')
    with op.batch_alter_table('customer_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ip_hash', sa.String(length=32), nullable=True))
        batch_op.create_index(batch_op.f('ix_customer_order_ip_hash'), ['ip_hash'], unique=False)


def downgrade():
    with op.batch_alter_table('customer_order', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_order_ip_hash'))
        batch_op.drop_column('ip_hash')
    op.execute("UPDATE user_account SET role = 'staff' WHERE role = 'gate'")
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_user_account_role'), type_='check')
        batch_op.create_check_constraint(
            batch_op.f('ck_user_account_role'), "role IN ('customer', 'staff', 'admin')"
        )
        batch_op.drop_column('active')
        batch_op.drop_column('session_version')
        batch_op.drop_column('email_verified_at')

"""when a staff account's access last changed (created, role, enabled or disabled)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 20:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('access_changed_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE user_account SET access_changed_at = created_at WHERE role <> 'customer'")


def downgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('access_changed_at')

"""outbox: when a mail became undeliverable, and when staff dealt with it

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 20:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('dismissed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_message_failed_at'), ['failed_at'], unique=False)
    # Mails the old sender gave up on silently (12 failed tries) are undelivered ones.
    op.execute(
        "UPDATE outbox_message SET failed_at = next_attempt_at "
        "WHERE sent_at IS NULL AND attempts >= 12"
    )


def downgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_message_failed_at'))
        batch_op.drop_column('dismissed_at')
        batch_op.drop_column('failed_at')

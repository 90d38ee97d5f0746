"""an account's history (professional approvals, refusals, revocations); the day's cash closing
per pick-up point

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 00:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('account_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_label', sa.String(length=254), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], name=op.f('fk_account_event_actor_id_user_account')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_account_event_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_event'))
    )
    with op.batch_alter_table('account_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_event_user_id'), ['user_id'], unique=False)

    op.create_table('cash_closing',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('point_id', sa.Integer(), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('closed_by_label', sa.String(length=254), nullable=False),
    sa.Column('totals', sa.JSON(), nullable=False),
    sa.Column('counted_cash_cents', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['closed_by_id'], ['user_account.id'], name=op.f('fk_cash_closing_closed_by_id_user_account')),
    sa.ForeignKeyConstraint(['point_id'], ['pickup_point.id'], name=op.f('fk_cash_closing_point_id_pickup_point')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cash_closing')),
    sa.UniqueConstraint('day', 'point_id', name=op.f('uq_cash_closing_day'))
    )


def downgrade():
    op.drop_table('cash_closing')
    with op.batch_alter_table('account_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_event_user_id'))
    op.drop_table('account_event')

"""pick-up PDFs rendered in the background

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 21:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('document_job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('path', sa.String(length=500), nullable=False),
    sa.Column('locale', sa.String(length=10), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_job')),
    sa.UniqueConstraint('path', 'locale', name=op.f('uq_document_job_path'))
    )
    with op.batch_alter_table('document_job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_job_done_at'), ['done_at'], unique=False)


def downgrade():
    with op.batch_alter_table('document_job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_job_done_at'))
    op.drop_table('document_job')

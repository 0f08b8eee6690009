"""Job turns: each periodic job runs once a period across every server and worker.

The first process to insert the (job, period) row runs it (purge, auto check-out, backup).

Revision ID: d825e9e85dc7
Revises: 4c3097314c6e
Create Date: 2026-11-26 09:11:14.004029

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'd825e9e85dc7'
down_revision = '4c3097314c6e'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('job_run',
    sa.Column('job', sa.String(length=30), nullable=False),
    sa.Column('period', sa.String(length=30), nullable=False),
    sa.Column('claimed_at', sa.DateTime(), nullable=False),
    sa.Column('claimed_by', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('job', 'period', name=op.f('pk_job_run'))
    )
    with op.batch_alter_table('job_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_run_claimed_at'), ['claimed_at'], unique=False)


def downgrade():
    with op.batch_alter_table('job_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_run_claimed_at'))

    op.drop_table('job_run')

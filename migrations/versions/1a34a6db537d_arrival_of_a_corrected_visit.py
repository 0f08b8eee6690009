"""Arrival of a corrected visit: when its person came in, for contact tracing and exports.

Revision ID: 1a34a6db537d
Revises: 4f18abcdda83
Create Date: 2026-11-26 03:55:59.504158

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '1a34a6db537d'
down_revision = '4f18abcdda83'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('arrived_at', sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_visit_arrived_at'), ['arrived_at'], unique=False)



def downgrade():
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_arrived_at'))
        batch_op.drop_column('arrived_at')


"""Gate decisions: what the gate did about a flagged check-in, by whom, when; the day's
flagged visits indexed for the alert panel. (Paper slips need no schema change: their source
is a new value of visit.source.)

Revision ID: 4f3a8071734c
Revises: e9009ccb9645
Create Date: 2026-11-26 09:30:37.217098

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '4f3a8071734c'
down_revision = 'e9009ccb9645'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('gate_decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('decision', sa.Enum('admit', 'medical', 'refuse', name='decision', native_enum=False, length=10), nullable=False),
    sa.Column('temperature', sa.Double(), nullable=True),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_gate_decision_user_id_user')),
    sa.ForeignKeyConstraint(['visit_id'], ['visit.id'], name=op.f('fk_gate_decision_visit_id_visit'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gate_decision')),
    sa.UniqueConstraint('visit_id', name=op.f('uq_gate_decision_visit_id'))
    )
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.create_index('ix_visit_flagged_checked_in_at', ['flagged', 'checked_in_at'], unique=False)


def downgrade():
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_index('ix_visit_flagged_checked_in_at')

    op.drop_table('gate_decision')
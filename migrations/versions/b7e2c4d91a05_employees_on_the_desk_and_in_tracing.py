"""Employees on the desk and in tracing: the day's counters index carries the employee code
(visitors and employees counted apart from the index alone), and an employee's visits are found
by their code.

Revision ID: b7e2c4d91a05
Revises: 4f3a8071734c
Create Date: 2026-11-26 12:10:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'b7e2c4d91a05'
down_revision = '4f3a8071734c'
branch_labels = None
depends_on = None

COUNTERS = ['checked_in_at', 'checkout_by', 'checked_out_at', 'flagged', 'party_size']


def upgrade():
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_index('ix_visit_day_counters')
        batch_op.create_index('ix_visit_day_counters', [*COUNTERS, 'employee_code'],
                              unique=False)
        batch_op.create_index('ix_visit_employee_code_checked_in_at',
                              ['employee_code', 'checked_in_at'], unique=False)


def downgrade():
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_index('ix_visit_employee_code_checked_in_at')
        batch_op.drop_index('ix_visit_day_counters')
        batch_op.create_index('ix_visit_day_counters', COUNTERS, unique=False)

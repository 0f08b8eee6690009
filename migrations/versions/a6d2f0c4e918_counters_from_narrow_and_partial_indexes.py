"""The desk's counters read narrow and partial indexes: the day's visits (with the employees'
code), the replaced declarations and the parties apart, the open visits with their party's
size; the open presences by visit.

Revision ID: a6d2f0c4e918
Revises: 8b88911c7477
Create Date: 2026-12-07 19:00:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a6d2f0c4e918'
down_revision = '8b88911c7477'
branch_labels = None
depends_on = None

# The conditions as app.store.models writes them: a query uses a partial index only when it
# says the same.
REPLACED = "checkout_by = 'replaced'"
PARTY = "party_size > 1"
OPEN_BY_VISIT = "ended_at IS NULL AND visit_id IS NOT NULL"


def upgrade():
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_index('ix_visit_day_counters')
        batch_op.drop_index('ix_visit_open')
        batch_op.create_index('ix_visit_day', ['checked_in_at', 'employee_code'], unique=False)
        batch_op.create_index('ix_visit_replaced', ['checked_in_at', 'checkout_by', 'party_size', 'flagged',
                                                    'employee_code', 'checked_out_at'],
                              unique=False, sqlite_where=sa.text(REPLACED),
                              postgresql_where=sa.text(REPLACED))
        batch_op.create_index('ix_visit_party', ['checked_in_at', 'party_size', 'checkout_by',
                                                 'checked_out_at'],
                              unique=False, sqlite_where=sa.text(PARTY),
                              postgresql_where=sa.text(PARTY))
        batch_op.create_index('ix_visit_open', ['checked_out_at', 'checked_in_at', 'checkout_by',
                                                'party_size', 'employee_code'], unique=False)
    with op.batch_alter_table('presence', schema=None) as batch_op:
        batch_op.create_index('ix_presence_open_visit', ['visit_id', 'location_id', 'ended_at'],
                              unique=False, sqlite_where=sa.text(OPEN_BY_VISIT),
                              postgresql_where=sa.text(OPEN_BY_VISIT))


def downgrade():
    with op.batch_alter_table('presence', schema=None) as batch_op:
        batch_op.drop_index('ix_presence_open_visit')
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_index('ix_visit_open')
        batch_op.drop_index('ix_visit_party')
        batch_op.drop_index('ix_visit_replaced')
        batch_op.drop_index('ix_visit_day')
        batch_op.create_index('ix_visit_open', ['checked_out_at', 'checked_in_at'], unique=False)
        batch_op.create_index('ix_visit_day_counters',
                              ['checked_in_at', 'checkout_by', 'checked_out_at', 'flagged',
                               'party_size', 'employee_code'], unique=False)

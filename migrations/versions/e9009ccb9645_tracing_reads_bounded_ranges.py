"""Tracing reads bounded ranges: an entry point's visits with when they left, visits by phone,
and the few stays longer than a day (a partial index).

Revision ID: e9009ccb9645
Revises: d825e9e85dc7
Create Date: 2026-11-26 09:29:26.416546

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'e9009ccb9645'
down_revision = 'd825e9e85dc7'
branch_labels = None
depends_on = None

# The condition of app.models.Visit.longer_than_a_day() as each database writes it: a query
# uses the partial index only when it says the same.
LONGER_THAN_A_DAY = {
    "sqlite": "checked_out_at > datetime(checked_in_at, '+1 days') "
              "OR arrived_at < datetime(checked_in_at, '-1 days')",
    "postgresql": "checked_out_at > (checked_in_at + INTERVAL '1 days') "
                  "OR arrived_at < (checked_in_at + INTERVAL '-1 days')",
}


def upgrade():
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_index('ix_visit_location_checked_in_at')
        batch_op.create_index('ix_visit_location_stay',
                              ['location_id', 'checked_in_at', 'checked_out_at'], unique=False)
        batch_op.create_index('ix_visit_phone_checked_in_at', ['phone', 'checked_in_at'],
                              unique=False)
        batch_op.create_index('ix_visit_long_stay', ['checked_in_at'], unique=False,
                              sqlite_where=sa.text(LONGER_THAN_A_DAY["sqlite"]),
                              postgresql_where=sa.text(LONGER_THAN_A_DAY["postgresql"]))


def downgrade():
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_index('ix_visit_long_stay')
        batch_op.drop_index('ix_visit_phone_checked_in_at')
        batch_op.drop_index('ix_visit_location_stay')
        batch_op.create_index('ix_visit_location_checked_in_at', ['location_id', 'checked_in_at'],
                              unique=False)

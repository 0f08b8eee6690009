"""Presences: where each visit's party was (entry point, from, until), one row per place in a
stay; entry points become entrances or inner points. Every visit stored before this gets one
presence: its entry point, from when its person came in (before a corrected declaration, if
any) until its check-out.

Revision ID: c3f1a9e07d52
Revises: b7e2c4d91a05
Create Date: 2026-12-07 09:00:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c3f1a9e07d52'
down_revision = 'b7e2c4d91a05'
branch_labels = None
depends_on = None

# The condition of app.models.Presence.longer_than_a_day() as each database writes it: a query
# uses the partial index only when it says the same.
LONGER_THAN_A_DAY = {
    "sqlite": "ended_at > datetime(started_at, '+1 days')",
    "postgresql": "ended_at > (started_at + INTERVAL '1 days')",
}


def upgrade():
    with op.batch_alter_table('location', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.Enum('entrance', 'inner', 'medical', name='pointkind', native_enum=False, create_constraint=False, length=10), server_default='entrance', nullable=False))

    op.create_table('presence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['location_id'], ['location.id'], name=op.f('fk_presence_location_id_location')),
    sa.ForeignKeyConstraint(['visit_id'], ['visit.id'], name=op.f('fk_presence_visit_id_visit'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_presence'))
    )
    with op.batch_alter_table('presence', schema=None) as batch_op:
        batch_op.create_index('ix_presence_location_stay', ['location_id', 'started_at', 'ended_at', 'visit_id'], unique=False)
        batch_op.create_index('ix_presence_visit_id', ['visit_id'], unique=False)
        batch_op.create_index('ix_presence_long_stay', ['location_id', 'started_at'],
                              unique=False,
                              sqlite_where=sa.text(LONGER_THAN_A_DAY["sqlite"]),
                              postgresql_where=sa.text(LONGER_THAN_A_DAY["postgresql"]))
        batch_op.create_index('ix_presence_open', ['location_id', 'started_at'], unique=False,
                              sqlite_where=sa.text("ended_at IS NULL"),
                              postgresql_where=sa.text("ended_at IS NULL"))

    # One presence per visit stored before: its entry point, its whole stay.
    op.execute(
        "INSERT INTO presence (visit_id, location_id, started_at, ended_at) "
        "SELECT id, location_id, "
        "CASE WHEN arrived_at IS NOT NULL AND arrived_at < checked_in_at "
        "THEN arrived_at ELSE checked_in_at END, checked_out_at "
        "FROM visit ORDER BY id")


def downgrade():
    with op.batch_alter_table('presence', schema=None) as batch_op:
        batch_op.drop_index('ix_presence_open')
        batch_op.drop_index('ix_presence_long_stay')
        batch_op.drop_index('ix_presence_visit_id')
        batch_op.drop_index('ix_presence_location_stay')

    op.drop_table('presence')
    with op.batch_alter_table('location', schema=None) as batch_op:
        batch_op.drop_column('kind')

"""Dashboard: who entered a visit, search text, change time for live updates, corrections,
and the indexes the day's list and counters read.

Revision ID: 5d192fe18bd6
Revises: 0648280c3b6b
Create Date: 2026-11-26 00:29:12.957566

"""
import unicodedata

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '5d192fe18bd6'
down_revision = '0648280c3b6b'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('visit_correction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('field', sa.String(length=20), nullable=False),
    sa.Column('old_value', sa.String(length=200), nullable=False),
    sa.Column('new_value', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_visit_correction_user_id_user')),
    sa.ForeignKeyConstraint(['visit_id'], ['visit.id'], name=op.f('fk_visit_correction_visit_id_visit'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_correction'))
    )
    with op.batch_alter_table('visit_correction', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_correction_visit_id'), ['visit_id'], unique=False)

    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('entered_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('search_text', sa.String(length=600), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('changed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('party_size', sa.Integer(), nullable=False,
                                      server_default='1'))
        batch_op.drop_index(batch_op.f('ix_visit_checked_in_at'))
        batch_op.create_index('ix_visit_changed_at', ['changed_at'], unique=False)
        batch_op.create_index('ix_visit_checked_in_at_id', ['checked_in_at', 'id'], unique=False)
        batch_op.create_index('ix_visit_day_counters', ['checked_in_at', 'checkout_by', 'checked_out_at', 'flagged', 'party_size'], unique=False)
        batch_op.create_index('ix_visit_open', ['checked_out_at', 'checked_in_at'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_visit_entered_by_id_user'), 'user', ['entered_by_id'], ['id'])

    _fill_new_columns()
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.alter_column('changed_at', existing_type=sa.DateTime(), nullable=False)
        batch_op.alter_column('search_text', existing_type=sa.String(length=600),
                              server_default=None)
        batch_op.alter_column('party_size', existing_type=sa.Integer(), server_default=None)


def _fold(text):
    # The same folding as app.normalise.fold_for_search at the time of this migration.
    decomposed = unicodedata.normalize("NFD", (text or "").replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _fill_new_columns():
    """Existing visits: changed when they last changed, searchable like new ones."""
    conn = op.get_bind()
    conn.execute(sa.text("UPDATE visit SET changed_at = COALESCE(checked_out_at, checked_in_at)"))
    companions = {}
    for visit_id, name in conn.execute(sa.text(
            "SELECT visit_id, full_name FROM companion ORDER BY visit_id, position")):
        companions.setdefault(visit_id, []).append(name)
    rows = conn.execute(sa.text("SELECT id, full_name, phone, id_number FROM visit")).all()
    for visit_id, name, phone, id_number in rows:
        parts = [phone, id_number or "", name, *companions.get(visit_id, [])]
        conn.execute(sa.text("UPDATE visit SET search_text = :text, party_size = :size "
                             "WHERE id = :id"),
                     {"text": " | ".join(_fold(p) for p in parts)[:600],
                      "size": 1 + len(companions.get(visit_id, [])), "id": visit_id})



def downgrade():
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_visit_entered_by_id_user'), type_='foreignkey')
        batch_op.drop_index('ix_visit_open')
        batch_op.drop_index('ix_visit_day_counters')
        batch_op.drop_index('ix_visit_checked_in_at_id')
        batch_op.drop_index('ix_visit_changed_at')
        batch_op.create_index(batch_op.f('ix_visit_checked_in_at'), ['checked_in_at'], unique=False)
        batch_op.drop_column('party_size')
        batch_op.drop_column('changed_at')
        batch_op.drop_column('search_text')
        batch_op.drop_column('entered_by_id')

    with op.batch_alter_table('visit_correction', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_correction_visit_id'))

    op.drop_table('visit_correction')

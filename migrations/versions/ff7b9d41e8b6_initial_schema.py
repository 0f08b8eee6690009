"""Initial schema: entry points, visits, companions, staff accounts.

Revision ID: ff7b9d41e8b6
Revises: 
Create Date: 2026-11-25 23:35:15.448730

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'ff7b9d41e8b6'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('location',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_location')),
    sa.UniqueConstraint('token', name=op.f('uq_location_token'))
    )
    op.create_table('user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=60), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user')),
    sa.UniqueConstraint('username', name=op.f('uq_user_username'))
    )
    op.create_table('visit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('checked_in_at', sa.DateTime(), nullable=False),
    sa.Column('checked_out_at', sa.DateTime(), nullable=True),
    sa.Column('checkout_by', sa.String(length=10), nullable=True),
    sa.Column('full_name', sa.String(length=100), nullable=False),
    sa.Column('phone', sa.String(length=10), nullable=False),
    sa.Column('birth_year', sa.Integer(), nullable=False),
    sa.Column('gender', sa.String(length=10), nullable=False),
    sa.Column('id_number', sa.String(length=20), nullable=True),
    sa.Column('nationality', sa.String(length=60), nullable=False),
    sa.Column('province', sa.String(length=60), nullable=False),
    sa.Column('ward', sa.String(length=100), nullable=False),
    sa.Column('street', sa.String(length=200), nullable=False),
    sa.Column('purpose', sa.String(length=200), nullable=False),
    sa.Column('declaration', sa.JSON(), nullable=False),
    sa.Column('flagged', sa.Boolean(), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['location_id'], ['location.id'], name=op.f('fk_visit_location_id_location')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit')),
    sa.UniqueConstraint('secret_hash', name=op.f('uq_visit_secret_hash'))
    )
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.create_index('ix_visit_checked_in_at', ['checked_in_at'], unique=False)
        batch_op.create_index('ix_visit_location_checked_in_at', ['location_id', 'checked_in_at'], unique=False)

    op.create_table('companion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('full_name', sa.String(length=100), nullable=False),
    sa.Column('birth_year', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['visit_id'], ['visit.id'], name=op.f('fk_companion_visit_id_visit'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_companion'))
    )
    with op.batch_alter_table('companion', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_companion_visit_id'), ['visit_id'], unique=False)




def downgrade():

    with op.batch_alter_table('companion', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_companion_visit_id'))

    op.drop_table('companion')
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_index('ix_visit_location_checked_in_at')
        batch_op.drop_index('ix_visit_checked_in_at')

    op.drop_table('visit')
    op.drop_table('user')
    op.drop_table('location')


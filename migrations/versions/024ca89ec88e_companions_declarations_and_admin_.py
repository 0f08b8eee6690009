"""Companions' own declarations, and settings an admin changes (the health-measures notice).

Revision ID: 024ca89ec88e
Revises: 1a34a6db537d
Create Date: 2026-11-26 09:21:57.221076

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '024ca89ec88e'
down_revision = '1a34a6db537d'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('setting',
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('value', sa.String(length=2000), nullable=False),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['changed_by_id'], ['user.id'], name=op.f('fk_setting_changed_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_setting'))
    )
    with op.batch_alter_table('companion', schema=None) as batch_op:
        batch_op.add_column(sa.Column('declaration', sa.JSON(), nullable=True))
        # Companions recorded before were not asked: not flagged.
        batch_op.add_column(sa.Column('flagged', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    with op.batch_alter_table('companion', schema=None) as batch_op:
        batch_op.alter_column('flagged', existing_type=sa.Boolean(), server_default=None)


def downgrade():
    with op.batch_alter_table('companion', schema=None) as batch_op:
        batch_op.drop_column('flagged')
        batch_op.drop_column('declaration')

    op.drop_table('setting')

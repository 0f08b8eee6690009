"""Daily delivery by e-mail: the admins' settings (one row; the file password encrypted) and
each day's delivery (its state, tries, next try, who has it, the last error).

Revision ID: 8b88911c7477
Revises: c3f1a9e07d52
Create Date: 2026-12-07 12:03:52.497381

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '8b88911c7477'
down_revision = 'c3f1a9e07d52'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('delivery',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'sent', 'failed', name='deliverystatus', native_enum=False, create_constraint=False, length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_try_at', sa.DateTime(), nullable=True),
    sa.Column('sent_to', sa.String(length=2000), nullable=False),
    sa.Column('last_error', sa.String(length=300), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_delivery'))
    )
    op.create_table('delivery_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('enabled_since', sa.DateTime(), nullable=True),
    sa.Column('recipients', sa.String(length=2000), nullable=False),
    sa.Column('send_at', sa.String(length=5), nullable=False),
    sa.Column('password_encrypted', sa.String(length=1000), nullable=False),
    sa.Column('changed_at', sa.DateTime(), nullable=True),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['changed_by_id'], ['user.id'], name=op.f('fk_delivery_settings_changed_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delivery_settings'))
    )


def downgrade():
    op.drop_table('delivery_settings')
    op.drop_table('delivery')

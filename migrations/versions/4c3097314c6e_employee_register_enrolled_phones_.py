"""The employee register, enrolled phones and enrolment codes; employees' visits.

Revision ID: 4c3097314c6e
Revises: 024ca89ec88e
Create Date: 2026-11-26 10:14:59.874010

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '4c3097314c6e'
down_revision = '024ca89ec88e'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('employee',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=30), nullable=False),
    sa.Column('full_name', sa.String(length=100), nullable=False),
    sa.Column('department', sa.String(length=100), nullable=False),
    sa.Column('phone', sa.String(length=10), nullable=False),
    sa.Column('id_number', sa.String(length=20), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('deactivated_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_employee')),
    sa.UniqueConstraint('code', name=op.f('uq_employee_code'))
    )
    with op.batch_alter_table('employee', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_employee_deactivated_at'), ['deactivated_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_employee_department'), ['department'], unique=False)

    op.create_table('employee_device',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('employee_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_used_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['employee_id'], ['employee.id'], name=op.f('fk_employee_device_employee_id_employee'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_employee_device')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_employee_device_token_hash'))
    )
    with op.batch_alter_table('employee_device', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_employee_device_employee_id'), ['employee_id'], unique=False)

    op.create_table('enrolment_code',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('employee_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['employee_id'], ['employee.id'], name=op.f('fk_enrolment_code_employee_id_employee'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_enrolment_code'))
    )
    with op.batch_alter_table('enrolment_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enrolment_code_employee_id'), ['employee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_enrolment_code_expires_at'), ['expires_at'], unique=False)

    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('employee_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('employee_code', sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column('department', sa.String(length=100), nullable=False,
                                      server_default=''))
        batch_op.alter_column('birth_year',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.create_index(batch_op.f('ix_visit_employee_id'), ['employee_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_visit_employee_id_employee'), 'employee', ['employee_id'], ['id'], ondelete='SET NULL')
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.alter_column('department', existing_type=sa.String(length=100),
                              server_default=None)



def downgrade():
    # Employees' visits have no year of birth: they cannot stay in the older schema.
    op.execute("DELETE FROM visit WHERE employee_code IS NOT NULL")
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_visit_employee_id_employee'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_visit_employee_id'))
        batch_op.alter_column('birth_year',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('department')
        batch_op.drop_column('employee_code')
        batch_op.drop_column('employee_id')

    with op.batch_alter_table('enrolment_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enrolment_code_expires_at'))
        batch_op.drop_index(batch_op.f('ix_enrolment_code_employee_id'))

    op.drop_table('enrolment_code')
    with op.batch_alter_table('employee_device', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_employee_device_employee_id'))

    op.drop_table('employee_device')
    with op.batch_alter_table('employee', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_employee_department'))
        batch_op.drop_index(batch_op.f('ix_employee_deactivated_at'))

    op.drop_table('employee')

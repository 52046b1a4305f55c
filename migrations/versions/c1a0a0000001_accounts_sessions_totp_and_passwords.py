"""accounts sessions totp and passwords

Revision ID: c1a0a0000001
Revises: 9bc87d8156c9
Create Date: 2026-11-29 16:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c1a0a0000001'
down_revision = '9bc87d8156c9'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
        batch_op.add_column(sa.Column('totp_secret', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('totp_enabled', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('totp_last_step', sa.BigInteger(), nullable=True))
    # Fails when two names differ only in case: rename one of them first.
    op.create_index('uq_user_username_lower', 'user', [sa.text('lower(username)')], unique=True)
    op.create_table('security_policy',
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('totp_required', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], name=op.f('fk_security_policy_area_id_area'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('area_id', name=op.f('pk_security_policy'))
    )


def downgrade():
    op.drop_table('security_policy')
    op.drop_index('uq_user_username_lower', table_name='user')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('totp_enabled')
        batch_op.drop_column('totp_secret')
        batch_op.drop_column('must_change_password')
        batch_op.drop_column('session_version')

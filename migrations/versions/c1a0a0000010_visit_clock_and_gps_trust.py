"""visit clock and gps trust

A visit keeps the phone's own clock reading and the measured offset of that clock from the server's,
and whether its time can be trusted. The grid tallies count coarse GPS fixes and untrusted times.
Existing visits were all timed by the phone as it stood, so they stay trusted.

Revision ID: c1a0a0000010
Revises: c1a0a0000009
Create Date: 2026-11-29 19:10:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c1a0a0000010'
down_revision = 'c1a0a0000009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone_time', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('clock_offset_ms', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('time_trusted', sa.Boolean(), server_default=sa.true(), nullable=False))
    with op.batch_alter_table('grid_tally', schema=None) as batch_op:
        batch_op.add_column(sa.Column('coarse_fix', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('untrusted_time', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('grid_tally', schema=None) as batch_op:
        batch_op.drop_column('untrusted_time')
        batch_op.drop_column('coarse_fix')
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_column('time_trusted')
        batch_op.drop_column('clock_offset_ms')
        batch_op.drop_column('phone_time')

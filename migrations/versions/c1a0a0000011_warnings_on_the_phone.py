"""warnings on the phone

The grid worker's phone logs attempts and closes warnings: each carries the phone's uuid (unique, so a
re-sent action is recognised) and a fingerprint of its content; an attempt keeps the phone's own clock
reading, the measured offset and whether its time can be trusted. A warning notes the grid whose
households are registered with its phone, whose workers are proposed for assignment.

On SQLite fraud_warning is never rebuilt (batch "move and copy"): dropping the old table would delete
every warning attempt through their ON DELETE CASCADE key. Its columns are added in place; the grid's
foreign key goes inline in ADD COLUMN, which SQLite allows for a column whose default is NULL.

Revision ID: c1a0a0000011
Revises: c1a0a0000010
Create Date: 2026-11-29 19:10:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c1a0a0000011'
down_revision = 'c1a0a0000010'
branch_labels = None
depends_on = None


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade():
    with op.batch_alter_table('fraud_warning', schema=None) as batch_op:
        batch_op.add_column(sa.Column('close_uuid', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('close_hash', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_fraud_warning_close_uuid'), ['close_uuid'], unique=True)
    if _sqlite():
        op.execute("ALTER TABLE fraud_warning ADD COLUMN matched_grid_id INTEGER REFERENCES area (id)")
    else:
        op.add_column('fraud_warning', sa.Column('matched_grid_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_fraud_warning_matched_grid_id_area'), 'fraud_warning', 'area',
                              ['matched_grid_id'], ['id'])
    # warning_attempt is referenced by no table: rebuilding it on SQLite loses nothing.
    with op.batch_alter_table('warning_attempt', schema=None) as batch_op:
        batch_op.add_column(sa.Column('uuid', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('content_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('phone_time', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('clock_offset_ms', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('time_trusted', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.create_index(batch_op.f('ix_warning_attempt_uuid'), ['uuid'], unique=True)


def downgrade():
    with op.batch_alter_table('warning_attempt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_warning_attempt_uuid'))
        batch_op.drop_column('time_trusted')
        batch_op.drop_column('clock_offset_ms')
        batch_op.drop_column('phone_time')
        batch_op.drop_column('content_hash')
        batch_op.drop_column('uuid')
    with op.batch_alter_table('fraud_warning', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fraud_warning_close_uuid'))
    if _sqlite():  # SQLite 3.35+ drops a column in place (batch mode would rebuild the table)
        for column in ('matched_grid_id', 'close_hash', 'close_uuid'):
            op.execute(f"ALTER TABLE fraud_warning DROP COLUMN {column}")
    else:
        op.drop_constraint(op.f('fk_fraud_warning_matched_grid_id_area'), 'fraud_warning', type_='foreignkey')
        for column in ('matched_grid_id', 'close_hash', 'close_uuid'):
            op.drop_column('fraud_warning', column)

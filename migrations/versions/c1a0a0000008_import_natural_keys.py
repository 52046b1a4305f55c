"""import natural keys

Re-importing an exported file matches its rows to the records they came from: warnings get a reference
(预警编号, backfilled as YJ + id), and the lookups by case reference and by target name get indexes.

Revision ID: c1a0a0000008
Revises: c1a0a0000007
Create Date: 2026-11-29 17:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c1a0a0000008'
down_revision = 'c1a0a0000007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('fraud_warning', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reference', sa.String(length=40), nullable=True))
    warning = sa.table('fraud_warning', sa.column('id', sa.Integer), sa.column('reference', sa.String))
    op.execute(warning.update().values(reference=sa.literal('YJ') + sa.cast(warning.c.id, sa.String)))
    with op.batch_alter_table('fraud_warning', schema=None) as batch_op:
        batch_op.alter_column('reference', existing_type=sa.String(length=40), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_fraud_warning_reference'), ['reference'])
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incident_case_ref'), ['case_ref'], unique=False)
    with op.batch_alter_table('creation_target', schema=None) as batch_op:
        batch_op.create_index('ix_creation_target_area_kind_name', ['area_id', 'kind', 'name'], unique=False)


def downgrade():
    with op.batch_alter_table('creation_target', schema=None) as batch_op:
        batch_op.drop_index('ix_creation_target_area_kind_name')
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_case_ref'))
    with op.batch_alter_table('fraud_warning', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_fraud_warning_reference'), type_='unique')
        batch_op.drop_column('reference')

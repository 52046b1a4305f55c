"""visit review

Review states of visits (待审/已核实/有疑问/已作废), who reviewed and why, and the tallies that
leave rejected visits out. Every existing visit is received (待审); none is rejected, so the tallies
stand as they are. The visits table filters on the state along its time index.

Revision ID: c1a0a0000014
Revises: c1a0a0000013
Create Date: 2026-11-29 23:40:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c1a0a0000014'
down_revision = 'c1a0a0000013'
branch_labels = None
depends_on = None


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade():
    # Plain ADD COLUMNs: batch mode would copy the (city-sized) visit table on SQLite.
    op.add_column('visit', sa.Column('review_state', sa.Enum('received', 'verified', 'has_issues', 'rejected',
                                                             name='reviewstate', native_enum=False, length=16),
                                     server_default='received', nullable=False))
    op.add_column('visit', sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('visit', sa.Column('review_note', sa.String(length=500), server_default='', nullable=False))
    if _sqlite():
        op.execute('ALTER TABLE visit ADD COLUMN reviewed_by_id INTEGER REFERENCES "user" (id)')
    else:
        op.add_column('visit', sa.Column('reviewed_by_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_visit_reviewed_by_id_user'), 'visit', 'user', ['reviewed_by_id'], ['id'])
    op.create_index('ix_visit_review_time', 'visit', ['review_state', 'visited_at'], unique=False)


def downgrade():
    op.drop_index('ix_visit_review_time', table_name='visit')
    with op.batch_alter_table('visit', schema=None) as batch_op:
        if not _sqlite():
            batch_op.drop_constraint(batch_op.f('fk_visit_reviewed_by_id_user'), type_='foreignkey')
        batch_op.drop_column('reviewed_by_id')
        batch_op.drop_column('review_note')
        batch_op.drop_column('reviewed_at')
        batch_op.drop_column('review_state')

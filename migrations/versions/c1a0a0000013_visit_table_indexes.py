"""visit table indexes

Indexes for the visits table (/visits/table) at city scale: each lets a page walk the visits of one
kind newest first and stop after 50, instead of sorting millions of rows. The time itself, an
outcome, a GPS class, and two partial indexes for the rare signals (too fast, a time in doubt), which
hold only those few per cent of the visits. They are declared in campaign/visits/access.py.

On a table of 6 million visits they take a minute or two to build, during which visits wait.

Revision ID: c1a0a0000013
Revises: c1a0a0000012
Create Date: 2026-11-29 20:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c1a0a0000013'
down_revision = 'c1a0a0000012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_visit_time', 'visit', ['visited_at', 'id'], unique=False)
    op.create_index('ix_visit_outcome_time', 'visit', ['outcome', 'visited_at'], unique=False)
    op.create_index('ix_visit_geo_time', 'visit', ['geo', 'visited_at'], unique=False)
    op.create_index('ix_visit_too_fast_time', 'visit', ['visited_at'], unique=False,
                    sqlite_where=sa.text('too_fast = 1'), postgresql_where=sa.text('too_fast'))
    op.create_index('ix_visit_untrusted_time', 'visit', ['visited_at'], unique=False,
                    sqlite_where=sa.text('time_trusted = 0'), postgresql_where=sa.text('NOT time_trusted'))


def downgrade():
    op.drop_index('ix_visit_untrusted_time', table_name='visit')
    op.drop_index('ix_visit_too_fast_time', table_name='visit')
    op.drop_index('ix_visit_geo_time', table_name='visit')
    op.drop_index('ix_visit_outcome_time', table_name='visit')
    op.drop_index('ix_visit_time', table_name='visit')

"""worker risk tallies

per worker and round counts of the falsification signals, kept as visits arrive

worker_risk_tally: per round, worker and grid, the visits, those that reached a household, far, no
fix, too fast, outside 7:00-21:00 county time, gaps and short gaps. worker_answer_tally: per round,
worker, set of answers (a 64-bit digest) and grid, the visits that reached a household with them.
The tables start empty: run `flask rebuild-tallies` once after upgrading a database that holds
visits (the counts are computed in Python, campaign/risk/tallies.py, and the rebuild is that code).

Revision ID: c1a0a0000016
Revises: c1a0a0000015
Create Date: 2026-11-30 00:05:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c1a0a0000016'
down_revision = 'c1a0a0000015'
branch_labels = None
depends_on = None


COUNTS = ('visits', 'reached', 'far', 'no_fix', 'too_fast', 'outside_hours', 'gaps', 'short_gaps')


def upgrade():
    op.create_table(
        'worker_risk_tally',
        sa.Column('round_id', sa.Integer(), nullable=False),
        sa.Column('worker_id', sa.Integer(), nullable=False),
        sa.Column('grid_id', sa.Integer(), nullable=False),
        *[sa.Column(name, sa.Integer(), server_default='0', nullable=False) for name in COUNTS],
        sa.ForeignKeyConstraint(['grid_id'], ['area.id'], name=op.f('fk_worker_risk_tally_grid_id_area')),
        sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_worker_risk_tally_round_id_round')),
        sa.ForeignKeyConstraint(['worker_id'], ['user.id'], name=op.f('fk_worker_risk_tally_worker_id_user')),
        sa.PrimaryKeyConstraint('round_id', 'worker_id', 'grid_id', name=op.f('pk_worker_risk_tally')),
    )
    op.create_table(
        'worker_answer_tally',
        sa.Column('round_id', sa.Integer(), nullable=False),
        sa.Column('worker_id', sa.Integer(), nullable=False),
        sa.Column('answers', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('grid_id', sa.Integer(), nullable=False),
        sa.Column('visits', sa.Integer(), server_default='0', nullable=False),
        sa.ForeignKeyConstraint(['grid_id'], ['area.id'], name=op.f('fk_worker_answer_tally_grid_id_area')),
        sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_worker_answer_tally_round_id_round')),
        sa.ForeignKeyConstraint(['worker_id'], ['user.id'], name=op.f('fk_worker_answer_tally_worker_id_user')),
        sa.PrimaryKeyConstraint('round_id', 'worker_id', 'answers', 'grid_id', name=op.f('pk_worker_answer_tally')),
    )


def downgrade():
    op.drop_table('worker_answer_tally')
    op.drop_table('worker_risk_tally')

"""worker risk tallies

per worker and round counts of the falsification signals, kept as visits arrive

Revision ID: c1a0a0000016
Revises: c1a0a0000015
Create Date: 2026-11-30 00:05:00

"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = 'c1a0a0000016'
down_revision = 'c1a0a0000015'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass

"""verified coverage

Tallies of what was checked: households whose counting visit is verified, questioned or rejected,
and call-back results, per grid and round and per worker, so that verified coverage costs what
reported coverage costs.

Revision ID: c1a0a0000017
Revises: c1a0a0000016
Create Date: 2026-11-30 00:20:00

"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = 'c1a0a0000017'
down_revision = 'c1a0a0000016'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass

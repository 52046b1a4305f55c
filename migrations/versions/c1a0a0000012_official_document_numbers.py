"""official document numbers

Revision ID: c1a0a0000012
Revises: c1a0a0000011
Create Date: 2026-11-29 19:25:00

"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = 'c1a0a0000012'
down_revision = 'c1a0a0000011'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass

"""import natural keys

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
    pass


def downgrade():
    pass

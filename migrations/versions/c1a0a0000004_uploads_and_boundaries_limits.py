"""uploads and boundaries limits

Revision ID: c1a0a0000004
Revises: c1a0a0000003
Create Date: 2026-11-29 16:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c1a0a0000004'
down_revision = 'c1a0a0000003'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass

"""history for reports as of their period

Revision ID: c1a0a0000006
Revises: c1a0a0000005
Create Date: 2026-11-29 16:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c1a0a0000006'
down_revision = 'c1a0a0000005'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass

"""warning personal data

Revision ID: c1a0a0000007
Revises: c1a0a0000006
Create Date: 2026-11-29 17:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c1a0a0000007'
down_revision = 'c1a0a0000006'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass

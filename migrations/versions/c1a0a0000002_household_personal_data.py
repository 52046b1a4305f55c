"""household personal data

Revision ID: c1a0a0000002
Revises: c1a0a0000001
Create Date: 2026-11-29 16:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c1a0a0000002'
down_revision = 'c1a0a0000001'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass

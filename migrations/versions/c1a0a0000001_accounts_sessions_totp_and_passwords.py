"""accounts sessions totp and passwords

Revision ID: c1a0a0000001
Revises: 9bc87d8156c9
Create Date: 2026-11-29 16:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c1a0a0000001'
down_revision = '9bc87d8156c9'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass

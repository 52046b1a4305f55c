"""official document numbers

The county office's register for its 通报: the issuing office and document prefix it prints
(document_settings, one row per office's area, with the next number of the year), and every
number given to a report of an area over a period (document_number), so that the same report made
again keeps its number.

Revision ID: c1a0a0000012
Revises: c1a0a0000011
Create Date: 2026-11-29 19:25:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c1a0a0000012'
down_revision = 'c1a0a0000011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('document_settings',
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('office', sa.String(length=100), nullable=False),
    sa.Column('prefix', sa.String(length=20), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('next_number', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], name=op.f('fk_document_settings_area_id_area'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('area_id', name=op.f('pk_document_settings'))
    )
    op.create_table('document_number',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('office', sa.String(length=100), nullable=False),
    sa.Column('prefix', sa.String(length=20), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], name=op.f('fk_document_number_area_id_area'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['issued_by_id'], ['user.id'], name=op.f('fk_document_number_issued_by_id_user'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['office_id'], ['document_settings.area_id'],
                            name=op.f('fk_document_number_office_id_document_settings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_number')),
    sa.UniqueConstraint('area_id', 'starts_on', 'ends_on', name=op.f('uq_document_number_area_id')),
    sa.UniqueConstraint('office_id', 'prefix', 'year', 'number', name=op.f('uq_document_number_office_id'))
    )
    with op.batch_alter_table('document_number', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_number_office_id'), ['office_id'], unique=False)


def downgrade():
    with op.batch_alter_table('document_number', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_number_office_id'))
    op.drop_table('document_number')
    op.drop_table('document_settings')

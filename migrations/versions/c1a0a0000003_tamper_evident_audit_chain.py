"""tamper evident audit chain

Revision ID: c1a0a0000003
Revises: c1a0a0000002
Create Date: 2026-11-29 16:20:00

Chains the existing audit entries in id order, then (PostgreSQL) makes the table append-only:
a trigger refuses UPDATE and DELETE for every role, superusers included.
"""
import sqlalchemy as sa
from alembic import op

from campaign.audit.chain import GENESIS, hash_of_row
from campaign.core.types import CodeString, UTCDateTime

# revision identifiers, used by Alembic.
revision = 'c1a0a0000003'
down_revision = 'c1a0a0000002'
branch_labels = None
depends_on = None

APPEND_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_entry is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$
"""
APPEND_ONLY_TRIGGER = """
CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_entry
FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()
"""

audit_entry = sa.table(
    'audit_entry', sa.column('id', sa.Integer), sa.column('at', UTCDateTime), sa.column('user_id', sa.Integer),
    sa.column('action', sa.String), sa.column('subject', sa.String), sa.column('subject_id', sa.Integer),
    sa.column('area_code', CodeString), sa.column('changes', sa.JSON), sa.column('reason', sa.String),
    sa.column('seq', sa.BigInteger), sa.column('prev_hash', sa.String), sa.column('hash', sa.String))


class _Row:
    def __init__(self, row, seq):
        self.__dict__.update(row._mapping)
        self.seq = seq


def _chain_existing_rows(connection, page: int = 5000) -> None:
    """Chain in id order, a page at a time (keyset), so that millions of rows fit in memory."""
    update = (sa.update(audit_entry).where(audit_entry.c.id == sa.bindparam('row_id'))
              .values(seq=sa.bindparam('new_seq'), prev_hash=sa.bindparam('new_prev'), hash=sa.bindparam('new_hash')))
    columns = [audit_entry.c[name] for name in
               ('id', 'at', 'user_id', 'action', 'subject', 'subject_id', 'area_code', 'changes', 'reason')]
    prev, seq, last_id = GENESIS, 0, None
    while True:
        query = sa.select(*columns).order_by(audit_entry.c.id).limit(page)
        if last_id is not None:
            query = query.where(audit_entry.c.id > last_id)
        rows = connection.execute(query).all()
        if not rows:
            return
        batch = []
        for row in rows:
            seq += 1
            digest = hash_of_row(_Row(row, seq), prev)
            batch.append({'row_id': row.id, 'new_seq': seq, 'new_prev': prev, 'new_hash': digest})
            prev = digest
        connection.execute(update, batch)
        last_id = rows[-1].id


def upgrade():
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seq', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))

    connection = op.get_bind()
    _chain_existing_rows(connection)

    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.alter_column('seq', existing_type=sa.BigInteger(), nullable=False)
        batch_op.alter_column('prev_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_audit_entry_seq'), ['seq'])

    if connection.dialect.name == 'postgresql':
        op.execute(APPEND_ONLY_FUNCTION)
        op.execute(APPEND_ONLY_TRIGGER)
        # Tables grant nothing to PUBLIC by default; this states the intent for anyone reading grants.
        # Production runs the app as a role with INSERT and SELECT only (README, "Audit log").
        op.execute('REVOKE UPDATE, DELETE, TRUNCATE ON audit_entry FROM PUBLIC')


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_entry')
        op.execute('DROP FUNCTION IF EXISTS audit_entry_append_only()')
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_audit_entry_seq'), type_='unique')
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
        batch_op.drop_column('seq')

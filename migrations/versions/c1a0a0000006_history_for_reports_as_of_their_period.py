"""history for reports as of their period

Households get the spans during which they stood on a grid's roster, and creation targets the dated
changes of their status, so that a report counts its period as it was. Existing households get one
span from their registration (marked backfilled: earlier moves and removals are not known); targets
get their status changes from the audit log where it has them, and an unknown status otherwise.

Revision ID: c1a0a0000006
Revises: c1a0a0000005
Create Date: 2026-11-29 16:40:00

"""
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c1a0a0000006'
down_revision = 'c1a0a0000005'
branch_labels = None
depends_on = None

STATUSES = ('not_started', 'in_progress', 'applied', 'certified', 'revoked')


def _now():
    now = datetime.now(UTC)
    return now.replace(tzinfo=None) if op.get_bind().dialect.name == 'sqlite' else now


def upgrade():
    placement = op.create_table('household_placement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('grid_id', sa.Integer(), nullable=False),
    sa.Column('since', sa.DateTime(timezone=True), nullable=False),
    sa.Column('until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('backfilled', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['grid_id'], ['area.id'], name=op.f('fk_household_placement_grid_id_area'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_household_placement'))
    )
    with op.batch_alter_table('household_placement', schema=None) as batch_op:
        batch_op.create_index('ix_household_placement_grid_since', ['grid_id', 'since'], unique=False)
        batch_op.create_index(batch_op.f('ix_household_placement_household_id'), ['household_id'], unique=False)

    change = op.create_table('target_status_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum(*STATUSES, name='targetstatus', native_enum=False, length=16), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['target_id'], ['creation_target.id'],
                            name=op.f('fk_target_status_change_target_id_creation_target'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_target_status_change'))
    )
    with op.batch_alter_table('target_status_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_target_status_change_target_id'), ['target_id'], unique=False)

    now = _now()
    household = sa.table('household', sa.column('id', sa.Integer), sa.column('grid_id', sa.Integer),
                         sa.column('created_at', sa.DateTime(timezone=True)))
    op.execute(placement.insert().from_select(
        ['household_id', 'grid_id', 'since', 'until', 'backfilled', 'recorded_at'],
        sa.select(household.c.id, household.c.grid_id, household.c.created_at, sa.null(), sa.true(),
                  sa.literal(now, sa.DateTime(timezone=True)))))
    _backfill_statuses(change)


def _backfill_statuses(change) -> None:
    """From the audit log's transitions where it has them; else the status known since its last change,
    and an unknown one (NULL) between registration and then."""
    connection = op.get_bind()
    target = sa.table('creation_target', sa.column('id', sa.Integer), sa.column('status', sa.String),
                      sa.column('status_changed_at', sa.DateTime(timezone=True)),
                      sa.column('created_at', sa.DateTime(timezone=True)))
    audit = sa.table('audit_entry', sa.column('at', sa.DateTime(timezone=True)), sa.column('action', sa.String),
                     sa.column('subject', sa.String), sa.column('subject_id', sa.Integer),
                     sa.column('changes', sa.JSON))
    logged: dict[int, list] = {}
    for subject_id, at, action, changes in connection.execute(
            sa.select(audit.c.subject_id, audit.c.at, audit.c.action, audit.c.changes)
            .where(audit.c.subject == 'creation_target').order_by(audit.c.at)):
        status = (changes or {}).get('status') if isinstance(changes, dict) else None
        if action == 'create':
            logged.setdefault(subject_id, []).append((at, 'not_started'))
        elif isinstance(status, list) and len(status) == 2 and status[1] in STATUSES:
            logged.setdefault(subject_id, []).append((at, status[1]))
    rows = []
    for target_id, status, changed_at, created_at in connection.execute(
            sa.select(target.c.id, target.c.status, target.c.status_changed_at, target.c.created_at)):
        entries = logged.get(target_id, [])
        if entries and entries[0][1] == 'not_started' and entries[-1][1] == status:
            rows += [{'target_id': target_id, 'status': s, 'at': at} for at, s in entries]
        elif status == 'not_started':
            rows.append({'target_id': target_id, 'status': status, 'at': created_at})
        else:
            rows.append({'target_id': target_id, 'status': None, 'at': created_at})
            rows.append({'target_id': target_id, 'status': status, 'at': changed_at})
    if rows:
        op.bulk_insert(change, rows)


def downgrade():
    with op.batch_alter_table('target_status_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_target_status_change_target_id'))
    op.drop_table('target_status_change')
    with op.batch_alter_table('household_placement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_household_placement_household_id'))
        batch_op.drop_index('ix_household_placement_grid_since')
    op.drop_table('household_placement')

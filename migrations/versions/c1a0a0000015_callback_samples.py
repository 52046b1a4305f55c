"""callback samples

call-back samples (回访抽查): samples, tasks and attempts

Revision ID: c1a0a0000015
Revises: c1a0a0000014
Create Date: 2026-11-30 00:05:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c1a0a0000015'
down_revision = 'c1a0a0000014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('callback_sample',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('seed', sa.BigInteger(), nullable=False),
    sa.Column('random_percent', sa.Double(), nullable=False),
    sa.Column('min_per_village', sa.Integer(), nullable=False),
    sa.Column('focused_count', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], name=op.f('fk_callback_sample_area_id_area')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_callback_sample_created_by_id_user')),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_callback_sample_round_id_round')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_callback_sample'))
    )
    with op.batch_alter_table('callback_sample', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_callback_sample_area_id'), ['area_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_callback_sample_round_id'), ['round_id'], unique=False)

    op.create_table('callback_task',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sample_id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.Column('worker_id', sa.Integer(), nullable=False),
    sa.Column('checker_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Enum('random', 'focused', name='reason', native_enum=False, length=16), nullable=False),
    sa.Column('status', sa.Enum('open', 'done', name='taskstatus', native_enum=False, length=16), nullable=False),
    sa.Column('result', sa.Enum('confirmed', 'details_differ', 'not_visited', 'unreachable', name='result',
                              native_enum=False, length=20), nullable=True),
    sa.Column('result_note', sa.String(length=500), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['checker_id'], ['user.id'], name=op.f('fk_callback_task_checker_id_user')),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_callback_task_household_id_household')),
    sa.ForeignKeyConstraint(['sample_id'], ['callback_sample.id'],
                            name=op.f('fk_callback_task_sample_id_callback_sample'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['village_id'], ['area.id'], name=op.f('fk_callback_task_village_id_area')),
    sa.ForeignKeyConstraint(['visit_id'], ['visit.id'], name=op.f('fk_callback_task_visit_id_visit')),
    sa.ForeignKeyConstraint(['worker_id'], ['user.id'], name=op.f('fk_callback_task_worker_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_callback_task')),
    sa.UniqueConstraint('sample_id', 'household_id', name=op.f('uq_callback_task_sample_id'))
    )
    with op.batch_alter_table('callback_task', schema=None) as batch_op:
        batch_op.create_index('ix_callback_task_checker_status', ['checker_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_callback_task_visit_id'), ['visit_id'], unique=False)

    op.create_table('callback_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('method', sa.Enum('phone', 'revisit', name='method', native_enum=False, length=10), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['by_id'], ['user.id'], name=op.f('fk_callback_attempt_by_id_user')),
    sa.ForeignKeyConstraint(['task_id'], ['callback_task.id'], name=op.f('fk_callback_attempt_task_id_callback_task'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_callback_attempt'))
    )
    with op.batch_alter_table('callback_attempt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_callback_attempt_task_id'), ['task_id'], unique=False)


def downgrade():
    with op.batch_alter_table('callback_attempt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_callback_attempt_task_id'))

    op.drop_table('callback_attempt')
    with op.batch_alter_table('callback_task', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_callback_task_visit_id'))
        batch_op.drop_index('ix_callback_task_checker_status')

    op.drop_table('callback_task')
    with op.batch_alter_table('callback_sample', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_callback_sample_round_id'))
        batch_op.drop_index(batch_op.f('ix_callback_sample_area_id'))

    op.drop_table('callback_sample')

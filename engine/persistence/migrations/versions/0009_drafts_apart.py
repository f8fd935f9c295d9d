"""drafts in a table of their own; an index for counting the processes a user started

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

Drafts (up to a size limit) no longer sit in ``human_task`` rows, which every inbox reads; the
per-day limit on started processes counts by (started_by, started_at).
"""

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'task_draft',
        sa.Column('human_task_id', sa.Integer(), nullable=False),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.Column('saved_by', sa.String(length=64), nullable=False),
        sa.Column('saved_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['human_task_id'], ['human_task.id'], ondelete='CASCADE',
                                name=op.f('fk_task_draft_human_task_id_human_task')),
        sa.PrimaryKeyConstraint('human_task_id', name=op.f('pk_task_draft')),
    )
    op.execute("INSERT INTO task_draft (human_task_id, data, saved_by, saved_at) "
               "SELECT id, draft, COALESCE(claimed_by, assignee, ''), created_at FROM human_task "
               "WHERE draft IS NOT NULL AND status = 'open'")
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_column('draft')
    op.create_index('ix_process_instance_started', 'process_instance', ['started_by', 'started_at'])


def downgrade() -> None:
    op.drop_index('ix_process_instance_started', table_name='process_instance')
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('draft', sa.JSON(), nullable=True))
    op.drop_table('task_draft')

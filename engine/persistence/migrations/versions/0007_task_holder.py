"""the holder of a task, and inbox indexes that cover what the inbox filters and sorts on

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

``holder`` is the one person who holds an open task: who claimed it, or to whom it is assigned;
NULL while the role's holders in scope may claim it. 我的待办 is then one index range (holder,
status, due date) and 待认领 skips held tasks inside its index (role, status, holder, scope), so a
page costs the same whatever else a user holds: only the page's rows are read from the table.
"""

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('human_task', sa.Column('holder', sa.String(length=64), nullable=True))
    op.execute("UPDATE human_task SET holder = COALESCE(claimed_by, assignee)")
    op.drop_index('ix_human_task_assignee', table_name='human_task')
    op.drop_index('ix_human_task_claimed', table_name='human_task')
    op.drop_index('ix_human_task_role', table_name='human_task')
    op.create_index('ix_human_task_holder', 'human_task', ['holder', 'status', 'due_at'])
    op.create_index('ix_human_task_role', 'human_task', ['role', 'status', 'holder', 'scope_path', 'due_at'])


def downgrade() -> None:
    op.drop_index('ix_human_task_role', table_name='human_task')
    op.drop_index('ix_human_task_holder', table_name='human_task')
    op.create_index('ix_human_task_role', 'human_task', ['role', 'status', 'scope_path'])
    op.create_index('ix_human_task_claimed', 'human_task', ['claimed_by', 'status'])
    op.create_index('ix_human_task_assignee', 'human_task', ['assignee', 'status'])
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_column('holder')

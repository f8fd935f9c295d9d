"""an index of open tasks by project, for the ledger and 卡点分析

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02

The ledger asks of every project in scope whether it has an overdue open task, since when it
waits and when it is due; (instance_id, status, due_at, created_at) answers each from the index.
"""

from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_human_task_instance_open', 'human_task', ['instance_id', 'status', 'due_at', 'created_at'])


def downgrade() -> None:
    op.drop_index('ix_human_task_instance_open', table_name='human_task')

"""inbox indexes

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_human_task_completed_by'))
        batch_op.drop_index(batch_op.f('ix_human_task_open_assignee'))
        batch_op.drop_index(batch_op.f('ix_human_task_open_role'))
        batch_op.create_index('ix_human_task_assignee', ['assignee', 'status'], unique=False)
        batch_op.create_index('ix_human_task_claimed', ['claimed_by', 'status'], unique=False)
        batch_op.create_index('ix_human_task_done', ['completed_by', 'status', 'completed_at'], unique=False)
        batch_op.create_index('ix_human_task_role', ['role', 'status', 'scope_path'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_index('ix_human_task_role')
        batch_op.drop_index('ix_human_task_done')
        batch_op.drop_index('ix_human_task_claimed')
        batch_op.drop_index('ix_human_task_assignee')
        batch_op.create_index(batch_op.f('ix_human_task_open_role'), ['status', 'role', 'scope_path'], unique=False)
        batch_op.create_index(batch_op.f('ix_human_task_open_assignee'), ['status', 'assignee'], unique=False)
        batch_op.create_index(batch_op.f('ix_human_task_completed_by'), ['completed_by', 'completed_at'], unique=False)


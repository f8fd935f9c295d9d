"""drop indexes that a unique constraint already provides

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27

``human_task(instance_id)`` and ``milestone(instance_id)`` are the leading column of their
unique constraints, whose indexes serve the same lookups; the extra indexes only cost writes.
"""

from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_index('ix_human_task_instance_id')
    with op.batch_alter_table('milestone', schema=None) as batch_op:
        batch_op.drop_index('ix_milestone_instance_id')


def downgrade() -> None:
    with op.batch_alter_table('milestone', schema=None) as batch_op:
        batch_op.create_index('ix_milestone_instance_id', ['instance_id'], unique=False)
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.create_index('ix_human_task_instance_id', ['instance_id'], unique=False)

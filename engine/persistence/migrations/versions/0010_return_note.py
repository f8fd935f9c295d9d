"""why a task came back: the reviewer's reason, on the task that is done again

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02

NULL: the step is done for the first time; otherwise it was returned (an empty text when the
reviewer gave no reason). Lists mark it 退回; its page opens with the reason.
"""

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('human_task', sa.Column('return_note', sa.String(length=1000), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_column('return_note')

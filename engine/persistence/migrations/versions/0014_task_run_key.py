"""which run of its process a task belongs to

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02

A called process (a quarterly report, an acceptance stage) runs several times in one project.
``run_key`` names the run: the id of the task in the calling process that ran it, '' in the
project's own process. A step is "done again" (退回) only within one run; before this column
the second quarterly report showed as returned. Rows from before keep NULL, read as any run.
"""

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('human_task', sa.Column('run_key', sa.String(length=36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_column('run_key')

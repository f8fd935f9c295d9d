"""a deployment's comment, and which version of a process is current

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02

New projects start on the *current* version of a process. Deploying makes the new version current;
an administrator may make an earlier one current again (rollback). Before this revision the newest
version was the current one, so that is what the data migration marks.
"""

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('process_version', schema=None) as batch_op:
        batch_op.add_column(sa.Column('comment', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('current', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute("UPDATE process_version SET current = TRUE WHERE version = "
               "(SELECT MAX(v.version) FROM process_version v WHERE v.process_id = process_version.process_id)")


def downgrade() -> None:
    with op.batch_alter_table('process_version', schema=None) as batch_op:
        batch_op.drop_column('current')
        batch_op.drop_column('comment')

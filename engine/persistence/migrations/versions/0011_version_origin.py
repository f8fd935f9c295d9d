"""where a process version came from: the shipped files on disk, or an administrator

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02

"shipped": deployed from the shipped workflows folder at start-up (``dangjian deploy --shipped``);
"administrator": deployed on purpose by an administrator. A restart compares the shipped files with
the last shipped version only, and never supersedes a newer administrator's version. Versions stored
before are counted as shipped when the system deployed them.
"""

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('process_version', schema=None) as batch_op:
        batch_op.add_column(sa.Column('origin', sa.String(length=16), nullable=False,
                                      server_default='administrator'))
    op.execute("UPDATE process_version SET origin = 'shipped' WHERE deployed_by = 'system'")


def downgrade() -> None:
    with op.batch_alter_table('process_version', schema=None) as batch_op:
        batch_op.drop_column('origin')

"""archive of finished workflow parts

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

Finished sub-workflows and pruned tasks leave the live state (``engine.runtime.compaction``) and
are kept here, read only when someone asks for an instance's full history. Which stored states
are compacted is told by ``process_instance.serializer_version`` ("1.5+compacted"): a new column
there would come after ``state`` in SQLite's rows and slow every list that reads instance rows.
"""

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'instance_archive',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('process', sa.String(length=128), nullable=False),
        sa.Column('part_key', sa.String(length=36), nullable=False),
        sa.Column('archived_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('content', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], ondelete='CASCADE',
                                name=op.f('fk_instance_archive_instance_id_process_instance')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_instance_archive')),
    )
    op.create_index(op.f('ix_instance_archive_instance_id'), 'instance_archive', ['instance_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_instance_archive_instance_id'), table_name='instance_archive')
    op.drop_table('instance_archive')

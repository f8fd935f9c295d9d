"""idempotency keys of API writes

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04

A client that lost the answer to a POST (the web host died, the connection broke) repeats it with
the same ``Idempotency-Key``. The key, the actor, a fingerprint of the request and the outcome are
written in the transaction of the write itself: a repeat either finds nothing (the first did
nothing, the repeat does it) or the row (the repeat is answered with the first's outcome).
"""

import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'idempotency_key',
        sa.Column('actor', sa.String(length=64), nullable=False),
        sa.Column('idempotency_key', sa.String(length=200), nullable=False),
        sa.Column('fingerprint', sa.String(length=64), nullable=False),
        sa.Column('response', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('actor', 'idempotency_key', name=op.f('pk_idempotency_key')),
    )
    op.create_index('ix_idempotency_key_created_at', 'idempotency_key', ['created_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_idempotency_key_created_at', table_name='idempotency_key')
    op.drop_table('idempotency_key')

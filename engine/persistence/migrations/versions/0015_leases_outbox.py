"""job leases, the transactional outbox, wake-ups

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04

Several worker hosts share one PostgreSQL. A worker claims due timers by setting a lease
(``lease_owner``, ``lease_until``) on the instance row; another worker takes the timer over once
the lease has run out. Side effects (notices now, mail or SMS later) are written to ``outbox`` in
the transaction of their cause and delivered at least once; ``notification.idempotency_key``
lets the in-app receiver drop a repeated delivery. On PostgreSQL, triggers ``NOTIFY
dangjian_jobs`` when a timer is set or a message is queued, so that idle workers wake at once.
"""

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

NOTIFY_FUNCTION = """
CREATE OR REPLACE FUNCTION dangjian_notify_jobs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('dangjian_jobs', TG_TABLE_NAME);
    RETURN NULL;
END $$
"""


def upgrade() -> None:
    op.add_column('process_instance', sa.Column('lease_owner', sa.String(length=128), nullable=True))
    op.add_column('process_instance', sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('idempotency_key', sa.String(length=200), nullable=True))
        batch_op.create_unique_constraint('uq_notification_idempotency_key', ['idempotency_key'])
    op.create_table(
        'outbox',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('channel', sa.String(length=32), nullable=False),
        sa.Column('idempotency_key', sa.String(length=200), nullable=False),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('available_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('lease_owner', sa.String(length=128), nullable=True),
        sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
        sa.UniqueConstraint('idempotency_key', name=op.f('uq_outbox_idempotency_key')),
    )
    op.create_index('ix_outbox_pending', 'outbox', ['delivered_at', 'available_at'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(NOTIFY_FUNCTION)
        # A timer set or moved (never a step that clears it) and every queued message wake the workers.
        op.execute("CREATE TRIGGER process_instance_timer_insert_notify AFTER INSERT ON process_instance "
                   "FOR EACH ROW WHEN (NEW.next_timer_due IS NOT NULL) EXECUTE FUNCTION dangjian_notify_jobs()")
        op.execute("CREATE TRIGGER process_instance_timer_notify AFTER UPDATE OF next_timer_due ON process_instance "
                   "FOR EACH ROW WHEN (NEW.next_timer_due IS NOT NULL "
                   "AND NEW.next_timer_due IS DISTINCT FROM OLD.next_timer_due) "
                   "EXECUTE FUNCTION dangjian_notify_jobs()")
        op.execute("CREATE TRIGGER outbox_notify AFTER INSERT ON outbox "
                   "FOR EACH STATEMENT EXECUTE FUNCTION dangjian_notify_jobs()")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS outbox_notify ON outbox")
        op.execute("DROP TRIGGER IF EXISTS process_instance_timer_notify ON process_instance")
        op.execute("DROP TRIGGER IF EXISTS process_instance_timer_insert_notify ON process_instance")
        op.execute("DROP FUNCTION IF EXISTS dangjian_notify_jobs()")
    op.drop_index('ix_outbox_pending', table_name='outbox')
    op.drop_table('outbox')
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_constraint('uq_notification_idempotency_key', type_='unique')
        batch_op.drop_column('idempotency_key')
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.drop_column('lease_until')
        batch_op.drop_column('lease_owner')

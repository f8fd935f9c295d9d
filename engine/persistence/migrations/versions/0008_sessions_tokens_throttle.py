"""sessions that can be ended, named expiring API tokens, sign-in throttling per client address

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02

``app_user.session_version`` ends every session of a user when raised; ``api_token`` replaces the
single ``app_user.api_token_hash`` (an existing token is carried over, named and expiring in 90
days); ``login_throttle`` replaces the per-account failure count, so a lockout holds for one
user name from one address only.
"""

from datetime import UTC
from datetime import datetime
from datetime import timedelta

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'api_token',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('username', sa.String(length=64), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('digest', sa.String(length=128), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
        sa.UniqueConstraint('digest', name=op.f('uq_api_token_digest')),
    )
    op.create_index(op.f('ix_api_token_username'), 'api_token', ['username'], unique=False)
    op.create_table(
        'login_throttle',
        sa.Column('username', sa.String(length=64), nullable=False),
        sa.Column('address', sa.String(length=64), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_failure', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('username', 'address', name=op.f('pk_login_throttle')),
    )
    connection = op.get_bind()
    now = datetime.now(UTC)
    stamp = (lambda moment: moment.replace(tzinfo=None)) if connection.dialect.name == 'sqlite' else (lambda m: m)
    tokens = connection.execute(sa.text(
        "SELECT username, api_token_hash FROM app_user WHERE api_token_hash IS NOT NULL")).all()
    for username, digest in tokens:
        connection.execute(sa.text(
            "INSERT INTO api_token (username, name, digest, created_at, expires_at) "
            "VALUES (:username, :name, :digest, :created, :expires)"),
            {"username": username, "name": "升级前的令牌", "digest": digest, "created": stamp(now),
             "expires": stamp(now + timedelta(days=90))})
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), nullable=False, server_default='0'))
        batch_op.drop_index('ix_app_user_api_token_hash')
        batch_op.drop_column('api_token_hash')
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_logins')


def downgrade() -> None:
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('api_token_hash', sa.String(length=128), nullable=True))
        batch_op.create_index('ix_app_user_api_token_hash', ['api_token_hash'], unique=False)
        batch_op.drop_column('session_version')
    op.drop_table('login_throttle')
    op.drop_index(op.f('ix_api_token_username'), table_name='api_token')
    op.drop_table('api_token')

"""areas each device was answered (sealed pull cursors), op content hashes, sign-in failures per client

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-05 16:50:00.000000
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = '0011'
down_revision: Union[str, None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('device_pull_area',
                    sa.Column('device_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
                    sa.Column('fingerprint', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
                    sa.Column('since_seq', sa.Integer(), nullable=False),
                    sa.PrimaryKeyConstraint('device_id', 'fingerprint'))
    with op.batch_alter_table('sync_op') as batch:
        batch.add_column(sa.Column('content_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
    # Failures are now counted per username and client address: the old per-name counts (at most
    # a lock period's worth) are dropped with their table.
    op.drop_table('login_throttle')
    op.create_table('login_throttle',
                    sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
                    sa.Column('client', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
                    sa.Column('failures', sa.Integer(), nullable=False),
                    sa.Column('locked_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
                    sa.Column('last_failure_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
                    sa.PrimaryKeyConstraint('username', 'client'))
    op.create_index(op.f('ix_login_throttle_last_failure_at'), 'login_throttle', ['last_failure_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_login_throttle_last_failure_at'), table_name='login_throttle')
    op.drop_table('login_throttle')
    op.create_table('login_throttle',
                    sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
                    sa.Column('failures', sa.Integer(), nullable=False),
                    sa.Column('locked_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
                    sa.Column('last_failure_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
                    sa.PrimaryKeyConstraint('username'))
    with op.batch_alter_table('sync_op') as batch:
        batch.drop_column('content_hash')
    op.drop_table('device_pull_area')

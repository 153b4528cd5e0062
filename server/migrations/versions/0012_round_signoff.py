"""a training round's sign-off (round_signoff): its records locked until a supervisor reopens it;
what waits on a phone at its last sync (device.pending_ops)

Revision ID: 0012
Revises: 0009
Create Date: 2026-12-05 16:40:00.000000
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = '0012'
down_revision: Union[str, None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('round_signoff',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('training_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('locked_kinds', sa.JSON(), nullable=False),
    sa.Column('open_items', sa.JSON(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('signed_off_by_user_id', sa.Integer(), nullable=True),
    sa.Column('signed_off_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('reopened_by_user_id', sa.Integer(), nullable=True),
    sa.Column('reopened_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('reopen_reason', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.ForeignKeyConstraint(['training_id'], ['training.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('training_id')
    )
    with op.batch_alter_table('device') as batch_op:
        batch_op.add_column(sa.Column('pending_ops', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('device') as batch_op:
        batch_op.drop_column('pending_ops')
    op.drop_table('round_signoff')

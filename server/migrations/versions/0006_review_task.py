"""supervisors' "needs fix" notes on records (review_task), pulled by the phones of the record's village

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 09:00:00.000000
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes

revision: str = '0006'
down_revision: Union[str, None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('review_task',
                    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
                    sa.Column('seq', sa.Integer(), nullable=False),
                    sa.Column('deleted', sa.Boolean(), nullable=False),
                    sa.Column('field_versions', sa.JSON(), nullable=False),
                    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
                    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
                    sa.Column('updated_by_user_id', sa.Integer(), nullable=True),
                    sa.Column('updated_by_device_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
                    sa.Column('record_entity', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
                    sa.Column('record_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
                    sa.Column('village_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
                    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
                    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
                    sa.Column('fixed_note', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
                    sa.Column('created_by_user_id', sa.Integer(), nullable=True),
                    sa.Column('closed_by_user_id', sa.Integer(), nullable=True),
                    sa.Column('closed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
                    sa.PrimaryKeyConstraint('id'))
    op.create_index(op.f('ix_review_task_seq'), 'review_task', ['seq'], unique=False)
    op.create_index(op.f('ix_review_task_record_id'), 'review_task', ['record_id'], unique=False)
    op.create_index('ix_review_task_area', 'review_task', ['village_id', 'status'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_review_task_area', table_name='review_task')
    op.drop_index(op.f('ix_review_task_record_id'), table_name='review_task')
    op.drop_index(op.f('ix_review_task_seq'), table_name='review_task')
    op.drop_table('review_task')

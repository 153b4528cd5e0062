"""phones are told when a record leaves their area: departures from villages, and the areas cursors name

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 15:00:00.000000
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes

revision: str = '0005'
down_revision: Union[str, None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('feed_departure',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('seq', sa.Integer(), nullable=False),
                    sa.Column('entity', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
                    sa.Column('record_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
                    sa.Column('village_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
                    sa.PrimaryKeyConstraint('id'))
    op.create_index(op.f('ix_feed_departure_seq'), 'feed_departure', ['seq'], unique=False)
    op.create_table('pull_area',
                    sa.Column('fingerprint', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
                    sa.Column('village_ids', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
                    sa.PrimaryKeyConstraint('fingerprint'))


def downgrade() -> None:
    op.drop_table('pull_area')
    op.drop_index(op.f('ix_feed_departure_seq'), table_name='feed_departure')
    op.drop_table('feed_departure')

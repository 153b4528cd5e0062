"""household and sage lists sorted and paged in the database

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 10:00:00.000000
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes

from server.core.house_numbers import house_sort_key

revision: str = '0003'
down_revision: Union[str, None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # A plain ADD COLUMN with a default: rebuilding `household` (SQLite's way to change a column)
    # would have to drop a table that enrollments, attendance and surveys point at.
    op.add_column('household', sa.Column('house_sort', sqlmodel.sql.sqltypes.AutoString(), nullable=False,
                                         server_default=''))
    household = sa.table('household', sa.column('id', sa.String()), sa.column('house_no', sa.String()),
                         sa.column('house_sort', sa.String()))
    conn = op.get_bind()
    rows = [{'key_id': hid, 'key': house_sort_key(house_no)}
            for hid, house_no in conn.execute(sa.select(household.c.id, household.c.house_no))]
    if rows:
        conn.execute(household.update().where(household.c.id == sa.bindparam('key_id'))
                     .values(house_sort=sa.bindparam('key')), rows)
    op.create_index('ix_household_list', 'household', ['village_id', 'deleted', 'house_sort', 'id'], unique=False)
    op.create_index('ix_sage_list', 'sage', ['deleted', 'name', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_sage_list', table_name='sage')
    op.drop_index('ix_household_list', table_name='household')
    op.drop_column('household', 'house_sort')

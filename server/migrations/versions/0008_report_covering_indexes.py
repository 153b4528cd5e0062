"""indexes for the reports: deleted households, who was present on a day, what surveys say

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 13:00:00.000000
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: Union[str, None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index('ix_household_deleted', 'household', ['deleted', 'id'], unique=False,
                    sqlite_where=sa.text('deleted = 1'), postgresql_where=sa.text('deleted'))
    op.create_index('ix_attendance_present', 'attendance', ['household_id', 'session_id', 'present', 'deleted'],
                    unique=False)
    op.create_index('ix_survey_answers', 'survey',
                    ['household_id', 'deleted', 'kind', 'practising_trade', 'annual_income'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_survey_answers', table_name='survey')
    op.drop_index('ix_attendance_present', table_name='attendance')
    op.drop_index('ix_household_deleted', table_name='household')

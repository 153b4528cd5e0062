"""an index for the reports: a fiscal year's trainings by village

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 12:00:00.000000
"""
from typing import Sequence, Union

from alembic import op

revision: str = '0007'
down_revision: Union[str, None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index('ix_training_year_village', 'training', ['fiscal_year', 'village_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_training_year_village', table_name='training')

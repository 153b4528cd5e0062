"""a survey says when its income is not known, and records expenses, savings and debt

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 17:00:00.000000
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0010'
down_revision: Union[str, None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Surveys stored before this keep what they hold: one without a date or an income stays
    # incomplete (not counted, listed on the quality page) until someone completes it.
    with op.batch_alter_table('survey', schema=None) as batch_op:
        batch_op.add_column(sa.Column('income_unknown', sa.Boolean(), nullable=False,
                                      server_default=sa.text('false')))
        batch_op.add_column(sa.Column('annual_expenses', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('savings', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('debt', sa.Integer(), nullable=True))
    # Reports count complete surveys only, still from the index alone.
    op.drop_index('ix_survey_answers', table_name='survey')
    op.create_index('ix_survey_answers', 'survey', ['household_id', 'deleted', 'kind', 'practising_trade',
                                                    'annual_income', 'income_unknown', 'surveyed_on'])


def downgrade() -> None:
    op.drop_index('ix_survey_answers', table_name='survey')
    op.create_index('ix_survey_answers', 'survey',
                    ['household_id', 'deleted', 'kind', 'practising_trade', 'annual_income'])
    with op.batch_alter_table('survey', schema=None) as batch_op:
        batch_op.drop_column('debt')
        batch_op.drop_column('savings')
        batch_op.drop_column('annual_expenses')
        batch_op.drop_column('income_unknown')

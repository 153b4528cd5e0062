"""a household's income may be unknown; an enrollment's reason is called `reason`, as phones know it

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 12:00:00.000000
"""
import json
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0004'
down_revision: Union[str, None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # A household registered by a phone before its survey has no income yet: NULL, never 0 (a 0 would
    # rank it the poorest). SQLite rebuilds the table for this (see server/migrations/env.py).
    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.alter_column('annual_income', existing_type=sa.Integer(), nullable=True)
    with op.batch_alter_table('enrollment', schema=None) as batch_op:
        batch_op.alter_column('selection_reason', new_column_name='reason',
                              existing_type=sa.String(), existing_nullable=True)
    _rename_field('selection_reason', 'reason')


def downgrade() -> None:
    _rename_field('reason', 'selection_reason')
    with op.batch_alter_table('enrollment', schema=None) as batch_op:
        batch_op.alter_column('reason', new_column_name='selection_reason',
                              existing_type=sa.String(), existing_nullable=True)
    op.execute("UPDATE household SET annual_income = 0 WHERE annual_income IS NULL")
    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.alter_column('annual_income', existing_type=sa.Integer(), nullable=False)


def _rename_field(old: str, new: str) -> None:
    """The per-field versions and open conflicts of enrollments name the field as the contract does."""
    conn = op.get_bind()
    enrollment = sa.table('enrollment', sa.column('id', sa.String()), sa.column('field_versions', sa.JSON()))
    rows = []
    for record_id, versions in conn.execute(sa.select(enrollment.c.id, enrollment.c.field_versions)):
        if isinstance(versions, str):
            versions = json.loads(versions)
        if isinstance(versions, dict) and old in versions:
            versions = {(new if name == old else name): version for name, version in versions.items()}
            rows.append({'key_id': record_id, 'versions': versions})
    if rows:
        conn.execute(enrollment.update().where(enrollment.c.id == sa.bindparam('key_id'))
                     .values(field_versions=sa.bindparam('versions')), rows)
    conflict = sa.table('conflict', sa.column('entity', sa.String()), sa.column('field', sa.String()))
    conn.execute(conflict.update().where(conflict.c.entity == 'enrollment', conflict.c.field == old)
                 .values(field=new))

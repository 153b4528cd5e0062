"""trades coded everywhere (sage.skills_note; free-text skills read as trade codes), the welfare card of a
household, funding requests, saved column mappings of district household lists

Revision ID: 0013
Revises: 0009
Create Date: 2026-12-05 16:30:00.000000
"""
import json
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes

revision: str = '0013'
down_revision: Union[str, None] = '0012'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('sage') as batch:
        batch.add_column(sa.Column('skills_note', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    with op.batch_alter_table('household') as batch:
        batch.add_column(sa.Column('welfare_card', sa.Boolean(), nullable=True))
    with op.batch_alter_table('import_preview') as batch:
        batch.add_column(sa.Column('headers', sa.JSON(), nullable=True))
    op.create_table('import_mapping',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('district_code', sqlmodel.sql.sqltypes.AutoString(length=4), nullable=False),
                    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
                    sa.Column('headers_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
                    sa.Column('columns', sa.JSON(), nullable=False),
                    sa.Column('created_by_user_id', sa.Integer(), nullable=True),
                    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
                    sa.ForeignKeyConstraint(['district_code'], ['district.code']),
                    sa.ForeignKeyConstraint(['created_by_user_id'], ['user.id']),
                    sa.PrimaryKeyConstraint('id'),
                    sa.UniqueConstraint('district_code', 'name'))
    op.create_index(op.f('ix_import_mapping_district_code'), 'import_mapping', ['district_code'], unique=False)
    op.create_index(op.f('ix_import_mapping_headers_key'), 'import_mapping', ['headers_key'], unique=False)
    op.create_table('funding_request',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('group_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
                    sa.Column('training_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
                    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
                    sa.Column('amount_asked', sa.Integer(), nullable=False),
                    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
                    sa.Column('asked_on', sa.Date(), nullable=True),
                    sa.Column('decided_on', sa.Date(), nullable=True),
                    sa.Column('received_on', sa.Date(), nullable=True),
                    sa.Column('amount_received', sa.Integer(), nullable=False),
                    sa.Column('proposal_file', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
                    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
                    sa.Column('created_by_user_id', sa.Integer(), nullable=True),
                    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
                    sa.ForeignKeyConstraint(['group_id'], ['occupation_group.id']),
                    sa.ForeignKeyConstraint(['training_id'], ['training.id']),
                    sa.ForeignKeyConstraint(['created_by_user_id'], ['user.id']),
                    sa.PrimaryKeyConstraint('id'))
    op.create_index(op.f('ix_funding_request_group_id'), 'funding_request', ['group_id'], unique=False)
    op.create_index(op.f('ix_funding_request_training_id'), 'funding_request', ['training_id'], unique=False)
    _default_funding_sources()
    _skills_as_trade_codes()


FUNDING_SOURCES = [  # the department, local government, a bank, the village fund, a partner
    ("cdd", "กรมการพัฒนาชุมชน", "Community Development Department"),
    ("local_government", "องค์กรปกครองส่วนท้องถิ่น", "Local government"),
    ("bank", "ธนาคาร", "Bank"),
    ("village_fund", "กองทุนหมู่บ้าน", "Village fund"),
    ("partner", "ภาคีการพัฒนา", "Development partner"),
]


def _default_funding_sources() -> None:
    """An installation that already has its configuration gets the funding sources too (a new one gets
    them with the rest of the defaults)."""
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT COUNT(*) FROM occupation")).scalar_one() == 0:
        return  # an empty installation: the defaults are loaded after migrating (server.config.reference_data)
    for order, (code, name_th, name_en) in enumerate(FUNDING_SOURCES):
        if bind.execute(sa.text("SELECT 1 FROM occupation WHERE code = :c"), {"c": code}).first() is None:
            bind.execute(sa.text("INSERT INTO occupation (code, kind, name_th, name_en, sort_order, active) "
                                 "VALUES (:c, 'funding_source', :th, :en, :o, :a)"),
                         {"c": code, "th": name_th, "en": name_en, "o": order, "a": True})


def _skills_as_trade_codes() -> None:
    """A sage's skills were free text: each that names a configured trade exactly (Thai or English, after
    trimming and normalising) becomes its code; the others are kept, in words, in `skills_note`. A
    household's interest that names a trade becomes its code. Each changed record gets a new change
    number, so phones pull the new values."""
    from server.program.trades import name_key, split_skills
    from sync.changes import allocate_seqs, upsert_feed

    session = op.get_bind()  # the helpers below only execute SQL on it
    names: dict[str, str] = {}
    for code, name_th, name_en in session.execute(sa.text(
            "SELECT code, name_th, name_en FROM occupation WHERE kind = 'trade' ORDER BY sort_order, code")):
        for label in (code, name_th, name_en):
            names.setdefault(name_key(label), code)
    codes = set(names.values())
    for sage_id, village_id, skills, versions in session.execute(sa.text(
            "SELECT id, village_id, skills, field_versions FROM sage")).all():
        skills = json.loads(skills) if isinstance(skills, str) else (skills or [])
        if all(isinstance(s, str) and s in codes for s in skills):
            continue
        found, rest = split_skills(skills, names)
        seq = allocate_seqs(session)
        versions = json.loads(versions) if isinstance(versions, str) else dict(versions or {})
        for name in ("skills", "skills_note"):
            versions[name] = {"seq": seq, "device": None, "user": None}
        session.execute(sa.text("UPDATE sage SET skills = :s, skills_note = :n, seq = :q, field_versions = :v "
                                "WHERE id = :id").bindparams(sa.bindparam("s", type_=sa.JSON),
                                                             sa.bindparam("v", type_=sa.JSON)),
                        {"s": found, "n": ", ".join(rest) or None, "q": seq, "v": versions, "id": sage_id})
        upsert_feed(session, entity="sage", record_id=sage_id, seq=seq, village_id=village_id)
    for household_id, village_id, interest, versions in session.execute(sa.text(
            "SELECT id, village_id, interest, field_versions FROM household WHERE interest IS NOT NULL")).all():
        code = names.get(name_key(interest))
        if interest in codes or code is None:
            continue
        seq = allocate_seqs(session)
        versions = json.loads(versions) if isinstance(versions, str) else dict(versions or {})
        versions["interest"] = {"seq": seq, "device": None, "user": None}
        session.execute(sa.text("UPDATE household SET interest = :i, seq = :q, field_versions = :v WHERE id = :id")
                        .bindparams(sa.bindparam("v", type_=sa.JSON)),
                        {"i": code, "q": seq, "v": versions, "id": household_id})
        upsert_feed(session, entity="household", record_id=household_id, seq=seq, village_id=village_id)


def downgrade() -> None:
    op.execute("DELETE FROM occupation WHERE kind = 'funding_source'")
    op.drop_index(op.f('ix_funding_request_training_id'), table_name='funding_request')
    op.drop_index(op.f('ix_funding_request_group_id'), table_name='funding_request')
    op.drop_table('funding_request')
    op.drop_index(op.f('ix_import_mapping_headers_key'), table_name='import_mapping')
    op.drop_index(op.f('ix_import_mapping_district_code'), table_name='import_mapping')
    op.drop_table('import_mapping')
    with op.batch_alter_table('import_preview') as batch:
        batch.drop_column('headers')
    with op.batch_alter_table('household') as batch:
        batch.drop_column('welfare_card')
    # The words kept beside the trade codes go back into the list of skills they came from.
    bind = op.get_bind()
    for sage_id, skills, note in bind.execute(sa.text(
            "SELECT id, skills, skills_note FROM sage WHERE skills_note IS NOT NULL")).all():
        skills = json.loads(skills) if isinstance(skills, str) else list(skills or [])
        skills += [part.strip() for part in note.split(",") if part.strip()]
        bind.execute(sa.text("UPDATE sage SET skills = :s WHERE id = :id")
                     .bindparams(sa.bindparam("s", type_=sa.JSON)), {"s": skills, "id": sage_id})
    with op.batch_alter_table('sage') as batch:
        batch.drop_column('skills_note')


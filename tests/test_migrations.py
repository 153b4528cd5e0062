"""The schema comes from the migrations alone, and they go up, down and up again cleanly."""
from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from litestar.testing import TestClient
from sqlalchemy import inspect
from sqlmodel import SQLModel

import server.models  # noqa: F401  (registers every table)
from server.app import create_app
from server.core.db import make_engine
from server.core.migrate import alembic_config, downgrade, upgrade
from server.core.settings import Settings
from tests.support.servers import TEST_SECRET

ROOT = Path(__file__).resolve().parents[1]


def schema_differences(url: str) -> list:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return compare_metadata(context, SQLModel.metadata)
    finally:
        engine.dispose()


def table_names(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_one_head() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1


def test_upgrade_builds_the_schema_of_the_models(blank_db_url: str) -> None:
    upgrade(blank_db_url)

    assert schema_differences(blank_db_url) == []


def test_downgrade_removes_everything_and_upgrade_again_rebuilds_it(blank_db_url: str) -> None:
    upgrade(blank_db_url)

    downgrade(blank_db_url)
    assert table_names(blank_db_url) <= {"alembic_version"}

    upgrade(blank_db_url)
    assert schema_differences(blank_db_url) == []
    assert set(SQLModel.metadata.tables) <= table_names(blank_db_url)


def test_the_app_never_creates_tables(blank_db_url: str) -> None:
    settings = Settings(database_url=blank_db_url, secret_key=TEST_SECRET, development=True)
    engine = make_engine(blank_db_url)
    try:
        with TestClient(create_app(settings, engine), base_url="http://testserver.local") as client:
            assert client.get("/healthz").status_code == 200
    finally:
        engine.dispose()

    assert table_names(blank_db_url) == set()


def test_no_code_outside_the_migrations_creates_tables() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("server", "sync")
        for path in (ROOT / folder).rglob("*.py")
        if "migrations" not in path.parts and ".create_all(" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []


def test_the_fixture_database_is_migrated_and_empty(db_url: str) -> None:
    assert schema_differences(db_url) == []
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            from sqlalchemy import text
            assert conn.execute(text("SELECT count(*) FROM village")).scalar_one() == 0
            assert conn.execute(text("SELECT value FROM sync_counter WHERE id = 1")).scalar_one() == 0
    finally:
        engine.dispose()

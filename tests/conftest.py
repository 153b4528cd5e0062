"""Fixtures for every test: a migrated empty database per test, the app, a client, a real server.

Databases are SQLite files unless SAMMACHIP_TEST_PG is set (the PostgreSQL phase of `make test`);
either way the schema comes from the migrations, migrated once per run into a template and copied.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from server.app import create_app
from server.core.db import make_engine
from server.core.migrate import upgrade
from server.config.reference_data import ensure_defaults
from server.core.settings import Settings
from tests.support.databases import (
    PostgresDatabases,
    copy_sqlite,
    finish_sqlite_template,
    postgres_admin_url,
    sqlite_url,
)
from tests.support.servers import TEST_SECRET, start_server, stop_server

POSTGRES_ONLY_REASON = "runs in the PostgreSQL phase of make test"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgres: needs the PostgreSQL cluster started by make test")
    config.addinivalue_line("markers", "browser: drives a real Chromium (run with pytest -m browser)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if postgres_admin_url():
        return
    skip = pytest.mark.skip(reason=POSTGRES_ONLY_REASON)
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


# --- databases -----------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def is_postgres() -> bool:
    """True in the PostgreSQL phase (SAMMACHIP_TEST_PG set), False on SQLite."""
    return postgres_admin_url() is not None


@pytest.fixture
def pg_only(is_postgres: bool) -> None:
    """Use with `@pytest.mark.usefixtures("pg_only")` (or the `postgres` marker) to skip on SQLite."""
    if not is_postgres:
        pytest.skip(POSTGRES_ONLY_REASON)


@pytest.fixture(scope="session")
def pg_databases() -> Iterator[PostgresDatabases | None]:
    """Creates/drops databases on the test cluster; None on SQLite."""
    admin = postgres_admin_url()
    if admin is None:
        yield None
        return
    databases = PostgresDatabases(admin)
    yield databases
    databases.dispose()


@pytest.fixture(scope="session")
def _migrated_template(pg_databases: PostgresDatabases | None,
                       tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Migrated once per run: an SQLite file path, or a PostgreSQL database name."""
    if pg_databases is None:
        path = tmp_path_factory.mktemp("template") / "template.db"
        _migrate_like_the_cli(sqlite_url(path))
        finish_sqlite_template(path)
        yield str(path)
        return
    name = pg_databases.create("sammachip_template")
    try:
        _migrate_like_the_cli(pg_databases.url_for(name))
        yield name
    finally:
        pg_databases.drop(name)


def _migrate_like_the_cli(url: str) -> None:
    """What `sammachip migrate` does: the schema, then the default configuration."""
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as db:
        ensure_defaults(db)
    engine.dispose()


@pytest.fixture
def db_url(_migrated_template: str, pg_databases: PostgresDatabases | None, tmp_path: Path) -> Iterator[str]:
    """URL of a freshly migrated, empty database of this test's own (dropped afterwards)."""
    if pg_databases is None:
        yield copy_sqlite(Path(_migrated_template), tmp_path / "sammachip.db")
        return
    name = pg_databases.create("test", template=_migrated_template)
    try:
        yield pg_databases.url_for(name)
    finally:
        pg_databases.drop(name)


@pytest.fixture
def blank_db_url(pg_databases: PostgresDatabases | None, tmp_path: Path) -> Iterator[str]:
    """URL of an empty database with no tables at all (for migration tests)."""
    if pg_databases is None:
        yield sqlite_url(tmp_path / "blank.db")
        return
    name = pg_databases.create("blank")
    try:
        yield pg_databases.url_for(name)
    finally:
        pg_databases.drop(name)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


# --- the app -------------------------------------------------------------------------------------

@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(database_url=db_url, secret_key=TEST_SECRET, demo=False, development=True)


@pytest.fixture
def app(settings: Settings, engine: Engine) -> Litestar:
    return create_app(settings, engine)


@pytest.fixture
def client(app: Litestar) -> Iterator[TestClient]:
    """An in-process client that keeps cookies (the session and the CSRF double-submit cookie)."""
    with TestClient(app, base_url="http://testserver.local") as client:
        yield client


@pytest.fixture
def live_server(db_url: str) -> Iterator[str]:
    """Base URL of a real server (a uvicorn subprocess on a free loopback port) on `db_url`."""
    process, base_url = start_server(db_url)
    try:
        yield base_url
    finally:
        stop_server(process)

"""Throwaway databases for tests: a migrated template copied per test, on SQLite or PostgreSQL.

The PostgreSQL phase of `make test` exports SAMMACHIP_TEST_PG (a superuser URL to the `postgres`
database of a private cluster); without it every database is an SQLite file.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

PG_ENV = "SAMMACHIP_TEST_PG"


def postgres_admin_url() -> str | None:
    return os.environ.get(PG_ENV) or None


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def sqlite_path(url: str) -> Path:
    return Path(url.split("///", 1)[1])


def finish_sqlite_template(path: Path) -> None:
    """Fold the write-ahead log into the file so that copying the one file copies everything."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode=DELETE")
    finally:
        conn.close()


def copy_sqlite(template: Path, target: Path) -> str:
    shutil.copyfile(template, target)
    return sqlite_url(target)


class PostgresDatabases:
    """Creates and drops databases on the test cluster through one autocommit connection pool."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        sa_url = make_url(admin_url).set(drivername="postgresql+psycopg")
        self.engine: Engine = create_engine(sa_url, isolation_level="AUTOCOMMIT", pool_size=1)

    def url_for(self, name: str) -> str:
        """The app-style URL (`postgresql://…`) of database `name` on the same cluster."""
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def create(self, prefix: str, *, template: str | None = None) -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        sql = f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")
        with self.engine.connect() as conn:
            conn.execute(text(sql))
        return name

    def drop(self, name: str) -> None:
        # WITH (FORCE) ends connections a test (or a server it started) left behind.
        with self.engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def dispose(self) -> None:
        self.engine.dispose()

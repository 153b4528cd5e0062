"""Backing up the database while the server runs, and restoring a backup into an empty database.

SQLite: SQLite's online backup API copies one consistent snapshot of the file while other
connections go on writing (WAL: the copy reads, writers are not stopped); the backup is itself an
SQLite file. PostgreSQL: `pg_dump` in its custom format (one consistent snapshot, compressed),
restored with `pg_restore`. A restore refuses a database that already holds tables unless forced:
a restore replaces everything in it.
"""
from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from server.core.db import make_engine

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"


class BackupError(RuntimeError):
    """A backup or restore that cannot be done; the message says why, for the operator."""


@dataclass(frozen=True)
class PgTarget:
    """How the PostgreSQL client tools reach a database: a URL without its password, and the password
    in the environment (so it never shows in the process list)."""

    dbname: str
    env: dict[str, str]


def is_sqlite(database_url: str) -> bool:
    return database_url.startswith("sqlite")


def sqlite_file(database_url: str) -> Path:
    path = database_url.split("///", 1)[-1]
    if not path or path == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(path)


def pg_tool(name: str) -> str:
    """`pg_dump` / `pg_restore`: on PATH, else the newest under /usr/lib/postgresql/*/bin (Debian)."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    if not candidates:
        raise BackupError(f"{name} was not found (install the PostgreSQL client tools)")
    return candidates[-1]


def pg_target(database_url: str) -> PgTarget:
    url = make_url(database_url).set(drivername="postgresql")
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    return PgTarget(dbname=url.set(password=None).render_as_string(hide_password=False), env=env)


def backup(database_url: str, target: Path) -> int:
    """Write a backup of the database to `target` (replaced atomically once complete); its size in bytes."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        if is_sqlite(database_url):
            source_path = sqlite_file(database_url)
            if not source_path.is_file():
                raise BackupError(f"no database at {source_path}")
            source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True, timeout=30)
            copy = sqlite3.connect(partial)
            try:
                # All pages in one step: one read transaction, so one consistent snapshot (a stepped
                # copy starts over whenever another connection writes, and may never finish).
                source.backup(copy)
                copy.execute("PRAGMA journal_mode=DELETE")
            finally:
                copy.close()
                source.close()
        else:
            where = pg_target(database_url)
            _run([pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                  f"--file={partial}", f"--dbname={where.dbname}"], where.env)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return target.stat().st_size


def has_tables(database_url: str) -> bool:
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return bool(inspect(conn).get_table_names())
    finally:
        engine.dispose()


def restore(database_url: str, source: Path, *, force: bool = False) -> None:
    """Replace the database's content with the backup at `source`."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"no backup at {source}")
    with source.open("rb") as handle:
        head = handle.read(len(SQLITE_MAGIC))
    sqlite_backup = head == SQLITE_MAGIC
    if not sqlite_backup and not head.startswith(PG_DUMP_MAGIC):
        raise BackupError(f"{source} is neither an SQLite backup nor a pg_dump custom-format file")
    if sqlite_backup != is_sqlite(database_url):
        raise BackupError("the backup is of the other kind of database: "
                          + ("SQLite" if sqlite_backup else "PostgreSQL (pg_dump)") + " backup, "
                          + ("SQLite" if is_sqlite(database_url) else "PostgreSQL") + " database")
    if not force and has_tables(database_url):
        raise BackupError("the database is not empty; restoring would replace everything in it. "
                          "Restore into a new, empty database, or add --force to replace it.")
    if sqlite_backup:
        target_path = sqlite_file(database_url)
        target_path.parent.mkdir(parents=True, exist_ok=True)
        backup_db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        target = sqlite3.connect(target_path, timeout=30)
        try:
            # The backup API writes every page of the target under its lock: a complete replacement.
            backup_db.backup(target)
        finally:
            target.close()
            backup_db.close()
        return
    where = pg_target(database_url)
    _run([pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
          "--single-transaction", "--exit-on-error", f"--dbname={where.dbname}", str(source)], where.env)


def _run(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} failed: {done.stderr.strip()}")

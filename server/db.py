"""The database engine and sessions (synchronous SQLAlchemy; handlers run in worker threads).

Every wait on the database is bounded, so a request answers 503 instead of hanging:
SQLite waits at most `LOCK_WAIT_SECONDS` for the write lock; PostgreSQL at most as long for a row
lock, a statement runs at most `STATEMENT_SECONDS`, and a request waits at most `POOL_WAIT_SECONDS`
for a pooled connection.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import Session, create_engine

LOCK_WAIT_SECONDS = 5
STATEMENT_SECONDS = 30
POOL_WAIT_SECONDS = 10
# Seconds a client is told to wait after a 503 (the database was busy).
RETRY_AFTER_SECONDS = 2

# The key of a session's `info` naming the user the session works for (set with the request's user;
# rules that answer for someone, such as a citizen ID found registered, audit and limit per user).
ACTING_USER = "acting_user_id"

# Whether the transaction about to begin will write. On SQLite a write transaction must take the
# write lock when it begins (BEGIN IMMEDIATE): a reader that later writes cannot upgrade once
# another connection has committed since its snapshot, and fails at once instead of waiting. Reads
# begin DEFERRED, so any number of them run beside the one writer (WAL). Outside a request (the CLI,
# migrations, scripts) transactions write; the request middleware sets it from the HTTP method, and
# `write_intent` for one block of code.
_writes: ContextVar[bool] = ContextVar("sammachip_db_writes", default=True)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": LOCK_WAIT_SECONDS},
                               pool_size=10, max_overflow=30, pool_timeout=POOL_WAIT_SECONDS)
        _configure_sqlite(engine)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    # A transaction left open by a bug is ended by the server rather than holding its locks forever;
    # JIT compilation costs more than it saves on this app's short queries (about 1 s on a report).
    options = (f"-c lock_timeout={LOCK_WAIT_SECONDS}s -c statement_timeout={STATEMENT_SECONDS}s "
               "-c idle_in_transaction_session_timeout=60s -c jit=off")
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20,
                         pool_timeout=POOL_WAIT_SECONDS, connect_args={"options": options})


def _configure_sqlite(engine: Engine) -> None:
    # WAL lets readers go on while one writer commits; foreign keys are off by default in SQLite.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # noqa: ANN001
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute(f"PRAGMA busy_timeout={LOCK_WAIT_SECONDS * 1000}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # noqa: ANN001
        writes = _writes.get()
        conn.info["writes"] = writes
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


@contextmanager
def write_intent(writes: bool = True) -> Iterator[None]:
    """Transactions begun inside this block are write (or, with False, read) transactions."""
    token = _writes.set(writes)
    try:
        yield
    finally:
        _writes.reset(token)


def set_write_intent(writes: bool) -> None:
    """For the rest of the current context (one request): its transactions will (not) write."""
    _writes.set(writes)


@contextmanager
def writer_beside(db: Session) -> Iterator[Session]:
    """A session to write a small record (an audit row, a device's last-seen time) from any request.

    In a request that only reads, on SQLite, `db` is in a read transaction that cannot safely become
    a write one, so the write goes through a short write transaction of its own, committed at the end
    of the block. Otherwise it is `db` itself, and the caller commits it with the rest of its work.
    """
    conn = db.connection()
    if conn.dialect.name != "sqlite" or conn.info.get("writes", True):
        yield db
        return
    with write_intent(), Session(db.get_bind(), expire_on_commit=False) as writer:
        try:
            yield writer
            writer.commit()
        except BaseException:
            writer.rollback()
            raise


def is_busy_error(exc: BaseException) -> bool:
    """The database was too busy to answer in time: a lock wait, a statement or a pool timeout."""
    if isinstance(exc, PoolTimeout):
        return True
    if not isinstance(exc, OperationalError):
        return False
    text = str(exc.orig).lower() if exc.orig is not None else str(exc).lower()
    code = getattr(exc.orig, "sqlstate", None)
    # 55P03 lock_not_available, 57014 query_canceled (statement_timeout), 40P01 deadlock_detected.
    return ("database is locked" in text or "database is busy" in text
            or code in {"55P03", "57014", "40P01"})


@contextmanager
def session_scope(engine: Engine, *, writes: bool = True) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with write_intent(writes), Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise

"""The database engine and sessions (synchronous SQLAlchemy; handlers run in worker threads).

Statements' values never appear in error messages or logs (`hide_parameters`): they hold people's data.

Every wait on the database is bounded, so a request answers 503 instead of hanging:
SQLite waits at most `LOCK_WAIT_SECONDS` for the write lock; PostgreSQL at most as long for a row
lock, a statement runs at most `STATEMENT_SECONDS`, and a request waits at most `POOL_WAIT_SECONDS`
for a pooled connection. A PostgreSQL server that is gone (refused, reset, closed) fails at once; a
new connection waits at most `CONNECT_SECONDS`; one that stalls (a frozen host: the kernel still
acknowledges, nothing answers) is noticed by `StallWatch`: a statement waiting longer than
`STALL_SECONDS` while a fresh connection cannot get an answer either has its socket shut, so it
fails within about `STALL_SECONDS + CONNECT_SECONDS` (under 10 s). All of these are "busy"
(`is_busy_error`): 503 with Retry-After.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
import logging
import os
import socket
import threading
import time

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, DisconnectionError, PendingRollbackError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import Session, create_engine

logger = logging.getLogger("sammachip.db")

LOCK_WAIT_SECONDS = 5
STATEMENT_SECONDS = 30
POOL_WAIT_SECONDS = 10
CONNECT_SECONDS = 2
STALL_SECONDS = 4
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
        # The connection used last is handed out first: SQLite's page cache is per connection, and a
        # write through one makes every other connection read its cached pages again.
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": LOCK_WAIT_SECONDS},
                               hide_parameters=True, pool_size=10, max_overflow=30, pool_timeout=POOL_WAIT_SECONDS,
                               pool_use_lifo=True)
        _configure_sqlite(engine)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    # A transaction left open by a bug is ended by the server rather than holding its locks forever;
    # JIT compilation costs more than it saves on this app's short queries (about 1 s on a report).
    options = (f"-c lock_timeout={LOCK_WAIT_SECONDS}s -c statement_timeout={STATEMENT_SECONDS}s "
               "-c idle_in_transaction_session_timeout=60s -c jit=off")
    # A dead peer (host gone, cable cut) is noticed by TCP within seconds, not the kernel's minutes.
    connect_args = {"options": options, "connect_timeout": CONNECT_SECONDS, "keepalives": 1,
                    "keepalives_idle": 5, "keepalives_interval": 2, "keepalives_count": 2,
                    "tcp_user_timeout": 10_000}
    # The pooled connection is checked before use by StallWatch's ping (a stalled server's answer
    # is waited for under watch), not by pool_pre_ping, whose wait nothing could bound.
    engine = create_engine(url, hide_parameters=True, pool_size=10, max_overflow=20, pool_timeout=POOL_WAIT_SECONDS,
                           connect_args=connect_args)
    StallWatch(engine).install()
    return engine


class StallWatch:
    """Bounds the waits on a PostgreSQL server that stalls: statements (and the ping of a pooled
    connection) are tracked while they run; a thread looks twice a second, and when one has waited
    longer than STALL_SECONDS it asks the server for an answer on a fresh connection (bounded by
    CONNECT_SECONDS). No answer: the server is stalled, and the sockets of the statements waiting
    that long are shut, so each fails (a connection error: busy) instead of hanging. An answer: the
    statement is merely long, and runs on to statement_timeout.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.running: dict[int, tuple[object, float]] = {}  # id(dbapi connection) -> (it, since)
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None

    def install(self) -> None:
        event.listen(self.engine, "before_cursor_execute", self._before)
        event.listen(self.engine, "after_cursor_execute", self._after)
        event.listen(self.engine, "handle_error", self._failed)
        # COMMIT and ROLLBACK wait on the server too: watched until the connection is used again
        # or back in the pool (whose reset-on-return is a ROLLBACK, watched as well).
        for name in ("commit", "rollback"):
            event.listen(self.engine, name, lambda conn: self._start(conn.connection.dbapi_connection))
        event.listen(self.engine, "begin", lambda conn: self._stop(conn.connection.dbapi_connection))
        event.listen(self.engine.pool, "reset", lambda dbapi_conn, _record, _state: self._start(dbapi_conn))
        event.listen(self.engine.pool, "checkin", lambda dbapi_conn, _record: self._stop(dbapi_conn))
        event.listen(self.engine.pool, "checkout", self._ping)

    def _start(self, dbapi_conn: object) -> None:
        with self.lock:
            self.running[id(dbapi_conn)] = (dbapi_conn, time.monotonic())
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._watch, name="sammachip-stall-watch", daemon=True)
                self.thread.start()

    def _stop(self, dbapi_conn: object) -> None:
        with self.lock:
            self.running.pop(id(dbapi_conn), None)

    def _before(self, conn, _cursor, _statement, _parameters, _context, _many) -> None:  # noqa: ANN001
        self._start(conn.connection.dbapi_connection)

    def _after(self, conn, _cursor, _statement, _parameters, _context, _many) -> None:  # noqa: ANN001
        self._stop(conn.connection.dbapi_connection)

    def _failed(self, context) -> None:  # noqa: ANN001
        try:
            dbapi_conn = context.connection.connection.dbapi_connection
        except Exception:  # noqa: BLE001  (invalidated: look the connection up by what is running)
            dbapi_conn = None
        if dbapi_conn is not None:
            self._stop(dbapi_conn)

    def _ping(self, dbapi_conn, _record, _proxy) -> None:  # noqa: ANN001
        """A pooled connection answers before it is used; one that does not is replaced."""
        self._start(dbapi_conn)
        try:
            with dbapi_conn.cursor() as cursor:
                cursor.execute("SELECT 1")
            dbapi_conn.rollback()  # the ping's transaction ends: the connection is handed over idle
        except Exception as exc:  # noqa: BLE001  (any failure: the pool tries a fresh connection)
            raise DisconnectionError(str(exc)) from exc
        finally:
            self._stop(dbapi_conn)

    def _watch(self) -> None:
        answered_at = 0.0
        while True:
            time.sleep(0.5)
            now = time.monotonic()
            with self.lock:
                late = [conn for conn, since in self.running.values() if now - since > STALL_SECONDS]
            # A server that answered a moment ago is alive: the late statements are merely long.
            if not late or now - answered_at < 2:
                continue
            if self._server_answers():
                answered_at = time.monotonic()
                continue
            for conn in late:
                _shut_socket(conn)
            with self.lock:
                for conn in late:
                    self.running.pop(id(conn), None)

    def _server_answers(self) -> bool:
        import psycopg

        url = self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        try:
            with psycopg.connect(url, connect_timeout=CONNECT_SECONDS, autocommit=True) as probe:
                probe.execute("SELECT 1")
            return True
        except Exception:  # noqa: BLE001
            return False


def _shut_socket(dbapi_conn: object) -> None:
    try:
        fd = dbapi_conn.pgconn.socket  # type: ignore[attr-defined]
        sock = socket.socket(fileno=os.dup(fd))
        try:
            sock.shutdown(socket.SHUT_RDWR)
        finally:
            sock.close()
    except Exception:  # noqa: BLE001  (already closed: nothing waits on it)
        pass


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

    # A transaction begins with BEGIN IMMEDIATE (it will write: SQLite's write lock is taken, or waited
    # for, now) or BEGIN (it only reads). Said by the dialect's own begin, straight to the driver: inside
    # SQLAlchemy's error handling (a lock not got in time is its OperationalError, like any statement's),
    # without the cost of a statement's execution (two transactions a request).
    def _begin(dbapi_conn) -> None:  # noqa: ANN001 - the pool's proxy of a sqlite3 connection
        writes = _writes.get()
        dbapi_conn.info["writes"] = writes
        dbapi_conn.execute("BEGIN IMMEDIATE" if writes else "BEGIN")

    engine.dialect.do_begin = _begin  # type: ignore[method-assign]


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


# 55P03 lock_not_available, 57014 query_canceled (statement_timeout), 40P01 deadlock_detected;
# 57P01-57P03 the server shutting down, crashed or starting; class 08, the connection failed.
_BUSY_STATES = {"55P03", "57014", "40P01", "57P01", "57P02", "57P03"}
_GONE_WORDS = ("connection refused", "could not connect", "connection failed", "the database system is", "connection timeout", "timeout expired",
               "server closed the connection", "connection is closed", "connection is lost",
               "connection reset", "consuming input failed", "sending query failed", "terminating connection",
               "no connection to the server", "ssl syscall", "broken pipe", "bad connection")


def is_busy_error(exc: BaseException) -> bool:
    """The database could not answer in time: a lock wait, a statement or a pool timeout, or a
    server that is gone or stalled (refused, reset, closed, unreachable; SQLite's file unreadable)."""
    if isinstance(exc, (PoolTimeout, DisconnectionError)):
        return True
    if isinstance(exc, PendingRollbackError):  # a connection lost under an earlier statement of the request
        return "invalid transaction" in str(exc) or is_busy_error(exc.__cause__ or exc.__context__ or ValueError())
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    text = str(exc.orig).lower() if exc.orig is not None else str(exc).lower()
    code = getattr(exc.orig, "sqlstate", None) or ""
    return ("database is locked" in text or "database is busy" in text or "unable to open database" in text
            or code in _BUSY_STATES or code.startswith("08") or any(word in text for word in _GONE_WORDS))


class OutageLog:
    """One log line per burst of busy answers instead of one per request: the first of a burst is
    logged, then at most one line every `every` seconds with how many answers were 503 since."""

    def __init__(self, every: float = 10.0) -> None:
        self.every = every
        self.lock = threading.Lock()
        self.last_line = 0.0
        self.last_seen = 0.0
        self.folded = 0

    def busy(self, exc: BaseException) -> None:
        now = time.monotonic()
        with self.lock:
            new_burst = now - self.last_seen > self.every
            self.last_seen = now
            if new_burst or now - self.last_line >= self.every:
                count, self.folded, self.last_line = self.folded, 0, now
            else:
                self.folded += 1
                return
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:200] if str(exc) else type(exc).__name__
        if new_burst:
            logger.warning("database busy or unavailable, answering 503: %s", reason)
        else:
            logger.warning("database still busy or unavailable: %d more answers were 503 (%s)", count + 1, reason)


outage_log = OutageLog()


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

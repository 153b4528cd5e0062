"""A database that is gone, stalled or locked is "busy" (503 with Retry-After), and an outage is one
log line per burst, not one per request."""
import logging
import sqlite3

import psycopg
import pytest
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError

from server.core.db import OutageLog, is_busy_error


def _wrapped(orig: Exception, kind=OperationalError, invalidated: bool = False) -> DBAPIError:
    return kind("SELECT 1", {}, orig, connection_invalidated=invalidated)


@pytest.mark.parametrize("exc", [
    _wrapped(sqlite3.OperationalError("unable to open database file")),
    _wrapped(sqlite3.OperationalError("database is locked")),
    _wrapped(psycopg.OperationalError('connection failed: connection to server at "127.0.0.1", port 5432 '
                                      "failed: Connection refused")),
    _wrapped(psycopg.OperationalError("consuming input failed: server closed the connection unexpectedly")),
    _wrapped(psycopg.OperationalError('connection failed: connection to server at "127.0.0.1", port 5432 '
                                      "failed: FATAL:  the database system is shutting down")),
    _wrapped(psycopg.OperationalError("the connection is closed"), kind=DBAPIError),
    _wrapped(Exception("anything"), kind=DBAPIError, invalidated=True),
], ids=["sqlite-unopenable", "sqlite-locked", "refused", "closed", "shutting-down", "closed-interface", "invalidated"])
def test_a_database_gone_or_locked_is_busy(exc):
    assert is_busy_error(exc)


def test_a_bug_is_not_busy():
    assert not is_busy_error(_wrapped(psycopg.ProgrammingError("syntax error at or near"), kind=ProgrammingError))
    assert not is_busy_error(ValueError("no"))


def test_an_outage_is_logged_once_per_burst_with_a_count(caplog):
    log = OutageLog(every=60)
    error = _wrapped(psycopg.OperationalError("Connection refused"))
    with caplog.at_level(logging.WARNING, logger="sammachip.db"):
        for _ in range(500):
            log.busy(error)
    lines = [r for r in caplog.records if r.name == "sammachip.db"]
    assert len(lines) == 1 and "503" in lines[0].getMessage()

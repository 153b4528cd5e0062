"""Test-only: makes a server process stop inside its first push, at a known point, until it is killed.

Python imports `sitecustomize` at start from the first folder of its path that has one; only a test
that puts this folder on a server's PYTHONPATH (tests/sync/test_processes.py) loads it, and the
server's own code has no such hook. The push that has written its attendance rows stops before it
writes its audit rows, with its transaction open; it first writes to SAMMACHIP_TEST_PUSH_PAUSED how
many attendance rows that transaction sees, so the test knows the rows are written and uncommitted.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine

_REPORT = os.environ.get("SAMMACHIP_TEST_PUSH_PAUSED")

if _REPORT:
    @event.listens_for(Engine, "before_cursor_execute")
    def _pause_inside_a_push(conn, cursor, statement, _parameters, _context, _executemany) -> None:  # noqa: ANN001
        if statement.startswith("INSERT INTO attendance"):
            conn.info["sammachip_wrote_attendance"] = True
        elif statement.startswith("INSERT INTO audit_log") and conn.info.get("sammachip_wrote_attendance"):
            probe = cursor.connection.cursor()
            probe.execute("SELECT count(*) FROM attendance")
            seen = probe.fetchone()[0]
            report = Path(_REPORT)
            report.with_suffix(".tmp").write_text(str(seen))
            report.with_suffix(".tmp").rename(report)  # whole, or not there yet
            while True:
                time.sleep(1)

"""Push throughput: a 1,000-op batch of new attendance through the HTTP app, beside the floor.

The floor is the same rows written with raw sqlite3 `executemany` in one transaction: the fastest
this database could possibly store them. Printed as ops/s and as a ratio.

    python bench/sync_push.py                       # SQLite
    SAMMACHIP_BENCH_PG=postgresql://... python bench/sync_push.py   # and PostgreSQL (an empty database)
"""
from __future__ import annotations

import datetime as dt
import json
import statistics
import os
import sqlite3
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from litestar.testing import TestClient  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlmodel import Session  # noqa: E402

from server.app import create_app  # noqa: E402
from server.core.db import make_engine  # noqa: E402
from server.core.migrate import upgrade  # noqa: E402
from server.models import Household, Training, TrainingSession  # noqa: E402
from server.core.settings import Settings  # noqa: E402
from sync.changes import stamp_change  # noqa: E402
from tests.support.factories import make_geography, make_user  # noqa: E402

OPS = 1000
ROUNDS = 8


def seed(engine, households: int = 200) -> tuple[list[str], list[str]]:
    with Session(engine) as s:
        geo = make_geography(s)
        village = geo["villages"][0]
        make_user(s, username="bench", role="officer", subdistrict_codes=["341401"])
        training = Training(village_id=village.id, occupation="weaving", fiscal_year=2570)
        s.add(training)
        s.flush()
        sessions = []
        for day in range(1, 6):
            row = TrainingSession(training_id=training.id, day=day, kind="knowledge",
                                  date=dt.date(2026, 11, 22 + day))
            s.add(row)
            s.flush()
            stamp_change(s, row, entity="session", fields=["day"], village_id=village.id, user_id=None)
            sessions.append(row.id)
        homes = []
        for n in range(households):
            row = Household(village_id=village.id, house_no=str(n), head_name=f"h{n}")
            s.add(row)
            s.flush()
            stamp_change(s, row, entity="household", fields=["house_no"], village_id=village.id, user_id=None)
            homes.append(row.id)
        s.commit()
        return sessions, homes


def batches(sessions: list[str], homes: list[str]):
    """Fresh (session, household) pairs for each round: every op creates a new record."""
    pairs = [(s, h) for s in sessions for h in homes]
    now = dt.datetime.now(dt.timezone.utc).isoformat()
    for start in range(0, len(pairs), OPS):
        yield [{"op_id": str(uuid.uuid4()), "entity": "attendance", "id": str(uuid.uuid4()),
                "action": "upsert", "base_seq": None, "captured_at": now,
                "fields": {"session_id": s, "household_id": h, "present": True}}
               for s, h in pairs[start:start + OPS]]


def bench_http(url: str) -> float:
    if url.startswith("sqlite"):
        upgrade(url)
    engine = make_engine(url)
    sessions, homes = seed(engine, households=1600)
    app = create_app(Settings(database_url=url, development=True), engine)
    times = []
    with TestClient(app) as client:
        token = client.post("/api/auth/token", json={"username": "bench", "password": "pw-test-1234",
                                                     "device_name": "bench"}).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        for i, ops in enumerate(batches(sessions, homes)):
            if i >= ROUNDS:
                break
            body = json.dumps({"schema": 1, "ops": ops}).encode()  # the phone's work, not the server's
            start = time.perf_counter()
            response = client.post("/api/sync/push", content=body,
                                   headers={**headers, "Content-Type": "application/json"})
            times.append(time.perf_counter() - start)
            assert response.status_code == 200, response.text
            assert all(r["status"] == "applied" for r in response.json()["results"])
    engine.dispose()
    return OPS / min(times), OPS / statistics.median(times)


def bench_floor(path: Path) -> float:
    """The same rows (records, feed, ops, audit) with raw sqlite3 executemany, one transaction."""
    upgrade(f"sqlite:///{path}")
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=OFF")
    times = []
    for round_ in range(ROUNDS):
        now = dt.datetime.now(dt.timezone.utc).isoformat()
        rows = [(str(uuid.uuid4()), f"s{round_}", f"h{i}") for i in range(OPS)]
        start = time.perf_counter()
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO attendance (id, seq, deleted, field_versions, created_at, updated_at, session_id,"
            " household_id, present) VALUES (?, 0, 0, '{}', ?, ?, ?, ?, 1)",
            [(r[0], now, now, r[1], r[2]) for r in rows])
        conn.executemany("INSERT INTO change_feed (entity, record_id, seq, village_id) VALUES ('attendance', ?, ?, 'v')",
                         [(r[0], round_ * OPS + i + 1) for i, r in enumerate(rows)])
        conn.executemany("INSERT INTO sync_op (op_id, result, created_at) VALUES (?, '{}', ?)",
                         [(str(uuid.uuid4()), now) for _ in rows])
        conn.executemany("INSERT INTO audit_log (at, action, entity, record_id, detail) VALUES (?, 'create', 'attendance', ?, '{}')",
                         [(now, r[0]) for r in rows])
        conn.execute("COMMIT")
        times.append(time.perf_counter() - start)
    conn.close()
    return OPS / min(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        best, median = bench_http(f"sqlite:///{tmp}/push.db")
        floor = bench_floor(Path(tmp) / "floor.db")
    print(f"SQLite      push over HTTP: best {best:8,.0f} ops/s, median {median:8,.0f} ops/s "
          f"(1,000-op batches of new attendance, {ROUNDS} rounds)")
    print(f"SQLite      raw sqlite3 executemany floor: {floor:8,.0f} ops/s "
          f"-> floor/push = {floor / best:.1f}x (best), {floor / median:.1f}x (median)")
    pg = os.environ.get("SAMMACHIP_BENCH_PG")
    if pg:
        engine = make_engine(pg)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
        upgrade(pg)
        best, median = bench_http(pg)
        print(f"PostgreSQL  push over HTTP: best {best:8,.0f} ops/s, median {median:8,.0f} ops/s")


if __name__ == "__main__":
    main()

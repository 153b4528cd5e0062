"""Pull cost against database size: a 500-change page from 10,000 and from 1,000,000 records.

Records are households spread over 20 villages; the officer's area is 2 of them. The page is read
from a cursor 40% of the way into the history, so both databases have more than a page left to
send. Printed: median page time for each size and their ratio (the target is at most 1.5), and
the gzip size on the wire of a typical field day (20 households x 5 days of attendance and 20
surveys) pushed and pulled.

    python bench/sync_pull.py
    SAMMACHIP_BENCH_PG=postgresql://... python bench/sync_pull.py   # also on PostgreSQL (an empty database)
"""
from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import statistics
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
from server.core.settings import Settings  # noqa: E402
from server.api.sync import cursor_key  # noqa: E402
from sync.pull import Cursor, fingerprint  # noqa: E402
from tests.support.factories import make_geography, make_household, make_user  # noqa: E402
from tests.sync.helpers import make_training  # noqa: E402

VILLAGES = 20
PAGE = 500
PULLS = 15


def village_id(n: int) -> str:
    return f"{n:08d}-1111-4000-8000-000000000000"


def generate(engine, records: int) -> None:
    """Bulk-load `records` households (and their feed rows) with one SQL statement each."""
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None).isoformat(sep=" ")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO subdistrict (code, district_code, name_th, name_en) "
                          "VALUES ('341499', '3414', 'ทดสอบ', 'Bench')"))
        for n in range(VILLAGES):
            conn.execute(text("INSERT INTO village (id, seq, deleted, field_versions, created_at, updated_at, code,"
                              " subdistrict_code, number, name, participating) VALUES (:id, 0, false, '{}', :now,"
                              " :now, :code, '341499', :n, :name, true)"),
                         {"id": village_id(n), "now": now, "code": f"341499{n:02d}", "n": n, "name": f"v{n}"})
        base = conn.execute(text("SELECT value FROM sync_counter WHERE id = 1")).scalar_one()
        if conn.dialect.name == "postgresql":
            series = "generate_series(1, :n) AS i"
            rid = "lpad(i::text, 8, '0') || '-0000-4000-8000-' || lpad(i::text, 12, '0')"
            vid = f"lpad((i % {VILLAGES})::text, 8, '0') || '-1111-4000-8000-000000000000'"
            conn.execute(text(f"INSERT INTO household (id, seq, deleted, field_versions, created_at, updated_at,"
                              f" village_id, house_no, head_name, members, annual_income, consent)"
                              f" SELECT {rid}, i + :base, false, '{{}}', :now, :now, {vid}, i::text, 'h', 4, 100000,"
                              f" false FROM {series}"), {"n": records, "base": base, "now": now})
        else:
            rid = "printf('%08d-0000-4000-8000-%012d', i, i)"
            vid = f"printf('%08d-1111-4000-8000-000000000000', i % {VILLAGES})"
            conn.execute(text(f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :n)"
                              f" INSERT INTO household (id, seq, deleted, field_versions, created_at, updated_at,"
                              f" village_id, house_no, head_name, members, annual_income, consent)"
                              f" SELECT {rid}, i + :base, 0, '{{}}', :now, :now, {vid}, i, 'h', 4, 100000, 0 FROM n"),
                         {"n": records, "base": base, "now": now})
        conn.execute(text("INSERT INTO change_feed (entity, record_id, seq, village_id)"
                          " SELECT 'household', id, seq, village_id FROM household WHERE seq > :base"), {"base": base})
        conn.execute(text("UPDATE sync_counter SET value = :v WHERE id = 1"), {"v": base + records})
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))


def page_time(url: str, records: int) -> tuple[float, int]:
    if url.startswith("sqlite"):
        upgrade(url)
    engine = make_engine(url)
    with Session(engine) as s:
        make_geography(s)
    generate(engine, records)
    with Session(engine) as s:
        make_user(s, username="officer", role="officer", village_ids=[village_id(0), village_id(1)])
        base = s.execute(text("SELECT min(seq) FROM change_feed WHERE entity = 'household'")).scalar_one()
    area = fingerprint(sorted([village_id(0), village_id(1)]))
    app = create_app(Settings(database_url=url, development=True), engine)
    times = []
    with TestClient(app) as client:
        signed_in = client.post("/api/auth/token", json={"username": "officer", "password": "pw-test-1234"}).json()
        token, key = signed_in["token"], cursor_key(app.state.settings, signed_in["device_id"])
        headers = {"Authorization": f"Bearer {token}"}
        for n in range(PULLS):
            # Each pull starts at a different point 40% into the history.
            cursor = Cursor(seq=base + int(records * 0.4) + n * 7, area=area,
                            tables={"occupation": "*"}).encode(key)
            start = time.perf_counter()
            response = client.get("/api/sync/pull", params={"cursor": cursor, "limit": PAGE}, headers=headers)
            times.append(time.perf_counter() - start)
            body = response.json()
            assert response.status_code == 200 and body["has_more"], response.text
            households = [c for c in body["changes"] if c["entity"] == "household"]
            assert len(households) == PAGE, len(households)
    engine.dispose()
    return statistics.median(times), len(households)


def field_day_sizes(url: str) -> tuple[int, int, int, int]:
    """(push bytes, push gzip bytes, pull bytes, pull gzip bytes) for one officer's field day."""
    upgrade(url)
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as s:
        geo = make_geography(s)
        village = geo["villages"][0]
        make_user(s, username="officer", role="officer", subdistrict_codes=["341401"])
        _, sessions = make_training(s, village_id=village.id)
        homes = [make_household(s, village_id=village.id, commit=False) for _ in range(20)]
        s.commit()
    app = create_app(Settings(database_url=url, development=True), engine)
    stamp = dt.datetime(2026, 11, 24, 9, 15, tzinfo=dt.timezone(dt.timedelta(hours=7))).isoformat()
    ops = []
    for day in sessions:
        for home in homes:
            ops.append({"op_id": str(uuid.uuid4()), "entity": "attendance", "id": str(uuid.uuid4()),
                        "action": "upsert", "base_seq": None, "captured_at": stamp,
                        "fields": {"session_id": day.id, "household_id": home.id, "present": True}})
    for home in homes:
        ops.append({"op_id": str(uuid.uuid4()), "entity": "survey", "id": str(uuid.uuid4()), "action": "upsert",
                    "base_seq": None, "captured_at": stamp,
                    "fields": {"household_id": home.id, "kind": "after_training", "surveyed_on": "2026-11-28",
                               "annual_income": 96_000, "trade_income_month": 1_500, "practising_trade": True,
                               "note": "ขายผ้าทอที่ตลาดนัด"}})
    push_body = json.dumps({"schema": 1, "ops": ops}, ensure_ascii=False).encode()
    with TestClient(app) as client:
        signed_in = client.post("/api/auth/token", json={"username": "officer", "password": "pw-test-1234"}).json()
        token, key = signed_in["token"], cursor_key(app.state.settings, signed_in["device_id"])
        headers = {"Authorization": f"Bearer {token}"}
        first = client.get("/api/sync/pull", headers=headers).json()
        response = client.post("/api/sync/push", content=gzip.compress(push_body),
                               headers={**headers, "Content-Encoding": "gzip", "Content-Type": "application/json"})
        assert response.status_code == 200
        pulled = client.get("/api/sync/pull", params={"cursor": first["cursor"], "limit": 1000}, headers=headers)
        assert len(pulled.json()["changes"]) == len(ops)
    engine.dispose()
    return len(push_body), len(gzip.compress(push_body)), len(pulled.content), len(gzip.compress(pulled.content))


def fresh_pg(url: str) -> str:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    upgrade(url)
    return url


def main() -> None:
    targets = [("SQLite", lambda tmp, n: f"sqlite:///{tmp}/pull-{n}.db")]
    pg = os.environ.get("SAMMACHIP_BENCH_PG")
    if pg:
        targets.append(("PostgreSQL", lambda tmp, n: fresh_pg(pg)))
    with tempfile.TemporaryDirectory() as tmp:
        for name, make_url in targets:
            small, _ = page_time(make_url(tmp, 10_000), 10_000)
            large, _ = page_time(make_url(tmp, 1_000_000), 1_000_000)
            print(f"{name:10}  {PAGE}-change page: {small * 1000:6.1f} ms from 10,000 records, "
                  f"{large * 1000:6.1f} ms from 1,000,000 -> ratio {large / small:.2f} (target <= 1.5)")
        raw_push, gz_push, raw_pull, gz_pull = field_day_sizes(f"sqlite:///{tmp}/day.db")
    print(f"Field day (20 households x 5 days attendance + 20 surveys = 120 ops): "
          f"push {raw_push:,} B -> {gz_push:,} B gzip; pull {raw_pull:,} B -> {gz_pull:,} B gzip")


if __name__ == "__main__":
    main()

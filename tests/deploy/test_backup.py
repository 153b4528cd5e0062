"""`sammachip backup` while phones push, then `sammachip restore` into a new database: everything the
server acknowledged before the backup began is there, with the sync counter that goes with it (on
SQLite and, in the PostgreSQL phase, on PostgreSQL)."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
from litestar.testing import TestClient
from sqlalchemy import text
from sqlmodel import Session

from server.app import create_app
from server.core.db import make_engine
from server.core.settings import Settings
from tests.support.load import device_token, seed_district
from tests.support.servers import ROOT, TEST_SECRET, server_log, start_server, stop_server


def _cli(db_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": db_url, "SECRET_KEY": TEST_SECRET}
    return subprocess.run([sys.executable, "-m", "server.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def _household_op(village_id: str, phone: int, n: int) -> dict:
    return {"op_id": str(uuid.uuid4()), "entity": "household", "id": str(uuid.uuid4()), "action": "upsert",
            "base_seq": None, "captured_at": dt.datetime.now(dt.timezone.utc).isoformat(),
            "fields": {"village_id": village_id, "house_no": f"{70 + phone}/{n}", "head_name": f"Test Head {n}",
                       "members": 3, "annual_income": 40_000, "consent": True}}


def _state(db_url: str) -> tuple[int, int, dict[str, int]]:
    """(sync counter, highest seq in the change feed, household id -> seq)."""
    engine = make_engine(db_url)
    try:
        with Session(engine) as db:
            counter = db.execute(text("SELECT value FROM sync_counter WHERE id = 1")).scalar_one()
            top = db.execute(text("SELECT COALESCE(MAX(seq), 0) FROM change_feed")).scalar_one()
            households = dict(db.execute(text("SELECT id, seq FROM household")).all())
        return counter, top, households
    finally:
        engine.dispose()


def test_a_backup_taken_while_phones_push_restores_every_acknowledged_record(db_url, engine, blank_db_url,
                                                                                tmp_path: Path):
    with Session(engine) as db:
        district = seed_district(db, villages=2, households_per_village=5, officers=2)
    process, base = start_server(db_url)
    acknowledged: list[tuple[float, str, int]] = []  # (answer received, household id, seq)
    errors: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def phone(number: int) -> None:
        headers = {"Authorization": f"Bearer {device_token(base, f'officer{number}', timeout=30)}"}
        with httpx.Client(base_url=base, timeout=30) as http:
            n = 0
            while not stop.is_set():
                ops = [_household_op(district.village_ids[number % 2], number, n + i) for i in range(5)]
                n += 5
                response = http.post("/api/sync/push", json={"schema": 1, "ops": ops}, headers=headers)
                received = time.monotonic()
                if response.status_code != 200:
                    errors.append(f"{response.status_code} {response.text[:200]}")
                    continue
                with lock:
                    for op, answer in zip(ops, response.json()["results"]):
                        if answer["status"] != "applied":
                            errors.append(str(answer))
                        else:
                            acknowledged.append((received, op["id"], answer["seq"]))

    phones = [threading.Thread(target=phone, args=(n,)) for n in range(2)]
    try:
        for thread in phones:
            thread.start()
        while len(acknowledged) < 20 and not errors and all(t.is_alive() for t in phones):
            time.sleep(0.05)
        # The phone that will pull after the backup has its token before it: the restored server knows it.
        token = device_token(base, "supervisor", timeout=30)
        backup_path = tmp_path / "backups" / "sammachip.backup"
        began = time.monotonic()
        done = _cli(db_url, "backup", str(backup_path))
        ended = time.monotonic()
        assert done.returncode == 0, done.stderr
        while not errors and len([a for a in acknowledged if a[0] > ended]) < 10:
            time.sleep(0.05)  # phones go on after the backup: the restored database is behind them
        pulled = httpx.get(f"{base}/api/sync/pull", params={"limit": 500},
                           headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert pulled.status_code == 200
        while pulled.json()["has_more"]:
            pulled = httpx.get(f"{base}/api/sync/pull", params={"limit": 500, "cursor": pulled.json()["cursor"]},
                               headers={"Authorization": f"Bearer {token}"}, timeout=30)
    finally:
        stop.set()
        for thread in phones:
            thread.join(timeout=60)
        log = server_log(process)
        stop_server(process)
    assert not errors, (errors[:3], log[-2000:])
    source_counter, _, source_households = _state(db_url)

    restored = _cli(blank_db_url, "restore", str(backup_path))
    assert restored.returncode == 0, restored.stderr
    counter, top_seq, households = _state(blank_db_url)

    # Everything acknowledged before the backup began is there, at the seq the phone was told.
    before = [(record_id, seq) for received, record_id, seq in acknowledged if received < began]
    assert len(before) >= 20
    for record_id, seq in before:
        assert households.get(record_id) == seq, record_id
    # One consistent moment: the counter is the last seq handed out in the copy, no record stands
    # above it, and the copy holds nothing the source does not.
    assert counter == top_seq and max(households.values()) <= counter
    assert max(seq for _, seq in before) <= counter < source_counter
    assert all(source_households[record_id] == seq for record_id, seq in households.items()
               if record_id in source_households)
    assert set(households) <= set(source_households)

    # The restored database is not replaced by accident, only on request.
    again = _cli(blank_db_url, "restore", str(backup_path))
    assert again.returncode == 1 and "--force" in again.stderr
    forced = _cli(blank_db_url, "restore", "--force", str(backup_path))
    assert forced.returncode == 0, forced.stderr
    assert _state(blank_db_url) == (counter, top_seq, households)

    # A phone that synced after the backup holds a cursor ahead of the restored counter.
    settings = Settings(database_url=blank_db_url, secret_key=TEST_SECRET, development=True)
    restored_engine = make_engine(blank_db_url)
    try:
        with TestClient(create_app(settings, restored_engine)) as client:
            assert client.get("/readyz").status_code == 200
            ahead = client.get("/api/sync/pull", params={"cursor": pulled.json()["cursor"]},
                               headers={"Authorization": f"Bearer {token}"})
            # The phone's cursor is ahead of the restored counter: it is told to start over (SYNC.md).
            assert ahead.status_code == 409 and ahead.json()["error"] == "resync", ahead.text
    finally:
        restored_engine.dispose()

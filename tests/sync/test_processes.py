"""Real server processes: several writing at once on PostgreSQL, and one killed in the middle of a push."""
from __future__ import annotations

import datetime as dt
import os
import signal
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, func, select

from server.models import Attendance, AuditEntry, Household, SyncOp
from tests.sync.helpers import cursor_seq
from tests.support.factories import make_geography, make_household, make_user
from tests.support.servers import start_server, stop_server
from tests.sync.helpers import make_training

PAUSE_IN_PUSH = Path(__file__).resolve().parents[1] / "support" / "pause_in_push"


def _token(base_url: str, username: str, device: str) -> dict[str, str]:
    response = httpx.post(f"{base_url}/api/auth/token", json={"username": username, "password": "pw-test-1234",
                                                               "device_name": device}, timeout=30)
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def _seed(engine, households: int):
    with Session(engine, expire_on_commit=False) as s:
        geo = make_geography(s)
        village = geo["villages"][0]
        make_user(s, username="boss", role="supervisor", district_code="3414")
        for n in range(4):
            make_user(s, username=f"officer{n}", role="officer", subdistrict_codes=["341401"])
        _, sessions = make_training(s, village_id=village.id)
        homes = []
        for _ in range(households):
            homes.append(make_household(s, village_id=village.id, commit=False))
        s.commit()
        return [x.id for x in sessions], [(h.id, h.seq) for h in homes]


def _attendance(session_id: str, household_id: str) -> dict:
    return {"op_id": str(uuid.uuid4()), "entity": "attendance", "id": str(uuid.uuid4()), "action": "upsert",
            "base_seq": None, "captured_at": dt.datetime.now(dt.timezone.utc).isoformat(),
            "fields": {"session_id": session_id, "household_id": household_id, "present": True}}


@pytest.mark.postgres
def test_concurrent_pushes_to_two_servers_never_slip_behind_a_pull_cursor(db_url, engine):
    sessions, homes = _seed(engine, households=30)
    servers = [start_server(db_url) for _ in range(2)]
    try:
        urls = [url for _, url in servers]
        pushers = [(_token(urls[n % 2], f"officer{n}", f"phone{n}"), n) for n in range(4)]
        puller = _token(urls[0], "boss", "office")
        committed: list[tuple[float, str, str, int]] = []  # (answer received, entity, id, seq)
        lock = threading.Lock()
        errors: list[str] = []
        done = threading.Event()

        def push_loop(headers: dict[str, str], n: int) -> None:
            with httpx.Client(timeout=60) as http:
                for round_ in range(12):
                    ops = [_attendance(sessions[round_ % 5], homes[(n * 7 + i) % len(homes)][0]) for i in range(15)]
                    hid, seq = homes[(n + round_) % len(homes)]
                    ops.append({"op_id": str(uuid.uuid4()), "entity": "household", "id": hid, "action": "upsert",
                                "base_seq": seq, "captured_at": None, "fields": {"note": f"{n}-{round_}"}})
                    body = {"schema": 1, "ops": ops}
                    # Every other batch goes to both servers at once: one applies, the other answers duplicate.
                    targets = [urls[(n + round_) % 2]] + ([urls[(n + round_ + 1) % 2]] if round_ % 2 else [])
                    answers = []
                    threads = [threading.Thread(target=lambda u=u: answers.append(
                        http.post(f"{u}/api/sync/push", json=body, headers=headers))) for u in targets]
                    for t in threads:
                        t.start()
                    for t in threads:
                        t.join()
                    received = time.monotonic()
                    for response in answers:
                        if response.status_code != 200:
                            errors.append(response.text)
                            continue
                        with lock:
                            for op, result in zip(ops, response.json()["results"]):
                                if result["status"] in ("applied", "conflict"):
                                    committed.append((received, op["entity"], result["id"], result["seq"]))

        seen: dict[tuple[str, str], int] = {}
        pulls = 0

        def check_pull(started: float, cursor: str) -> None:
            # Every change answered before this pull began, at or below its cursor, has been seen.
            position = cursor_seq(cursor)
            with lock:
                settled = [c for c in committed if c[0] < started and c[3] <= position]
            for _, entity, record_id, seq in settled:
                assert seen.get((entity, record_id), -1) >= seq, (entity, record_id, seq, position)

        def pull_until_caught_up(http: httpx.Client, cursor: str | None) -> str | None:
            nonlocal pulls
            while True:
                started = time.monotonic()
                response = http.get(f"{urls[pulls % 2]}/api/sync/pull",
                                    params={"limit": 40, **({"cursor": cursor} if cursor else {})}, headers=puller)
                pulls += 1
                assert response.status_code == 200, response.text
                page = response.json()
                for change in page["changes"]:
                    key = (change["entity"], change["id"])
                    assert change["seq"] >= seen.get(key, -1)
                    seen[key] = change["seq"]
                cursor = page["cursor"]
                check_pull(started, cursor)
                if not page["has_more"]:
                    return cursor

        threads = [threading.Thread(target=push_loop, args=p) for p in pushers]
        for t in threads:
            t.start()
        cursor = None
        with httpx.Client(timeout=60) as http:
            deadline = time.monotonic() + 120
            while any(t.is_alive() for t in threads) and time.monotonic() < deadline:
                cursor = pull_until_caught_up(http, cursor)
            for t in threads:
                t.join(timeout=60)
            done.set()
            cursor = pull_until_caught_up(http, cursor)
        assert not errors, errors[:3]
        assert pulls > 10

        with Session(engine) as s:
            stored = {("attendance", a.id): a.seq for a in s.exec(select(Attendance))}
            stored |= {("household", h.id): h.seq for h in s.exec(select(Household))}
            op_count = s.scalar(select(func.count()).select_from(SyncOp))
            creates = s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "create"))
        assert {k: v for k, v in seen.items() if k[0] in ("attendance", "household")} == stored
        assert op_count == 4 * 12 * 16  # every op once, however many servers it was sent to
        assert creates == len([k for k in stored if k[0] == "attendance"])  # no attendance created twice
    finally:
        for process, _ in servers:
            stop_server(process)


def test_a_server_killed_inside_a_push_commits_none_of_it_and_the_resend_applies_it_once(db_url, engine, tmp_path):
    sessions, homes = _seed(engine, households=200)
    batch = [_attendance(s, h) for s, h in [(s, h) for s in sessions for h, _ in homes][:1000]]
    # The server stops inside the push once its 1,000 attendance rows are written, before they commit
    # (tests/support/pause_in_push), and says so; it is killed right there.
    paused = tmp_path / "paused"
    process, url = start_server(db_url, env={"PYTHONPATH": str(PAUSE_IN_PUSH),
                                             "SAMMACHIP_TEST_PUSH_PAUSED": str(paused)})
    try:
        headers = _token(url, "officer0", "phone")
        outcome: dict[str, object] = {}

        def send() -> None:
            try:
                outcome["response"] = httpx.post(f"{url}/api/sync/push", json={"schema": 1, "ops": batch},
                                                 headers=headers, timeout=60)
            except httpx.HTTPError as exc:
                outcome["error"] = exc

        sender = threading.Thread(target=send)
        sender.start()
        deadline = time.monotonic() + 60
        while not paused.exists() and sender.is_alive() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert paused.exists(), outcome
        os.kill(process.pid, signal.SIGKILL)
        sender.join(timeout=60)
        process.wait(timeout=10)
    finally:
        stop_server(process)

    assert int(paused.read_text()) == 1000  # inside the push's transaction, the batch was written
    assert "error" in outcome  # and no answer got out
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Attendance)) == 0  # none of it was committed
        assert s.scalar(select(func.count()).select_from(SyncOp)) == 0

    # The phone sends the batch again (its outbox kept it): all of it is applied, once.
    process, url = start_server(db_url)
    try:
        response = httpx.post(f"{url}/api/sync/push", json={"schema": 1, "ops": batch}, headers=headers, timeout=60)
        assert response.status_code == 200
        assert {r["status"] for r in response.json()["results"]} == {"applied"}
    finally:
        stop_server(process)
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Attendance)) == 1000
        assert s.scalar(select(func.count()).select_from(SyncOp)) == 1000

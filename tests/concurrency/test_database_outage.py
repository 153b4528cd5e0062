"""A PostgreSQL server that goes away or stalls is "busy": a real server under a few clients answers
503 with Retry-After (never 500), logs a few lines (not a traceback per request), recovers by itself
when the database is back, and loses nothing it acknowledged.

Runs in the PostgreSQL phase on a private cluster of its own (the shared one is never stopped).
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, select

from server.core.db import make_engine
from server.models import SyncOp
from tests.conftest import _migrate_like_the_cli
from tests.support.servers import server_log, start_server, stop_server
from tests.sync.helpers import make_area, op

pytestmark = pytest.mark.postgres

PGBIN = Path(sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]) if Path("/usr/lib/postgresql").exists() else None


class PrivateCluster:
    """A PostgreSQL cluster in a temp dir on a free port, run as the `postgres` user."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="sammachip-outage-"))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        shutil.chown(self.dir, "postgres", "postgres")
        self._run("initdb", "-D", str(self.dir / "data"), "-U", "postgres", "--no-locale", "--encoding=UTF8",
                  "--auth-local=peer", "--auth-host=trust", "--no-sync")
        self.start()

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", str(PGBIN / tool), *args], cwd=self.dir, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-l", str(self.dir / "server.log"), "-w", "-t", "60",
                  "start", "-o", f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off "
                                 "-c max_connections=100")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop")

    def processes(self) -> list[int]:
        postmaster = int((self.dir / "data" / "postmaster.pid").read_text().split()[0])
        children = subprocess.run(["pgrep", "-P", str(postmaster)], capture_output=True, text=True).stdout.split()
        return [postmaster, *map(int, children)]

    def remove(self) -> None:
        if (self.dir / "data" / "postmaster.pid").exists():
            for pid in self.processes():
                try:
                    os.kill(pid, signal.SIGCONT)
                except ProcessLookupError:
                    pass
            subprocess.run(["runuser", "-u", "postgres", "--", str(PGBIN / "pg_ctl"), "-D", str(self.dir / "data"),
                            "-m", "immediate", "-w", "stop"], cwd=self.dir, capture_output=True, timeout=60)
        shutil.rmtree(self.dir, ignore_errors=True)


@dataclass
class Load:
    """A few phones pushing and pulling without pause; every answer kept with the time it came."""

    base_url: str
    tokens: list[str]
    households: list[tuple[str, int]]
    answers: list[tuple[float, int, str]] = field(default_factory=list)  # (time, status, Retry-After)
    acknowledged: list[str] = field(default_factory=list)  # op_ids answered applied or conflict
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def phone(self, number: int) -> None:
        headers = {"Authorization": f"Bearer {self.tokens[number]}"}
        household_id, _seq = self.households[number]
        with httpx.Client(base_url=self.base_url, timeout=60) as client:
            while not self.stop.is_set():
                ops = [op("household", household_id, {"note": uuid.uuid4().hex[:8]})]
                try:
                    pushed = client.post("/api/sync/push", json={"schema": 1, "ops": ops}, headers=headers)
                    pulled = client.get("/api/sync/pull", headers=headers, params={"limit": 50})
                except httpx.HTTPError:
                    time.sleep(0.2)
                    continue
                with self.lock:
                    for answer in (pushed, pulled):
                        self.answers.append((time.monotonic(), answer.status_code,
                                             answer.headers.get("retry-after", "")))
                    if pushed.status_code == 200:
                        self.acknowledged += [r["op_id"] for r in pushed.json()["results"]
                                              if r["status"] in ("applied", "conflict")]
                if 503 in (pushed.status_code, pulled.status_code):
                    time.sleep(0.2)

    def since(self, moment: float) -> list[tuple[float, int, str]]:
        with self.lock:
            return [a for a in self.answers if a[0] >= moment]

    def wait_for_success(self, after: float, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(status == 200 for _, status, _ in self.since(after)):
                return
            time.sleep(0.2)
        raise AssertionError("the server did not recover")


@pytest.fixture
def cluster():
    if PGBIN is None or shutil.which("runuser") is None:
        pytest.fail("PostgreSQL binaries and runuser are needed for this test")
    private = PrivateCluster()
    try:
        yield private
    finally:
        private.remove()


def test_a_database_stopped_or_frozen_is_busy_then_recovers_losing_nothing(cluster):
    _migrate_like_the_cli(cluster.url)
    engine = make_engine(cluster.url)
    with Session(engine, expire_on_commit=False) as db:
        area = make_area(db, households=3)
    households = [(h.id, h.seq) for h in area.households]
    process, base_url = start_server(cluster.url)
    threads: list[threading.Thread] = []
    try:
        tokens = [httpx.post(f"{base_url}/api/auth/token", timeout=30, json={
            "username": "somchai", "password": "pw-test-1234", "device_name": f"p{n}"}).json()["token"]
            for n in range(3)]
        load = Load(base_url, tokens, households)
        threads = [threading.Thread(target=load.phone, args=(n,)) for n in range(3)]
        for thread in threads:
            thread.start()
        load.wait_for_success(0)

        # Stopped for a few seconds: connections refused.
        cluster.stop()
        stopped_at = time.monotonic()
        time.sleep(4)
        cluster.start()
        started_at = time.monotonic()
        load.wait_for_success(started_at)
        during = [a for a in load.since(stopped_at) if a[0] <= started_at]
        assert any(status == 503 for _, status, _ in during), during[:10]

        # Frozen (SIGSTOP on the postmaster and its backends): the kernel still takes the bytes,
        # nothing answers. Requests are answered 503 while it is still frozen.
        frozen = cluster.processes()
        for pid in frozen:
            os.kill(pid, signal.SIGSTOP)
        frozen_at = time.monotonic()
        try:
            deadline = time.monotonic() + 40
            while time.monotonic() < deadline and not any(s == 503 for _, s, _ in load.since(frozen_at)):
                time.sleep(0.2)
            busy_while_frozen = [a for a in load.since(frozen_at) if a[1] == 503]
        finally:
            for pid in frozen:
                os.kill(pid, signal.SIGCONT)
        thawed_at = time.monotonic()
        assert busy_while_frozen, "no request was answered while the database was frozen"
        load.wait_for_success(thawed_at)
        time.sleep(1)
    finally:
        if threads:
            load.stop.set()
            for thread in threads:
                thread.join(timeout=90)
        log = server_log(process)
        stop_server(process)

    first_busy = min(moment for moment, _, _ in busy_while_frozen) - frozen_at
    print(f"\nfrozen database: first 503 after {first_busy:.1f} s; answers: "
          f"{sum(1 for a in load.answers if a[1] == 200)} ok, {sum(1 for a in load.answers if a[1] == 503)} busy; "
          f"log lines about the database: {sum(1 for line in log.splitlines() if 'database' in line)}")
    statuses = [status for _, status, _ in load.answers]
    assert not [s for s in statuses if s >= 500 and s != 503], (sorted(set(statuses)), log[-4000:])
    assert all(retry for _, status, retry in load.answers if status == 503)
    assert "Traceback" not in log, log[-3000:]
    lines = [line for line in log.splitlines() if "database" in line]
    assert 1 <= len(lines) <= 12, (len(lines), lines[:20])
    with Session(engine) as db:  # every op the server acknowledged is kept
        stored = set(db.exec(select(SyncOp.op_id).where(SyncOp.op_id.in_(load.acknowledged))).all())
    engine.dispose()
    assert load.acknowledged and stored == set(load.acknowledged)

"""CPU time per request of the office mix, on SQLite, a district of 40 villages: a page view (the office
pages of tests/support/load.py), a household form posted right and wrong, a phone's push of 10 ops and a
pull of 200 records; and the mix of tests/support/load.py weighted as it sends them.

    python bench/cpu_per_request.py        # median CPU ms per request of each kind, and of the mix
    SAMMACHIP_BENCH_SERVER=1 python bench/cpu_per_request.py
                                           # the same, of a real server (uvicorn, one process)
    py-spy record --gil -f raw -o out.txt -- python bench/cpu_per_request.py
                                           # where the time goes (the app runs in worker threads)

Requests/s per core = 1000 / CPU ms per request (the server is CPU-bound: one process per core).

Two ways to measure, each with its own bias:
- in process (the default): the app behind Litestar's test client, each request's CPU time (the
  client's share, about 1 ms, is counted too, the same for every tree);
- as a server (SAMMACHIP_BENCH_SERVER=1): the app served by uvicorn in a process of its own, as
  `sammachip serve` runs it, sent requests one after the other; the figure is that process's CPU time
  (all its threads, /proc) over a block of requests, divided by their number: what a core of the
  server spends, HTTP included, the client not.

With SAMMACHIP_BENCH_TREES=old:new (two source trees) both trees are loaded at once, each in its own
processes, and measured in turns: a block of SAMMACHIP_BENCH_BLOCK requests of each kind on one, then
the same on the other (which goes first alternates), SAMMACHIP_BENCH_ROUNDS times. This machine's speed
drifts by more than the difference being measured; blocks side by side see the same drift, so each
pair of blocks gives a ratio, and the median of those ratios is the figure. The environment of the run
is the same for both trees (installed packages included).
"""
from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, Callable

ROUNDS = int(os.environ.get("SAMMACHIP_BENCH_ROUNDS", "12"))
BLOCK = int(os.environ.get("SAMMACHIP_BENCH_BLOCK", "40"))
SERVER = os.environ.get("SAMMACHIP_BENCH_SERVER", "") not in ("", "0")
# The office mix of tests/support/load.py (and bench/office_load.py): requests of each kind per 14.
MIX = {"page": 6, "post_valid": 2, "post_invalid": 2, "push": 2, "pull": 2}
TREE_ENV = "SAMMACHIP_BENCH_TREE"


# --- inside one tree: the district, and a client that sends each kind of request -----------------

def _tree_modules() -> tuple[Any, Any, Any]:
    try:
        from server.core.db import make_engine
        from server.core.migrate import upgrade
        from server.core.settings import Settings
    except ImportError:  # a tree from before the rooms of server/core (to measure "before")
        from server.db import make_engine
        from server.migrate import upgrade
        from server.settings import Settings
    return make_engine, upgrade, Settings


def seed(url: str) -> dict[str, Any]:
    """Migrate and seed the bench district with this tree's code; the ids a client needs."""
    from sqlmodel import Session

    from tests.support.load import seed_district

    make_engine, upgrade, _settings = _tree_modules()
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as db:
        district = seed_district(db, villages=40, households_per_village=25, officers=4)
    engine.dispose()
    return {"village_ids": district.village_ids, "sessions": district.sessions}


def requests_of(client: Any, district: dict[str, Any]) -> dict[str, Callable[[int], None]]:
    """Each kind of request, sent with `client` (httpx's, or Litestar's test client) signed in as the
    district's supervisor and, for the phone's calls, officer0's device."""
    from tests.support.factories import DEFAULT_PASSWORD
    from tests.support.load import PAGES

    client.get("/login")
    client.post("/login", data={"username": "supervisor", "password": DEFAULT_PASSWORD,
                                "_csrf_token": client.cookies["csrftoken"]})
    token = client.post("/api/auth/token", json={"username": "officer0", "password": DEFAULT_PASSWORD,
                                                 "device_name": "bench"}).json()["token"]
    phone = {"Authorization": f"Bearer {token}"}
    run = uuid.uuid4().hex[:6]  # house numbers of this run's households stay unique

    def page(n: int) -> None:
        assert client.get(PAGES[n % len(PAGES)]).status_code == 200

    def post_valid(n: int) -> None:
        village = district["village_ids"][n % len(district["village_ids"])]
        answer = client.post("/households", data={
            "_csrf_token": client.cookies["csrftoken"], "village_id": village, "house_no": f"900/{run}/{n}",
            "head_name": f"นายทดลอง โหลด{n}", "members": "3", "annual_income": "45000", "consent": "on"},
            follow_redirects=False)
        assert answer.status_code in (302, 303), answer.status_code

    def post_invalid(n: int) -> None:
        answer = client.post("/households", data={
            "_csrf_token": client.cookies["csrftoken"], "village_id": district["village_ids"][0], "house_no": "1",
            "head_name": "", "citizen_id": "1234567890123", "members": "0", "annual_income": "-5"})
        assert answer.status_code == 422, answer.status_code

    def push(n: int) -> None:
        session_id, households = district["sessions"][n % len(district["sessions"])]
        ops = [{"op_id": str(uuid.uuid4()), "entity": "attendance", "id": str(uuid.uuid4()), "action": "upsert",
                "base_seq": None, "captured_at": dt.datetime.now(dt.timezone.utc).isoformat(),
                "fields": {"session_id": session_id, "household_id": household, "present": bool(i % 2)}}
               for i, household in enumerate(households[:10])]
        assert client.post("/api/sync/push", json={"schema": 1, "ops": ops}, headers=phone).status_code == 200

    def pull(n: int) -> None:
        assert client.get("/api/sync/pull", params={"limit": 200}, headers=phone).status_code == 200

    return {"page": page, "post_valid": post_valid, "post_invalid": post_invalid, "push": push, "pull": pull}


# --- the two ways to measure a block of requests --------------------------------------------------

class InProcess:
    """The app behind the test client in a child process of the tree; the block's median CPU ms."""

    def __init__(self, tree: str) -> None:
        self.child = subprocess.Popen([sys.executable, str(Path(__file__).resolve())], cwd=tree, text=True,
                                      env={**os.environ, TREE_ENV: tree}, stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE)
        self._expect("ready")

    def block(self, kind: str, count: int) -> float:
        self.child.stdin.write(f"{kind} {count}\n")
        self.child.stdin.flush()
        return float(self._expect("ms"))

    def _expect(self, word: str) -> str:
        while True:
            line = self.child.stdout.readline()
            if not line:
                raise RuntimeError(f"the bench's child process ended (exit {self.child.wait()})")
            if line.startswith(word + " "):
                return line.split(" ", 1)[1].strip()

    def stop(self) -> None:
        self.child.stdin.close()
        self.child.wait()


def serve_blocks() -> None:
    """The child of `InProcess`: seed, start the app, then answer "KIND COUNT" lines with the median CPU
    ms of COUNT requests of that kind."""
    from litestar.testing import TestClient

    from server.app import create_app

    folder = tempfile.mkdtemp()
    url = f"sqlite:///{folder}/bench.db"
    district = seed(url)
    make_engine, _upgrade, settings_class = _tree_modules()
    # Run as in production (not development mode): what a deployed server does per request.
    app = create_app(settings_class(database_url=url, secret_key=secrets.token_urlsafe(32)), make_engine(url))
    with TestClient(app) as client:
        calls = requests_of(client, district)
        sent = 0
        for call in calls.values():
            for _ in range(12):  # warm caches and templates
                call(sent)
                sent += 1
        print("ready 1", flush=True)
        for line in sys.stdin:
            kind, count = line.split()
            cpu = []
            for _ in range(int(count)):
                began = time.process_time()
                calls[kind](sent)
                sent += 1
                cpu.append((time.process_time() - began) * 1000)
            print(f"ms {statistics.median(cpu)}", flush=True)


class AsServer:
    """The tree's app under uvicorn (one process, its production settings); the block's CPU ms of that
    process per request, from /proc (all its threads; the client in this process is not counted)."""

    def __init__(self, tree: str) -> None:
        import httpx

        folder = tempfile.mkdtemp()
        url = f"sqlite:///{folder}/bench.db"
        seeded = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--seed", url], cwd=tree,
                                env={**os.environ, TREE_ENV: tree}, check=True, capture_output=True, text=True)
        district = json.loads(seeded.stdout.split("district ", 1)[1])
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if k not in ("SAMMACHIP_DEV", "SAMMACHIP_DEMO")}
        env.update(DATABASE_URL=url, SECRET_KEY=secrets.token_urlsafe(40))
        self.log = open(Path(folder) / "server.log", "w")
        self.server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "server.app:create_app", "--host", "127.0.0.1",
             "--port", str(port), "--no-access-log"], cwd=tree, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        base_url = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                if httpx.get(f"{base_url}/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        self.client = httpx.Client(base_url=base_url, timeout=60)
        self.calls = requests_of(self.client, district)
        self.sent = 0
        for call in self.calls.values():
            for _ in range(12):
                call(self.sent)
                self.sent += 1

    def _cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.server.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime

    def block(self, kind: str, count: int) -> float:
        before = self._cpu_seconds()
        for _ in range(count):
            self.calls[kind](self.sent)
            self.sent += 1
        return (self._cpu_seconds() - before) * 1000 / count

    def stop(self) -> None:
        self.client.close()
        self.server.terminate()
        self.server.wait()
        self.log.close()


# --- the run ------------------------------------------------------------------------------------

def measure(trees: list[str]) -> dict[str, list[dict[str, float]]]:
    """{tree: [{kind: ms} per round]}: blocks of each kind on each tree in turn."""
    kind_of_runner = AsServer if SERVER else InProcess
    runners = [kind_of_runner(tree) for tree in trees]
    rounds: dict[str, list[dict[str, float]]] = {tree: [] for tree in trees}
    try:
        for number in range(ROUNDS):
            figures: list[dict[str, float]] = [{} for _ in trees]
            for kind in MIX:
                order = range(len(trees)) if number % 2 == 0 else reversed(range(len(trees)))
                for index in order:
                    figures[index][kind] = runners[index].block(kind, BLOCK)
            for tree, found in zip(trees, figures):
                found["the mix"] = sum(MIX[kind] * found[kind] for kind in MIX) / sum(MIX.values())
                rounds[tree].append(found)
            print(f"round {number + 1}/{ROUNDS}: " + "   ".join(
                f"{Path(tree).name} mix {found['the mix']:.2f} ms" for tree, found in zip(trees, figures)), flush=True)
    finally:
        for runner in runners:
            runner.stop()
    return rounds


def show(medians: dict[str, float]) -> None:
    for name, ms in medians.items():
        print(f"{name:<13} CPU {ms:6.2f} ms per request -> {1000 / ms:5.0f} requests/s per core")


def main() -> None:
    if os.environ.get(TREE_ENV):  # a child, inside the tree it measures
        sys.path.insert(0, os.environ[TREE_ENV])
        if sys.argv[1:2] == ["--seed"]:
            print("district " + json.dumps(seed(sys.argv[2])), flush=True)
        else:
            serve_blocks()
        return
    here = str(Path(__file__).resolve().parent.parent)
    sys.path.insert(0, here)  # the client's side (tests.support) is this tree's
    trees = [str(Path(tree).resolve()) for tree in os.environ.get("SAMMACHIP_BENCH_TREES", here).split(":")]
    how = "a real server (uvicorn), its process's CPU" if SERVER else "in process (test client), each request's CPU"
    print(f"Measured {how}; {ROUNDS} rounds of {BLOCK} requests of each kind per tree.", flush=True)
    rounds = measure(trees)
    for tree in trees:
        print(f"== {tree}: median of the rounds")
        show({kind: statistics.median(r[kind] for r in rounds[tree]) for kind in rounds[tree][0]})
    if len(trees) > 1:
        before, after = rounds[trees[0]], rounds[trees[-1]]
        print(f"== requests/s per core, {trees[-1]} over {trees[0]}: the median of the rounds' ratios "
              "(and the middle half of them)")
        for kind in before[0]:
            ratios = sorted(old[kind] / new[kind] for old, new in zip(before, after))
            quarter = len(ratios) // 4
            print(f"{kind:<13} {statistics.median(ratios):5.2f}x   ({ratios[quarter]:.2f}x to "
                  f"{ratios[-1 - quarter]:.2f}x)")


if __name__ == "__main__":
    main()

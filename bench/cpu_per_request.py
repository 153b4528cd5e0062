"""CPU time per request of the office mix, in one process, on SQLite, a district of 40 villages: a page
view (the office pages of tests/support/load.py), a household form posted right and wrong, a phone's
push of 10 ops and a pull of 200 records; and the mix of tests/support/load.py weighted as it sends them.

    python bench/cpu_per_request.py        # median CPU ms per request of each kind, and of the mix
    py-spy record --gil -f raw -o out.txt -- python bench/cpu_per_request.py
                                           # where the time goes (the app runs in worker threads)

Requests/s per core = 1000 / CPU ms per request (the server is CPU-bound: one process per core). The
client's share (the in-process test client) is counted too, the same for every tree.
With SAMMACHIP_BENCH_TREES=old:new (two source trees) each tree is measured in its own process, one
after the other, SAMMACHIP_BENCH_PASSES times in turn (3 unless told): this machine's speed drifts by
more than the difference being measured, so each tree's figure is the median of its passes, and the
last lines compare the trees pass by pass (requests/s per core, new over old) and give the median ratio.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROUNDS = int(os.environ.get("SAMMACHIP_BENCH_ROUNDS", "120"))
# The office mix of tests/support/load.py (and bench/office_load.py): requests of each kind per 14.
MIX = {"page": 6, "post_valid": 2, "post_invalid": 2, "push": 2, "pull": 2}


def measure() -> None:
    from litestar.testing import TestClient
    from sqlmodel import Session

    from server.app import create_app

    try:
        from server.core.db import make_engine
        from server.core.migrate import upgrade
        from server.core.settings import Settings
    except ImportError:  # a tree from before the rooms of server/core (to measure "before")
        from server.db import make_engine
        from server.migrate import upgrade
        from server.settings import Settings
    from tests.support.factories import DEFAULT_PASSWORD
    from tests.support.load import PAGES, seed_district

    folder = tempfile.mkdtemp()
    url = f"sqlite:///{folder}/bench.db"
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as db:
        district = seed_district(db, villages=40, households_per_village=25, officers=4)
    # Run as in production (not development mode): what a deployed server does per request.
    app = create_app(Settings(database_url=url, secret_key=secrets.token_urlsafe(32)), engine)
    with TestClient(app) as client:
        client.get("/login")
        client.post("/login", data={"username": "supervisor", "password": DEFAULT_PASSWORD,
                                    "_csrf_token": client.cookies["csrftoken"]})
        token = client.post("/api/auth/token", json={"username": "officer0", "password": DEFAULT_PASSWORD,
                                                     "device_name": "bench"}).json()["token"]
        phone = {"Authorization": f"Bearer {token}"}

        def page(n: int) -> None:
            assert client.get(PAGES[n % len(PAGES)]).status_code == 200

        def post_valid(n: int) -> None:
            village = district.village_ids[n % len(district.village_ids)]
            answer = client.post("/households", data={
                "_csrf_token": client.cookies["csrftoken"], "village_id": village, "house_no": f"900/{n}",
                "head_name": f"นายทดลอง โหลด{n}", "members": "3", "annual_income": "45000", "consent": "on"},
                follow_redirects=False)
            assert answer.status_code in (302, 303), answer.status_code

        def post_invalid(n: int) -> None:
            answer = client.post("/households", data={
                "_csrf_token": client.cookies["csrftoken"], "village_id": district.village_ids[0], "house_no": "1",
                "head_name": "", "citizen_id": "1234567890123", "members": "0", "annual_income": "-5"})
            assert answer.status_code == 422, answer.status_code

        def push(n: int) -> None:
            session_id, households = district.sessions[n % len(district.sessions)]
            ops = [{"op_id": str(uuid.uuid4()), "entity": "attendance", "id": str(uuid.uuid4()), "action": "upsert",
                    "base_seq": None, "captured_at": dt.datetime.now(dt.timezone.utc).isoformat(),
                    "fields": {"session_id": session_id, "household_id": household, "present": bool(i % 2)}}
                   for i, household in enumerate(households[:10])]
            assert client.post("/api/sync/push", json={"schema": 1, "ops": ops}, headers=phone).status_code == 200

        def pull(n: int) -> None:
            assert client.get("/api/sync/pull", params={"limit": 200}, headers=phone).status_code == 200

        medians: dict[str, float] = {}
        for name, call in (("page", page), ("post_valid", post_valid), ("post_invalid", post_invalid),
                           ("push", push), ("pull", pull)):
            for n in range(len(PAGES)):
                call(ROUNDS + n)  # warm caches and templates
            cpu = []
            for n in range(ROUNDS):
                began = time.process_time()
                call(n)
                cpu.append((time.process_time() - began) * 1000)
            medians[name] = statistics.median(cpu)
        medians["the mix"] = sum(MIX[name] * medians[name] for name in MIX) / sum(MIX.values())
        show(medians)
        if os.environ.get("SAMMACHIP_BENCH_JSON"):
            print("JSON " + json.dumps(medians))


def show(medians: dict[str, float]) -> None:
    for name, ms in medians.items():
        what = "mean CPU  " if name == "the mix" else "median CPU"
        print(f"{name:<13} {what} {ms:6.1f} ms per request -> {1000 / ms:5.0f} requests/s per core")


def main() -> None:
    trees = os.environ.get("SAMMACHIP_BENCH_TREES")
    if not trees:
        # The source tree measured: this one, or the one a run over several trees names.
        tree = os.environ.get("SAMMACHIP_BENCH_TREE") or str(Path(__file__).resolve().parent.parent)
        sys.path.insert(0, tree)
        os.chdir(tree)
        measure()
        return
    names = trees.split(":")
    passes: dict[str, list[dict[str, float]]] = {tree: [] for tree in names}
    for number in range(int(os.environ.get("SAMMACHIP_BENCH_PASSES", "3"))):
        for tree in names:
            print(f"== pass {number + 1}: {tree}", flush=True)
            env = {k: v for k, v in os.environ.items() if k != "SAMMACHIP_BENCH_TREES"}
            env.update(SAMMACHIP_BENCH_TREE=str(Path(tree).resolve()), SAMMACHIP_BENCH_JSON="1")
            out = subprocess.run([sys.executable, str(Path(__file__).resolve()), *sys.argv[1:]], env=env,
                                 check=True, capture_output=True, text=True).stdout
            passes[tree].append(json.loads(out.split("JSON ", 1)[1]))
            print(out.split("JSON ", 1)[0], end="", flush=True)
    summary = {tree: {kind: statistics.median(p[kind] for p in runs) for kind in runs[0]}
               for tree, runs in passes.items()}
    for tree in names:
        print(f"== {tree}: the median of {len(passes[tree])} passes")
        show(summary[tree])
    # Each pass measured the trees back to back: its ratio is the least disturbed by the machine's drift.
    before, after = passes[names[0]], passes[names[-1]]
    print(f"== requests/s per core, {names[-1]} over {names[0]}: each pass's ratio, and their median")
    for kind in before[0]:
        ratios = [old[kind] / new[kind] for old, new in zip(before, after)]
        print(f"{kind:<13} {' '.join(f'{r:5.2f}x' for r in ratios)}   median {statistics.median(ratios):5.2f}x")


if __name__ == "__main__":
    main()

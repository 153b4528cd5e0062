"""CPU time per request of the office mix, in one process: a page view (the office pages of
tests/support/load.py) and a phone's push of 10 ops, on SQLite, a district of 40 villages.

    python bench/cpu_per_request.py                  # median CPU ms per page view and per push
    python bench/cpu_per_request.py --profile page   # and where a page view's time goes (pyinstrument)

Requests/s per core = 1000 / CPU ms per request (the server is CPU-bound: one process per core).
With SAMMACHIP_BENCH_TREES=old:new (two source trees) each tree is measured in its own process, one
after the other, in this one run.
"""
from __future__ import annotations

import datetime as dt
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


def measure(profile: str | None) -> None:
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

        def push(n: int) -> None:
            session_id, households = district.sessions[n % len(district.sessions)]
            ops = [{"op_id": str(uuid.uuid4()), "entity": "attendance", "id": str(uuid.uuid4()), "action": "upsert",
                    "base_seq": None, "captured_at": dt.datetime.now(dt.timezone.utc).isoformat(),
                    "fields": {"session_id": session_id, "household_id": household, "present": bool(i % 2)}}
                   for i, household in enumerate(households[:10])]
            assert client.post("/api/sync/push", json={"schema": 1, "ops": ops}, headers=phone).status_code == 200

        for name, call in (("page", page), ("push", push)):
            for n in range(len(PAGES)):
                call(n)  # warm caches and templates
            if profile == name:
                from pyinstrument import Profiler

                profiler = Profiler(interval=0.0005)
                profiler.start()
            cpu = []
            for n in range(ROUNDS):
                began = time.process_time()
                call(n)
                cpu.append((time.process_time() - began) * 1000)
            if profile == name:
                profiler.stop()
                print(profiler.output_text(unicode=False, show_all=False))
            median = statistics.median(cpu)
            print(f"{name:<5} median CPU {median:6.1f} ms per request -> {1000 / median:5.0f} requests/s per core")


def main() -> None:
    trees = os.environ.get("SAMMACHIP_BENCH_TREES")
    profile = sys.argv[2] if len(sys.argv) > 2 and sys.argv[1] == "--profile" else None
    if not trees:
        # The source tree measured: this one, or the one a run over several trees names.
        tree = os.environ.get("SAMMACHIP_BENCH_TREE") or str(Path(__file__).resolve().parent.parent)
        sys.path.insert(0, tree)
        os.chdir(tree)
        measure(profile)
        return
    for tree in trees.split(":"):
        print(f"== {tree}", flush=True)
        env = {k: v for k, v in os.environ.items() if k != "SAMMACHIP_BENCH_TREES"}
        env["SAMMACHIP_BENCH_TREE"] = str(Path(tree).resolve())
        subprocess.run([sys.executable, str(Path(__file__).resolve()), *sys.argv[1:]], env=env, check=True)


if __name__ == "__main__":
    main()

"""A district office under load: requests/s and p50/p95/p99 per kind of request, 16 and 64 users.

A district of 150 villages × 25 households on a real server (uvicorn, one process, then two); each
client is a signed-in user mixing office pages, valid and invalid form posts, phone pushes and
pulls (tests/support/load.py). Goal: p95 ≤ 100 ms for pages, no errors.

    python bench/office_load.py                      # SQLite
    SAMMACHIP_BENCH_PG=postgresql://postgres@127.0.0.1:5432/postgres python bench/office_load.py
                                                     # and PostgreSQL (a scratch database is made)
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlmodel import Session  # noqa: E402

from server.core.db import make_engine  # noqa: E402
from server.core.migrate import upgrade  # noqa: E402
from tests.support.load import KINDS, percentile, run_load, seed_district  # noqa: E402
from tests.support.servers import start_server, stop_server  # noqa: E402

SECONDS = float(os.environ.get("SAMMACHIP_BENCH_SECONDS", "15"))
# Server processes to measure with (uvicorn workers, as `sammachip serve --workers N` runs them).
WORKERS = [int(n) for n in os.environ.get("SAMMACHIP_BENCH_WORKERS", "1,2").split(",")]


def report(label: str, url: str) -> None:
    upgrade(url)
    engine = make_engine(url)
    started = time.perf_counter()
    with Session(engine) as db:
        district = seed_district(db, villages=150, households_per_village=25, officers=8)
    engine.dispose()
    print(f"\n{label}: seeded 150 villages × 25 households in {time.perf_counter() - started:.1f} s")
    for workers in WORKERS:
        _load(url, district, workers)


def _load(url: str, district, workers: int) -> None:  # noqa: ANN001
    process, base_url = start_server(url, workers=workers)
    print(f"  {workers} server process{'es' if workers > 1 else ''}:")
    try:
        for clients in (16, 64):
            result = run_load(base_url, district, clients=clients, seconds=SECONDS, timeout=60)
            total = len(result.samples)
            print(f"  {clients} clients, {result.seconds:.0f} s: {total / result.seconds:.0f} requests/s, "
                  f"{len(result.failures())} errors (5xx or no answer), "
                  f"healthz p99 {percentile([s.seconds for s in result.health], 99) * 1000:.0f} ms")
            print(f"    {'kind':<13}{'n':>6}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
            for kind in KINDS:
                times = [s.seconds * 1000 for s in result.by_kind()[kind]]
                print(f"    {kind:<13}{len(times):>6}{percentile(times, 50):>9.0f}{percentile(times, 95):>9.0f}"
                      f"{percentile(times, 99):>9.0f}")
    finally:
        stop_server(process)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        report("SQLite", f"sqlite:///{folder}/bench.db")
    admin = os.environ.get("SAMMACHIP_BENCH_PG")
    if admin:
        name = f"bench_{uuid.uuid4().hex[:8]}"
        control = create_engine(make_url(admin).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
        with control.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            report("PostgreSQL", make_url(admin).set(database=name).render_as_string(hide_password=False))
        finally:
            with control.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            control.dispose()


if __name__ == "__main__":
    main()

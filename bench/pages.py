"""Report pages and exports under a generated program: p50/p95 per page and export memory.

    .venv/bin/python bench/pages.py                                   # SQLite, 150 villages x 25 households, 2 years
    .venv/bin/python bench/pages.py --postgres-server postgresql://postgres@127.0.0.1:55432/postgres \
        --villages 14000 --households-per-village 20 --years 5        # PostgreSQL, five national years
    .venv/bin/python bench/pages.py --database-url postgresql://…/db  # an existing (seeded) database
    .venv/bin/python bench/pages.py --export-households 100000        # + peak memory of that export

Pages are requested through the real app (in-process ASGI client) as a district supervisor (a
district's pages) and as an administrator (national summaries). Each page is timed in wall-clock
milliseconds and in CPU milliseconds of this process (the app runs in it; on SQLite that includes
the database): on a busy machine the wall clock also counts waiting for a core, the CPU time does
not. A national or provincial summary comes from a snapshot (server/reports/snapshots.py): its
`first ms` is the time to compute one, the percentiles what users get once it exists.
`--postgres-server` seeds a scratch database of its own on that server and drops it at the
end. Export memory is the peak of Python allocations (tracemalloc) while a whole export is
produced, for a district and for the whole database: flat means the two peaks are close although
the row counts are not.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from litestar.testing import TestClient  # noqa: E402
from sqlalchemy import func, select, true  # noqa: E402
from sqlmodel import Session  # noqa: E402

from server.app import create_app  # noqa: E402
from server.auth.passwords import hash_password  # noqa: E402
from server.config.reference_data import ensure_defaults  # noqa: E402
from server.core.dates import fiscal_year_be
from server.core.db import make_engine  # noqa: E402
from server.core.migrate import upgrade  # noqa: E402
from server.core.settings import Settings  # noqa: E402
from server.models import Household, User, Village  # noqa: E402
from server.reports import exports  # noqa: E402
from server.reports.report_area import Filters  # noqa: E402
from server.reports.scale import seed_scale  # noqa: E402

PASSWORD = "bench-password-1234"


def prepare(url: str, *, seed: bool, villages: int, households: int, years: int) -> None:
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as db:
        ensure_defaults(db)
        db.commit()
        empty = db.exec(select(func.count()).select_from(Village)).one()[0] == 0
    if seed and empty:
        started = time.perf_counter()
        counts = seed_scale(engine, villages=villages, households_per_village=households, years=years)
        print(f"seeded {sum(counts.values()):,} rows ({counts.get('household', 0):,} households, "
              f"{counts.get('attendance', 0):,} attendance marks) in {time.perf_counter() - started:.1f} s")
        if engine.dialect.name == "postgresql":
            # What autovacuum does to a table that has just been filled: planner statistics and the
            # visibility map (index-only scans), before anything is timed.
            started = time.perf_counter()
            with engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
            print(f"vacuumed and analysed in {time.perf_counter() - started:.1f} s")
    with Session(engine) as db:
        district = db.exec(select(func.substr(Village.code, 1, 4)).order_by(Village.code).limit(1)).one()[0]
        for name, role in (("bench-admin", "admin"), ("bench-supervisor", "supervisor")):
            if db.exec(select(User).where(User.username == name)).first() is None:
                db.add(User(username=name, display_name=name, role=role, password_hash=hash_password(PASSWORD),
                            district_code=district if role == "supervisor" else None))
        db.commit()
    engine.dispose()


def sign_in(client: TestClient, username: str) -> None:
    client.get("/login")
    response = client.post("/login", data={"username": username, "password": PASSWORD,
                                           "_csrf_token": client.cookies["csrftoken"]})
    assert response.status_code in (200, 302, 303), response.status_code


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def timings(client: TestClient, url: str, repeat: int) -> tuple[float, float, float, float, float, int]:
    """(first, p50, p95 wall ms, p50, p95 CPU ms, bytes) of `repeat` requests after a first one.

    The first request warms caches and templates, and computes a wide area's snapshot (the time a
    national summary takes when nobody has opened it before); the others are what users then get."""
    started = time.perf_counter()
    client.get(url)
    first = (time.perf_counter() - started) * 1000
    wall, cpu = [], []
    size = 0
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        assert response.status_code == 200, (url, response.status_code, response.text[:300])
        size = len(response.content)
    return (first, statistics.median(wall), percentile(wall, 0.95), statistics.median(cpu), percentile(cpu, 0.95),
            size)


def export_peak(engine, dataset: str, fmt: str, area: str, year: int) -> tuple[float, int, float]:  # noqa: ANN001
    """(peak MB of Python allocations, bytes produced, seconds) for one whole export."""
    req = exports.Request(area=true(), filters=Filters(fiscal_year=year, area=area), full_citizen_ids=False)
    tracemalloc.start()
    started = time.perf_counter()
    produced = 0
    for chunk in exports.stream(engine, dataset, fmt, req):
        produced += len(chunk)
    seconds = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1e6, produced, seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="an existing database (seeded with --seed when it has no villages)")
    parser.add_argument("--postgres-server", help="a PostgreSQL URL to create a scratch database on (dropped after)")
    parser.add_argument("--seed", action="store_true", help="seed-scale the database when it has no villages")
    parser.add_argument("--villages", type=int, default=150)
    parser.add_argument("--households-per-village", type=int, default=25)
    parser.add_argument("--years", type=int, default=2,
                        help="fiscal years generated; pages show the last complete one when there are two or more")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--export-households", type=int, default=0,
                        help="also measure export memory on a separate SQLite database of this many households")
    parser.add_argument("--no-whole-exports", action="store_true",
                        help="measure export memory for a district only (a national export takes minutes)")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="sammachip-bench-"))
    scratch = None
    if args.postgres_server:
        scratch = ScratchDatabase(args.postgres_server)
        url = scratch.url
    else:
        url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    try:
        prepare(url, seed=args.seed or not args.database_url, villages=args.villages,
                households=args.households_per_village, years=args.years)
        measure(url, args, workdir)
    finally:
        if scratch is not None:
            scratch.drop()
    return 0


class ScratchDatabase:
    """A database of its own on a PostgreSQL server, dropped when the benchmark ends."""

    def __init__(self, server_url: str) -> None:
        self.server = make_engine(server_url)
        self.name = f"sammachip_bench_{os.getpid()}"
        with self.server.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(f'CREATE DATABASE "{self.name}"')
        self.url = server_url.rsplit("/", 1)[0] + "/" + self.name
        print(f"scratch database {self.name}")

    def drop(self) -> None:
        with self.server.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self.server.dispose()
        print(f"dropped {self.name}")


def measure(url: str, args: argparse.Namespace, workdir: Path) -> None:
    engine = make_engine(url)
    year = fiscal_year_be(dt.date.today()) - (1 if args.years >= 2 else 0)
    with Session(engine) as db:
        households = db.exec(select(func.count()).select_from(Household)).one()[0]
        first = db.exec(select(Village.code).order_by(Village.code).limit(1)).one()[0]
    district, subdistrict = first[:4], first[:6]
    print(f"database: {url.split('@')[-1]} · {households:,} households · fiscal year {year}")

    app = create_app(Settings(database_url=url, secret_key="bench-secret-" + "x" * 40, development=True), engine)
    pages = [
        ("supervisor", "district progress", f"/progress?year={year}"),
        ("supervisor", "district outcomes", f"/outcomes?year={year}"),
        ("supervisor", "district outcomes by trade", f"/outcomes?year={year}&by=occupation"),
        ("supervisor", "records behind a figure", f"/progress/records?what=selected&year={year}&area={subdistrict}"),
        ("supervisor", "village page", f"/progress/villages/{first}?year={year}"),
        ("supervisor", "district summary (print)", f"/print/districts/{district}?year={year}"),
        ("supervisor", "export households.csv (district)", f"/reports/export/households.csv?year={year}"),
        ("supervisor", "export attendance.xlsx (district)", f"/reports/export/attendance.xlsx?year={year}"),
        ("supervisor", "export indicators.csv (district)", f"/reports/export/indicators.csv?year={year}"),
        ("admin", "national progress", f"/progress?year={year}&area="),
        ("admin", "national outcomes", f"/outcomes?year={year}&area="),
        ("admin", "export indicators.csv (national)", f"/reports/export/indicators.csv?year={year}&area="),
    ]
    print(f"{'page':40} {'first ms':>9} {'p50 ms':>8} {'p95 ms':>8} {'CPU p50':>8} {'CPU p95':>8} {'bytes':>10}")
    for role in ("supervisor", "admin"):
        with TestClient(app, base_url="http://bench.local") as client:
            sign_in(client, f"bench-{role}")
            for who, label, path in pages:
                if who != role:
                    continue
                repeat = args.repeat if "export" not in label else max(3, args.repeat // 4)
                first, p50, p95, cpu50, cpu95, size = timings(client, path, repeat)
                print(f"{label:40} {first:9.1f} {p50:8.1f} {p95:8.1f} {cpu50:8.1f} {cpu95:8.1f} {size:10,}",
                      flush=True)

    print("export memory (tracemalloc peak):")
    scopes = [("district", district)] + ([] if args.no_whole_exports else [("whole database", "")])
    for label, area in scopes:
        for dataset, fmt in (("households", "csv"), ("attendance", "xlsx")):
            peak, produced, seconds = export_peak(engine, dataset, fmt, area, year)
            print(f"  {dataset}.{fmt} {label:15} {produced / 1e6:8.1f} MB out in {seconds:6.1f} s, peak {peak:6.1f} MB")
    engine.dispose()

    if args.export_households:
        villages = -(-args.export_households // 50)  # 25 new households a village in each of 2 years
        big = f"sqlite:///{workdir / 'export.db'}"
        prepare(big, seed=True, villages=villages, households=25, years=2)
        engine = make_engine(big)
        with Session(engine) as db:
            count = db.exec(select(func.count()).select_from(Household)).one()[0]
        print(f"export memory with {count:,} households (tracemalloc peak):")
        for area, label in ((first[:6], "one subdistrict"), ("", "all")):
            for dataset, fmt in (("households", "csv"), ("households", "xlsx")):
                peak, produced, seconds = export_peak(engine, dataset, fmt, area, year)
                print(f"  {dataset}.{fmt} {label:15} {produced / 1e6:8.1f} MB out in {seconds:6.1f} s, "
                      f"peak {peak:6.1f} MB")
        engine.dispose()


if __name__ == "__main__":
    sys.exit(main())

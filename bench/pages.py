"""Report pages and exports under a generated program: p50/p95 per page and export memory.

    .venv/bin/python bench/pages.py                                   # SQLite, 150 villages x 25 households, 2 years
    .venv/bin/python bench/pages.py --database-url postgresql://…/db --seed --villages 14000 \
        --households-per-village 20 --years 5                         # PostgreSQL, national years
    .venv/bin/python bench/pages.py --export-households 100000        # + peak memory of that export

Pages are requested through the real app (in-process ASGI client) as a district supervisor (a
district's pages) and as an administrator (national summaries). Export memory is the peak of
Python allocations (tracemalloc) while a whole export is produced, for a district and for the
whole database: flat means the two peaks are close although the row counts are not.
"""
from __future__ import annotations

import argparse
import datetime as dt
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
from server.db import make_engine  # noqa: E402
from server.migrate import upgrade  # noqa: E402
from server.models import Household, User, Village  # noqa: E402
from server.reference_data import ensure_defaults  # noqa: E402
from server.reports import exports  # noqa: E402
from server.reports.scale import seed_scale  # noqa: E402
from server.reports.scope import Filters  # noqa: E402
from server.rules import fiscal_year_be  # noqa: E402
from server.settings import Settings  # noqa: E402

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


def timings(client: TestClient, url: str, repeat: int) -> tuple[float, float, int]:
    client.get(url)  # warm caches and templates once
    samples = []
    size = 0
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code, response.text[:300])
        size = len(response.content)
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return statistics.median(samples), p95, size


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
    parser.add_argument("--database-url")
    parser.add_argument("--seed", action="store_true", help="seed-scale the database when it has no villages")
    parser.add_argument("--villages", type=int, default=150)
    parser.add_argument("--households-per-village", type=int, default=25)
    parser.add_argument("--years", type=int, default=2,
                        help="fiscal years generated; pages show the last complete one when there are two or more")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--export-households", type=int, default=0,
                        help="also measure export memory on a separate SQLite database of this many households")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="sammachip-bench-"))
    url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    prepare(url, seed=args.seed or not args.database_url, villages=args.villages,
            households=args.households_per_village, years=args.years)
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
    ]
    print(f"{'page':40} {'p50 ms':>8} {'p95 ms':>8} {'bytes':>10}")
    for role in ("supervisor", "admin"):
        with TestClient(app, base_url="http://bench.local") as client:
            sign_in(client, f"bench-{role}")
            for who, label, path in pages:
                if who != role:
                    continue
                repeat = args.repeat if "export" not in label else max(3, args.repeat // 4)
                p50, p95, size = timings(client, path, repeat)
                print(f"{label:40} {p50:8.1f} {p95:8.1f} {size:10,}")

    print("export memory (tracemalloc peak):")
    for label, area in (("district", district), ("whole database", "")):
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
